"""diagnostic_diff is a pure function: no database, plain snapshots in, changes out."""

from hypothesis import given
from hypothesis import strategies as st

from parcours.diagnostics.enums import CecrlLevel, NeedLevel, Theme
from parcours.diagnostics.rules import Change, DiagnosticSnapshot, diagnostic_diff

themes = st.sampled_from(Theme.values)
labels = st.text(min_size=1, max_size=20)
snapshots = st.builds(
    DiagnosticSnapshot,
    needs=st.dictionaries(themes, st.sampled_from(NeedLevel.values), max_size=6),
    situations=st.dictionaries(themes, st.frozensets(labels, max_size=4), max_size=6),
    notes=st.dictionaries(themes, st.text(min_size=1, max_size=40), max_size=4),
    languages=st.dictionaries(st.sampled_from(["fr", "ar", "prs", "uk", "ti"]), st.sampled_from(CecrlLevel.values)),
    interpreting=st.sampled_from(["", "ar", "prs"]),
)


@given(snapshots)
def test_diff_of_a_snapshot_with_itself_is_empty(snapshot):
    assert diagnostic_diff(snapshot, snapshot) == []


@given(snapshots)
def test_diff_from_nothing_lists_every_need(snapshot):
    changes = diagnostic_diff(None, snapshot)
    needs = {c.subject.removeprefix("need:"): c.after for c in changes if c.subject.startswith("need:")}
    assert needs == snapshot.needs
    assert all(c.before == "" for c in changes)


@given(snapshots, snapshots)
def test_diff_reports_every_theme_whose_need_changed(before, after):
    changed = {c.subject.removeprefix("need:") for c in diagnostic_diff(before, after) if c.subject.startswith("need:")}
    expected = {t for t in set(before.needs) | set(after.needs) if before.needs.get(t) != after.needs.get(t)}
    assert changed == expected


def test_need_change_is_reported_with_before_and_after():
    before = DiagnosticSnapshot(needs={"logement": "to_work_on"})
    after = DiagnosticSnapshot(needs={"logement": "priority"})
    assert diagnostic_diff(before, after) == [Change("need:logement", "to_work_on", "priority")]


def test_added_and_removed_situations_are_reported_one_by_one():
    before = DiagnosticSnapshot(situations={"logement": frozenset({"Hébergé·e chez un tiers"})})
    after = DiagnosticSnapshot(situations={"logement": frozenset({"Sans hébergement"})})
    assert diagnostic_diff(before, after) == [
        Change("situation:logement", "", "Sans hébergement"),
        Change("situation:logement", "Hébergé·e chez un tiers", ""),
    ]


def test_language_level_and_interpreting_changes_are_reported():
    before = DiagnosticSnapshot(languages={"ar": "A1"}, interpreting="ar")
    after = DiagnosticSnapshot(languages={"ar": "A2", "uk": "B1"}, interpreting="")
    assert diagnostic_diff(before, after) == [
        Change("language:ar", "A1", "A2"),
        Change("language:uk", "", "B1"),
        Change("interpreting", "ar", ""),
    ]
