from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from parcours.audit.models import AuditEntry
from parcours.territories.importers import WrongFileKind, import_epci, parse_epci
from parcours.territories.models import Commune, Departement, Epci, Region
from tests.factories import CommuneFactory


def test_parse_reads_insee_composition_with_semicolons_and_extra_columns():
    memberships, errors = parse_epci(
        [
            "CODGEO;LIBGEO;EPCI;LIBEPCI;DEP;REG",
            "44109;Nantes;244400404;Nantes Métropole;44;52",
            "85113;L'Île-d'Yeu;ZZZZZZZZZ;Sans objet;85;52",
        ]
    )
    assert errors == []
    assert memberships == {
        "44109": {"epci": "244400404", "epci_name": "Nantes Métropole"},
        "85113": {"epci": None, "epci_name": ""},
    }


def test_parse_reads_commas_and_quoted_names():
    memberships, errors = parse_epci(["codgeo,epci,libepci", '44184,244400644,"CARENE, Saint-Nazaire"'])
    assert errors == []
    assert memberships["44184"]["epci_name"] == "CARENE, Saint-Nazaire"


def test_parse_reports_bad_rows_with_their_line_number():
    memberships, errors = parse_epci(
        [
            "CODGEO,EPCI,LIBEPCI",
            "44109,244400404,Nantes Métropole",
            "4410,244400404,Nantes Métropole",
            "44162,244400405,Nantes Métropole",
            "44143,244400404,Nantes Metropole",
            "44109,244400644,CARENE",
            "44020,244400404,",
            "44047",
        ]
    )
    assert list(memberships) == ["44109", "44143"]
    assert memberships["44143"]["epci_name"] == "Nantes Métropole"
    assert errors == [
        "Ligne 3 : code INSEE « 4410 » invalide, ligne ignorée.",
        "Ligne 4 : SIREN d'EPCI « 244400405 » invalide, ligne ignorée.",
        "Ligne 5 : l'EPCI 244400404 s'appelle « Nantes Metropole » ici et « Nantes Métropole » plus haut ; "
        "le premier nom est gardé.",
        "Ligne 6 : la commune 44109 figure déjà dans un autre EPCI, ligne ignorée.",
        "Ligne 7 : nom de l'EPCI 244400404 vide, ligne ignorée.",
        "Ligne 8 : 1 champ(s) au lieu de 3, ligne ignorée.",
    ]


def test_parse_refuses_a_file_of_the_wrong_kind():
    with pytest.raises(WrongFileKind, match="colonne\\(s\\) manquante\\(s\\) codgeo, libepci"):
        parse_epci(["Code_commune_INSEE;Nom_commune;EPCI", "44109;NANTES;244400404"])


def test_import_attaches_communes_and_ignores_those_absent_from_the_database(db):
    CommuneFactory(insee_code="44109", name="Nantes")
    memberships, _ = parse_epci(["CODGEO,EPCI,LIBEPCI", "44109,244400404,Nantes Métropole", "44162,244400404,NM"])
    report = import_epci(memberships)
    assert (report.epci_created, report.communes.updated, report.communes.skipped) == (1, 1, 1)
    assert report.communes.notes == ["1 commune(s) absente(s) de la base ignorée(s) (44162)."]
    assert Commune.objects.get(pk="44109").epci_id == "244400404"
    assert Epci.objects.get().name == "Nantes Métropole"


def test_import_is_idempotent_and_renames(db):
    CommuneFactory(insee_code="44109", name="Nantes")
    memberships, _ = parse_epci(["CODGEO,EPCI,LIBEPCI", "44109,244400404,Nantes Métropole"])
    import_epci(memberships)
    entries = AuditEntry.objects.count()
    report = import_epci(memberships)
    assert (report.epci_created, report.epci_updated, report.communes.updated, report.communes.unchanged) == (
        0,
        0,
        0,
        1,
    )
    assert AuditEntry.objects.count() == entries
    memberships["44109"]["epci_name"] = "Nantes Métropole (nouveau nom)"
    assert import_epci(memberships).epci_updated == 1
    assert Epci.objects.get().name == "Nantes Métropole (nouveau nom)"


def test_import_detaches_a_commune_outside_any_epci(db):
    CommuneFactory(insee_code="44109", name="Nantes")
    import_epci(parse_epci(["CODGEO,EPCI,LIBEPCI", "44109,244400404,Nantes Métropole"])[0])
    import_epci(parse_epci(["CODGEO,EPCI,LIBEPCI", "44109,ZZZZZZZZZ,Sans objet"])[0])
    assert Commune.objects.get(pk="44109").epci_id is None


def test_command_prints_a_french_summary(db, tmp_path):
    CommuneFactory(insee_code="44109", name="Nantes")
    path = tmp_path / "epci.csv"
    path.write_text("CODGEO;EPCI;LIBEPCI\n44109;244400404;Nantes Métropole\n44162;24440040X;NM\n", encoding="utf-8")
    out = StringIO()
    call_command("import_epci", str(path), stdout=out)
    output = out.getvalue()
    assert "EPCI : 1 créé(s), 0 renommé(s) ; communes : 0 créée(s), 1 mise(s) à jour" in output
    assert "Ligne 3 : SIREN d'EPCI « 24440040X » invalide, ligne ignorée." in output


def test_command_refuses_a_file_of_the_wrong_kind_and_writes_nothing(db, tmp_path):
    CommuneFactory(insee_code="44109", name="Nantes")
    path = tmp_path / "laposte.csv"
    path.write_text("Code_commune_INSEE;Nom_commune;Code_postal\n44109;NANTES;44000\n", encoding="utf-8")
    with pytest.raises(CommandError, match="n'a pas le format attendu"):
        call_command("import_epci", str(path), stdout=StringIO())
    assert not Epci.objects.exists()


def test_load_reference_loads_regions_and_the_demo_epcis_idempotently(db):
    for _ in range(2):
        out = StringIO()
        call_command("load_reference", stdout=out)
    assert "18 régions" in out.getvalue() and "2 EPCI" in out.getvalue()
    assert Region.objects.count() == 18
    assert Region.objects.get(pk="52").name == "Pays de la Loire"
    assert set(Departement.objects.values_list("region_code", flat=True)) <= set(
        Region.objects.values_list("code", flat=True)
    )
    assert Commune.objects.filter(epci_id="244400404").count() == 24
    assert Commune.objects.filter(epci_id="244400644").count() == 10
    assert Commune.objects.get(pk="44150").epci.name == "Nantes Métropole"
