"""data·inclusion v1 records in and out (records.check_structure / check_service, structure_to_v1 /
service_to_v1): every field of the package's models maps to the model and back, and every problem
met in real files is reported in French."""

import datetime
import re
from enum import Enum

import pytest
from data_inclusion.schema import v1
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parcours.directory import records, vocabulary
from parcours.directory.models import Service, Structure

REFERENCE = records.Reference(
    commune_codes=frozenset({"44109", "44143", "97411", "2A004"}),
    departement_codes=frozenset({"44", "49", "974", "971", "2A", "2B"}),
    loaded_departements=frozenset({"44"}),
)
SERVICE = {
    "source": "dora",
    "structure_id": "st-1",
    "id": "sv-1",
    "nom": "Atelier CV",
    "description": "Un atelier pour écrire son CV.",
    "date_maj": "2025-01-15",
}
STRUCTURE = {"source": "dora", "id": "st-1", "nom": "Centre social", "date_maj": "2025-01-15"}

# --- strategies: valid v1 records built from the package's vocabularies ---------------------------

texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(
    str.strip
)
names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=3, max_size=150
).filter(lambda value: not value.endswith("."))
descriptions = st.text(min_size=5, max_size=300, alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)))
dates = st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date.today()).map(datetime.date.isoformat)
urls = st.sampled_from(
    ["https://dora.inclusion.beta.gouv.fr/services/abc", "http://example.org", "https://www.nantes.fr/a?b=c#d"]
)
emails = st.sampled_from(["contact@example.org", "Accueil.Rezé@mairie-reze.fr", "a.b+c@sub.example.com"])
insee_codes = st.sampled_from(sorted(REFERENCE.commune_codes))
zone_codes = st.sampled_from(["44", "974", "2A", "44109", "97411", "244400404", "france", "99100", "99134"])
# Points inside France: around Nantes and in La Réunion.
points = st.one_of(
    st.tuples(st.floats(46.9, 47.5), st.floats(-2.2, -1.2)), st.tuples(st.floats(-21.3, -20.9), st.floats(55.3, 55.8))
)
digits = st.text(alphabet="0123456789", min_size=5, max_size=5)


def subsets(enum: type[Enum], min_size: int = 1):
    return st.lists(st.sampled_from([member.value for member in enum]), min_size=min_size, max_size=4, unique=True)


def optional(strategy):
    return st.one_of(st.none(), strategy)


@st.composite
def addresses(draw):
    point = draw(optional(points))
    return {
        "commune": draw(optional(texts)),
        "code_postal": draw(optional(digits)),
        "code_insee": draw(optional(insee_codes)),
        "adresse": draw(optional(texts)),
        "complement_adresse": draw(optional(texts)),
        "latitude": point[0] if point else None,
        "longitude": point[1] if point else None,
        "telephone": draw(optional(st.sampled_from(["+33240000000", "02 40 00 00 00"]))),
        "courriel": draw(optional(emails)),
        "horaires_accueil": draw(optional(st.sampled_from(["Mo-Fr 08:30-12:30; PH off", "24/7"]))),
    }


publics = st.one_of(st.just(["tous-publics"]), subsets(vocabulary.PUBLIC).filter(lambda v: "tous-publics" not in v))


@st.composite
def v1_services(draw):
    return {
        **SERVICE,
        "id": draw(texts),
        "nom": draw(names),
        "description": draw(descriptions),
        "date_maj": draw(dates),
        "lien_source": draw(optional(urls)),
        "type": draw(optional(st.sampled_from([m.value for m in vocabulary.TYPE_SERVICE]))),
        "thematiques": draw(optional(subsets(vocabulary.THEMATIQUE))),
        "frais": draw(optional(st.sampled_from([m.value for m in vocabulary.FRAIS]))),
        "frais_precisions": draw(optional(texts)),
        "publics": draw(optional(publics)),
        "publics_precisions": draw(optional(texts)),
        "conditions_acces": draw(optional(texts)),
        **draw(addresses()),
        "modes_accueil": draw(optional(subsets(vocabulary.MODE_ACCUEIL))),
        "zone_eligibilite": draw(optional(st.lists(zone_codes, min_size=1, max_size=4))),
        "contact_nom_prenom": draw(optional(texts)),
        "lien_mobilisation": draw(optional(urls)),
        "modes_mobilisation": draw(optional(subsets(vocabulary.MODE_MOBILISATION))),
        "mobilisable_par": draw(optional(subsets(vocabulary.PERSONNE_MOBILISATRICE))),
        "mobilisation_precisions": draw(optional(texts)),
        "volume_horaire_hebdomadaire": draw(optional(st.floats(0, 168))),
        "nombre_semaines": draw(optional(st.integers(1, 520))),
    }


@st.composite
def v1_structures(draw):
    return {
        **STRUCTURE,
        "id": draw(texts),
        "nom": draw(names),
        "date_maj": draw(dates),
        "description": draw(optional(descriptions)),
        "lien_source": draw(optional(urls)),
        "siret": draw(optional(st.sampled_from(["13003013300016", "35600000000048", "21440109300015"]))),
        **draw(addresses()),
        "site_web": draw(optional(urls)),
        "accessibilite_lieu": draw(optional(urls)),
        "reseaux_porteurs": draw(optional(subsets(vocabulary.RESEAU_PORTEUR))),
    }


def normalised(model: type, record: dict) -> dict:
    """The record as the package reads it, in the shape Parcours writes: sets as sorted lists, the
    zone without duplicates, absent values as null."""
    data = model.model_validate(record, context={"ignore_warnings": True}).model_dump(mode="json")
    for name, value in data.items():
        if isinstance(value, list):
            data[name] = list(dict.fromkeys(value)) if name == "zone_eligibilite" else sorted(value)
        if value == "" or value == []:
            data[name] = None
    return data


def test_every_v1_field_is_mapped():
    assert set(records.SERVICE_FIELDS) == set(v1.Service.model_fields)
    assert set(records.STRUCTURE_FIELDS) == set(v1.Structure.model_fields)
    assert len(records.SERVICE_FIELDS) == len(set(records.SERVICE_FIELDS))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(v1_services())
def test_a_valid_service_goes_to_the_model_and_back_unchanged(record):
    checked = records.check_service(record, REFERENCE)
    assert checked.ok, checked.errors
    service = Service(**checked.fields)
    back = records.service_to_v1(service, structure_source_id=record["structure_id"])
    assert back == normalised(v1.Service, record)
    assert records.validates_as_v1(back, "services") == []


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(v1_structures())
def test_a_valid_structure_goes_to_the_model_and_back_unchanged(record):
    checked = records.check_structure(record, REFERENCE)
    assert checked.ok, checked.errors
    back = records.structure_to_v1(Structure(**checked.fields))
    assert back == normalised(v1.Structure, record)
    assert records.validates_as_v1(back, "structures") == []


def test_a_record_of_csv_cells_reads_empty_cells_as_absent():
    checked = records.check_service({**SERVICE, "frais": "", "publics": "", "latitude": "", "longitude": ""}, REFERENCE)
    assert checked.ok, checked.errors
    assert checked.fields["frais"] == "" and checked.fields["publics"] == []
    assert checked.fields["latitude"] is None


# --- French messages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"courriel": "pas-un-courriel"}, "courriel : adresse électronique invalide : « pas-un-courriel »"),
        ({"lien_source": "pas une url"}, "lien_source : lien (URL) invalide : « pas une url »"),
        ({"lien_source": "ftp://example.org"}, "lien_source : lien (URL) invalide : « ftp://example.org »"),
        ({"date_maj": "2025-13-45"}, "date_maj : date invalide (attendu AAAA-MM-JJ) : « 2025-13-45 »"),
        ({"date_maj": "hier"}, "date_maj : date invalide (attendu AAAA-MM-JJ) : « hier »"),
        (
            {"date_maj": "2025-01-15T10:30:00"},
            "date_maj : date invalide (attendu AAAA-MM-JJ) : « 2025-01-15T10:30:00 »",
        ),
        ({"date_maj": "2999-01-01"}, "date_maj : La date de dernière modification ne peut pas être dans le futur."),
        ({"date_maj": "1999-12-31"}, "date_maj : La date de dernière modification doit être au 21e siècle."),
        ({"volume_horaire_hebdomadaire": -1}, "volume_horaire_hebdomadaire : valeur trop petite"),
        ({"nombre_semaines": 0}, "nombre_semaines : valeur trop petite"),
        ({"nombre_semaines": 2.5}, "nombre_semaines : nombre entier attendu"),
        (
            {"thematiques": ["famille--inconnue"]},
            "thematiques : valeur inconnue du vocabulaire data·inclusion : « famille--inconnue »",
        ),
        ({"thematiques": "famille--garde-denfants"}, "thematiques : liste attendue"),
        (
            {"publics": ["tous-publics", "femmes"]},
            "publics : `tous-publics` ne peut pas être utilisé avec d’autres valeurs.",
        ),
        ({"nom": "AB"}, "nom : texte trop court"),
        ({"nom": ""}, "nom : champ obligatoire manquant"),
        ({"description": None}, "description : champ obligatoire manquant"),
        ({"date_maj": ""}, "date_maj : champ obligatoire manquant"),
        ({"type": "rien"}, "type : valeur inconnue du vocabulaire data·inclusion : « rien »"),
        ({"code_postal": "4400"}, "code_postal : texte trop court"),
        ({"zone_eligibilite": ["xx-yy"]}, "zone_eligibilite : code de zone invalide : « xx-yy »"),
        ({"zone_eligibilite": [44]}, "zone_eligibilite : code de zone invalide : « 44 »"),
        ({"zone_eligibilite": ["123456789"]}, "zone_eligibilite : code EPCI (SIREN) invalide : « 123456789 »"),
        ({"nombre_semaines": 10**30}, "nombre_semaines : valeur trop grande"),
        ({"volume_horaire_hebdomadaire": float("inf")}, "volume_horaire_hebdomadaire : nombre attendu"),
        ({"volume_horaire_hebdomadaire": 169}, "volume_horaire_hebdomadaire : une semaine compte 168 heures"),
    ],
)
def test_each_problem_is_reported_once_in_french(overrides, message):
    checked = records.check_service({**SERVICE, **overrides}, REFERENCE)
    assert checked.errors == [message]
    assert checked.fields == {}


ENGLISH = re.compile(r"\b(should|Input|valid|must|field|required|error|value is|string|integer|number)\b")

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.lists(st.one_of(st.text(max_size=12), st.integers(), st.none()), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@settings(max_examples=300)
@given(st.sampled_from(sorted(v1.Service.model_fields)), junk)
def test_no_english_text_leaks_from_the_validation(name, value):
    checked = records.check_service({**SERVICE, name: value}, REFERENCE)
    for error in checked.errors:
        field, _, text = error.partition(" : ")
        assert field in v1.Service.model_fields or field == "latitude, longitude", error
        assert not ENGLISH.search(text.split(" : « ")[0]), error


@settings(max_examples=200)
@given(st.sampled_from(sorted(v1.Structure.model_fields)), junk)
def test_no_english_text_leaks_from_the_structure_validation(name, value):
    checked = records.check_structure({**STRUCTURE, name: value}, REFERENCE)
    for error in checked.errors:
        field, _, text = error.partition(" : ")
        assert field in v1.Structure.model_fields or field == "latitude, longitude", error
        assert not ENGLISH.search(text.split(" : « ")[0]), error


# --- territory checks: overseas and Corsica -----------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"code_insee": "97411", "latitude": -20.88, "longitude": 55.45, "zone_eligibilite": ["974", "97411"]},
        {"code_insee": "2A004", "latitude": 41.92, "longitude": 8.74, "zone_eligibilite": ["2A", "2B"]},
        {"zone_eligibilite": ["971", "244400404", "99100", "france"]},
    ],
)
def test_overseas_and_corsican_codes_are_accepted(overrides):
    checked = records.check_service({**SERVICE, **overrides}, REFERENCE)
    assert checked.ok, checked.errors
    assert checked.fields["zone_eligibilite"] == overrides.get("zone_eligibilite")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"zone_eligibilite": ["975"]}, "zone_eligibilite : département inconnu : « 975 »"),
        ({"zone_eligibilite": ["20"]}, "zone_eligibilite : département inconnu : « 20 »"),
        ({"zone_eligibilite": ["44999"]}, "zone_eligibilite : commune inconnue : « 44999 »"),
        ({"code_insee": "20004"}, "code_insee : code commune INSEE invalide : « 20004 »"),
        (
            {"code_insee": "97411", "latitude": -20.88, "longitude": 155.45},
            "latitude, longitude : coordonnées hors de France (-20.88, 155.45)",
        ),
    ],
)
def test_unknown_territory_codes_are_refused(overrides, message):
    assert records.check_service({**SERVICE, **overrides}, REFERENCE).errors == [message]


def test_an_unknown_commune_of_a_partially_loaded_departement_is_accepted():
    checked = records.check_service({**SERVICE, "code_insee": "49007", "zone_eligibilite": ["49007"]}, REFERENCE)
    assert checked.ok, checked.errors
