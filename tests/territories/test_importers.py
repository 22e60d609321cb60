from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from parcours.audit.models import AuditEntry
from parcours.territories.importers import WrongFileKind, import_communes, parse_laposte
from parcours.territories.models import Commune, Departement
from tests.factories import CommuneFactory, DepartementFactory
from tests.shared_data import SHARED_DATA

LAPOSTE_FILE = SHARED_DATA / "geo" / "laposte_hexasmal.csv"
HEADER = "Code_commune_INSEE;Nom_commune;Code_postal;Libelle_acheminement;Ligne_5;coordonnees_gps"


def lines(*rows: str) -> list[str]:
    return [HEADER, *rows]


# --- parser --------------------------------------------------------------------------------------


def test_parse_groups_rows_by_commune_with_sorted_unique_postcodes():
    communes, errors = parse_laposte(
        lines(
            "44109;NANTES;44300;NANTES;;47.2316356767, -1.54831008605",
            "44109;NANTES;44000;NANTES;;47.2316356767, -1.54831008605",
            "44109;NANTES;44000;NANTES;CHANTENAY;47.2316356767, -1.54831008605",
        )
    )
    assert errors == []
    assert communes == {
        "44109": {
            "name": "Nantes",
            "postcodes": ["44000", "44300"],
            "latitude": 47.2316356767,
            "longitude": -1.54831008605,
            "departement": "44",
        }
    }


def test_parse_typesets_la_poste_names():
    communes, _ = parse_laposte(lines("44162;ST HERBLAIN;44800;ST HERBLAIN;;47.22, -1.63"))
    assert communes["44162"]["name"] == "Saint-Herblain"


def test_parse_gives_corsican_and_overseas_departements():
    communes, errors = parse_laposte(
        lines("2A004;AJACCIO;20000;AJACCIO;;41.93, 8.70", "97411;ST DENIS;97400;ST DENIS;;-20.93, 55.44")
    )
    assert errors == []
    assert communes["2A004"]["departement"] == "2A"
    assert communes["97411"]["departement"] == "974"


def test_parse_keeps_a_commune_without_coordinates():
    communes, errors = parse_laposte(lines("97701;ST BARTHELEMY;97133;ST BARTHELEMY;;"))
    assert errors == []
    assert communes["97701"]["latitude"] is None and communes["97701"]["longitude"] is None


def test_parse_reports_bad_rows_with_their_line_number_and_keeps_the_good_ones():
    communes, errors = parse_laposte(
        lines(
            "44109;NANTES;44000;NANTES;;47.23, -1.54",
            "4410;NANTES;44000;NANTES;;47.23, -1.54",
            "44162;ST HERBLAIN;4480;ST HERBLAIN;;47.22, -1.63",
            "44020;;44340;BOUGUENAIS;;47.17, -1.62",
            "99138;MONACO;98000;MONACO;;43.73, 7.42",
            "44143;REZE",
        )
    )
    assert list(communes) == ["44109"]
    assert errors == [
        "Ligne 3 : code INSEE « 4410 » invalide, ligne ignorée.",
        "Ligne 4 : code postal « 4480 » invalide, ligne ignorée.",
        "Ligne 5 : nom de commune vide, ligne ignorée.",
        "Ligne 6 : code « 99138 » d'un pays étranger, pas d'une commune française, ligne ignorée.",
        "Ligne 7 : 2 champ(s) au lieu de 6, ligne ignorée.",
    ]


def test_parse_drops_coordinates_outside_france_but_keeps_the_commune():
    communes, errors = parse_laposte(
        lines("44109;NANTES;44000;NANTES;;-1.54, 47.23", "44162;ST HERBLAIN;44800;ST HERBLAIN;;47,22 -1,63")
    )
    assert communes["44109"]["latitude"] is None
    assert communes["44162"]["latitude"] is None
    assert errors == [
        "Ligne 2 : coordonnées « -1.54, 47.23 » hors de France, ignorées.",
        "Ligne 3 : coordonnées « 47,22 -1,63 » illisibles (attendu « latitude, longitude »).",
    ]


def test_parse_reports_a_commune_named_differently_on_two_rows():
    communes, errors = parse_laposte(lines("44109;NANTES;44000;NANTES;;", "44109;REZE;44400;REZE;;"))
    assert communes["44109"]["name"] == "Nantes"
    assert communes["44109"]["postcodes"] == ["44000", "44400"]
    assert errors == [
        "Ligne 3 : la commune 44109 s'appelle « REZE » ici et « Nantes » plus haut ; le premier nom est gardé."
    ]


def test_parse_accepts_the_official_header_with_hash_and_bom():
    communes, errors = parse_laposte(
        ["\ufeff#Code_commune_INSEE;Nom_commune;Code_postal;Libellé_acheminement;Ligne_5", "44109;NANTES;44000;NANTES;"]
    )
    assert errors == [] and communes["44109"]["postcodes"] == ["44000"]


def test_parse_refuses_a_file_of_the_wrong_kind():
    with pytest.raises(
        WrongFileKind, match="colonne\\(s\\) manquante\\(s\\) code_commune_insee, nom_commune, code_postal"
    ):
        parse_laposte(["insee,name,zip", "44109,Nantes,44000"])


def test_parse_refuses_an_empty_file():
    with pytest.raises(WrongFileKind, match="vide"):
        parse_laposte([])


# --- loader --------------------------------------------------------------------------------------


def parsed(*rows: str):
    communes, errors = parse_laposte(lines(*rows))
    assert errors == []
    return communes


def test_import_creates_communes_and_their_departement_from_the_referential(db):
    report = import_communes(parsed("44162;ST HERBLAIN;44800;ST HERBLAIN;;47.22, -1.63"))
    assert (report.created, report.updated, report.unchanged) == (1, 0, 0)
    commune = Commune.objects.get(pk="44162")
    assert (commune.name, commune.postcodes, commune.latitude) == ("Saint-Herblain", ["44800"], 47.22)
    assert Departement.objects.get(pk="44").name == "Loire-Atlantique"


def test_import_is_idempotent(db):
    rows = parsed("44162;ST HERBLAIN;44800;ST HERBLAIN;;47.22, -1.63", "44109;NANTES;44000;NANTES;;47.23, -1.54")
    import_communes(rows)
    entries = AuditEntry.objects.count()
    report = import_communes(rows)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert Commune.objects.count() == 2
    assert AuditEntry.objects.count() == entries  # nothing changed, nothing to log


def test_import_keeps_an_existing_accented_name_and_updates_the_rest(db):
    CommuneFactory(insee_code="44143", name="Rezé", postcodes=["44400"], latitude=47.19, longitude=-1.56)
    report = import_communes(parsed("44143;REZE;44400;REZE;;47.18, -1.55", "44143;REZE;44401;REZE;;47.18, -1.55"))
    assert (report.created, report.updated) == (0, 1)
    commune = Commune.objects.get(pk="44143")
    assert commune.name == "Rezé"
    assert (commune.postcodes, commune.latitude, commune.longitude) == (["44400", "44401"], 47.18, -1.55)


def test_import_replaces_a_name_that_does_not_match(db):
    CommuneFactory(insee_code="44143", name="Nom erroné", postcodes=["44400"])
    import_communes(parsed("44143;REZE;44400;REZE;;47.18, -1.55"))
    assert Commune.objects.get(pk="44143").name == "Reze"


def test_import_keeps_a_known_point_when_the_file_has_none(db):
    CommuneFactory(insee_code="44143", name="Rezé", postcodes=["44400"], latitude=47.19, longitude=-1.56)
    report = import_communes(parsed("44143;REZE;44400;REZE;;"))
    assert report.unchanged == 1
    assert Commune.objects.get(pk="44143").latitude == 47.19


def test_import_restricted_to_departements_skips_the_others(db):
    report = import_communes(
        parsed("44109;NANTES;44000;NANTES;;", "85191;LA ROCHE SUR YON;85000;LA ROCHE SUR YON;;"), departements={"85"}
    )
    assert (report.created, report.skipped) == (1, 1)
    assert list(Commune.objects.values_list("pk", flat=True)) == ["85191"]


def test_import_rejects_communes_of_a_departement_missing_from_the_referential(db):
    report = import_communes(
        parsed("97502;ST PIERRE;97500;ST PIERRE;;46.78, -56.18", "44109;NANTES;44000;NANTES;;47.23, -1.54")
    )
    assert report.created == 1 and report.rejected_count == 1
    assert report.rejected == [
        "Département 975 absent du référentiel des départements : 1 commune(s) rejetée(s) (97502)."
    ]
    assert not Departement.objects.filter(pk="975").exists()
    assert not Commune.objects.filter(pk="97502").exists()


def test_import_uses_an_existing_departement_as_is(db):
    DepartementFactory(code="44", name="Loire-Atlantique (modifié)")
    import_communes(parsed("44109;NANTES;44000;NANTES;;"))
    assert Departement.objects.get(pk="44").name == "Loire-Atlantique (modifié)"


# --- command -------------------------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_laposte", *args, stdout=out)
    return out.getvalue()


def test_command_prints_a_french_summary_with_rejected_lines(db, tmp_path):
    path = tmp_path / "laposte.csv"
    path.write_text(
        "\n".join(lines("44109;NANTES;44000;NANTES;;47.23, -1.54", "4410X;NANTES;44000;NANTES;;")), encoding="utf-8"
    )
    output = run(str(path))
    assert "Communes : 1 créée(s), 0 mise(s) à jour, 0 inchangée(s), 0 ignorée(s), 0 rejetée(s)." in output
    assert "Ligne 3 : code INSEE « 4410X » invalide, ligne ignorée." in output


def test_command_reads_a_windows_1252_file(db, tmp_path):
    path = tmp_path / "laposte.csv"
    path.write_bytes("\r\n".join(lines("44143;REZÉ;44400;REZÉ;;")).encode("cp1252"))
    run(str(path))
    assert Commune.objects.get(pk="44143").name == "Rezé"


def test_command_refuses_a_file_of_the_wrong_kind_and_writes_nothing(db, tmp_path):
    path = tmp_path / "structures.csv"
    path.write_text("siret;nom\n12345678900011;Une structure\n", encoding="utf-8")
    with pytest.raises(CommandError, match="n'a pas le format attendu"):
        run(str(path))
    assert not Commune.objects.exists() and not Departement.objects.exists()


def test_command_refuses_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="Fichier introuvable"):
        run(str(tmp_path / "absent.csv"))


needs_file = pytest.mark.skipif(not LAPOSTE_FILE.exists(), reason="fichier La Poste absent")


@needs_file
def test_command_imports_the_whole_of_france_then_changes_nothing_on_rerun(db):
    output = run(str(LAPOSTE_FILE))
    assert "35923 créée(s)" in output, output
    # Saint-Pierre-et-Miquelon, Saint-Barthélemy, Saint-Martin and the Pacific are not in the
    # départements referential; Monaco is not a French commune.
    assert "Département 987 absent du référentiel des départements" in output
    assert "99138" in output
    assert Commune.objects.count() == 35923
    nantes = Commune.objects.get(pk="44109")
    assert nantes.postcodes == ["44000", "44100", "44200", "44300"]
    assert Commune.objects.get(pk="2A004").departement_id == "2A"
    assert "0 créée(s), 0 mise(s) à jour, 35923 inchangée(s)" in run(str(LAPOSTE_FILE))


@needs_file
def test_command_imports_one_departement_over_the_demo_names(db):
    call_command("load_reference", stdout=StringIO())
    output = run(str(LAPOSTE_FILE), "--departement", "44")
    assert "0 créée(s), 0 mise(s) à jour, 212 inchangée(s)" in output, output
    assert Commune.objects.get(pk="44143").name == "Rezé"
