import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from parcours.territories import geo

NANTES = (47.2316, -1.5483)
SAINT_NAZAIRE = (47.2736, -2.2139)
PARIS = (48.8566, 2.3522)


def test_great_circle_nantes_paris_is_about_343_km():
    assert geo.great_circle_km(*NANTES, *PARIS) == pytest.approx(343, abs=2)


def test_great_circle_nantes_saint_nazaire_is_about_50_km():
    assert geo.great_circle_km(*NANTES, *SAINT_NAZAIRE) == pytest.approx(50.4, abs=1)


def test_great_circle_of_a_point_to_itself_is_zero():
    assert geo.great_circle_km(*NANTES, *NANTES) == 0


def test_great_circle_between_antipodes_is_half_the_circumference():
    assert geo.great_circle_km(0, 0, 0, 180) == pytest.approx(math.pi * geo.EARTH_RADIUS_KM)


def test_bounding_box_refuses_a_negative_distance():
    with pytest.raises(ValueError, match="positive"):
        geo.bounding_box(*NANTES, -1)


def test_bounding_box_is_tight_at_the_equator():
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(0, 0, 111.2)
    assert max_lat == pytest.approx(1, abs=0.01)
    assert min_lat == pytest.approx(-1, abs=0.01)
    assert max_lon == pytest.approx(1, abs=0.01)


def test_bounding_box_widens_longitudes_at_high_latitude():
    _, _, min_lon, max_lon = geo.bounding_box(60, 10, 111.2)
    # One degree of longitude is half as long at 60°: the box spans at least two each side.
    assert max_lon - 10 >= 2 and 10 - min_lon >= 2


def test_bounding_box_spans_all_longitudes_when_the_circle_reaches_a_pole():
    box = geo.bounding_box(89.5, 30, 100)
    assert box[1] == 90 and box[2:] == (-180.0, 180.0)


def test_bounding_box_spans_all_longitudes_when_it_crosses_the_antimeridian():
    # Wallis-et-Futuna, 40 km around Futuna crosses no antimeridian; 300 km around 179.5°E does.
    assert geo.bounding_box(-14.3, 179.5, 300)[2:] == (-180.0, 180.0)


def _destination(lat: float, lon: float, bearing: float, km: float) -> tuple[float, float]:
    """The point reached from (lat, lon) after km along the initial bearing (spherical earth)."""
    phi1, lam1, theta = math.radians(lat), math.radians(lon), math.radians(bearing)
    delta = km / geo.EARTH_RADIUS_KM
    phi2 = math.asin(math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta))
    lam2 = lam1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi1), math.cos(delta) - math.sin(phi1) * math.sin(phi2)
    )
    lon2 = (math.degrees(lam2) + 540) % 360 - 180
    return math.degrees(phi2), lon2


latitudes = st.floats(min_value=-89.9, max_value=89.9)
longitudes = st.floats(min_value=-180, max_value=180)
distances = st.floats(min_value=0, max_value=3000)


@example(lat=0.0, lon=180.0, km=0.0, bearing=0.0, fraction=0.0)  # on the antimeridian: 180 is -180
@given(latitudes, longitudes, distances, st.floats(min_value=0, max_value=360), st.floats(min_value=0, max_value=1))
def test_every_point_within_the_distance_lies_in_the_bounding_box(lat, lon, km, bearing, fraction):
    point_lat, point_lon = _destination(lat, lon, bearing, km * fraction)
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(lat, lon, km)
    assert min_lat <= point_lat <= max_lat
    assert min_lon <= point_lon <= max_lon


@given(latitudes, longitudes, latitudes, longitudes)
def test_great_circle_is_symmetric_and_bounded(lat1, lon1, lat2, lon2):
    distance = geo.great_circle_km(lat1, lon1, lat2, lon2)
    assert distance == pytest.approx(geo.great_circle_km(lat2, lon2, lat1, lon1), abs=1e-6)
    assert 0 <= distance <= math.pi * geo.EARTH_RADIUS_KM + 1e-6


@pytest.mark.parametrize(
    "point",
    [
        NANTES,
        (42.70, 9.45),  # Bastia
        (48.46, -5.10),  # Ouessant
        (16.24, -61.53),  # Pointe-à-Pitre
        (14.60, -61.07),  # Fort-de-France
        (4.94, -52.33),  # Cayenne
        (-20.88, 55.45),  # Saint-Denis de La Réunion
        (-12.78, 45.23),  # Mamoudzou
        (46.78, -56.18),  # Saint-Pierre
        (17.90, -62.85),  # Gustavia
        (18.07, -63.08),  # Marigot
        (-17.54, -149.57),  # Papeete
        (-22.27, 166.44),  # Nouméa
        (-13.28, -176.17),  # Mata-Utu
    ],
)
def test_in_france_accepts_metropolitan_and_overseas_places(point):
    assert geo.in_france(*point)


@pytest.mark.parametrize(
    "point",
    [
        (-1.5483, 47.2316),  # Nantes with latitude and longitude swapped
        (0, 0),
        (40.42, -3.70),  # Madrid
        (51.51, -0.13 + 5),  # North Sea
        (float("nan"), 2.0),
    ],
)
def test_in_france_rejects_points_elsewhere(point):
    assert not geo.in_france(*point)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ST HERBLAIN", "Saint-Herblain"),
        ("STE LUCE SUR LOIRE", "Sainte-Luce-sur-Loire"),
        ("REZE", "Rezé"),
        ("L ISLE ADAM", "L'Isle-Adam"),
        ("COUERON", "Couëron"),
        ("OEUILLY", "Œuilly"),
        ("  la   chapelle-sur-erdre ", "La Chapelle sur Erdre"),
    ],
)
def test_normalise_name_ignores_accents_case_punctuation_and_abbreviations(a, b):
    assert geo.normalise_name(a) == geo.normalise_name(b)


def test_normalise_name_keeps_different_names_apart():
    assert geo.normalise_name("Sainte-Luce-sur-Loire") != geo.normalise_name("Saint-Luce-sur-Loire")


@given(st.text())
def test_normalise_name_is_idempotent(text):
    key = geo.normalise_name(text)
    assert geo.normalise_name(key) == key


@pytest.mark.parametrize(
    ("upper", "pretty"),
    [
        ("ST HERBLAIN", "Saint-Herblain"),
        ("LA CHAPELLE SUR ERDRE", "La Chapelle-sur-Erdre"),
        ("LES SORINIERES", "Les Sorinieres"),
        ("ST JEAN DE BOISEAU", "Saint-Jean-de-Boiseau"),
        ("L ISLE ADAM", "L'Isle-Adam"),
        ("VILLENEUVE D ASCQ", "Villeneuve-d'Ascq"),
        ("PARIS 05", "Paris 05"),
    ],
)
def test_pretty_commune_name_typesets_la_poste_names(upper, pretty):
    assert geo.pretty_commune_name(upper) == pretty


@pytest.mark.parametrize("code", ["44109", "01001", "2A004", "2B033", "97105", "97411", "97608", "98818", "97502"])
def test_valid_insee_commune_codes(code):
    assert geo.is_valid_insee_commune_code(code)


@pytest.mark.parametrize("code", ["4410", "441090", "00123", "20004", "96001", "99138", "2C004", "97901", "44 09", ""])
def test_invalid_insee_commune_codes(code):
    assert not geo.is_valid_insee_commune_code(code)


@pytest.mark.parametrize(
    ("code", "departement"), [("44109", "44"), ("01001", "01"), ("2A004", "2A"), ("97411", "974"), ("98818", "988")]
)
def test_departement_of_insee(code, departement):
    assert geo.departement_of_insee(code) == departement


def test_departement_of_an_invalid_code_is_refused():
    with pytest.raises(ValueError, match="invalide"):
        geo.departement_of_insee("99138")


@pytest.mark.parametrize(
    "siret",
    [
        "73282932000074",  # Apple France
        "13002526500013",  # a public body
        "35600000000048",  # La Poste head office: ordinary Luhn key
        "35600000049837",  # a La Poste establishment: digit sum 45, fails Luhn
    ],
)
def test_valid_sirets(siret):
    assert geo.is_valid_siret(siret)


@pytest.mark.parametrize(
    "siret",
    [
        "73282932000075",  # wrong Luhn key
        "7328293200007",
        "732829320000744",
        "7328293200007A",
        "35600000049838",  # La Poste: digit sum 46
        "35600000000030",  # La Poste: digit sum 17 although the Luhn key is right
        "",
        "７３２８２９３２００００７４",  # full-width digits
    ],
)
def test_invalid_sirets(siret):
    assert not geo.is_valid_siret(siret)


def test_la_poste_siret_follows_its_own_rule_rather_than_luhn():
    siret = "35600000049837"
    assert not geo._luhn_ok(siret)
    assert sum(map(int, siret)) % 5 == 0


def test_epci_sirens_are_valid():
    assert geo.is_valid_siren("244400404") and geo.is_valid_siren("244400644")
    assert not geo.is_valid_siren("244400405")


def test_pretty_commune_name_keeps_accents_and_ligatures_present_in_the_input():
    assert geo.pretty_commune_name("REZÉ") == "Rezé"
    assert geo.pretty_commune_name("ŒUILLY") == "Œuilly"
