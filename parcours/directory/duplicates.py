"""Possible duplicates across sources, flagged for an administrator to decide.

- Two structures with the same SIRET from different sources whose names are close (difflib ratio of the
  normalised names ≥ 0.8) or whose normalised address and INSEE code are the same.
- Two services with the same normalised name at the same structure, or at two structures sharing a SIRET
  (from different sources).

Set-based for a national offer (100,000 services): SQL narrows to the SIRETs held by several sources and
to the structures with several services; Python compares only within those small groups. Re-running is
idempotent and never re-creates a pair already flagged, whatever its decision."""

from __future__ import annotations

import difflib
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count

from parcours.territories import geo

from .models import DuplicateCandidate, Service, Structure

NAME_RATIO = 0.8
# A SIRET shared by more records than this is a producer's shortcut (a network's head office given for
# every agency), not a duplicate: comparing every pair would be quadratic for nothing useful.
MAX_GROUP = 200
CHUNK = 5000


@dataclass(frozen=True)
class _StructureRow:
    id: int
    source: str
    siret: str
    name_key: str
    address_key: str
    code_insee: str


def name_ratio(a: str, b: str) -> float:
    """Similarity of two normalised names (0..1)."""
    if a == b:
        return 1.0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    # Cheap upper bounds first: below the threshold, the exact ratio is not needed.
    for bound in (matcher.real_quick_ratio, matcher.quick_ratio):
        value = bound()
        if value < NAME_RATIO:
            return value
    return matcher.ratio()


def structures_look_alike(a: _StructureRow, b: _StructureRow) -> tuple[float, str] | None:
    """(score, French reason) when two structures of one SIRET look like the same one, else None."""
    ratio = name_ratio(a.name_key, b.name_key)
    if ratio >= NAME_RATIO:
        return ratio, f"Même SIRET ({a.siret}) et noms proches ({round(ratio * 100)} %)"
    if a.address_key and a.code_insee and a.address_key == b.address_key and a.code_insee == b.code_insee:
        return ratio, f"Même SIRET ({a.siret}) et même adresse"
    return None


def _shared_sirets():
    """SIRETs held by structures of at least two sources (SQL)."""
    return (
        Structure.objects.exclude(siret="")
        .values("siret")
        .annotate(sources=Count("source", distinct=True))
        .filter(sources__gt=1)
        .values("siret")
    )


def _structure_groups() -> Iterator[list[_StructureRow]]:
    rows = (
        Structure.objects.filter(siret__in=_shared_sirets())
        .order_by("siret", "id")
        .values_list("id", "source", "siret", "nom", "adresse", "code_insee")
    )
    for _siret, group in itertools.groupby(rows.iterator(chunk_size=CHUNK), key=lambda row: row[2]):
        yield [
            _StructureRow(
                id=pk,
                source=source,
                siret=siret,
                name_key=geo.normalise_name(nom),
                address_key=geo.normalise_name(adresse or ""),
                code_insee=code_insee or "",
            )
            for pk, source, siret, nom, adresse, code_insee in group
        ]


def _cross_source_pairs(items: list, source_of) -> Iterable[tuple]:
    if len(items) > MAX_GROUP:
        return ()
    return ((a, b) for a, b in itertools.combinations(items, 2) if source_of(a) != source_of(b))


def structure_pairs() -> dict[tuple[int, int], tuple[float, str]]:
    found: dict[tuple[int, int], tuple[float, str]] = {}
    for group in _structure_groups():
        for a, b in _cross_source_pairs(group, lambda row: row.source):
            alike = structures_look_alike(a, b)
            if alike:
                found[(min(a.id, b.id), max(a.id, b.id))] = alike
    return found


def service_pairs() -> dict[tuple[int, int], tuple[float, str]]:
    found: dict[tuple[int, int], tuple[float, str]] = {}

    # Same normalised name at the same structure: only structures with several services, streamed in
    # structure order so that one structure's services are in memory at a time.
    crowded = Service.objects.values("structure_id").annotate(n=Count("id")).filter(n__gt=1).values("structure_id")
    rows = (
        Service.objects.filter(structure_id__in=crowded)
        .order_by("structure_id", "id")
        .values_list("id", "structure_id", "nom")
    )
    for _structure, group in itertools.groupby(rows.iterator(chunk_size=CHUNK), key=lambda row: row[1]):
        by_name: dict[str, list[int]] = defaultdict(list)
        for pk, _structure_id, nom in group:
            by_name[geo.normalise_name(nom)].append(pk)
        for name, ids in by_name.items():
            if len(ids) > MAX_GROUP:
                continue
            for a, b in itertools.combinations(sorted(ids), 2):
                found[(a, b)] = (1.0, f"Même nom de service (« {name} ») dans la même structure")

    # Same normalised name at two structures sharing a SIRET, from different sources.
    shared_rows = (
        Service.objects.filter(structure__siret__in=_shared_sirets())
        .order_by("structure__siret", "id")
        .values_list("id", "structure__siret", "structure__source", "nom")
    )
    for siret, shared in itertools.groupby(shared_rows.iterator(chunk_size=CHUNK), key=lambda row: row[1]):
        by_name_sources: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for pk, _siret, source, nom in shared:
            by_name_sources[geo.normalise_name(nom)].append((pk, source))
        for name, items in by_name_sources.items():
            for (a, _sa), (b, _sb) in _cross_source_pairs(items, lambda item: item[1]):
                key = (min(a, b), max(a, b))
                found.setdefault(key, (1.0, f"Même nom de service (« {name} ») dans deux structures du SIRET {siret}"))
    return found


def detect_duplicates() -> int:
    """Flag the new possible duplicates; returns how many were created."""
    structures = structure_pairs()
    services = service_pairs()
    known_structures = set(
        DuplicateCandidate.objects.filter(first_structure__isnull=False).values_list(
            "first_structure_id", "second_structure_id"
        )
    )
    known_services = set(
        DuplicateCandidate.objects.filter(first_service__isnull=False).values_list(
            "first_service_id", "second_service_id"
        )
    )
    new = [
        DuplicateCandidate(first_structure_id=a, second_structure_id=b, score=round(score, 3), reason=reason[:300])
        for (a, b), (score, reason) in sorted(structures.items())
        if (a, b) not in known_structures
    ]
    new += [
        DuplicateCandidate(first_service_id=a, second_service_id=b, score=round(score, 3), reason=reason[:300])
        for (a, b), (score, reason) in sorted(services.items())
        if (a, b) not in known_services
    ]
    with transaction.atomic():
        # A concurrent run may have flagged the same pair: the unique constraints keep one.
        DuplicateCandidate.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    return len(new)
