"""Reads of the offer: the search (filters, zone d'éligibilité, distance, order) in SQL only, and
the one-service read scoped to what the reader may see.

Filters are `LIKE '% token %'` on `Service.facets` (see records.facets_for), so the same SQL runs on
PostgreSQL and SQLite. The distance is the great-circle one (spherical law of cosines) computed in
SQL after a bounding-box pre-filter on the indexed effective point."""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce

from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import ACos, Cos, Greatest, Least, Radians, Sin
from django.http import Http404
from django.utils.translation import gettext as _

from parcours.organisations.models import Membership
from parcours.territories import geo
from parcours.territories.models import Commune, Departement, Epci
from parcours.territories.selectors import zone_codes_for_commune

from . import records
from .models import Service, ServiceStatus
from .search import ALL_PUBLICS, NO_ZONE, SearchCriteria, reasons_for
from .vocabulary import NATIONAL_ZONE_CODES


@dataclass
class SearchResult:
    service: Service
    distance_km: float | None
    reasons: list[str] = field(default_factory=list)


def _token(prefix: str, code: str) -> Q:
    return Q(facets__contains=f" {prefix}:{code} ")


def _any_token(prefix: str, codes: list[str]) -> Q:
    """One of the codes (OR); codes are never empty here."""
    return reduce(operator.or_, (_token(prefix, code) for code in codes))


def _distance_km_expression(latitude: float, longitude: float) -> CombinedExpression:
    """Great-circle distance from (latitude, longitude) to the service's effective point, in km.
    The acos argument is clamped to [-1, 1]: rounding can push it a hair above 1 for a point at
    the search origin, and acos(1.0000000002) is an error on PostgreSQL."""
    lat = Radians(Value(latitude, output_field=FloatField()))
    lon = Radians(Value(longitude, output_field=FloatField()))
    point_lat = Radians(F("point_latitude"))
    point_lon = Radians(F("point_longitude"))
    cosine = Sin(lat) * Sin(point_lat) + Cos(lat) * Cos(point_lat) * Cos(point_lon - lon)
    clamped = Greatest(Value(-1.0), Least(Value(1.0), cosine, output_field=FloatField()), output_field=FloatField())
    return ACos(clamped) * Value(geo.EARTH_RADIUS_KM)


def _vocabulary_filters(criteria: SearchCriteria) -> Q:
    condition = Q()
    thematiques = [f" th:{code} " for code in criteria.thematique_codes] + [
        f" cat:{code} " for code in criteria.category_codes
    ]
    if thematiques:
        condition &= reduce(operator.or_, (Q(facets__contains=token) for token in thematiques))
    if criteria.categorie:
        condition &= _token("cat", criteria.categorie)
    if criteria.publics:
        condition &= _any_token("pu", list(dict.fromkeys([*criteria.publics, ALL_PUBLICS])))
    if criteria.type:
        condition &= _token("ty", criteria.type)
    if criteria.frais:
        condition &= _token("fr", criteria.frais)
    if criteria.mode_accueil:
        condition &= _token("ma", criteria.mode_accueil)
    if criteria.languages:
        condition &= _any_token("la", criteria.languages) | Q(interpreting=True)
    if criteria.free_places_only:
        condition &= Q(places_free__gt=0)
    return condition


def _zone_filter(zone_codes: list[str]) -> Q:
    """Open to someone living in these zones: no zone declared, a national zone, or one of them."""
    codes = [NO_ZONE, *sorted(NATIONAL_ZONE_CODES), *zone_codes]
    return _any_token("z", list(dict.fromkeys(codes)))


def search_queryset(criteria: SearchCriteria) -> QuerySet[Service]:
    """Published services matching the criteria, with `structure` joined and `distance_km`
    annotated (the great-circle distance when the service lies within the search radius; NULL for a
    service kept only because it is delivered remotely, or when no location is given). Ordered by
    distance (NULL last), then name and id; callers with their own ordering call `.order_by()`.
    The criteria are expected sane (see search.criteria_errors)."""
    qs = Service.objects.filter(status=ServiceStatus.PUBLISHED).select_related("structure")
    qs = qs.filter(_vocabulary_filters(criteria))
    if criteria.zone_codes:
        qs = qs.filter(_zone_filter(criteria.zone_codes))
    if criteria.latitude is not None and criteria.longitude is not None:
        km = float(criteria.distance_km)
        min_lat, max_lat, min_lon, max_lon = geo.bounding_box(criteria.latitude, criteria.longitude, km)
        near = Q(
            point_latitude__gte=min_lat,
            point_latitude__lte=max_lat,
            point_longitude__gte=min_lon,
            point_longitude__lte=max_lon,
            raw_distance_km__lte=km,
        )
        qs = qs.alias(raw_distance_km=_distance_km_expression(criteria.latitude, criteria.longitude))
        kept = near | Q(remote=True) if criteria.include_remote else near
        qs = qs.filter(kept).annotate(
            distance_km=Case(When(near, then=F("raw_distance_km")), default=Value(None), output_field=FloatField())
        )
    else:
        qs = qs.annotate(distance_km=Value(None, output_field=FloatField()))
    return qs.order_by(F("distance_km").asc(nulls_last=True), "nom", "pk")


def criteria_with_commune(criteria: SearchCriteria, commune: Commune) -> SearchCriteria:
    """The criteria located at this commune: its point, and the zone codes a service may use to
    cover it with their names. The région code is left out: 2-digit région codes collide with
    département codes, and data·inclusion writes a région zone as its départements."""
    departement = commune.departement
    codes = set(zone_codes_for_commune(commune))
    codes.discard(departement.region_code)
    codes -= NATIONAL_ZONE_CODES
    codes.add(commune.departement_id)
    labels = {commune.insee_code: commune.name, departement.code: departement.name}
    if commune.epci_id and commune.epci is not None:
        labels[commune.epci_id] = commune.epci.name
    return dataclasses.replace(
        criteria,
        commune=commune.insee_code,
        commune_name=commune.name,
        latitude=commune.latitude,
        longitude=commune.longitude,
        zone_codes=sorted(codes),
        zone_labels=labels,
    )


def describe(services: Iterable[Service], criteria: SearchCriteria) -> list[SearchResult]:
    """Search results for services read from search_queryset: their distance and reasons."""
    results = []
    for service in services:
        distance = getattr(service, "distance_km", None)
        results.append(
            SearchResult(service=service, distance_km=distance, reasons=reasons_for(service, criteria, distance))
        )
    return results


def search_services(criteria: SearchCriteria, *, limit: int = 20, offset: int = 0) -> tuple[list[SearchResult], int]:
    """One page of results with the reason each one matches, and the total count (two queries)."""
    qs = search_queryset(criteria)
    total = qs.count()
    services = list(qs[offset : offset + limit]) if total > offset else []
    return describe(services, criteria), total


def zone_names(codes: Iterable[str]) -> list[str]:
    """Readable names of a zone d'éligibilité ("Loire-Atlantique (44)", "Rezé (44143)", "toute la
    France"), in the order given; an unknown code is shown as is. Three queries at most."""
    codes = list(codes)
    communes = {c.insee_code: c.name for c in Commune.objects.filter(insee_code__in=[c for c in codes if len(c) == 5])}
    departements = {d.code: d.name for d in Departement.objects.filter(code__in=[c for c in codes if len(c) in (2, 3)])}
    epcis = {e.code: e.name for e in Epci.objects.filter(code__in=[c for c in codes if len(c) == 9])}
    names = []
    for code in codes:
        if code in NATIONAL_ZONE_CODES:
            names.append(str(_("toute la France")))
        else:
            name = communes.get(code) or departements.get(code) or epcis.get(code)
            names.append(f"{name} ({code})" if name else code)
    return names


def visible_service(*, pk: int, membership: Membership | None, with_archived: bool = False) -> Service:
    """A published service, or a draft or archived one that the reader's organisation operates;
    404 otherwise (the same answer as for a service that does not exist). `with_archived` also
    returns anyone's archived service, for a page that must say why it can no longer be used."""
    statuses = [ServiceStatus.PUBLISHED, ServiceStatus.ARCHIVED] if with_archived else [ServiceStatus.PUBLISHED]
    condition = Q(status__in=statuses)
    if membership is not None:
        condition |= Q(operator_id=membership.organisation_id)
    service = (
        Service.objects.filter(condition, pk=pk)
        .select_related("structure", "structure__organisation", "operator")
        .first()
    )
    if service is None:
        raise Http404("Service introuvable.")
    return service


def territory_reference(codes: Iterable[str]) -> tuple[records.Reference, dict[str, tuple[float | None, float | None]]]:
    """What the record checks need to know about these INSEE codes, and the centres of the
    communes among them (for services without coordinates), in three small queries whatever the size
    of the commune table: only the codes at hand are looked up."""
    codes = {code for code in codes if code}
    commune_codes = {code for code in codes if len(code) == 5}
    departements = {geo.departement_of_insee(c) for c in commune_codes if geo.is_valid_insee_commune_code(c)}
    points = {
        code: (lat, lon)
        for code, lat, lon in Commune.objects.filter(insee_code__in=commune_codes).values_list(
            "insee_code", "latitude", "longitude"
        )
    }
    reference = records.Reference(
        commune_codes=frozenset(points),
        departement_codes=frozenset(Departement.objects.values_list("code", flat=True)),
        loaded_departements=frozenset(
            # order_by(): the model's default ordering by name would otherwise enter the DISTINCT.
            Commune.objects.filter(departement_id__in=departements)
            .order_by()
            .values_list("departement_id", flat=True)
            .distinct()
        ),
    )
    return reference, points
