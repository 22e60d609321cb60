import datetime

import pytest

from parcours.directory import records
from parcours.directory.models import PARCOURS_SOURCE, Service
from tests.api.conftest import NANTES, REZE, SAINT_NAZAIRE, make_commune
from tests.directory.factories import ServiceFactory, StructureFactory
from tests.factories import DepartementFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

SERVICE_KEYS = set(records.SERVICE_FIELDS) | {"parcours"}


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def assert_valid_v1(items, kind):
    for item in items:
        record = {key: value for key, value in item.items() if key != "parcours"}
        assert records.validates_as_v1(record, kind) == []


def test_service_item_is_the_v1_record_plus_parcours(api):
    operator = OrganisationFactory(name="Mission locale")
    service = ServiceFactory(
        operator=operator,
        places_total=12,
        places_free=3,
        waiting_days=10,
        next_sessions=["2000-01-01", "2999-01-01"],
        languages=["fr", "ar"],
        interpreting=True,
    )
    response = api("/services")
    [item] = response.json()["items"]
    assert set(item) == SERVICE_KEYS
    assert {key: value for key, value in item.items() if key != "parcours"} == records.service_to_v1(service)
    assert item["parcours"] == {
        "places_total": 12,
        "places_libres": 3,
        "delai_attente_jours": 10,
        "prochaines_sessions": ["2999-01-01"],
        "langues": ["fr", "ar"],
        "interpretariat": True,
        "organisation_operatrice": {"id": operator.pk, "nom": "Mission locale"},
    }
    assert_valid_v1([item], "services")


def test_only_published_services_are_listed_or_read(api):
    published = ServiceFactory()
    draft = ServiceFactory(draft=True)
    archived = ServiceFactory(archived=True)
    assert ids(api("/services")) == [published.source_id]
    assert api(f"/services/{draft.source_id}").status_code == 404
    assert api(f"/services/{archived.source_id}").json() == {"detail": "Service introuvable."}
    assert api(f"/services/{published.source_id}").json()["id"] == published.source_id


def test_structure_list_and_detail_are_v1_records(api):
    structures = [StructureFactory(siret="", nom=f"Structure {n}") for n in range(3)]
    items = api("/structures").json()["items"]
    assert items == [records.structure_to_v1(structure) for structure in structures]
    assert_valid_v1(items, "structures")
    detail = api(f"/structures/{structures[1].source_id}")
    assert detail.json() == records.structure_to_v1(structures[1])
    assert api("/structures/inconnue").json() == {"detail": "Structure introuvable."}


def test_id_shared_by_two_sources_needs_the_source(api):
    ServiceFactory(source_id="atelier-1", source=PARCOURS_SOURCE)
    other = ServiceFactory(source_id="atelier-1", source="dora")
    response = api("/services/atelier-1")
    assert response.status_code == 400
    assert "précisez la source" in response.json()["detail"]
    assert api("/services/atelier-1", source="dora").json()["source"] == other.source


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"thematiques": "famille--garde-denfants"}, {"garde"}),
        ({"thematiques": "famille"}, {"garde"}),
        ({"categorie": "lecture-ecriture-calcul"}, {"francais", "tous", "distance"}),
        ({"publics": "femmes"}, {"garde", "tous"}),
        ({"type": "atelier"}, {"distance"}),
        ({"frais": "payant"}, {"garde"}),
        ({"modes_accueil": "a-distance"}, {"distance"}),
        ({"modes_accueil": ["a-distance", "en-presentiel"]}, {"francais", "garde", "tous", "distance"}),
        ({"langue": "ar"}, {"garde", "tous"}),
        ({"places_libres": "true"}, {"francais"}),
        ({"source": "dora"}, {"tous"}),
        ({"date_maj_min": "2025-02-01"}, {"distance"}),
        ({"publics": "femmes", "frais": "payant"}, {"garde"}),
    ],
)
def test_service_filters(api, params, expected):
    ServiceFactory(source_id="francais", places_total=10, places_free=2)
    ServiceFactory(
        source_id="garde",
        thematiques=["famille--garde-denfants"],
        publics=["femmes"],
        frais="payant",
        languages=["ar"],
        places_total=5,
        places_free=0,
    )
    ServiceFactory(source_id="tous", source="dora", publics=["tous-publics"], interpreting=True)
    ServiceFactory(source_id="distance", type="atelier", remote=True, date_maj=datetime.date(2025, 3, 1))
    assert set(ids(api("/services", **params))) == expected


def test_search_around_a_commune_honours_distance_and_zone(api):
    make_commune(NANTES)
    make_commune(REZE)
    make_commune(SAINT_NAZAIRE)
    ServiceFactory(source_id="reze", place=("44143", "Rezé", 47.1833, -1.5500))
    ServiceFactory(source_id="st-nazaire", place=("44184", "Saint-Nazaire", 47.2806, -2.2086))
    ServiceFactory(source_id="reze-seulement", zone_eligibilite=["44143"])
    assert set(ids(api("/services", code_commune="44109", distance_km=10))) == {"reze"}
    assert set(ids(api("/services", code_postal="44000", distance_km=60))) == {"reze", "st-nazaire"}
    assert set(ids(api("/services", code_commune="44143", distance_km=10))) == {"reze", "reze-seulement"}


def test_departement_filter_uses_the_structure_address_when_the_service_has_none(api):
    DepartementFactory(code="49", name="Maine-et-Loire", region_code="52")
    DepartementFactory()
    ServiceFactory(source_id="nantes")
    ServiceFactory(source_id="angers", place=("49007", "Angers", 47.4784, -0.5632))
    assert set(ids(api("/services", departement="44"))) == {"nantes"}
    assert set(ids(api("/services", departement="49"))) == {"angers"}


def test_keyset_pages_lose_and_duplicate_nothing_while_rows_are_inserted(api):
    first_batch = [ServiceFactory(source_id=f"s{n:02}") for n in range(5)]
    page1 = api("/services", size=2).json()
    assert [item["id"] for item in page1["items"]] == ["s00", "s01"]
    # Meanwhile an import deletes a row already read and adds new ones: with OFFSET 2 the next page
    # would skip "s02"; with the cursor it starts right after "s01".
    Service.objects.filter(pk=first_batch[0].pk).delete()
    ServiceFactory(source_id="s05")
    ServiceFactory(source_id="s06")
    seen = [item["id"] for item in page1["items"]]
    cursor = page1["next_cursor"]
    while cursor:
        page = api("/services", size=2, cursor=cursor).json()
        assert page["size"] == 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert seen == ["s00", "s01", "s02", "s03", "s04", "s05", "s06"]


def test_last_page_has_no_next_cursor(api):
    ServiceFactory.create_batch(2)
    page = api("/services", size=2).json()
    assert len(page["items"]) == 2
    assert page["next_cursor"] is None


def test_structures_are_paginated_by_cursor(api):
    StructureFactory.create_batch(3)
    page1 = api("/structures", size=2).json()
    page2 = api("/structures", size=2, cursor=page1["next_cursor"]).json()
    assert len(page1["items"]) == 2 and len(page2["items"]) == 1
    assert page2["next_cursor"] is None


def test_a_page_of_100_services_costs_a_few_queries_whatever_its_size(api, django_assert_max_num_queries):
    operator = OrganisationFactory()
    structures = StructureFactory.create_batch(10)
    for n in range(110):
        ServiceFactory(structure=structures[n % 10], operator=operator if n % 2 else None)
    api("/services", size=1)  # the token's last_used_at is written on the first call of the minute
    with django_assert_max_num_queries(2):
        response = api("/services", size=100)
    items = response.json()["items"]
    assert len(items) == 100
    assert_valid_v1(items, "services")
    make_commune(NANTES)
    # Around a place: token, commune, the matching keys (bounding-box index), then the page.
    with django_assert_max_num_queries(4):
        response = api("/services", size=100, code_commune="44109", publics="personnes-exilees")
    assert len(response.json()["items"]) == 100


def test_keyset_pages_survive_the_deletion_of_the_cursor_row_and_status_changes(api):
    services = [ServiceFactory(source_id=f"s{n:02}") for n in range(6)]
    page1 = api("/services", size=2).json()
    assert [item["id"] for item in page1["items"]] == ["s00", "s01"]
    # The row the cursor points at is deleted, a later one is archived, another goes back to draft
    # and a new one is published: the next pages neither repeat nor skip any published row.
    services[1].delete()
    Service.objects.filter(pk=services[3].pk).update(status="archived")
    Service.objects.filter(pk=services[4].pk).update(status="draft")
    ServiceFactory(source_id="s06")
    seen = [item["id"] for item in page1["items"]]
    cursor = page1["next_cursor"]
    while cursor:
        page = api("/services", size=2, cursor=cursor).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert seen == ["s00", "s01", "s02", "s05", "s06"]


def test_draft_and_archived_services_are_never_returned_whatever_the_filters(api):
    make_commune(NANTES)
    published = ServiceFactory(source_id="publie", source="dora", publics=["femmes"])
    ServiceFactory(source_id="brouillon", source="dora", publics=["femmes"], draft=True)
    ServiceFactory(source_id="archive", source="dora", publics=["femmes"], archived=True, modes_accueil=["a-distance"])
    for params in (
        {},
        {"publics": "femmes"},
        {"source": "dora"},
        {"code_commune": "44109", "distance_km": 30},
        {"code_postal": "44000"},
        {"modes_accueil": ["a-distance", "en-presentiel"]},
        {"departement": "44"},
        {"date_maj_min": "2000-01-01"},
    ):
        assert ids(api("/services", **params)) == [published.source_id], params
    for record_id in ("brouillon", "archive"):
        assert api(f"/services/{record_id}").status_code == 404
        assert api(f"/services/{record_id}", source="dora").status_code == 404
