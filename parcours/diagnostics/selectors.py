from django.db.models import Prefetch, QuerySet

from parcours.people.enums import DataCategory
from parcours.people.models import Person

from .enums import SENSITIVE_THEMES
from .models import Diagnostic, ThemeAssessment
from .rules import DiagnosticSnapshot


def diagnostics_for(*, person: Person, categories: frozenset[str], limit: int | None = None) -> QuerySet[Diagnostic]:
    """Diagnostic versions, newest first, with the health theme filtered out in SQL when the
    reader has no consent for health data."""
    themes = ThemeAssessment.objects.prefetch_related("situations").order_by("theme")
    if DataCategory.HEALTH not in categories:
        themes = themes.exclude(theme__in=SENSITIVE_THEMES)
    qs = (
        Diagnostic.objects.filter(person=person)
        .select_related("recorded_by", "organisation")
        .prefetch_related(Prefetch("themes", queryset=themes), "language_levels")
        .order_by("-version")
    )
    return qs[:limit] if limit else qs


def snapshot(diagnostic: Diagnostic) -> DiagnosticSnapshot:
    themes = list(diagnostic.themes.all())
    return DiagnosticSnapshot(
        needs={t.theme: t.need for t in themes},
        situations={t.theme: frozenset(s.label for s in t.situations.all()) for t in themes},
        notes={t.theme: t.note for t in themes if t.note},
        languages={lang.language: lang.level for lang in diagnostic.language_levels.all()},
        interpreting=diagnostic.interpreting_language if diagnostic.interpreting_needed else "",
    )
