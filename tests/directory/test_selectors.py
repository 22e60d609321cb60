"""The search in SQL: distance, zone d'éligibilité, vocabulary filters, languages, places, status,
order; and the one-service read."""

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
