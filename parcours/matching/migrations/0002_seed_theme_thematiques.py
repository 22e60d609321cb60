"""Seed the editable theme → thématique mapping from the defaults in parcours/directory/mapping.py.
Idempotent; reversing leaves the rows (an administrator may have edited them)."""

from django.db import migrations


def seed(apps, schema_editor):
    from parcours.matching.defaults import seed_theme_thematiques

    seed_theme_thematiques(apps.get_model("matching", "ThemeThematique"))


class Migration(migrations.Migration):
    dependencies = [("matching", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
