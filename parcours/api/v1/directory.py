"""The offer (structures and services) in the data·inclusion v1 shape.

Each item is exactly what `directory.records.structure_to_v1` / `service_to_v1` give (the export's
records), and for a service one more object, `parcours`, with what Parcours adds to the schema:
capacity, languages and interpreting, and the operating organisation. Identifiers are the
data·inclusion `id` (unique within a source); `?source=` disambiguates an id two sources share."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Iterable
from typing import Any

from data_inclusion.schema import v1
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import BaseModel, create_model

from parcours.directory import records
from parcours.directory.models import Service, Structure

from .. import selectors
from ..errors import BadRequest
from ..pagination import DEFAULT_SIZE, MAX_SIZE, keyset_page

router = Router(tags=["offre d'insertion"])

# --- response schemas, built from the records' field lists and the package's descriptions ----------

_REQUIRED = {"source", "id", "structure_id", "nom"}
_LISTS = set(records.STRUCTURE_LIST_FIELDS) | set(records.SERVICE_LIST_FIELDS)


def _annotation(name: str, model: type[BaseModel]) -> Any:
    if name in _REQUIRED:
        return str
    if name == "date_maj":
        return dt.date
    if name == "description" and model is v1.Service:
        return str
    if name in _LISTS:
        return list[str] | None
    if name == "nombre_semaines":
        return int | None
    if name in records.NULLABLE_NUMBERS:
        return float | None
    return str | None


def _v1_schema(schema_name: str, model: type[BaseModel], names: tuple[str, ...], **extra: Any) -> type[Schema]:
    fields: dict[str, Any] = {}
    for name in names:
        info = model.model_fields[name]
        description = inspect.cleandoc(info.description or "")
        if name in _LISTS or name in {"type", "frais"}:
            description += f"\n\nValeurs du vocabulaire data·inclusion v1 (`{name}`)."
        fields[name] = (_annotation(name, model), Field(..., description=description or None, title=info.title))
    fields.update(extra)
    return create_model(schema_name, __base__=Schema, **fields)


class OrganisationOut(Schema):
    id: int
    nom: str


class ParcoursOut(Schema):
    """Ce que Parcours ajoute au schéma data·inclusion."""

    places_total: int | None = Field(description="Nombre de places au total, si déclaré.")
    places_libres: int | None = Field(description="Nombre de places libres, si déclaré.")
    delai_attente_jours: int | None = Field(description="Délai d'attente habituel, en jours.")
    prochaines_sessions: list[dt.date] = Field(description="Dates des prochaines sessions (à venir seulement).")
    langues: list[str] = Field(description="Langues dans lesquelles le service peut être délivré (ISO 639).")
    interpretariat: bool = Field(description="Un interprétariat est possible.")
    organisation_operatrice: OrganisationOut | None = Field(
        description="L'organisation Parcours qui met en œuvre le service, si elle est connue."
    )


StructureOut = _v1_schema("StructureV1", v1.Structure, records.STRUCTURE_FIELDS)
ServiceOut = _v1_schema(
    "ServiceV1",
    v1.Service,
    records.SERVICE_FIELDS,
    parcours=(ParcoursOut, Field(..., description="Extension Parcours (hors schéma data·inclusion).")),
)


class ServicePage(Schema):
    items: list[ServiceOut]  # type: ignore[valid-type]
    next_cursor: str | None = Field(description="Curseur de la page suivante ; null sur la dernière page.")
    size: int = Field(description="Taille de page demandée.")


class StructurePage(Schema):
    items: list[StructureOut]  # type: ignore[valid-type]
    next_cursor: str | None = Field(description="Curseur de la page suivante ; null sur la dernière page.")
    size: int = Field(description="Taille de page demandée.")


class Error(Schema):
    detail: str = Field(description="Le problème, en français.")


ERRORS = {400: Error, 401: Error}

# --- query parameters ---------------------------------------------------------------------------------

_CURSOR = Field(None, description="Curseur opaque renvoyé par la page précédente (`next_cursor`).")
_SIZE = Field(DEFAULT_SIZE, description=f"Nombre d'éléments par page (1 à {MAX_SIZE}).")
_SOURCE_TEXT = "Producteur de la donnée (`source` data·inclusion)."
_SOURCE = Field(None, description=_SOURCE_TEXT)
_DEPARTEMENT = Field(None, description="Code INSEE du département (« 44 », « 2A », « 971 »).")
_DATE_MAJ_MIN = Field(None, description="Seulement les enregistrements mis à jour ce jour-là ou après (AAAA-MM-JJ).")


class PageQuery(Schema):
    size: int = _SIZE
    cursor: str | None = _CURSOR


class StructureQuery(PageQuery):
    source: str | None = _SOURCE
    departement: str | None = _DEPARTEMENT
    date_maj_min: dt.date | None = _DATE_MAJ_MIN


class ServiceQuery(PageQuery):
    thematiques: list[str] = Field(
        [],
        description="Thématiques (codes data·inclusion, ou une catégorie entière) ; répétable : l'une des valeurs suffit.",
    )
    categorie: str | None = Field(None, description="Catégorie de thématiques data·inclusion.")
    publics: list[str] = Field(
        [], description="Publics (répétable : l'une des valeurs suffit) ; « tous-publics » répond à tous."
    )
    type: str | None = Field(None, description="Type de service data·inclusion.")
    frais: str | None = Field(None, description="Frais data·inclusion.")
    modes_accueil: list[str] = Field([], description="Modes d'accueil (répétable : l'une des valeurs suffit).")
    langue: list[str] = Field(
        [], description="Langue de délivrance (ISO 639 ; répétable) ; un service avec interprétariat répond aussi."
    )
    places_libres: bool = Field(False, description="Seulement les services qui ont des places libres.")
    code_commune: str | None = Field(None, description="Code INSEE de la commune autour de laquelle chercher.")
    code_postal: str | None = Field(None, description="Code postal autour duquel chercher (à défaut de code_commune).")
    distance_km: float | None = Field(
        None,
        description=(
            "Rayon de recherche autour de la commune, en km (1 à 200, 30 par défaut). Les services à distance "
            "restent inclus ; la zone d'éligibilité du service doit couvrir la commune."
        ),
    )
    departement: str | None = _DEPARTEMENT
    source: str | None = _SOURCE
    date_maj_min: dt.date | None = _DATE_MAJ_MIN


def reject_unknown_parameters(request: HttpRequest, names: Iterable[str], *, record_id: str | None = None) -> None:
    """A misspelt filter (`?public=femmes`) would otherwise be ignored and the whole offer returned. A NUL
    character, which PostgreSQL refuses in any text value, would otherwise end in a server error."""
    unknown = sorted(set(request.GET) - set(names))
    if unknown:
        raise BadRequest(
            _("Paramètre inconnu : %(names)s.") % {"names": ", ".join(f"« {name[:40]} »" for name in unknown)}
        )
    for name, values in request.GET.lists():
        if any("\x00" in value for value in values):
            raise BadRequest(_("%(name)s : caractère nul interdit.") % {"name": name})
    if record_id is not None and "\x00" in record_id:
        raise BadRequest(_("Identifiant invalide : caractère nul interdit."))


# --- mapping ------------------------------------------------------------------------------------------


def service_item(service: Service, *, today: dt.date | None = None) -> dict[str, Any]:
    """The v1 record of a service (structure joined) plus the `parcours` extension."""
    today = today or dt.date.today()
    operator = service.operator
    record = records.service_to_v1(service)
    record["parcours"] = {
        "places_total": service.places_total,
        "places_libres": service.places_free,
        "delai_attente_jours": service.waiting_days,
        "prochaines_sessions": [day for day in (service.next_sessions or []) if str(day) >= today.isoformat()],
        "langues": list(service.languages or []),
        "interpretariat": service.interpreting,
        "organisation_operatrice": {"id": operator.pk, "nom": operator.name} if operator is not None else None,
    }
    return record


# --- endpoints ----------------------------------------------------------------------------------------


@router.get("/structures", response={200: StructurePage, **ERRORS}, summary="Structures (paginé par curseur)")
def list_structures(request: HttpRequest, params: Query[StructureQuery]) -> dict[str, Any]:
    """Les structures de l'offre, dans l'ordre de leur clé, par pages (`size`, `cursor`)."""
    reject_unknown_parameters(request, StructureQuery.model_fields)
    qs = selectors.structures_matching(
        departement=params.departement or "", source=params.source or "", date_maj_min=params.date_maj_min
    )
    rows, next_cursor = keyset_page(qs, kind="structures", size=params.size, cursor=params.cursor)
    return {"items": [records.structure_to_v1(row) for row in rows], "next_cursor": next_cursor, "size": params.size}


@router.get(
    "/structures/{record_id}",
    response={200: StructureOut, 404: Error, **ERRORS},
    summary="Une structure par son identifiant data·inclusion",
)
def get_structure(
    request: HttpRequest, record_id: str, source: str | None = Query(None, description=_SOURCE_TEXT)
) -> dict[str, Any]:
    reject_unknown_parameters(request, ("source",), record_id=record_id)
    structure: Structure = selectors.structure(record_id=record_id, source=source or "")
    return records.structure_to_v1(structure)


@router.get("/services", response={200: ServicePage, **ERRORS}, summary="Services publiés (paginé par curseur)")
def list_services(request: HttpRequest, params: Query[ServiceQuery]) -> dict[str, Any]:
    """Les services publiés qui répondent aux filtres, dans l'ordre de leur clé, par pages (`size`,
    `cursor`). Dans un champ, les valeurs sont des alternatives (OU) ; entre champs, toutes les
    conditions s'appliquent (ET). Autour d'une commune (`code_commune` ou `code_postal`), seuls les
    services dont la zone d'éligibilité couvre la commune et situés à moins de `distance_km` (ou
    délivrés à distance) sont renvoyés."""
    reject_unknown_parameters(request, ServiceQuery.model_fields)
    filters = selectors.ServiceFilters(
        thematiques=params.thematiques,
        categorie=params.categorie or "",
        publics=params.publics,
        type=params.type or "",
        frais=params.frais or "",
        modes_accueil=params.modes_accueil,
        langues=params.langue,
        places_libres=params.places_libres,
        code_commune=params.code_commune or "",
        code_postal=params.code_postal or "",
        distance_km=params.distance_km,
        departement=params.departement or "",
        source=params.source or "",
        date_maj_min=params.date_maj_min,
    )
    qs = selectors.services_matching(filters)
    rows, next_cursor = keyset_page(qs, kind="services", size=params.size, cursor=params.cursor)
    today = dt.date.today()
    return {"items": [service_item(row, today=today) for row in rows], "next_cursor": next_cursor, "size": params.size}


@router.get(
    "/services/{record_id}",
    response={200: ServiceOut, 404: Error, **ERRORS},
    summary="Un service publié par son identifiant data·inclusion",
)
def get_service(
    request: HttpRequest, record_id: str, source: str | None = Query(None, description=_SOURCE_TEXT)
) -> dict[str, Any]:
    reject_unknown_parameters(request, ("source",), record_id=record_id)
    return service_item(selectors.published_service(record_id=record_id, source=source or ""))
