import pytest
from django.core import signing

from parcours.api.pagination import encode_cursor
from tests.api.conftest import NANTES, make_commune
from tests.directory.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def detail(response):
    assert response.status_code == 400, response.content
    return response.json()["detail"]


@pytest.mark.parametrize("distance", [-5, 0, 201, 10000])
def test_distance_out_of_range_is_refused(api, distance):
    make_commune(NANTES)
    message = detail(api("/services", code_commune="44109", distance_km=distance))
    assert message == "distance_km : La distance doit être comprise entre 1 et 200 km."


def test_distance_that_is_not_a_number_is_refused(api):
    assert "distance_km : nombre attendu" in detail(api("/services", code_commune="44109", distance_km="loin"))


def test_distance_without_a_place_is_refused(api):
    assert detail(api("/services", distance_km=10)) == "distance_km : indiquez aussi code_commune ou code_postal."


def test_unknown_commune_is_refused(api):
    assert detail(api("/services", code_commune="44999")) == "code_commune : commune inconnue : « 44999 »."
    assert "code commune INSEE invalide" in detail(api("/services", code_commune="nantes"))


def test_unknown_postcode_is_refused(api):
    make_commune(NANTES)
    assert detail(api("/services", code_postal="99999")) == "code_postal : code postal inconnu : « 99999 »."
    assert "cinq chiffres" in detail(api("/services", code_postal="440"))


def test_commune_and_postcode_together_are_refused(api):
    assert "pas les deux" in detail(api("/services", code_commune="44109", code_postal="44000"))


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"thematiques": "cuisine--moleculaire"}, "thematiques"),
        ({"categorie": "cuisine"}, "categorie"),
        ({"publics": ["femmes", "martiens"]}, "publics"),
        ({"type": "miracle"}, "type"),
        ({"frais": "hors-de-prix"}, "frais"),
        ({"modes_accueil": "par-pigeon"}, "modes_accueil"),
    ],
)
def test_unknown_vocabulary_value_is_refused(api, params, name):
    message = detail(api("/services", **params))
    assert message.startswith(f"{name} : ")
    assert "Valeur inconnue du vocabulaire data·inclusion" in message or "valeur inconnue du vocabulaire" in message


def test_unknown_language_is_refused(api):
    assert "langue : code de langue inconnu" in detail(api("/services", langue="klingon"))


def test_unknown_departement_is_refused(api):
    assert detail(api("/services", departement="00")) == "departement : département inconnu : « 00 »."
    assert detail(api("/structures", departement="00")) == "departement : département inconnu : « 00 »."


@pytest.mark.parametrize("value", ["2025-13-01", "hier", "01/02/2025"])
def test_bad_date_is_refused_in_french(api, value):
    message = detail(api("/services", date_maj_min=value))
    assert message == "Paramètres invalides : date_maj_min : date invalide (attendu AAAA-MM-JJ)."


@pytest.mark.parametrize("size", [0, -1, 1001])
def test_page_size_out_of_range_is_refused(api, size):
    assert detail(api("/services", size=size)) == "size : la taille de page doit être comprise entre 1 et 1000."


def test_page_size_that_is_not_a_number_is_refused(api):
    assert detail(api("/structures", size="beaucoup")) == "Paramètres invalides : size : nombre entier attendu."


def test_bad_boolean_is_refused(api):
    assert "places_libres : booléen attendu" in detail(api("/services", places_libres="peut-être"))


@pytest.mark.parametrize(
    "cursor",
    [
        "n'importe-quoi",
        signing.Signer(salt="autre-chose").sign_object(1),
        encode_cursor("services", 5)[:-2] + "xx",
        encode_cursor("structures", 5),  # a cursor of another list
    ],
)
def test_bad_or_tampered_cursor_is_refused(api, cursor):
    ServiceFactory()
    message = detail(api("/services", cursor=cursor))
    assert message == "cursor : curseur invalide ; reprenez la pagination depuis la première page."


def test_unknown_parameter_is_refused(api):
    # A misspelt filter would otherwise be ignored silently and return the whole offer.
    assert "publicss" in detail(api("/services", publicss="femmes"))
