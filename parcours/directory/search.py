"""Searching the offer for a need: the criteria, their sanity checks, and why a service matches.
Pure: no ORM, no request; the SQL lives in `directory.selectors`.

A thématique criterion is either a thématique code ("famille--garde-denfants") or a whole category
("famille"): values without "--" are categories. Within one field the values are alternatives (OR),
across fields every criterion must hold (AND)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from parcours.people.languages import language_name

from . import vocabulary

DEFAULT_DISTANCE_KM = 30
MIN_DISTANCE_KM = 1
MAX_DISTANCE_KM = 200
REMOTE = "a-distance"
# A service open to "tous publics" answers any public asked for.
ALL_PUBLICS = "tous-publics"
# The zone token of a service that declares no zone d'éligibilité (see records.facets_for).
NO_ZONE = "*"


@dataclass
class SearchCriteria:
    thematiques: list[str] = field(default_factory=list)
    categorie: str = ""
    publics: list[str] = field(default_factory=list)
    type: str = ""
    frais: str = ""
    mode_accueil: str = ""
    languages: list[str] = field(default_factory=list)
    free_places_only: bool = False
    # Where the person lives: the commune's INSEE code and name, its point, and the zone codes it
    # belongs to (commune, département, EPCI — never the région, whose 2-digit codes collide with
    # départements; data·inclusion writes a région zone as its départements).
    commune: str = ""
    commune_name: str = ""
    latitude: float | None = None
    longitude: float | None = None
    zone_codes: list[str] = field(default_factory=list)
    # Readable names of those zone codes ({"44": "Loire-Atlantique", "44143": "Rezé"}), for the reasons.
    zone_labels: dict[str, str] = field(default_factory=dict)
    distance_km: float = DEFAULT_DISTANCE_KM
    include_remote: bool = True

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def thematique_codes(self) -> list[str]:
        return [value for value in self.thematiques if "--" in value]

    @property
    def category_codes(self) -> list[str]:
        return [value for value in self.thematiques if "--" not in value]


def criteria_errors(criteria: SearchCriteria) -> dict[str, str]:
    """What makes no sense in these criteria, by field, in French (empty when they are usable).
    The page shows them as form errors, the API as a 400."""
    errors: dict[str, str] = {}
    distance = criteria.distance_km
    if not isinstance(distance, int | float) or not math.isfinite(distance):
        errors["distance_km"] = _("La distance doit être un nombre de kilomètres.")
    elif not MIN_DISTANCE_KM <= distance <= MAX_DISTANCE_KM:
        errors["distance_km"] = _("La distance doit être comprise entre %(min)s et %(max)s km.") % {
            "min": MIN_DISTANCE_KM,
            "max": MAX_DISTANCE_KM,
        }
    if (criteria.latitude is None) != (criteria.longitude is None):
        errors["commune"] = _("La latitude et la longitude vont ensemble.")
    elif criteria.has_location and not (
        -90 <= float(criteria.latitude or 0) <= 90 and -180 <= float(criteria.longitude or 0) <= 180
    ):
        errors["commune"] = _("Coordonnées invalides.")
    checks: list[tuple[str, Any, Iterable[str]]] = [
        ("thematiques", vocabulary.THEMATIQUE, criteria.thematique_codes),
        ("thematiques", vocabulary.CATEGORIE, criteria.category_codes),
        ("categorie", vocabulary.CATEGORIE, [criteria.categorie] if criteria.categorie else []),
        ("publics", vocabulary.PUBLIC, criteria.publics),
        ("type", vocabulary.TYPE_SERVICE, [criteria.type] if criteria.type else []),
        ("frais", vocabulary.FRAIS, [criteria.frais] if criteria.frais else []),
        ("mode_accueil", vocabulary.MODE_ACCUEIL, [criteria.mode_accueil] if criteria.mode_accueil else []),
    ]
    for name, enum, values in checks:
        unknown = vocabulary.unknown_values(enum, values)
        if unknown and name not in errors:
            errors[name] = _("Valeur inconnue du vocabulaire data·inclusion : %(values)s.") % {
                "values": ", ".join(unknown)
            }
    return errors


class ServiceLike(Protocol):
    thematiques: list[str]
    publics: list[str]
    type: str
    frais: str
    modes_accueil: list[str]
    zone_eligibilite: list[str]
    languages: list[str]
    interpreting: bool
    places_free: int | None


def format_km(km: float) -> str:
    """ "4,2" (French decimal comma, one decimal under 10 km, none above)."""
    text = f"{km:.1f}" if km < 10 else f"{km:.0f}"
    return text.replace(".", ",")


def matched_zone(zone_eligibilite: Iterable[str], zone_codes: Iterable[str]) -> str | None:
    """The zone code through which a service is open to the person: a national code, one of the
    person's zone codes, NO_ZONE when the service declares none; None when it is not open to them."""
    zone = list(zone_eligibilite or [])
    if not zone:
        return NO_ZONE
    national = [code for code in zone if code in vocabulary.NATIONAL_ZONE_CODES]
    if national:
        return national[0]
    wanted = set(zone_codes)
    return next((code for code in zone if code in wanted), None)


def reasons_for(
    service: ServiceLike,
    criteria: SearchCriteria,
    distance_km: float | None,
) -> list[str]:
    """Why this service answers the search, in French, most telling first."""
    name_of = language_name
    reasons: list[str] = []
    modes = set(service.modes_accueil or [])
    if distance_km is not None:
        where = criteria.commune_name
        if where:
            reasons.append(_("À %(km)s km de %(commune)s") % {"km": format_km(distance_km), "commune": where})
        else:
            reasons.append(_("À %(km)s km") % {"km": format_km(distance_km)})
    elif criteria.has_location and REMOTE in modes:
        reasons.append(_("Service à distance"))

    thematiques = set(service.thematiques or [])
    for code in criteria.thematique_codes:
        if code in thematiques:
            reasons.append(_("Thématique : %(label)s") % {"label": vocabulary.label(vocabulary.THEMATIQUE, code)})
    categories = {vocabulary.thematique_category(code) for code in thematiques}
    for code in [*criteria.category_codes, *([criteria.categorie] if criteria.categorie else [])]:
        if code in categories:
            reasons.append(_("Catégorie : %(label)s") % {"label": vocabulary.label(vocabulary.CATEGORIE, code)})

    publics = set(service.publics or [])
    if criteria.publics:
        matched = [code for code in criteria.publics if code in publics]
        if not matched and ALL_PUBLICS in publics:
            matched = [ALL_PUBLICS]
        for code in matched:
            reasons.append(_("Public : %(label)s") % {"label": vocabulary.label(vocabulary.PUBLIC, code)})

    if criteria.type and service.type == criteria.type:
        reasons.append(_("Type : %(label)s") % {"label": vocabulary.label(vocabulary.TYPE_SERVICE, service.type)})
    if criteria.frais and service.frais == criteria.frais:
        reasons.append(_("Frais : %(label)s") % {"label": vocabulary.label(vocabulary.FRAIS, service.frais)})
    if criteria.mode_accueil and criteria.mode_accueil in modes:
        reasons.append(
            _("Accueil : %(label)s") % {"label": vocabulary.label(vocabulary.MODE_ACCUEIL, criteria.mode_accueil)}
        )

    if criteria.languages:
        spoken = [code for code in criteria.languages if code in (service.languages or [])]
        for code in spoken:
            reasons.append(_("Service délivré en %(language)s") % {"language": str(name_of(code)).lower()})
        if not spoken and service.interpreting:
            reasons.append(_("Interprétariat possible"))

    if service.places_free:
        reasons.append(
            ngettext("%(n)s place libre", "%(n)s places libres", service.places_free) % {"n": service.places_free}
        )

    if criteria.zone_codes:
        zone = matched_zone(service.zone_eligibilite, criteria.zone_codes)
        if zone in vocabulary.NATIONAL_ZONE_CODES:
            reasons.append(_("Zone d'éligibilité : toute la France"))
        elif zone is not None and zone != NO_ZONE:
            label = criteria.zone_labels.get(zone) or zone
            reasons.append(_("Zone d'éligibilité : %(zone)s") % {"zone": label})
    return reasons
