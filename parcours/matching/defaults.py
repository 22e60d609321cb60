"""The default theme → thématique mapping (parcours/directory/mapping.py) written into the editable
table. Used by the seeding migration, by `load_reference` when the table is empty, and by tests."""

from parcours.directory.mapping import THEME_THEMATIQUES


def seed_theme_thematiques(model=None, *, only_if_empty: bool = False) -> int:
    """Add the default rows that are missing (all of them with `only_if_empty` when the table has
    none, nothing otherwise: an administrator's edits are kept). Returns the number of rows added."""
    if model is None:
        from .models import ThemeThematique as model  # noqa: N813 - the model class
    if only_if_empty and model.objects.exists():
        return 0
    existing = set(model.objects.values_list("theme", "thematique"))
    rows = [
        model(theme=str(theme), thematique=code)
        for theme, codes in THEME_THEMATIQUES.items()
        for code in codes
        if (str(theme), code) not in existing
    ]
    model.objects.bulk_create(rows)
    return len(rows)
