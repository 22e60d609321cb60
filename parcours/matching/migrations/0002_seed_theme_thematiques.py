"""Seed the editable theme → thématique mapping from the defaults in parcours/directory/mapping.py.
Idempotent; reversing leaves the rows (an administrator may have edited them)."""

from django.db import migrations


def seed(apps, schema_editor):
    from parcours.directory.mapping import THEME_THEMATIQUES

    model = apps.get_model("matching", "ThemeThematique")
    existing = set(model.objects.values_list("theme", "thematique"))
    model.objects.bulk_create(
        [
            model(theme=str(theme), thematique=code)
            for theme, codes in THEME_THEMATIQUES.items()
            for code in codes
            if (str(theme), code) not in existing
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("matching", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
