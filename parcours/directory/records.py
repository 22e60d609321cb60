"""data·inclusion v1 records in and out: validation of one incoming record against the schema package
(plus the checks the package leaves to the consumer), mapping to model fields, mapping back to a v1
dict, and the derived search fields. Pure: no ORM; what needs the database comes in as arguments."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pydantic
from data_inclusion.schema import v1

from parcours.territories import geo

from . import vocabulary

# Model field name -> v1 field name, for the fields that differ.
STRUCTURE_LIST_FIELDS = ("reseaux_porteurs",)
SERVICE_LIST_FIELDS = (
    "thematiques",
    "publics",
    "modes_accueil",
    "zone_eligibilite",
    "modes_mobilisation",
    "mobilisable_par",
)
ADDRESS_FIELDS = (
    "commune",
    "code_postal",
    "code_insee",
    "adresse",
    "complement_adresse",
    "longitude",
    "latitude",
    "telephone",
    "courriel",
    "horaires_accueil",
)
STRUCTURE_FIELDS = (
    "source",
    "id",
    "nom",
    "date_maj",
    "description",
    "lien_source",
    "siret",
    *ADDRESS_FIELDS,
    "site_web",
    "accessibilite_lieu",
    "reseaux_porteurs",
)
SERVICE_FIELDS = (
    "source",
    "structure_id",
    "id",
    "nom",
    "description",
    "lien_source",
    "date_maj",
    "type",
    "thematiques",
    "frais",
    "frais_precisions",
    "publics",
    "publics_precisions",
    "conditions_acces",
    *ADDRESS_FIELDS,
    "modes_accueil",
    "zone_eligibilite",
    "contact_nom_prenom",
    "lien_mobilisation",
    "modes_mobilisation",
    "mobilisable_par",
    "mobilisation_precisions",
    "volume_horaire_hebdomadaire",
    "nombre_semaines",
)
REMOTE_MODE = "a-distance"
# The fields refresh_search_fields derives: save them whenever it has run.
SEARCH_FIELDS = ("point_latitude", "point_longitude", "remote", "facets")
NULLABLE_NUMBERS = ("longitude", "latitude", "volume_horaire_hebdomadaire", "nombre_semaines")

PYDANTIC_MESSAGES = {
    "missing": "champ obligatoire manquant",
    "enum": "valeur inconnue du vocabulaire data·inclusion",
    "literal_error": "valeur non autorisée",
    "string_pattern_mismatch": "format invalide",
    "string_too_short": "texte trop court",
    "string_too_long": "texte trop long",
    "string_type": "texte attendu",
    "string_unicode": "texte attendu",
    "url_parsing": "lien (URL) invalide",
    "url_scheme": "lien (URL) invalide",
    "url_syntax_violation": "lien (URL) invalide",
    "url_too_long": "lien (URL) trop long",
    "url_type": "lien (URL) invalide",
    "date_from_datetime_parsing": "date invalide (attendu AAAA-MM-JJ)",
    "date_from_datetime_inexact": "date invalide (attendu AAAA-MM-JJ)",
    "date_parsing": "date invalide (attendu AAAA-MM-JJ)",
    "date_type": "date invalide (attendu AAAA-MM-JJ)",
    "float_parsing": "nombre attendu",
    "float_type": "nombre attendu",
    "finite_number": "nombre attendu",
    "int_parsing": "nombre entier attendu",
    "int_parsing_size": "valeur trop grande",
    "int_type": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "greater_than_equal": "valeur trop petite",
    "too_short": "liste vide",
    "set_type": "liste attendue",
    "list_type": "liste attendue",
    "iterable_type": "liste attendue",
    "model_type": "objet attendu",
    "dict_type": "objet attendu",
    "value_error": "valeur invalide",
    "union_tag_invalid": "valeur invalide",
}
# Kinds whose message quotes the value given (a vocabulary value, a malformed code, link or date).
QUOTED_KINDS = frozenset(
    {
        "enum",
        "literal_error",
        "string_pattern_mismatch",
        "date_parsing",
        "date_from_datetime_parsing",
        "date_from_datetime_inexact",
        "url_parsing",
        "url_scheme",
        "url_syntax_violation",
    }
)
# The package's own validators raise French messages ("La date … ne peut pas être dans le futur.");
# a value_error elsewhere comes from pydantic or a library (e-mail addresses) and speaks English.
FRENCH_VALIDATORS = frozenset({"date_maj", "publics", "nom"})
# What the model's columns hold: PositiveIntegerField, and a week has 168 hours.
MAX_INTEGER = 2_147_483_647
HOURS_PER_WEEK = 168


@dataclass
class Reference:
    """What the validation needs to know about the territory, loaded once per import by the caller."""

    commune_codes: frozenset[str] = frozenset()
    departement_codes: frozenset[str] = frozenset()
    # Départements whose communes are loaded: an unknown commune code of such a département is an error;
    # elsewhere the commune table may simply be partial (the demo loads one département).
    loaded_departements: frozenset[str] = frozenset()


@dataclass
class Checked:
    record_id: str
    fields: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    structure_id: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


def _quote(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return f" : « {str(value)[:80]} »"


def _french_errors(exc: pydantic.ValidationError) -> list[str]:
    """One French message per problem: "<field> : <what is wrong>[ : « <value> »]". Records are flat,
    so the location is the field name only (never a list index or a pydantic union branch)."""
    messages = []
    for error in exc.errors():
        loc = error["loc"]
        location = str(loc[0]) if loc else "enregistrement"
        kind = error["type"]
        value = error.get("input")
        if location == "zone_eligibilite" and len(loc) > 1:
            # One zone code matched none of the union's branches (commune, département, EPCI, pays,
            # "france"): one message for the code, not one per branch.
            message = "code de zone invalide" + _quote(value)
        elif kind == "missing" or (value is None and len(loc) == 1):
            # None reaches a field only where it is required (an empty CSV cell reads as None).
            message = PYDANTIC_MESSAGES["missing"]
        elif kind == "value_error" and location == "courriel":
            message = "adresse électronique invalide" + _quote(value)
        elif kind == "value_error" and location in FRENCH_VALIDATORS:
            message = str(error.get("ctx", {}).get("error", "")).removeprefix("Value error, ")
            message = message or PYDANTIC_MESSAGES["value_error"]
        else:
            message = PYDANTIC_MESSAGES.get(kind, "valeur invalide")
            if kind in QUOTED_KINDS:
                message += _quote(value)
        messages.append(f"{location} : {message}")
    # One message per distinct problem, in a stable order.
    return list(dict.fromkeys(messages))


def _check_numbers(model: pydantic.BaseModel, errors: list[str]) -> None:
    """What the package accepts but no column can hold or no week can contain."""
    volume = getattr(model, "volume_horaire_hebdomadaire", None)
    if volume is not None:
        if not math.isfinite(volume):
            errors.append("volume_horaire_hebdomadaire : nombre attendu")
        elif volume > HOURS_PER_WEEK:
            errors.append(f"volume_horaire_hebdomadaire : une semaine compte {HOURS_PER_WEEK} heures")
    weeks = getattr(model, "nombre_semaines", None)
    if weeks is not None and weeks > MAX_INTEGER:
        errors.append("nombre_semaines : valeur trop grande")


def _blank_to_none(raw: Mapping[str, Any]) -> dict[str, Any]:
    """CSV cells and some producers give "" for absent values; the schema wants null."""
    return {key: (None if value == "" or value == [] else value) for key, value in raw.items()}


def _check_address(data: Mapping[str, Any], reference: Reference, errors: list[str]) -> None:
    code = data.get("code_insee")
    if code:
        if not geo.is_valid_insee_commune_code(code):
            errors.append(f"code_insee : code commune INSEE invalide : « {code} »")
        elif code not in reference.commune_codes and geo.departement_of_insee(code) in reference.loaded_departements:
            errors.append(f"code_insee : commune inconnue du Code officiel géographique : « {code} »")
    latitude, longitude = data.get("latitude"), data.get("longitude")
    if (latitude is None) != (longitude is None):
        errors.append("latitude, longitude : les deux coordonnées vont ensemble")
    elif latitude is not None and longitude is not None and not geo.in_france(float(latitude), float(longitude)):
        errors.append(f"latitude, longitude : coordonnées hors de France ({latitude}, {longitude})")


def _check_zone(codes: Iterable[str], reference: Reference, errors: list[str]) -> None:
    for code in codes:
        if code in vocabulary.NATIONAL_ZONE_CODES:
            continue
        if len(code) in (2, 3):
            if code not in reference.departement_codes:
                errors.append(f"zone_eligibilite : département inconnu : « {code} »")
        elif len(code) == 5:
            if code.startswith("99"):
                continue  # a country code of the COG (services open to people living abroad)
            if not geo.is_valid_insee_commune_code(code):
                errors.append(f"zone_eligibilite : code commune invalide : « {code} »")
            elif (
                code not in reference.commune_codes and geo.departement_of_insee(code) in reference.loaded_departements
            ):
                errors.append(f"zone_eligibilite : commune inconnue : « {code} »")
        elif len(code) == 9 and code.isdigit():
            # An EPCI SIREN; membership is known only for the EPCIs loaded.
            if not geo.is_valid_siren(code):
                errors.append(f"zone_eligibilite : code EPCI (SIREN) invalide : « {code} »")
        else:
            errors.append(f"zone_eligibilite : code non reconnu : « {code} »")


def _to_fields(model: pydantic.BaseModel, names: Iterable[str], list_fields: Iterable[str]) -> dict[str, Any]:
    data = model.model_dump(mode="json")
    fields: dict[str, Any] = {}
    for name in names:
        value = data.get(name)
        if name == "id":
            fields["source_id"] = value
        elif name == "structure_id":
            continue
        elif name in list_fields:
            fields[name] = sorted(value or []) if name != "zone_eligibilite" else list(dict.fromkeys(value or []))
        elif name in NULLABLE_NUMBERS:
            fields[name] = value
        elif name == "date_maj":
            fields[name] = dt.date.fromisoformat(str(value))
        else:
            fields[name] = "" if value is None else value
    return fields


def check_structure(raw: Mapping[str, Any], reference: Reference) -> Checked:
    data = _blank_to_none(raw)
    checked = Checked(record_id=str(data.get("id") or ""))
    try:
        model = v1.Structure.model_validate(data, context={"ignore_warnings": True})
    except pydantic.ValidationError as exc:
        checked.errors = _french_errors(exc)
        return checked
    if model.siret and not geo.is_valid_siret(model.siret):
        checked.errors.append(f"siret : numéro SIRET invalide (clé de contrôle) : « {model.siret} »")
    _check_address(data, reference, checked.errors)
    if not checked.errors:
        checked.fields = _to_fields(model, STRUCTURE_FIELDS, STRUCTURE_LIST_FIELDS)
    return checked


def check_service(raw: Mapping[str, Any], reference: Reference) -> Checked:
    data = _blank_to_none(raw)
    checked = Checked(record_id=str(data.get("id") or ""), structure_id=str(data.get("structure_id") or ""))
    try:
        model = v1.Service.model_validate(data, context={"ignore_warnings": True})
    except pydantic.ValidationError as exc:
        checked.errors = _french_errors(exc)
        return checked
    _check_numbers(model, checked.errors)
    _check_address(data, reference, checked.errors)
    _check_zone(model.zone_eligibilite or [], reference, checked.errors)
    if not checked.errors:
        checked.fields = _to_fields(model, SERVICE_FIELDS, SERVICE_LIST_FIELDS)
    return checked


# --- out: model instance -> v1 dict ---------------------------------------------------------------


def _out(value: Any) -> Any:
    if value == "" or value == []:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def structure_to_v1(structure: Any) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name in STRUCTURE_FIELDS:
        value = structure.source_id if name == "id" else getattr(structure, name)
        record[name] = _out(value)
    return record


def service_to_v1(service: Any, structure_source_id: str | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name in SERVICE_FIELDS:
        if name == "id":
            value = service.source_id
        elif name == "structure_id":
            value = structure_source_id if structure_source_id is not None else service.structure.source_id
        else:
            value = getattr(service, name)
        record[name] = _out(value)
    return record


# --- derived search fields -------------------------------------------------------------------------


def facets_for(
    *,
    thematiques: Iterable[str],
    publics: Iterable[str],
    type: str,
    frais: str,
    modes_accueil: Iterable[str],
    zone_eligibilite: Iterable[str],
    languages: Iterable[str],
) -> str:
    """Space-delimited search tokens (" th:famille--garde-denfants cat:famille pu:femmes … "): a filter
    is then `facets LIKE '% th:<code> %'`, plain SQL on every backend."""
    tokens: list[str] = []
    categories = {vocabulary.thematique_category(code) for code in thematiques}
    tokens += [f"th:{code}" for code in sorted(set(thematiques))]
    tokens += [f"cat:{code}" for code in sorted(categories)]
    tokens += [f"pu:{code}" for code in sorted(set(publics))]
    if type:
        tokens.append(f"ty:{type}")
    if frais:
        tokens.append(f"fr:{frais}")
    tokens += [f"ma:{code}" for code in sorted(set(modes_accueil))]
    zone = list(zone_eligibilite)
    tokens += [f"z:{code}" for code in zone] if zone else ["z:*"]
    tokens += [f"la:{code}" for code in sorted(set(languages))]
    return " " + " ".join(tokens) + " "


def refresh_search_fields(
    service: Any, structure: Any, commune_point: tuple[float | None, float | None] | None = None
) -> None:
    """Set the service's effective point and its facets. The point is the service's own coordinates,
    else its structure's, else `commune_point` (the centre of the commune of its code INSEE, which the
    caller looks up: a service declared with an address but no coordinates is still found by distance)."""
    if service.latitude is not None and service.longitude is not None:
        service.point_latitude, service.point_longitude = service.latitude, service.longitude
    elif structure is not None and structure.latitude is not None and structure.longitude is not None:
        service.point_latitude, service.point_longitude = structure.latitude, structure.longitude
    elif commune_point is not None and commune_point[0] is not None and commune_point[1] is not None:
        service.point_latitude, service.point_longitude = commune_point
    else:
        service.point_latitude = service.point_longitude = None
    service.remote = REMOTE_MODE in (service.modes_accueil or [])
    service.facets = facets_for(
        thematiques=service.thematiques or [],
        publics=service.publics or [],
        type=service.type or "",
        frais=service.frais or "",
        modes_accueil=service.modes_accueil or [],
        zone_eligibilite=service.zone_eligibilite or [],
        languages=service.languages or [],
    )


def validates_as_v1(record: Mapping[str, Any], kind: str) -> list[str]:
    """Errors of a v1 dict against the package's model (empty when valid): used by export tests."""
    model: Callable[..., Any] = v1.Service.model_validate if kind == "services" else v1.Structure.model_validate
    try:
        model(record, context={"ignore_warnings": True})
    except pydantic.ValidationError as exc:
        return _french_errors(exc)
    return []
