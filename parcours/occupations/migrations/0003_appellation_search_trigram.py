"""Trigram index on `Appellation.search_text`, PostgreSQL only.

The appellation search filters with `search_text LIKE '% word%'` (a word prefix anywhere in the
name), which a B-tree cannot serve: on the full ROME (13,120 appellations) the sequential scan
costs ~7 ms per query before sorting. A pg_trgm GIN index answers the same LIKE in well under a
millisecond for selective words. SQLite (local development) keeps the scan, which is fast enough
there. pg_trgm is a trusted extension (PostgreSQL ≥ 13): the database owner may create it.
"""

from django.db import migrations

INDEX = "occupations_appellation_search_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON occupations_appellation USING gin (search_text gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("occupations", "0002_romejob_in_release_romejob_is_cadre_romejob_ogr_code_and_more"),
    ]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
