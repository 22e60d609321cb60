"""Pure geography helpers (no ORM, no settings): distances, bounding boxes, French territory checks,
name keys and the validity of INSEE, SIREN and SIRET codes."""

import math
import re
import unicodedata

# Mean earth radius (IUGG), the value geodesy libraries use for a spherical earth.
EARTH_RADIUS_KM = 6371.0088

# Padding added to every bounding box so that rounding in the trigonometry never excludes a point
# lying exactly on the boundary (1e-9 degree is about 0.1 mm).
_BOX_EPSILON_DEG = 1e-9


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance along the earth's surface in kilometres (haversine formula, spherical earth)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    # min() guards against h creeping above 1 through rounding for antipodal points.
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def bounding_box(lat: float, lon: float, km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) containing every point within `km` of (lat, lon).

    Meant as a cheap SQL pre-filter before the exact great-circle distance. The longitude extent
    is the exact one for a sphere (asin(sin r / cos lat)), not km / cos(lat), which is too narrow
    at high latitudes. When the circle reaches a pole every longitude is possible, and when it
    crosses the antimeridian (Wallis-et-Futuna, for instance) the box spans all longitudes rather
    than wrapping, so that `min_lon <= lon <= max_lon` stays a correct filter."""
    if km < 0:
        raise ValueError("La distance doit être positive ou nulle.")
    angular = km / EARTH_RADIUS_KM  # radians
    phi, lam = math.radians(lat), math.radians(lon)
    min_phi, max_phi = phi - angular, phi + angular
    if angular >= math.pi or max_phi >= math.pi / 2 or min_phi <= -math.pi / 2:
        # A pole is inside the circle: all longitudes.
        return (
            max(-90.0, math.degrees(min_phi) - _BOX_EPSILON_DEG),
            min(90.0, math.degrees(max_phi) + _BOX_EPSILON_DEG),
            -180.0,
            180.0,
        )
    # Here |lat| + angular < pi/2, so sin(angular) < cos(lat) and asin is defined.
    dlam = math.asin(math.sin(angular) / math.cos(phi))
    min_lam, max_lam = lam - dlam, lam + dlam
    min_lat = math.degrees(min_phi) - _BOX_EPSILON_DEG
    max_lat = math.degrees(max_phi) + _BOX_EPSILON_DEG
    min_lon, max_lon = math.degrees(min_lam) - _BOX_EPSILON_DEG, math.degrees(max_lam) + _BOX_EPSILON_DEG
    if min_lon <= -180.0 or max_lon >= 180.0:
        # Touching the antimeridian, where 180 and -180 are the same meridian: all longitudes.
        return min_lat, max_lat, -180.0, 180.0
    return (
        min_lat,
        max_lat,
        min_lon,
        max_lon,
    )


# Generous boxes (min_lat, max_lat, min_lon, max_lon) around each part of France. They only reject
# obviously wrong coordinates (swapped latitude and longitude, a point in the sea off Africa).
FRANCE_BOXES: dict[str, tuple[float, float, float, float]] = {
    "métropole et Corse": (41.2, 51.2, -5.4, 9.8),
    "Guadeloupe": (15.7, 16.6, -61.9, -60.9),
    "Martinique": (14.3, 15.0, -61.3, -60.7),
    "Guyane": (2.0, 6.0, -54.8, -51.4),
    "La Réunion": (-21.5, -20.8, 55.1, 56.0),
    "Mayotte": (-13.1, -12.5, 44.9, 45.4),
    "Saint-Pierre-et-Miquelon": (46.6, 47.2, -56.6, -56.0),
    "Saint-Barthélemy et Saint-Martin": (17.8, 18.2, -63.3, -62.7),
    "Polynésie française": (-28.5, -7.0, -155.0, -134.0),
    "Nouvelle-Calédonie": (-23.0, -18.9, 163.0, 169.0),
    "Wallis-et-Futuna": (-14.5, -13.0, -178.4, -175.9),
}


def in_france(lat: float, lon: float) -> bool:
    """Whether the point lies in (a generous box around) metropolitan France, Corsica or an
    overseas département, région or collectivité."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return False
    return any(
        min_lat <= lat <= max_lat and min_lon <= lon <= max_lon
        for min_lat, max_lat, min_lon, max_lon in FRANCE_BOXES.values()
    )


# La Poste abbreviates Saint/Sainte; both spellings must give the same key.
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def normalise_name(name: str) -> str:
    """A comparison key insensitive to accents, case, punctuation and the Saint/St abbreviation:
    "ST HERBLAIN", "Saint-Herblain" and "saint herblain" all give "saint herblain"."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_LIGATURES))
    ascii_only = "".join(char for char in decomposed if not unicodedata.combining(char)).lower()
    words = _NOT_ALNUM.sub(" ", ascii_only).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


_ARTICLES = {"le", "la", "les", "l"}
_WORD = re.compile(r"[^\W_]+")
_SMALL_WORDS = {"sur", "sous", "en", "de", "des", "du", "d", "la", "le", "les", "l", "et", "aux", "au", "lès", "lez"}


def pretty_commune_name(upper_name: str) -> str:
    """Best-effort typography for La Poste's upper-case names ("ST HERBLAIN" -> "Saint-Herblain",
    "LA CHAPELLE SUR ERDRE" -> "La Chapelle-sur-Erdre"): a leading article is followed by a space,
    the other words are joined by hyphens, the usual small words stay lower case. Accents present
    in the input are kept; missing ones cannot be restored, so the importer keeps an existing
    accented name when the keys match."""
    words = [word.lower() for word in _WORD.findall(upper_name)]
    if not words:
        return upper_name.strip()
    words = [_ABBREVIATIONS.get(word, word) for word in words]
    parts: list[str] = []
    for position, word in enumerate(words):
        if position > 0 and normalise_name(word) in _SMALL_WORDS:
            parts.append(word)
        else:
            parts.append(word[:1].upper() + word[1:])
    # Elision: "L ISLE ADAM" -> "L'Isle-Adam", "VILLENEUVE D ASCQ" -> "Villeneuve-d'Ascq".
    result = ""
    for position, part in enumerate(parts):
        if position == 0:
            result = part
        elif parts[position - 1].lower() in {"l", "d"}:
            result += "'" + part
        elif part.isdigit():
            result += " " + part  # "PARIS 01", "MARSEILLE 13"
        elif position == 1 and normalise_name(words[0]) in _ARTICLES:
            result += " " + part
        else:
            result += "-" + part
    return result


_INSEE_COMMUNE = re.compile(r"(?:0[1-9]|[1-8][0-9]|9[0-5]|2[AB])[0-9]{3}|97[1-8][0-9]{2}|98[4-9][0-9]{2}")


def is_valid_insee_commune_code(code: str) -> bool:
    """Five characters: a metropolitan département (01–95, or 2A/2B for Corsica) and three digits,
    or an overseas code 971–978 / 984–989 and two digits. "20xxx" has not existed since 1976 and
    "99xxx" are foreign countries, not communes."""
    return isinstance(code, str) and bool(_INSEE_COMMUNE.fullmatch(code)) and not code.startswith("20")


def departement_of_insee(code: str) -> str:
    """The département (or overseas collectivité) code of a commune: "44109" -> "44",
    "2A004" -> "2A", "97411" -> "974", "98818" -> "988"."""
    if not is_valid_insee_commune_code(code):
        raise ValueError(f"Code INSEE de commune invalide : {code!r}")
    return code[:3] if code.startswith(("97", "98")) else code[:2]


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def is_valid_siren(siren: str) -> bool:
    """Nine digits passing the Luhn check."""
    return isinstance(siren, str) and len(siren) == 9 and siren.isascii() and siren.isdigit() and _luhn_ok(siren)


# La Poste's establishments share one SIREN and are too many for the Luhn key: INSEE numbers them
# so that the plain sum of the SIRET's digits is a multiple of 5 instead. The head office keeps an
# ordinary Luhn key (same rule as python-stdnum).
LA_POSTE_SIREN = "356000000"
LA_POSTE_HEAD_OFFICE_SIRET = "35600000000048"


def is_valid_siret(siret: str) -> bool:
    """Fourteen digits passing the Luhn check, or La Poste's rule for its SIREN 356000000."""
    if not (isinstance(siret, str) and len(siret) == 14 and siret.isascii() and siret.isdigit()):
        return False
    if siret.startswith(LA_POSTE_SIREN) and siret != LA_POSTE_HEAD_OFFICE_SIRET:
        return sum(int(char) for char in siret) % 5 == 0
    return _luhn_ok(siret)
