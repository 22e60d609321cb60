from io import StringIO

import pytest
from django.core.management import call_command

from parcours.territories.models import Commune
from parcours.territories.selectors import commune_suggestions, find_commune, zone_codes_for_commune
from tests.factories import CommuneFactory, DepartementFactory


@pytest.fixture
def references(db):
    call_command("load_reference", stdout=StringIO())


@pytest.mark.parametrize(
    ("query", "insee"),
    [
        ("44162", "44162"),  # INSEE code
        ("44800", "44162"),  # postcode
        ("Saint-Herblain", "44162"),
        ("ST HERBLAIN", "44162"),
        ("  saint herblain ", "44162"),
        ("reze", "44143"),
        ("REZÉ", "44143"),
        ("Coueron", "44047"),
        ("la chapelle sur erdre", "44035"),
        ("STE LUCE SUR LOIRE", "44172"),
        ("Saint-Herblain (44800)", "44162"),
        ("Sainte-Luce-sur-Loire (44)", "44172"),
        ("44800 Saint-Herblain", "44162"),
    ],
)
def test_find_commune_understands_codes_and_names(references, query, insee):
    commune = find_commune(query)
    assert commune is not None and commune.insee_code == insee


def test_find_commune_round_trips_the_display_of_a_commune(references):
    nantes = Commune.objects.get(pk="44109")
    assert find_commune(str(nantes)) == nantes


def test_find_commune_returns_the_first_by_name_when_a_postcode_serves_several(references):
    communes = Commune.objects.filter(postcodes__contains=["44320"]).order_by("name")
    assert communes.count() > 1
    assert find_commune("44320") == communes.first()


def test_find_commune_reads_five_digits_as_an_insee_code_before_a_postcode(references):
    # 44150 is both Saint-Aignan-Grandlieu's INSEE code and Ancenis' postcode.
    assert find_commune("44150").name == "Saint-Aignan-Grandlieu"
    assert find_commune("44150 Ancenis").name == "Ancenis"


@pytest.mark.parametrize("query", ["", "   ", "Atlantide", "99999", "44999", "!!", "Saint-Herblain (85)", "2A004"])
def test_find_commune_returns_none_for_what_it_does_not_know(references, query):
    assert find_commune(query) is None


def test_find_commune_by_name_ignores_a_same_name_in_another_departement_when_qualified(db):
    CommuneFactory(insee_code="44150", name="Saint-Aignan-Grandlieu", postcodes=["44860"])
    CommuneFactory(
        insee_code="72269",
        name="Saint-Aignan",
        departement=DepartementFactory(code="72", name="Sarthe", region_code="52"),
        postcodes=["72110"],
    )
    CommuneFactory(
        insee_code="56206",
        name="Saint-Aignan",
        departement=DepartementFactory(code="56", name="Morbihan", region_code="53"),
        postcodes=[],
    )
    assert find_commune("Saint-Aignan").insee_code == "56206"  # homonyms: lowest INSEE code
    assert find_commune("Saint-Aignan (72)").insee_code == "72269"


def test_find_commune_matches_a_name_stored_with_a_ligature_or_abbreviation(db):
    aisne = DepartementFactory(code="02", name="Aisne", region_code="32")
    CommuneFactory(insee_code="02573", name="Œuilly", departement=aisne, postcodes=["02160"])
    CommuneFactory(insee_code="44190", name="St-Sébastien-sur-Loire", postcodes=["44230"])
    assert find_commune("oeuilly").insee_code == "02573"
    assert find_commune("Saint-Sebastien-sur-Loire").insee_code == "44190"


def test_find_commune_by_name_is_one_query(references, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert find_commune("Saint-Herblain") is not None


def test_find_commune_by_postcode_is_at_most_two_queries(references, django_assert_num_queries):
    with django_assert_num_queries(2):
        assert find_commune("44800") is not None


def test_suggestions_put_the_exact_name_first_then_names_starting_with_it(references):
    names = [c.name for c in commune_suggestions("nantes")]
    assert names == ["Nantes"]
    names = [c.name for c in commune_suggestions("saint-h")]
    assert names == ["Saint-Herblain", "Saint-Hilaire-de-Chaléons", "Saint-Hilaire-de-Clisson"]


def test_suggestions_by_name_prefix_honour_the_limit(references):
    suggestions = commune_suggestions("saint", limit=3)
    assert len(suggestions) == 3
    assert all(c.name.startswith("Saint") for c in suggestions)


def test_suggestions_by_postcode_or_insee_prefix(references):
    by_postcode = commune_suggestions("4480")
    assert [c.insee_code for c in by_postcode] == ["44162"]
    assert {c.departement_id for c in commune_suggestions("44", limit=5)} == {"44"}


@pytest.mark.parametrize(("query", "limit"), [("", 10), ("4", 10), ("nantes", 0), ("--", 10)])
def test_suggestions_are_empty_for_too_short_queries(references, query, limit):
    assert commune_suggestions(query, limit=limit) == []


def test_suggestions_are_one_query(references, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert commune_suggestions("sainte")


def test_zone_codes_of_a_commune_of_an_epci(references):
    commune = Commune.objects.select_related("departement").get(pk="44162")
    assert zone_codes_for_commune(commune) == {"44162", "44", "52", "244400404", "france", "99100"}


def test_zone_codes_of_a_commune_outside_any_epci(references):
    commune = Commune.objects.select_related("departement").get(pk="44001")
    assert zone_codes_for_commune(commune) == {"44001", "44", "52", "france", "99100"}


def test_zone_codes_cost_no_query_when_the_departement_is_selected(references, django_assert_num_queries):
    commune = Commune.objects.select_related("departement").get(pk="44184")
    with django_assert_num_queries(0):
        assert "244400644" in zone_codes_for_commune(commune)
