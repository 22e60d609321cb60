"""Reads for the partner API: the token behind a key, and the offer as the API filters it.

The offer is public data (what data·inclusion publishes as open data): a valid token is the only
scope, and only published services are ever returned. Filters reuse the directory's search
(`directory.search.SearchCriteria`, `directory.selectors.search_queryset`) so that the API and the
search page answer the same question the same way; parameters that make no sense raise BadRequest
with a French message."""

from __future__ import annotations

import dataclasses
import datetime as dt
import operator
from functools import reduce

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.directory import vocabulary
from parcours.directory.models import Service, ServiceStatus, Structure
from parcours.directory.search import DEFAULT_DISTANCE_KM, SearchCriteria, criteria_errors
from parcours.directory.selectors import criteria_with_commune, search_queryset
from parcours.people.models import KNOWN_LANGUAGE_CODES
from parcours.territories import geo
from parcours.territories.models import Commune, Departement
from parcours.territories.selectors import with_postcode

from .errors import BadRequest, NotFound
from .models import ApiToken
from .services import hash_key

# last_used_at is written at most this often per token: an API client paging through the offer
# would otherwise turn every read into a write on the same row.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def token_for_key(key: str) -> ApiToken | None:
    """The active token of an active organisation for this clear key, or None (one query, plus one
    conditional UPDATE at most once a minute)."""
    if not key or len(key) > 200:
        return None
    token = (
        ApiToken.objects.select_related("organisation")
        .filter(key_hash=hash_key(key), revoked_at__isnull=True, organisation__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # Conditional: two concurrent requests write once, and never move the date backwards.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token


@dataclasses.dataclass
class ServiceFilters:
    thematiques: list[str] = dataclasses.field(default_factory=list)
    categorie: str = ""
    publics: list[str] = dataclasses.field(default_factory=list)
    type: str = ""
    frais: str = ""
    modes_accueil: list[str] = dataclasses.field(default_factory=list)
    langues: list[str] = dataclasses.field(default_factory=list)
    places_libres: bool = False
    code_commune: str = ""
    code_postal: str = ""
    distance_km: float | None = None
    departement: str = ""
    source: str = ""
    date_maj_min: dt.date | None = None


# SearchCriteria field -> API parameter, for the messages of search.criteria_errors.
CRITERIA_PARAMETERS = {"mode_accueil": "modes_accueil", "commune": "code_commune"}


def _clean(values: list[str] | None) -> list[str]:
    """Repeated parameters, also accepted comma-separated (`?publics=femmes,jeunes`)."""
    cleaned: list[str] = []
    for value in values or []:
        cleaned += [part.strip() for part in str(value).split(",") if part.strip()]
    return list(dict.fromkeys(cleaned))


def _commune_by_code(code: str) -> Commune:
    code = code.strip().upper()
    if not geo.is_valid_insee_commune_code(code):
        raise BadRequest(_("code_commune : code commune INSEE invalide : « %(code)s ».") % {"code": code[:20]})
    commune = Commune.objects.select_related("departement", "epci").filter(pk=code).first()
    if commune is None:
        raise BadRequest(_("code_commune : commune inconnue : « %(code)s ».") % {"code": code})
    return commune


def _commune_by_postcode(postcode: str) -> Commune:
    """The commune a postcode designates; a postcode serving several communes gives the first by
    name (as the search page does): pass code_commune to choose."""
    postcode = postcode.strip()
    if not (len(postcode) == 5 and postcode.isdigit()):
        raise BadRequest(_("code_postal : un code postal a cinq chiffres : « %(code)s ».") % {"code": postcode[:20]})
    commune = (
        with_postcode(Commune.objects.select_related("departement", "epci"), postcode)
        .order_by("name", "insee_code")
        .first()
    )
    if commune is None:
        raise BadRequest(_("code_postal : code postal inconnu : « %(code)s ».") % {"code": postcode})
    return commune


def _service_in_departement(code: str) -> Q:
    """By the service's own INSEE code, else (a service without an address of its own) by its
    structure's."""
    return Q(code_insee__startswith=code) | Q(code_insee="", structure__code_insee__startswith=code)


def _check_departement(code: str) -> str:
    code = code.strip().upper()
    if not Departement.objects.filter(pk=code).exists():
        raise BadRequest(_("departement : département inconnu : « %(code)s ».") % {"code": code[:20]})
    return code


def _vocabulary_check(name: str, enum, values: list[str]) -> None:
    unknown = vocabulary.unknown_values(enum, values)
    if unknown:
        raise BadRequest(
            _("%(name)s : valeur inconnue du vocabulaire data·inclusion : %(values)s.")
            % {"name": name, "values": ", ".join(f"« {value[:80]} »" for value in unknown)}
        )


def services_matching(filters: ServiceFilters) -> QuerySet[Service]:
    """Published services matching the API filters, structure and operator joined, ordered by primary
    key (the keyset order). Raises BadRequest for a parameter that makes no sense."""
    modes = _clean(filters.modes_accueil)
    _vocabulary_check("modes_accueil", vocabulary.MODE_ACCUEIL, modes)
    langues = [code.lower() for code in _clean(filters.langues)]
    unknown_languages = [code for code in langues if code not in KNOWN_LANGUAGE_CODES]
    if unknown_languages:
        raise BadRequest(
            _("langue : code de langue inconnu (ISO 639) : %(values)s.")
            % {"values": ", ".join(f"« {code[:20]} »" for code in unknown_languages)}
        )
    criteria = SearchCriteria(
        thematiques=_clean(filters.thematiques),
        categorie=filters.categorie.strip(),
        publics=_clean(filters.publics),
        type=filters.type.strip(),
        frais=filters.frais.strip(),
        # One mode goes through the search; several are alternatives, filtered below.
        mode_accueil=modes[0] if len(modes) == 1 else "",
        languages=langues,
        free_places_only=filters.places_libres,
        distance_km=filters.distance_km if filters.distance_km is not None else DEFAULT_DISTANCE_KM,
    )
    errors = criteria_errors(criteria)
    if errors:
        name, message = next(iter(errors.items()))
        raise BadRequest(f"{CRITERIA_PARAMETERS.get(name, name)} : {message}")
    if filters.code_commune and filters.code_postal:
        raise BadRequest(_("Indiquez code_commune ou code_postal, pas les deux."))
    if filters.code_commune:
        criteria = criteria_with_commune(criteria, _commune_by_code(filters.code_commune))
    elif filters.code_postal:
        criteria = criteria_with_commune(criteria, _commune_by_postcode(filters.code_postal))
    elif filters.distance_km is not None:
        raise BadRequest(_("distance_km : indiquez aussi code_commune ou code_postal."))

    qs = search_queryset(criteria).select_related("structure", "operator")
    if len(modes) > 1:
        # The same facet tokens the search uses (records.facets_for), as alternatives.
        qs = qs.filter(reduce(operator.or_, (Q(facets__contains=f" ma:{mode} ") for mode in modes)))
    if filters.departement:
        qs = qs.filter(_service_in_departement(_check_departement(filters.departement)))
    if filters.source:
        qs = qs.filter(source=filters.source.strip())
    if filters.date_maj_min is not None:
        qs = qs.filter(date_maj__gte=filters.date_maj_min)
    if criteria.latitude is not None:
        # Around a place, the candidates are few (a bounding box on an index) but scattered over the
        # primary key: asked for `ORDER BY pk LIMIT n`, PostgreSQL would walk the whole key index and
        # test each row. Collect the matching keys first (the index on the point is used), then page
        # through those keys.
        keys = list(qs.order_by().values_list("pk", flat=True))
        return Service.objects.filter(pk__in=keys).select_related("structure", "operator").order_by("pk")
    return qs.order_by("pk")


def structures_matching(
    *, departement: str = "", source: str = "", date_maj_min: dt.date | None = None
) -> QuerySet[Structure]:
    qs = Structure.objects.all()
    if departement:
        qs = qs.filter(code_insee__startswith=_check_departement(departement))
    if source:
        qs = qs.filter(source=source.strip())
    if date_maj_min is not None:
        qs = qs.filter(date_maj__gte=date_maj_min)
    return qs.order_by("pk")


def _one(qs: QuerySet, record_id: str, source: str, not_found: str, kind: str):
    if source:
        qs = qs.filter(source=source)
    rows = list(qs.filter(source_id=record_id)[:2])
    if not rows:
        raise NotFound(not_found)
    if len(rows) > 1:
        raise BadRequest(
            _("Plusieurs %(kind)s portent l'identifiant « %(id)s » : précisez la source (?source=…).")
            % {"kind": kind, "id": record_id[:80]}
        )
    return rows[0]


def published_service(*, record_id: str, source: str = "") -> Service:
    qs = Service.objects.filter(status=ServiceStatus.PUBLISHED).select_related("structure", "operator")
    return _one(qs, record_id, source.strip(), _("Service introuvable."), _("services"))


def structure(*, record_id: str, source: str = "") -> Structure:
    return _one(Structure.objects.all(), record_id, source.strip(), _("Structure introuvable."), _("structures"))
