import csv
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from parcours.audit.models import AuditEntry
from parcours.occupations.models import JobTension, RomeJob, TensionImport
from parcours.occupations.tension_import import TensionFileError, import_tension_file
from tests.factories import DepartementFactory, RomeJobFactory
from tests.shared_data import ROME_DIR, TENSION_FILE

HEADER = "fap_code,fap,tension_pct,rome_code,rome_label\n"
DEMO_FILE = Path(__file__).resolve().parents[2] / "parcours" / "occupations" / "data" / "tension_demo.csv"


@pytest.fixture
def rome_sheets(db):
    """Every sheet of the real ROME 4.0 release v460 (code, label, parent)."""
    with (ROME_DIR / "unix_referentiel_code_rome_v460_utf8.csv").open(encoding="utf-8", newline="") as handle:
        RomeJob.objects.bulk_create(
            RomeJob(code=row["code_rome"], label=row["libelle_rome"], parent_code=row["code_rome_parent"])
            for row in csv.DictReader(handle)
        )
    return RomeJob.objects.count()


def write(tmp_path: Path, text: str, name: str = "tensions.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def sheets(*specs: tuple[str, str]) -> None:
    """Sheets (code, parent_code) for small constructed files."""
    for code, parent in specs:
        RomeJobFactory(code=code, label=f"Fiche {code}", parent_code=parent)


# --- the real national file -------------------------------------------------------------------


def test_real_file_rows_and_codes(rome_sheets):
    result = import_tension_file(TENSION_FILE)

    assert rome_sheets == 1584
    assert result.is_current
    assert result.rows == 701
    assert result.counts["matched_codes"] == 495
    assert result.counts["unmatched_codes"] == 0
    assert result.unmatched == []
    assert result.counts["scope"] == "national"


def test_real_file_covers_children_via_parent(rome_sheets):
    result = import_tension_file(TENSION_FILE)

    # The 495 v3 codes are their own sheets; 960 sheets of ROME 4.0 hang under them.
    assert result.counts["direct"] == 495
    assert result.counts["via_parent"] == 960
    assert result.counts["sheets"] == 1455
    assert JobTension.objects.filter(tension_import=result).count() == 1455
    assert not JobTension.objects.filter(departement__isnull=False).exists()

    parent = JobTension.objects.get(rome_id="A1101")
    child = JobTension.objects.get(rome_id="A1102")
    assert RomeJob.objects.get(code="A1102").parent_code == "A1101"
    assert (parent.via_parent, parent.source_code) == (False, "A1101")
    assert (child.via_parent, child.source_code) == (True, "A1101")
    assert child.tension_pct == parent.tension_pct == Decimal("61.9")
    assert child.fap == [{"code": "A0Z43", "label": "Conducteurs d'engins agricoles ou forestiers", "pct": "61.9"}]


def test_real_file_keeps_highest_of_several_fap(rome_sheets):
    import_tension_file(TENSION_FILE)

    # A1204 is covered by three FAP families (60.3, 54.0, 68.2).
    tension = JobTension.objects.get(rome_id="A1204")
    assert tension.tension_pct == Decimal("68.2")
    assert [fap["code"] for fap in tension.fap] == ["G1Z70", "A0Z42", "H0Z91"]
    assert [fap["pct"] for fap in tension.fap] == ["68.2", "60.3", "54.0"]


def test_demo_file_is_the_real_national_file():
    assert DEMO_FILE.read_bytes() == TENSION_FILE.read_bytes()


# --- mapping rules on constructed files -------------------------------------------------------


def test_direct_row_wins_over_parent(db, tmp_path):
    sheets(("B1101", "B1101"), ("B1102", "B1101"), ("B1103", "B1101"))
    path = write(tmp_path, HEADER + "X0Z01,Famille A,40,B1101,PARENT\nX0Z02,Famille B,20,B1103,FILLE\n")

    result = import_tension_file(path)

    by_code = {t.rome_id: t for t in JobTension.objects.all()}
    assert by_code["B1102"].tension_pct == Decimal("40.0") and by_code["B1102"].via_parent
    # B1103 has a row of its own: its parent's higher figure does not apply.
    assert by_code["B1103"].tension_pct == Decimal("20.0") and not by_code["B1103"].via_parent
    assert [fap["code"] for fap in by_code["B1103"].fap] == ["X0Z02"]
    assert (result.counts["direct"], result.counts["via_parent"]) == (2, 1)


def test_sheets_not_in_release_are_skipped(db, tmp_path):
    sheets(("B1101", "B1101"))
    RomeJobFactory(code="B1102", label="Ancienne fiche", parent_code="B1101", in_release=False)
    RomeJobFactory(code="B1201", label="Ancienne fiche", parent_code="B1201", in_release=False)
    path = write(tmp_path, HEADER + "X0Z01,Famille A,40,B1101,P\nX0Z01,Famille A,40,B1201,Q\n")

    result = import_tension_file(path)

    assert list(JobTension.objects.values_list("rome_id", flat=True)) == ["B1101"]
    assert [entry["code"] for entry in result.unmatched] == ["B1201"]


def test_unmatched_code_is_reported_and_counted(db, tmp_path):
    sheets(("B1101", "B1101"))
    path = write(
        tmp_path,
        HEADER
        + "X0Z01,Famille A,40,B1101,CONNUE\n"
        + "X0Z02,Famille B,35,N9999,INCONNUE\n"
        + "X0Z03,Famille C,30,N9999,INCONNUE\n",
    )

    result = import_tension_file(path)

    assert result.counts["unmatched_codes"] == 1
    assert result.counts["matched_codes"] == 1
    assert result.unmatched == [
        {
            "code": "N9999",
            "label": "INCONNUE",
            "fap": [{"code": "X0Z02", "label": "Famille B"}, {"code": "X0Z03", "label": "Famille C"}],
        }
    ]
    assert JobTension.objects.count() == 1


def test_departement_column_gives_rows_per_departement(db, tmp_path):
    DepartementFactory(code="44", name="Loire-Atlantique")
    DepartementFactory(code="01", name="Ain", region_code="84")
    sheets(("B1101", "B1101"), ("B1102", "B1101"))
    path = write(
        tmp_path,
        "fap_code,fap,tension_pct,rome_code,rome_label,departement\n"
        "X0Z01,Famille A,40,B1101,P,44\n"
        "X0Z02,Famille B,55.5,B1101,P,44\n"
        "X0Z01,Famille A,70,B1101,P,1\n",
    )

    result = import_tension_file(path)

    rows = {(t.rome_id, t.departement_id): t for t in JobTension.objects.all()}
    assert set(rows) == {("B1101", "44"), ("B1102", "44"), ("B1101", "01"), ("B1102", "01")}
    assert rows[("B1101", "44")].tension_pct == Decimal("55.5")
    assert [fap["code"] for fap in rows[("B1101", "44")].fap] == ["X0Z02", "X0Z01"]
    assert rows[("B1102", "01")].tension_pct == Decimal("70.0") and rows[("B1102", "01")].via_parent
    assert result.counts["scope"] == "departement"
    assert result.counts["territories"] == ["01", "44"]
    assert (result.counts["sheets"], result.counts["tensions"]) == (2, 4)


def test_code_departement_column_is_accepted(db, tmp_path):
    DepartementFactory(code="44")
    sheets(("B1101", "B1101"))
    path = write(tmp_path, "code_departement," + HEADER.strip() + "\n44,X0Z01,Famille A,40,B1101,P\n")

    import_tension_file(path)

    assert JobTension.objects.get().departement_id == "44"


# --- replacing the current import -------------------------------------------------------------


def test_new_import_replaces_current_and_keeps_history(db, tmp_path):
    sheets(("B1101", "B1101"))
    first = import_tension_file(write(tmp_path, HEADER + "X0Z01,Famille A,40,B1101,P\n", "a.csv"))
    second = import_tension_file(write(tmp_path, HEADER + "X0Z01,Famille A,45,B1101,P\n", "b.csv"))

    first.refresh_from_db()
    assert not first.is_current and first.rows == 1 and first.counts["sheets"] == 1
    assert second.is_current
    assert list(JobTension.objects.values_list("tension_import_id", "tension_pct")) == [(second.pk, Decimal("45.0"))]
    assert AuditEntry.objects.filter(object_type="occupations.tensionimport").count() == 2


# --- bad input: French message, nothing written, previous import intact -------------------------

BAD_FILES = {
    "missing_column": (
        "fap_code,fap,tension,rome_code,rome_label\nX0Z01,A,40,B1101,P\n",
        "Colonnes manquantes : tension_pct",
    ),
    "not_a_number": (HEADER + "X0Z01,A,40,B1101,P\nX0Z01,A,beaucoup,B1101,P\n", "Ligne 3 : tension_pct « beaucoup »"),
    "above_100": (HEADER + "X0Z01,A,140,B1101,P\n", "hors de l'intervalle 0 à 100"),
    "negative": (HEADER + "X0Z01,A,-1,B1101,P\n", "hors de l'intervalle 0 à 100"),
    "bad_rome_code": (HEADER + "X0Z01,A,40,B11,P\n", "code ROME « B11 » invalide"),
    "empty": ("", "Le fichier est vide."),
    "header_only": (HEADER, "aucune ligne de données"),
    "unknown_departement": (
        "fap_code,fap,tension_pct,rome_code,rome_label,departement\nX0Z01,A,40,B1101,P,99\n",
        "département « 99 » inconnu",
    ),
    "wrong_column_count": (HEADER + "X0Z01,A,40,B1101\n", "4 valeurs au lieu de 5"),
}


@pytest.fixture
def previous_import(db, tmp_path):
    DepartementFactory(code="44")
    sheets(("B1101", "B1101"))
    return import_tension_file(write(tmp_path, HEADER + "X0Z01,Famille A,40,B1101,P\n", "ok.csv"))


def assert_untouched(previous: TensionImport) -> None:
    assert list(TensionImport.objects.values_list("pk", "is_current")) == [(previous.pk, True)]
    assert list(JobTension.objects.values_list("tension_import_id", "tension_pct")) == [(previous.pk, Decimal("40.0"))]


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_is_refused_and_nothing_written(previous_import, tmp_path, case):
    text, message = BAD_FILES[case]

    with pytest.raises(TensionFileError) as error:
        import_tension_file(write(tmp_path, text))

    assert any(message in line for line in error.value.messages), error.value.messages
    assert_untouched(previous_import)


def test_missing_file_is_refused(previous_import, tmp_path):
    with pytest.raises(TensionFileError, match="Fichier introuvable"):
        import_tension_file(tmp_path / "absent.csv")
    assert_untouched(previous_import)


def test_non_utf8_file_is_refused(previous_import, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "X0Z01,Bûcherons,40,B1101,BÛCHERONNAGE\n").encode("latin-1"))

    with pytest.raises(TensionFileError, match="n'est pas encodé en UTF-8"):
        import_tension_file(path)
    assert_untouched(previous_import)


def test_many_bad_rows_are_summarised(previous_import, tmp_path):
    path = write(tmp_path, HEADER + "X0Z01,A,abc,B1101,P\n" * 30)

    with pytest.raises(TensionFileError) as error:
        import_tension_file(path)

    assert len(error.value.messages) == 21
    assert error.value.messages[-1] == "… et 10 autre(s) ligne(s) en erreur."
    assert_untouched(previous_import)


# --- command ----------------------------------------------------------------------------------


def test_command_prints_french_counts(db, tmp_path):
    sheets(("B1101", "B1101"), ("B1102", "B1101"), ("B1201", "B1201"))
    path = write(
        tmp_path,
        HEADER + "X0Z01,Famille A,40,B1101,P\nX0Z02,Famille B,30,B1201,Q\nX0Z03,Famille C,30,N9999,INCONNUE\n",
    )
    out = StringIO()

    call_command("tension_import", str(path), stdout=out)

    output = out.getvalue()
    assert "Lignes lues : 3" in output
    assert "Codes ROME rapprochés : 2" in output
    assert "Fiches couvertes : 3 (directement : 2, par la fiche parente : 1)" in output
    assert "Codes non rapprochés : 1" in output
    assert "  - N9999 INCONNUE (FAP X0Z03)" in output


def test_command_refuses_bad_file(previous_import, tmp_path):
    with pytest.raises(CommandError, match="rien n'a été importé"):
        call_command("tension_import", str(write(tmp_path, "")), stdout=StringIO())
    assert_untouched(previous_import)


def test_file_matching_no_sheet_is_refused_and_the_current_import_kept(previous_import, tmp_path):
    path = write(tmp_path, HEADER + "X0Z02,Famille B,35,N9999,INCONNUE\nX0Z03,Famille C,30,M9999,AUTRE\n")

    with pytest.raises(TensionFileError) as error:
        import_tension_file(path)

    assert error.value.messages == [
        "Aucun code ROME du fichier ne correspond à une fiche du référentiel en service : importez d'abord le ROME 4.0."
    ]
    assert_untouched(previous_import)


def test_file_refused_when_no_rome_release_is_loaded(db, tmp_path):
    path = write(tmp_path, HEADER + "X0Z01,Famille A,40,B1101,P\n")

    with pytest.raises(TensionFileError, match="importez d'abord le ROME 4.0"):
        import_tension_file(path)

    assert not TensionImport.objects.exists() and not JobTension.objects.exists()
