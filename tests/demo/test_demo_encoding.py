"""The fast encodings the demo generator uses for PostgreSQL COPY must give exactly what the
reference functions give (pure tests, no database)."""

import datetime
from decimal import Decimal

from parcours.audit.chain import canonical
from parcours.audit.services import _content
from parcours.demo.generator import TABLES, AuditRow, _audit_text
from parcours.demo.writer import copy_text
from parcours.pathways.models import Event
from parcours.people.models import Person, WorkExperience

AT = datetime.datetime(2025, 3, 4, 9, 15, 0, 123456, tzinfo=datetime.UTC)


def _table(model):
    return next(t for t in TABLES if t.model is model)


def test_audit_fast_encoding_matches_the_reference_canonical_content():
    entry = AuditRow(
        AT,
        12,
        None,
        "update",
        "pathways.pathway",
        "34",
        56,
        ["orientation", "référent"],
        'Motif « urgent » "cité"\\ fin',
    )
    content, _tail = _audit_text(tuple(getattr(entry, f) for f in entry.__slots__))
    assert content == canonical(_content(entry))


def test_audit_fast_encoding_handles_an_entry_without_actor_nor_person():
    entry = AuditRow(AT, None, None, "read", "pathways.pathway:summary", "", None, [], "")
    assert _audit_text(tuple(getattr(entry, f) for f in entry.__slots__))[0] == canonical(_content(entry))


def test_audit_copy_text_escapes_tabs_and_newlines_of_the_reason():
    entry = AuditRow(AT, 1, 2, "update", "pathways.pathway", "3", 4, [], "ligne 1\nligne\t2")
    tail = _audit_text(tuple(getattr(entry, f) for f in entry.__slots__))[1]
    assert tail.split("\t")[-1] == "ligne 1\\nligne\\t2"
    assert len(tail.split("\t")) == 9


def test_event_row_formatter_matches_the_generic_copy_encoding():
    rows = [
        (1, 2, AT, "note_added", None, 7, "Note\tavec tabulation\net retour \\ fin", '{"note": 3}', ""),
        (2, 2, AT, "pathway_opened", 5, None, "Parcours ouvert par Élodie Garnier (France Travail)", "{}", ""),
        (3, 2, AT, "goal_added", 5, 7, "Objectif « Reprendre les soins » (validé)", '{"goal": 4}', "health"),
    ]
    assert _table(Event).formatter()(rows, "\n").encode() == copy_text(rows)


def test_person_row_formatter_matches_the_generic_copy_encoding():
    birth = datetime.date(1990, 5, 17)
    row = (
        1, "Aïcha", "Ben Salah", "", "F", birth, "Alep", "SY", "", "", "1234567", "1234567890", "", "06 12 34 56 78",
        "3 rue de la Paix", "44109", '["ar", "fr"]', datetime.date(2022, 1, 3), "alone", "none", False, None, "4",
        "open", "none", "resident_card", True, birth, datetime.date(2030, 1, 1), "refugee", None, "Note\nsur deux lignes",
        False, "", AT, 9, None,
    )  # fmt: skip
    assert _table(Person).formatter()([row], "\n").encode() == copy_text([row])


def test_decimal_row_formatter_matches_the_generic_copy_encoding():
    rows = [(1, 2, "J1501", 10891, Decimal("3.5"), "FR"), (2, 2, "K1304", None, Decimal("1.0"), "AF")]
    assert _table(WorkExperience).formatter()(rows, "\tx\n").encode() == copy_text(rows, "\tx")
