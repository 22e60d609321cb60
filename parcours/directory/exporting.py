"""Export of the territory's offer in the data·inclusion v1 shape, as JSON (a list) or CSV (the
conventions `importing.parse_upload` reads: list fields as comma-separated values in the cell, empty
cell for null), so that an export imports back unchanged.

Only published services are exported unless told otherwise: drafts and archived services are not part
of the public offer. Rows are read with `.iterator()` and the text produced piece by piece
(`iter_json`, `iter_csv`), so that a whole-country export streams without holding it in memory."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import F, Q, QuerySet

from . import records
from .models import Service, ServiceStatus, Structure

CHUNK_SIZE = 2000


def _in_departement(departement: str, prefix: str = "") -> Q:
    """A commune code belongs to its département by its first two (or three, overseas) characters:
    `geo.departement_of_insee`. A record without a code INSEE is placed by its structure."""
    return Q(**{f"{prefix}code_insee__startswith": departement})


def services_queryset(*, departement: str | None = None, include_unpublished: bool = False) -> QuerySet[Service]:
    qs = Service.objects.all()
    if not include_unpublished:
        qs = qs.filter(status=ServiceStatus.PUBLISHED)
    if departement:
        qs = qs.filter(_in_departement(departement) | (Q(code_insee="") & _in_departement(departement, "structure__")))
    return qs.annotate(structure_source_id=F("structure__source_id")).order_by("source", "source_id")


def structures_queryset(*, departement: str | None = None, include_unpublished: bool = False) -> QuerySet[Structure]:
    qs = Structure.objects.all()
    if departement:
        services = services_queryset(departement=departement, include_unpublished=include_unpublished)
        qs = qs.filter(_in_departement(departement) | Q(pk__in=services.values("structure_id")))
    return qs.order_by("source", "source_id")


def export_records(
    *, kind: str, departement: str | None = None, include_unpublished: bool = False
) -> Iterator[dict[str, Any]]:
    """The v1 dicts of the offer: services (published, unless `include_unpublished`), or structures (all of
    them; with a département, those located there and those carrying a service exported for it)."""
    if kind == "services":
        for service in services_queryset(departement=departement, include_unpublished=include_unpublished).iterator(
            chunk_size=CHUNK_SIZE
        ):
            yield records.service_to_v1(service, service.structure_source_id)  # type: ignore[attr-defined]
    elif kind == "structures":
        for structure in structures_queryset(departement=departement, include_unpublished=include_unpublished).iterator(
            chunk_size=CHUNK_SIZE
        ):
            yield records.structure_to_v1(structure)
    else:
        raise ValueError(f"Type d'export inconnu : {kind!r} (attendu : structures ou services)")


def iter_json(records_: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A JSON list, one record per line."""
    first = True
    yield "["
    for record in records_:
        yield ("\n" if first else ",\n") + json.dumps(record, ensure_ascii=False)
        first = False
    yield "\n]\n" if not first else "]\n"


def to_json(records_: Iterable[dict[str, Any]]) -> str:
    return "".join(iter_json(records_))


def csv_columns(kind: str) -> tuple[str, ...]:
    return records.SERVICE_FIELDS if kind == "services" else records.STRUCTURE_FIELDS


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple | set):
        # Vocabulary codes and zone codes never contain a comma: the importer splits on it.
        return ",".join(str(item) for item in value)
    return str(value)


def iter_csv(records_: Iterable[dict[str, Any]], kind: str) -> Iterator[str]:
    """CSV with a header line, comma-separated, in the v1 field order."""
    columns = csv_columns(kind)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for record in records_:
        writer.writerow([_cell(record.get(name)) for name in columns])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def to_csv(records_: Iterable[dict[str, Any]], kind: str) -> str:
    return "".join(iter_csv(records_, kind))
