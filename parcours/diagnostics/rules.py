"""Pure comparison of two diagnostic versions (no ORM): what a reader needs to see changed."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DiagnosticSnapshot:
    needs: dict[str, str] = field(default_factory=dict)  # theme -> need level
    situations: dict[str, frozenset[str]] = field(default_factory=dict)  # theme -> situation labels
    notes: dict[str, str] = field(default_factory=dict)  # theme -> note
    languages: dict[str, str] = field(default_factory=dict)  # language -> CECRL level
    interpreting: str = ""  # "" or the language needing an interpreter


@dataclass(frozen=True)
class Change:
    subject: str
    before: str
    after: str


def diagnostic_diff(previous: DiagnosticSnapshot | None, current: DiagnosticSnapshot) -> list[Change]:
    """Every difference between two versions, by theme then language, in a stable order."""
    previous = previous or DiagnosticSnapshot()
    changes: list[Change] = []
    for theme in sorted(set(previous.needs) | set(current.needs)):
        before, after = previous.needs.get(theme, ""), current.needs.get(theme, "")
        if before != after:
            changes.append(Change(f"need:{theme}", before, after))
    for theme in sorted(set(previous.situations) | set(current.situations)):
        before_s = previous.situations.get(theme, frozenset())
        after_s = current.situations.get(theme, frozenset())
        for label in sorted(after_s - before_s):
            changes.append(Change(f"situation:{theme}", "", label))
        for label in sorted(before_s - after_s):
            changes.append(Change(f"situation:{theme}", label, ""))
    for theme in sorted(set(previous.notes) | set(current.notes)):
        before, after = previous.notes.get(theme, ""), current.notes.get(theme, "")
        if before != after:
            changes.append(Change(f"note:{theme}", before, after))
    for language in sorted(set(previous.languages) | set(current.languages)):
        before, after = previous.languages.get(language, ""), current.languages.get(language, "")
        if before != after:
            changes.append(Change(f"language:{language}", before, after))
    if previous.interpreting != current.interpreting:
        changes.append(Change("interpreting", previous.interpreting, current.interpreting))
    return changes
