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


@pytest.mark.parametrize(
    ("path", "params", "name"),
    [
        ("/services", {"source": "do\x00ra"}, "source"),
        ("/structures", {"source": "do\x00ra"}, "source"),
        ("/services", {"departement": "4\x00"}, "departement"),
        ("/structures", {"departement": "4\x00"}, "departement"),
        ("/services/inconnu", {"source": "do\x00ra"}, "source"),
        ("/structures/inconnue", {"source": "do\x00ra"}, "source"),
    ],
)
def test_nul_character_in_a_parameter_is_a_400_not_a_server_error(api, path, params, name):
    # PostgreSQL refuses U+0000 in a text value: the query used to fail with a 500.
    assert detail(api(path, **params)) == f"{name} : caractère nul interdit."


@pytest.mark.parametrize("path", ["/services/a%00b", "/structures/a%00b"])
def test_nul_character_in_an_identifier_is_a_400(api, path):
    assert detail(api(path)) == "Identifiant invalide : caractère nul interdit."


@pytest.mark.parametrize("path", ["/services/x", "/structures/x"])
def test_unknown_parameter_on_a_record_is_refused(api, path):
    assert detail(api(path, sourc="dora")) == "Paramètre inconnu : « sourc »."


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"distance_km": "abc"}, "Paramètres invalides : distance_km : nombre attendu."),
        ({"distance_km": "nan"}, "distance_km : La distance doit être un nombre de kilomètres."),
        ({"distance_km": "inf"}, "distance_km : La distance doit être un nombre de kilomètres."),
        ({"distance_km": "0"}, "distance_km : La distance doit être comprise entre 1 et 200 km."),
        ({"distance_km": "200.5"}, "distance_km : La distance doit être comprise entre 1 et 200 km."),
        ({"code_commune": "99999"}, "code_commune : code commune INSEE invalide : « 99999 »."),
        ({"code_postal": "ABCDE"}, "code_postal : un code postal a cinq chiffres : « ABCDE »."),
    ],
)
def test_search_around_a_place_that_makes_no_sense_is_refused(api, params, message):
    make_commune(NANTES)
    params = {"code_commune": "44109", **params} if "code_postal" not in params else params
    assert detail(api("/services", **params)) == message


def test_cursor_of_the_structures_list_is_refused_on_services_and_the_reverse(api):
    from tests.directory.factories import StructureFactory

    for _ in range(3):
        ServiceFactory()
    StructureFactory()
    structures_cursor = api("/structures", size=1).json()["next_cursor"]
    services_cursor = api("/services", size=1).json()["next_cursor"]
    assert structures_cursor and services_cursor
    assert "curseur invalide" in detail(api("/services", cursor=structures_cursor))
    assert "curseur invalide" in detail(api("/structures", cursor=services_cursor))
    assert api("/services", cursor=services_cursor).status_code == 200
