"""How the diagnostic reads on a page: French sentences for the changes between two versions."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from parcours.diagnostics.enums import NeedLevel, Theme
from parcours.diagnostics.models import Diagnostic
from parcours.diagnostics.rules import Change, diagnostic_diff
from parcours.diagnostics.selectors import snapshot
from parcours.people.languages import language_name


def theme_label(theme: str) -> str:
    return str(Theme(theme).label) if theme in Theme.values else theme


def need_label(need: str) -> str:
    return str(NeedLevel(need).label) if need in NeedLevel.values else need


def describe_change(change: Change) -> str:
    """One French sentence for one change, e.g. « Logement : besoin À travailler → Prioritaire »."""
    kind, _sep, key = change.subject.partition(":")
    if kind == "need":
        before = need_label(change.before) if change.before else _("non renseigné")
        after = need_label(change.after) if change.after else _("non renseigné")
        return _("%(theme)s : besoin %(before)s → %(after)s") % {
            "theme": theme_label(key),
            "before": before,
            "after": after,
        }
    if kind == "situation":
        if change.after:
            return _("%(theme)s — Situation ajoutée : %(label)s") % {"theme": theme_label(key), "label": change.after}
        return _("%(theme)s — Situation retirée : %(label)s") % {"theme": theme_label(key), "label": change.before}
    if kind == "note":
        if not change.before:
            return _("%(theme)s : note ajoutée") % {"theme": theme_label(key)}
        if not change.after:
            return _("%(theme)s : note supprimée") % {"theme": theme_label(key)}
        return _("%(theme)s : note modifiée") % {"theme": theme_label(key)}
    if kind == "language":
        name = language_name(key)
        if not change.before:
            return _("%(language)s : niveau %(after)s (nouvelle langue évaluée)") % {
                "language": name,
                "after": change.after,
            }
        if not change.after:
            return _("%(language)s : évaluation retirée (était %(before)s)") % {
                "language": name,
                "before": change.before,
            }
        return _("%(language)s : niveau %(before)s → %(after)s") % {
            "language": name,
            "before": change.before,
            "after": change.after,
        }
    if kind == "interpreting":
        if not change.before:
            return _("Interprétariat nécessaire (%(language)s)") % {"language": language_name(change.after)}
        if not change.after:
            return _("Interprétariat plus nécessaire")
        return _("Interprétariat : %(before)s → %(after)s") % {
            "before": language_name(change.before),
            "after": language_name(change.after),
        }
    return change.subject  # pragma: no cover - every kind of rules.diagnostic_diff is handled above


@dataclass
class VersionRow:
    diagnostic: Diagnostic
    changes: list[str]
    is_first: bool


def version_history(diagnostics: list[Diagnostic], *, shown: int) -> list[VersionRow]:
    """The `shown` newest versions (newest first), each with what changed since the version
    before it. `diagnostics` holds one more version than shown when there are older ones, so that
    the oldest row shown can still be compared with its predecessor."""
    snapshots = [snapshot(d) for d in diagnostics]
    rows = []
    for index, diagnostic in enumerate(diagnostics[:shown]):
        previous = snapshots[index + 1] if index + 1 < len(snapshots) else None
        is_first = previous is None and diagnostic.version == 1
        changes = [] if is_first else [describe_change(c) for c in diagnostic_diff(previous, snapshots[index])]
        rows.append(VersionRow(diagnostic=diagnostic, changes=changes, is_first=is_first))
    return rows
