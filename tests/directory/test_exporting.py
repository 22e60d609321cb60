import io
import json

import pytest
from django.core.management import call_command

from parcours.directory import exporting, importing, records
from parcours.directory.models import Service, ServiceStatus, Structure
from tests.directory.test_importing import as_json, import_file, service, structure, territory  # noqa: F401


@pytest.fixture
def offer(territory):  # noqa: F811
    import_file(
        as_json(
            [
                structure(1, reseaux_porteurs=["france-travail"], site_web="https://asso.example.org"),
                structure(2, code_insee="49007", commune="Angers", latitude=47.47, longitude=-0.56),
                structure(3, code_insee=None, latitude=None, longitude=None),
            ]
        )
    )
    import_file(
        as_json(
            [
                service(1, lien_mobilisation="https://asso.example.org/inscription", zone_eligibilite=["44109", "44"]),
                service(2, structure_id="s2", code_insee="49007", commune="Angers", zone_eligibilite=["49"]),
                service(3, structure_id="s1", code_insee=None, commune=None, thematiques=None, frais=None),
                service(4, nombre_semaines=None, volume_horaire_hebdomadaire=None),
            ]
        )
    )
    Service.objects.filter(source_id="v4").update(status=ServiceStatus.DRAFT)


def test_every_exported_record_validates_against_the_package(offer):
    for kind in ("structures", "services"):
        exported = list(exporting.export_records(kind=kind))
        assert exported
        for record in exported:
            assert records.validates_as_v1(record, kind) == [], record


def test_only_published_services_are_exported(offer):
    ids = {record["id"] for record in exporting.export_records(kind="services")}
    assert ids == {"v1", "v2", "v3"}
    everything = {record["id"] for record in exporting.export_records(kind="services", include_unpublished=True)}
    assert everything == {"v1", "v2", "v3", "v4"}


def test_departement_filter_by_commune_or_structure(offer):
    services = {record["id"] for record in exporting.export_records(kind="services", departement="44")}
    assert services == {"v1", "v3"}  # v3 has no code INSEE: placed by its structure in Nantes
    structures = {record["id"] for record in exporting.export_records(kind="structures", departement="49")}
    assert structures == {"s2"}


@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_export_then_import_round_trips(offer, file_format):
    before = {
        kind: sorted(exporting.export_records(kind=kind), key=lambda r: r["id"]) for kind in ("structures", "services")
    }
    texts = {
        kind: exporting.to_json(rows) if file_format == "json" else exporting.to_csv(rows, kind)
        for kind, rows in before.items()
    }
    Service.objects.all().delete()
    Structure.objects.all().delete()
    for kind in ("structures", "services"):
        run = import_file(texts[kind].encode(), f"{kind}.{file_format}")
        assert (run.kind, run.rejected_count, run.created_count) == (kind, 0, len(before[kind]))
    after = {
        kind: sorted(exporting.export_records(kind=kind), key=lambda r: r["id"]) for kind in ("structures", "services")
    }
    assert after == before


def test_reimporting_an_export_changes_nothing(offer):
    text = exporting.to_csv(exporting.export_records(kind="services"), "services")
    run = import_file(text.encode(), "services.csv")
    assert (run.created_count, run.updated_count, run.unchanged_count, run.rejected_count) == (0, 0, 3, 0)


def test_csv_export_has_the_v1_columns_and_comma_separated_lists(offer):
    text = exporting.to_csv(exporting.export_records(kind="services", departement="44"), "services")
    lines = text.splitlines()
    assert lines[0] == ",".join(records.SERVICE_FIELDS)
    assert '"44109,44"' in text


def test_empty_export_is_an_empty_json_list(db):
    assert json.loads(exporting.to_json(exporting.export_records(kind="services"))) == []


def test_export_command_writes_json_or_csv(offer, tmp_path):
    out = io.StringIO()
    call_command("directory_export", "--kind", "services", "--format", "json", "--departement", "49", stdout=out)
    assert [record["id"] for record in json.loads(out.getvalue())] == ["v2"]
    path = tmp_path / "structures.csv"
    err = io.StringIO()
    call_command("directory_export", "--kind", "structures", "--format", "csv", "--output", str(path), stderr=err)
    assert "3 structures exporté(s)" in err.getvalue()
    parsed = importing.parse_upload(path.read_bytes(), path.name)
    assert (parsed.kind, len(parsed.rows)) == ("structures", 3)


@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_round_trip_keeps_every_field_and_awkward_text(territory, file_format):  # noqa: F811
    """Export → import into an empty database → export again: the same records, with every v1 field
    filled and text that CSV must quote (commas, semicolons, quotes, line breaks, accents)."""
    awkward = 'Ateliers « FLE », niveau A1; le "mardi"\net le jeudi\r\nà 9 h — ouvert à tous'
    import_file(
        as_json(
            [
                structure(
                    1,
                    description=awkward,
                    lien_source="https://dora.example.org/structures/s1",
                    complement_adresse="Bâtiment B, 2e étage",
                    telephone="02 40 00 00 00",
                    horaires_accueil="Mo-Fr 09:00-12:00; Sa 10:00-12:00",
                    site_web="https://asso.example.org",
                    accessibilite_lieu="https://acceslibre.beta.gouv.fr/app/erps/asso/",
                    reseaux_porteurs=["france-travail", "mission-locale"],
                    latitude=47.21234567,
                    longitude=-1.55987654,
                )
            ]
        )
    )
    import_file(
        as_json(
            [
                service(
                    1,
                    description=awkward,
                    lien_source="https://dora.example.org/services/v1",
                    frais_precisions="5 €, ou gratuit; selon ressources",
                    publics=["femmes", "personnes-exilees"],
                    publics_precisions="Femmes, « primo-arrivantes »",
                    conditions_acces="Sur orientation\npar un·e conseiller·e",
                    adresse="3, place du Commerce",
                    courriel="fle@asso.example.org",
                    modes_accueil=["a-distance", "en-presentiel"],
                    zone_eligibilite=["44143", "44109", "49"],
                    contact_nom_prenom="Dupont, Jeanne",
                    lien_mobilisation="https://asso.example.org/inscription?x=1&y=2",
                    modes_mobilisation=["envoyer-un-courriel", "telephoner"],
                    mobilisable_par=["professionnels", "usagers"],
                    mobilisation_precisions='Dire "FLE"',
                    volume_horaire_hebdomadaire=2.5,
                    nombre_semaines=10,
                    latitude=47.1833,
                    longitude=-1.55,
                ),
                service(2, zone_eligibilite=["france"]),
            ]
        )
    )
    before = {kind: list(exporting.export_records(kind=kind)) for kind in ("structures", "services")}
    texts = {
        kind: exporting.to_json(rows) if file_format == "json" else exporting.to_csv(rows, kind)
        for kind, rows in before.items()
    }
    Service.objects.all().delete()
    Structure.objects.all().delete()
    for kind in ("structures", "services"):
        run = import_file(texts[kind].encode(), f"{kind}.{file_format}")
        assert (run.rejected_count, run.created_count) == (0, len(before[kind])), list(
            run.rejections.values_list("reasons", flat=True)
        )
    after = {kind: list(exporting.export_records(kind=kind)) for kind in ("structures", "services")}
    assert after == before
    assert after["services"][0]["description"] == awkward
    for kind, rows in after.items():
        for record in rows:
            assert records.validates_as_v1(record, kind) == [], record
