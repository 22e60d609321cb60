"""The pure parts of the search: criteria checks, reasons, and the need → thématiques mapping."""

from types import SimpleNamespace

import pytest

from parcours.diagnostics.enums import Theme
from parcours.directory import vocabulary
from parcours.directory.mapping import THEME_THEMATIQUES, thematiques_for_themes
from parcours.directory.search import SearchCriteria, criteria_errors, format_km, matched_zone, reasons_for

FRENCH = "lecture-ecriture-calcul--maitriser-le-francais"


def service(**overrides):
    values = {
        "thematiques": [FRENCH],
        "publics": ["personnes-exilees"],
        "type": "formation",
        "frais": "gratuit",
        "modes_accueil": ["en-presentiel"],
        "zone_eligibilite": [],
        "languages": ["fr"],
        "interpreting": False,
        "places_free": None,
    }
    values.update(overrides)
    return SimpleNamespace(**values)


def located(**overrides):
    values = {
        "commune": "44143",
        "commune_name": "Rezé",
        "latitude": 47.18,
        "longitude": -1.55,
        "zone_codes": ["44143", "44", "244400404"],
        "zone_labels": {"44143": "Rezé", "44": "Loire-Atlantique", "244400404": "Nantes Métropole"},
    }
    values.update(overrides)
    return SearchCriteria(**values)


def test_mapping_codes_are_data_inclusion_thematiques():
    known = {member.value for member in vocabulary.THEMATIQUE}
    for theme, codes in THEME_THEMATIQUES.items():
        assert codes, theme
        assert set(codes) <= known, (theme, set(codes) - known)


def test_mapping_covers_every_diagnostic_theme():
    assert set(THEME_THEMATIQUES) == set(Theme.values)


def test_thematiques_for_themes_keeps_order_without_duplicates():
    codes = thematiques_for_themes(["maitrise_langue", "logement", "maitrise_langue"])
    assert codes[0] == FRENCH
    assert "logement-hebergement--louer-un-logement" in codes
    assert len(codes) == len(set(codes))


def test_distance_reason_names_the_commune_with_a_decimal_comma():
    assert reasons_for(service(), located(), 4.237)[0] == "À 4,2 km de Rezé"


def test_format_km_drops_the_decimal_beyond_ten_km():
    assert format_km(12.6) == "13"
    assert format_km(0.04) == "0,0"


def test_remote_service_outside_the_radius_says_so():
    reasons = reasons_for(service(modes_accueil=["a-distance"]), located(), None)
    assert reasons[0] == "Service à distance"


def test_matching_thematique_category_and_public_are_named():
    criteria = located(thematiques=[FRENCH, "famille"], publics=["personnes-exilees", "femmes"])
    reasons = reasons_for(service(), criteria, 1.0)
    assert "Thématique : Maîtriser le français" in reasons
    assert "Public : Personnes exilées" in reasons
    assert not any(reason.startswith("Catégorie") for reason in reasons)


def test_all_publics_answers_any_public_asked_for():
    reasons = reasons_for(service(publics=["tous-publics"]), located(publics=["jeunes"]), 1.0)
    assert "Public : Tous publics" in reasons


def test_language_reason_prefers_delivery_over_interpreting():
    criteria = located(languages=["ar"])
    assert "Service délivré en arabe" in reasons_for(service(languages=["fr", "ar"], interpreting=True), criteria, 1)
    assert "Interprétariat possible" in reasons_for(service(interpreting=True), criteria, 1)
    assert not any("arabe" in r or "Interprétariat" in r for r in reasons_for(service(), criteria, 1))


def test_free_places_are_counted_in_french():
    assert "3 places libres" in reasons_for(service(places_free=3), SearchCriteria(), None)
    assert "1 place libre" in reasons_for(service(places_free=1), SearchCriteria(), None)
    assert not any("place" in r for r in reasons_for(service(places_free=0), SearchCriteria(), None))


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        (["44"], "Zone d'éligibilité : Loire-Atlantique"),
        (["france"], "Zone d'éligibilité : toute la France"),
        (["99100"], "Zone d'éligibilité : toute la France"),
        (["49", "44143"], "Zone d'éligibilité : Rezé"),
        (["244400404"], "Zone d'éligibilité : Nantes Métropole"),
    ],
)
def test_zone_reason_names_the_zone_that_matched(zone, expected):
    assert expected in reasons_for(service(zone_eligibilite=zone), located(), 2.0)


def test_no_zone_declared_gives_no_zone_reason():
    assert not any(r.startswith("Zone") for r in reasons_for(service(), located(), 2.0))


def test_matched_zone_is_none_outside_the_zone():
    assert matched_zone(["49"], ["44143", "44"]) is None
    assert matched_zone([], ["44"]) == "*"


@pytest.mark.parametrize("distance", [-5, 0, 0.5, 201, float("nan"), float("inf")])
def test_distance_out_of_range_is_an_error(distance):
    errors = criteria_errors(SearchCriteria(distance_km=distance))
    assert "distance_km" in errors
    assert errors["distance_km"].startswith("La distance")


def test_unknown_vocabulary_values_are_errors():
    errors = criteria_errors(SearchCriteria(thematiques=["famille--inconnue"], publics=["martiens"], frais="cher"))
    assert set(errors) == {"thematiques", "publics", "frais"}
    assert "martiens" in errors["publics"]


def test_half_a_location_is_an_error():
    assert "commune" in criteria_errors(SearchCriteria(latitude=47.0))


def test_sane_criteria_have_no_error():
    assert criteria_errors(located(thematiques=[FRENCH, "famille"], publics=["femmes"], distance_km=200)) == {}
