"""The search in SQL: distance, zone d'éligibilité, vocabulary filters, languages, places, status,
order; and the one-service read."""

import math

import pytest
from django.http import Http404

from parcours.directory.search import SearchCriteria
from parcours.directory.selectors import (
    criteria_with_commune,
    search_queryset,
    search_services,
    visible_service,
    zone_names,
)
from parcours.territories import geo
from parcours.territories.models import Epci
from tests.directory.factories import ANGERS, NANTES, REZE, SAINT_NAZAIRE, ServiceFactory
from tests.factories import CommuneFactory, DepartementFactory, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

FRENCH = "lecture-ecriture-calcul--maitriser-le-francais"
CHILDCARE = "famille--garde-denfants"
HOUSING = "logement-hebergement--louer-un-logement"


@pytest.fixture
def nantes():
    commune = CommuneFactory()
    commune.epci = Epci.objects.create(code="244400404", name="Nantes Métropole")
    commune.save(update_fields=["epci"])
    return commune


def around(commune, **kwargs):
    return criteria_with_commune(SearchCriteria(**kwargs), commune)


def names(criteria):
    return [service.nom for service in search_queryset(criteria)]


def test_criteria_with_commune_leaves_out_the_region_code(nantes):
    criteria = around(nantes)
    assert criteria.zone_codes == ["244400404", "44", "44109"]
    assert criteria.latitude == NANTES[2]
    assert criteria.commune_name == "Nantes"
    assert criteria.zone_labels["44"] == "Loire-Atlantique"


def test_distance_limits_and_orders_the_results(nantes):
    ServiceFactory(nom="Angers", place=ANGERS)
    ServiceFactory(nom="Saint-Nazaire", place=SAINT_NAZAIRE)
    ServiceFactory(nom="Rezé", place=REZE)
    ServiceFactory(nom="Nantes", place=NANTES)
    assert names(around(nantes, distance_km=30)) == ["Nantes", "Rezé"]
    assert names(around(nantes, distance_km=60)) == ["Nantes", "Rezé", "Saint-Nazaire"]
    assert names(around(nantes, distance_km=200)) == ["Nantes", "Rezé", "Saint-Nazaire", "Angers"]


def test_distance_is_the_great_circle_one(nantes):
    ServiceFactory(place=SAINT_NAZAIRE)
    (result,) = search_queryset(around(nantes, distance_km=100))
    expected = geo.great_circle_km(NANTES[2], NANTES[3], SAINT_NAZAIRE[2], SAINT_NAZAIRE[3])
    assert result.distance_km == pytest.approx(expected, abs=0.01)
    assert 50 < result.distance_km < 53


def test_service_at_the_origin_has_distance_zero(nantes):
    ServiceFactory(place=NANTES)
    (result,) = search_queryset(around(nantes, distance_km=1))
    assert result.distance_km == pytest.approx(0, abs=0.001)


def test_service_without_a_point_is_not_found_around_a_commune(nantes):
    ServiceFactory(structure__latitude=None, structure__longitude=None)
    assert names(around(nantes)) == []
    assert len(names(SearchCriteria())) == 1


def test_remote_services_are_kept_whatever_the_distance_and_come_last(nantes):
    ServiceFactory(nom="A distance", place=ANGERS, remote=True)
    ServiceFactory(nom="Zèbre", place=REZE)
    results, total = search_services(around(nantes, distance_km=30))
    assert total == 2
    assert [r.service.nom for r in results] == ["Zèbre", "A distance"]
    assert results[1].distance_km is None
    assert "Service à distance" in results[1].reasons


def test_remote_services_can_be_left_out(nantes):
    ServiceFactory(place=ANGERS, remote=True)
    assert names(around(nantes, distance_km=30, include_remote=False)) == []


@pytest.mark.parametrize(
    ("zone", "found"),
    [
        ([], True),
        (["44"], True),
        (["44109"], True),
        (["244400404"], True),
        (["france"], True),
        (["99100"], True),
        (["49"], False),
        (["44143"], False),
        # The région of Loire-Atlantique is 52, which is also the code of Haute-Marne.
        (["52"], False),
        (["999999999"], False),
    ],
)
def test_zone_of_eligibility_is_honoured(nantes, zone, found):
    ServiceFactory(place=REZE, zone_eligibilite=zone)
    assert len(names(around(nantes))) == (1 if found else 0)


def test_thematiques_are_alternatives_and_fields_are_combined():
    ServiceFactory(nom="Français exilés", thematiques=[FRENCH], publics=["personnes-exilees"])
    ServiceFactory(nom="Crèche femmes", thematiques=[CHILDCARE], publics=["femmes"])
    ServiceFactory(nom="Logement femmes", thematiques=[HOUSING], publics=["femmes"])
    assert names(SearchCriteria(thematiques=[FRENCH, CHILDCARE])) == ["Crèche femmes", "Français exilés"]
    assert names(SearchCriteria(thematiques=[FRENCH, CHILDCARE], publics=["femmes"])) == ["Crèche femmes"]
    assert names(SearchCriteria(thematiques=["famille", HOUSING])) == ["Crèche femmes", "Logement femmes"]
    assert names(SearchCriteria(categorie="logement-hebergement")) == ["Logement femmes"]


def test_a_code_is_never_matched_by_its_prefix():
    ServiceFactory(thematiques=["famille--soutien-aidants"])
    assert names(SearchCriteria(thematiques=["famille--soutien"])) == []


def test_all_publics_services_match_any_public():
    ServiceFactory(nom="Tous", publics=["tous-publics"])
    ServiceFactory(nom="Jeunes", publics=["jeunes"])
    assert names(SearchCriteria(publics=["femmes"])) == ["Tous"]


def test_type_frais_and_mode_accueil_filter():
    ServiceFactory(nom="Atelier payant", type="atelier", frais="payant")
    ServiceFactory(nom="Formation gratuite", type="formation", frais="gratuit", remote=True)
    assert names(SearchCriteria(type="atelier")) == ["Atelier payant"]
    assert names(SearchCriteria(frais="gratuit")) == ["Formation gratuite"]
    assert names(SearchCriteria(mode_accueil="a-distance")) == ["Formation gratuite"]


def test_language_matches_delivery_or_interpreting():
    ServiceFactory(nom="En arabe", languages=["fr", "ar"])
    ServiceFactory(nom="Avec interprète", interpreting=True)
    ServiceFactory(nom="En français", languages=["fr"])
    assert names(SearchCriteria(languages=["ar"])) == ["Avec interprète", "En arabe"]


def test_free_places_only():
    ServiceFactory(nom="Trois", places_total=10, places_free=3)
    ServiceFactory(nom="Complet", places_total=10, places_free=0)
    ServiceFactory(nom="Inconnu")
    assert names(SearchCriteria(free_places_only=True)) == ["Trois"]


def test_drafts_and_archived_services_are_not_found():
    ServiceFactory(nom="Publié")
    ServiceFactory(nom="Brouillon", draft=True)
    ServiceFactory(nom="Archivé", archived=True)
    assert names(SearchCriteria()) == ["Publié"]


def test_search_services_pages_in_two_queries(nantes, django_assert_num_queries):
    for index in range(5):
        ServiceFactory(nom=f"Service {index}", place=REZE, places_free=index)
    with django_assert_num_queries(2):
        results, total = search_services(around(nantes, thematiques=[FRENCH]), limit=2, offset=2)
        assert [r.service.structure.nom for r in results]
    assert total == 5
    assert [r.service.nom for r in results] == ["Service 2", "Service 3"]
    assert results[0].reasons[0].startswith("À 5,")
    assert "Thématique : Maîtriser le français" in results[0].reasons
    assert "2 places libres" in results[0].reasons


def test_offset_beyond_the_total_gives_no_result():
    ServiceFactory()
    assert search_services(SearchCriteria(), offset=20) == ([], 1)


def test_visible_service_shows_published_services_to_anyone():
    service = ServiceFactory()
    assert visible_service(pk=service.pk, membership=MembershipFactory()) == service


def test_visible_service_shows_a_draft_to_its_operator_only():
    operator = OrganisationFactory()
    draft = ServiceFactory(draft=True, operator=operator)
    assert visible_service(pk=draft.pk, membership=MembershipFactory(organisation=operator)) == draft
    with pytest.raises(Http404):
        visible_service(pk=draft.pk, membership=MembershipFactory())


def test_visible_service_refuses_an_archived_service_of_another_organisation():
    archived = ServiceFactory(archived=True, operator=OrganisationFactory())
    with pytest.raises(Http404):
        visible_service(pk=archived.pk, membership=MembershipFactory())


def test_zone_names_reads_codes(nantes):
    DepartementFactory(code="49", name="Maine-et-Loire")
    assert zone_names(["france", "49", "44109", "244400404", "12345"]) == [
        "toute la France",
        "Maine-et-Loire (49)",
        "Nantes (44109)",
        "Nantes Métropole (244400404)",
        "12345",
    ]


# --- zone d'éligibilité: EPCI, overseas, Corsica --------------------------------------------------


def commune(insee, name, departement, lat, lon, *, dep_name="", region="", epci=None):
    dep = DepartementFactory(code=departement, name=dep_name or departement, region_code=region or "00")
    created = CommuneFactory(insee_code=insee, name=name, departement=dep, postcodes=[], latitude=lat, longitude=lon)
    if epci is not None:
        created.epci = Epci.objects.get_or_create(code=epci[0], defaults={"name": epci[1]})[0]
        created.save(update_fields=["epci"])
    return created


def test_a_commune_outside_the_epci_is_not_covered_by_its_zone(nantes):
    ServiceFactory(nom="Métropole", place=REZE, zone_eligibilite=["244400404"])
    saint_nazaire = commune("44184", "Saint-Nazaire", "44", *SAINT_NAZAIRE[2:], epci=("244400644", "CARENE"))
    outside_any = commune("44003", "Ancenis", "44", 47.3656, -1.1773)
    assert names(around(nantes)) == ["Métropole"]
    assert "Zone d'éligibilité : Nantes Métropole" in search_services(around(nantes))[0][0].reasons
    assert names(around(saint_nazaire, distance_km=200)) == []
    assert names(around(outside_any, distance_km=200)) == []


REUNION = ("97411", "Saint-Denis", -20.8823, 55.4504)
SAINT_PIERRE = ("97416", "Saint-Pierre", -21.3393, 55.4781)
AJACCIO = ("2A004", "Ajaccio", 41.9192, 8.7386)
BASTIA = ("2B033", "Bastia", 42.6970, 9.4509)


@pytest.mark.parametrize(
    ("zone", "found"),
    [(["974"], True), (["97411"], True), (["97"], False), (["971"], False), (["97416"], False), (["france"], True)],
)
def test_overseas_departements_have_three_character_codes(zone, found):
    saint_denis = commune(*REUNION[:2], "974", *REUNION[2:], dep_name="La Réunion", region="04")
    ServiceFactory(nom="Réunion", place=SAINT_PIERRE, zone_eligibilite=zone)
    criteria = around(saint_denis, distance_km=100)
    assert criteria.zone_codes == ["974", "97411"]
    assert names(criteria) == (["Réunion"] if found else [])


@pytest.mark.parametrize(("zone", "found"), [(["2A"], True), (["2A004"], True), (["2B"], False), (["20"], False)])
def test_corsican_departements_are_2a_and_2b(zone, found):
    ajaccio = commune(*AJACCIO[:2], "2A", *AJACCIO[2:], dep_name="Corse-du-Sud", region="94")
    ServiceFactory(nom="Corse", place=BASTIA, zone_eligibilite=zone)
    criteria = around(ajaccio, distance_km=200)
    assert criteria.zone_codes == ["2A", "2A004"]
    assert names(criteria) == (["Corse"] if found else [])


# --- distance --------------------------------------------------------------------------------------


def _destination(lat, lon, bearing, km):
    """The point `km` away from (lat, lon) along the initial `bearing` (degrees), on the sphere."""
    phi1, lam1, theta = math.radians(lat), math.radians(lon), math.radians(bearing)
    delta = km / geo.EARTH_RADIUS_KM
    phi2 = math.asin(math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta))
    lam2 = lam1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi1), math.cos(delta) - math.sin(phi1) * math.sin(phi2)
    )
    return math.degrees(phi2), math.degrees(lam2)


DUNKERQUE = ("59183", "Dunkerque", 51.0343, 2.3768)


@pytest.mark.parametrize(
    ("place", "departement", "km"),
    [(DUNKERQUE, "59", 30), (DUNKERQUE, "59", 200), (REUNION, "974", 25), (REUNION, "974", 1)],
    ids=["latitude-51-30km", "latitude-51-200km", "reunion-25km", "reunion-1km"],
)
def test_the_bounding_box_never_drops_a_service_inside_the_radius(place, departement, km):
    origin = commune(*place[:2], departement, *place[2:])
    inside, outside = {}, set()
    for bearing in range(0, 360, 15):
        lat, lon = _destination(origin.latitude, origin.longitude, bearing, km * 0.995)
        inside[f"dedans {bearing:03d}"] = (lat, lon)
        ServiceFactory(nom=f"dedans {bearing:03d}", latitude=lat, longitude=lon)
        lat, lon = _destination(origin.latitude, origin.longitude, bearing, km * 1.005)
        outside.add(f"dehors {bearing:03d}")
        ServiceFactory(nom=f"dehors {bearing:03d}", latitude=lat, longitude=lon)
    results = list(search_queryset(around(origin, distance_km=km)))
    assert {service.nom for service in results} == set(inside)
    for service in results:
        expected = geo.great_circle_km(origin.latitude, origin.longitude, *inside[service.nom])
        assert service.distance_km == pytest.approx(expected, rel=1e-3)
        assert service.distance_km == pytest.approx(km * 0.995, rel=1e-3)


def test_equal_distances_are_ordered_by_name_then_creation(nantes):
    for name in ["Charlie", "alpha", "Bravo", "Bravo"]:
        ServiceFactory(nom=name, place=REZE)
    ServiceFactory(nom="Aaa loin", place=SAINT_NAZAIRE)
    results = list(search_queryset(around(nantes, distance_km=100)))
    first = [(s.nom, s.pk) for s in results]
    assert [name for name, _ in first][-1] == "Aaa loin"
    bravos = [pk for name, pk in first if name == "Bravo"]
    assert bravos == sorted(bravos)
    assert first == [(s.nom, s.pk) for s in search_queryset(around(nantes, distance_km=100))]


def test_services_without_a_point_are_found_around_a_commune_only_when_remote(nantes):
    no_point = {"structure__latitude": None, "structure__longitude": None}
    ServiceFactory(nom="Sans lieu", **no_point)
    ServiceFactory(nom="Sans lieu à distance", remote=True, **no_point)
    ServiceFactory(nom="Ici", place=REZE)
    assert names(around(nantes)) == ["Ici", "Sans lieu à distance"]
    assert names(around(nantes, include_remote=False)) == ["Ici"]
    (remote,) = [r for r in search_services(around(nantes))[0] if r.service.nom == "Sans lieu à distance"]
    assert remote.distance_km is None and "Service à distance" in remote.reasons


def test_a_remote_service_within_the_radius_keeps_its_distance(nantes):
    ServiceFactory(nom="À distance proche", place=REZE, remote=True)
    (result,) = search_queryset(around(nantes, distance_km=30))
    assert result.distance_km == pytest.approx(geo.great_circle_km(*NANTES[2:], *REZE[2:]), rel=1e-3)


def test_visible_service_with_archived_returns_anyones_archived_service_but_not_a_draft():
    archived = ServiceFactory(archived=True, operator=OrganisationFactory())
    assert visible_service(pk=archived.pk, membership=MembershipFactory(), with_archived=True) == archived
    draft = ServiceFactory(draft=True, operator=OrganisationFactory())
    with pytest.raises(Http404):
        visible_service(pk=draft.pk, membership=MembershipFactory(), with_archived=True)
