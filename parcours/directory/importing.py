"""Import of a data·inclusion v1 dump (JSON list, the API's paginated envelope, or CSV) into the offer.

Three steps, so that a long import survives a crash and shows its progress:

1. `parse_upload` reads the file: its format, its kind (structures or services) and its rows, or an
   `ImportFileError` with a French message when the file as a whole is unusable (nothing is written).
2. `create_run` stores the rows with an `ImportRun` (duplicate ids inside the file are marked there).
3. `process_next_chunk` validates and upserts the next chunk of rows in one transaction that also
   advances `processed_rows`: a crash loses at most the chunk in flight, which the next call redoes.
   Rows are upserted on (source, id), so rerunning a whole file creates nothing twice.

Rows are validated by `records.check_structure` / `records.check_service` (the schema package plus the
territory's codes); a rejected row is listed with its reasons and the valid rows are kept.

What Parcours adds to a service (status, operator, capacity, languages, interpreting) and the
organisation linked to a structure are never overwritten by a re-import: they belong to Parcours,
not to the source. Records absent from a new dump are not deleted (a dump may be partial)."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model, Q
from django.utils import timezone

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.territories.models import Commune

from . import records
from .models import ImportKind, ImportRejection, ImportRun, ImportStatus, Service, ServiceStatus, Structure
from .selectors import territory_reference

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
KINDS = (ImportKind.STRUCTURES.value, ImportKind.SERVICES.value)
LIST_FIELDS = {"structures": records.STRUCTURE_LIST_FIELDS, "services": records.SERVICE_LIST_FIELDS}
INTEGER_FIELDS = ("nombre_semaines",)

# Files that are obviously not a data·inclusion dump, recognised by their first bytes.
_SIGNATURES = (
    (b"%PDF", "un document PDF"),
    (b"\x89PNG", "une image PNG"),
    (b"\xff\xd8\xff", "une image JPEG"),
    (b"GIF8", "une image GIF"),
    (b"PK\x03\x04", "une archive ZIP ou un classeur (Excel, LibreOffice)"),
    (b"\xd0\xcf\x11\xe0", "un document Office"),
    (b"\x1f\x8b", "une archive GZIP"),
)

# Model fields written from the source on every import (the v1 fields). The Parcours-only fields are
# left out on purpose: see the module docstring.
STRUCTURE_IMPORTED_FIELDS = tuple("source_id" if name == "id" else name for name in records.STRUCTURE_FIELDS)
SERVICE_IMPORTED_FIELDS = tuple(
    "source_id" if name == "id" else name for name in records.SERVICE_FIELDS if name != "structure_id"
)
SERVICE_DERIVED_FIELDS = ("structure_id", *records.SEARCH_FIELDS)


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (its message is French and shown as is)."""


@dataclass
class ParsedFile:
    kind: str
    file_format: str
    rows: list[dict[str, Any]]
    filename: str = ""
    # Line (CSV) or record number (JSON) of each row in the file, 1-based.
    lines: list[int] = field(default_factory=list)
    # Row index -> problems found while reading the row (a CSV line with too many cells).
    row_errors: dict[int, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.lines:
            self.lines = list(range(1, len(self.rows) + 1))


# --- reading the file -------------------------------------------------------------------------------


def max_bytes() -> int:
    return int(getattr(settings, "DIRECTORY_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",").removesuffix(",0")


def check_size(size: int) -> None:
    limit = max_bytes()
    if size > limit:
        raise ImportFileError(
            f"Le fichier est trop volumineux ({_megabytes(size)} Mo ; au plus {_megabytes(limit)} Mo). "
            "Découpez-le, par exemple par département."
        )


def parse_upload(content: bytes, filename: str, *, kind: str | None = None) -> ParsedFile:
    """Read a data·inclusion dump. `kind` ("structures" or "services") is detected when not given: a
    record with a `structure_id` is a service."""
    if kind is not None and kind not in KINDS:
        raise ImportFileError(f"Type de contenu inconnu : « {kind} » (attendu : structures ou services).")
    check_size(len(content))
    if not content.strip():
        raise ImportFileError("Le fichier est vide.")
    for signature, description in _SIGNATURES:
        if content.startswith(signature):
            raise ImportFileError(
                f"Ce fichier est {description}, pas un export data·inclusion : déposez un fichier JSON ou CSV."
            )
    if b"\x00" in content[:4096]:
        raise ImportFileError(
            "Ce fichier n'est pas un fichier texte : déposez un export data·inclusion en JSON ou CSV."
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content.count(b"\n", 0, exc.start) + 1
        raise ImportFileError(
            f"Le fichier n'est pas encodé en UTF-8 (caractère invalide à la ligne {line}). Enregistrez-le en UTF-8 "
            "(dans un tableur : « CSV UTF-8 ») puis déposez-le à nouveau."
        ) from None
    stripped = text.lstrip()
    if filename.lower().endswith(".json") or stripped.startswith(("[", "{")):
        rows, file_format = _parse_json(text), "json"
        parsed = ParsedFile(kind="", file_format=file_format, rows=rows, filename=filename)
    else:
        parsed = _parse_csv(text, filename)
    if not parsed.rows:
        raise ImportFileError("Le fichier ne contient aucun enregistrement.")
    if not any(("id" in row or "nom" in row) for row in parsed.rows):
        raise ImportFileError(
            "Ce fichier ne ressemble pas à un export data·inclusion : aucun enregistrement n'a de champ « id » "
            "ni « nom »."
        )
    parsed.kind = _detect_kind(parsed.rows, kind)
    if _MAYBE_UNSTORABLE.search(text):
        _flag_unstorable_characters(parsed)
    if parsed.file_format == "csv":
        _coerce_csv_rows(parsed)
    return parsed


# U+0000 (a NUL character, or its JSON escape) and lone UTF-16 surrogates (JSON escapes only: the UTF-8
# decoder refuses them in raw text) cannot be stored by PostgreSQL, in text as in jsonb. A cheap search
# on the whole text tells whether the rows need walking at all (a valid escaped pair matches too).
_MAYBE_UNSTORABLE = re.compile(r"\x00|\\u0000|\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
UNSTORABLE_MESSAGE = "caractère interdit (caractère nul ou caractère Unicode isolé)"


def _is_unstorable(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _storable(value: Any, path: str, problems: list[str]) -> Any:
    """`value` without the characters PostgreSQL refuses; the field names that had some go to `problems`."""
    if isinstance(value, str):
        if _is_unstorable(value):
            problems.append(path)
            return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
        return value
    if isinstance(value, list):
        return [_storable(item, path, problems) for item in value]
    if isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            key_problems: list[str] = []
            clean_key = _storable(key, "", key_problems)
            name = path or str(clean_key)
            if key_problems:
                problems.append(name)
            cleaned[clean_key] = _storable(item, name, problems)
        return cleaned
    return value


def _flag_unstorable_characters(parsed: ParsedFile) -> None:
    for index, row in enumerate(parsed.rows):
        problems: list[str] = []
        cleaned = _storable(row, "", problems)
        if problems:
            parsed.rows[index] = cleaned
            parsed.row_errors.setdefault(index, []).extend(
                f"{name} : {UNSTORABLE_MESSAGE}" for name in dict.fromkeys(problems)
            )


def _parse_json(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            f"JSON mal formé à la ligne {exc.lineno}, colonne {exc.colno} : vérifiez les virgules, guillemets, "
            "crochets et accolades autour de cet endroit."
        ) from None
    except RecursionError:
        raise ImportFileError("JSON mal formé : imbrication trop profonde.") from None
    if isinstance(data, dict):
        if not isinstance(data.get("items"), list):
            raise ImportFileError(
                "Le JSON doit être une liste d'enregistrements ou la réponse paginée de l'API data·inclusion "
                "(un objet avec une clé « items »)."
            )
        data = data["items"]
    elif not isinstance(data, list):
        raise ImportFileError(
            "Le JSON doit être une liste d'enregistrements ou la réponse paginée de l'API data·inclusion "
            "(un objet avec une clé « items »)."
        )
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise ImportFileError(f"L'enregistrement n° {number} n'est pas un objet JSON ({{ … }}).")
    return data


def _refuse_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity, which are not JSON and which jsonb refuses.
    raise ImportFileError(f"JSON mal formé : « {name} » n'est pas une valeur JSON ; remplacez-la par null.")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ImportFileError(f"JSON mal formé : nombre trop grand : « {text[:40]} ».")
    return number


def _parse_csv(text: str, filename: str) -> ParsedFile:
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        headers = next(reader, None)
        while headers is not None and not any(cell.strip() for cell in headers):
            headers = next(reader, None)
        if headers is None:
            raise ImportFileError("Le fichier est vide.")
        headers = [header.strip() for header in headers]
        if "id" not in headers or "nom" not in headers:
            found = ", ".join(f"« {h} »" for h in headers[:8] if h) or "aucune"
            raise ImportFileError(
                "Ce CSV n'a pas les en-têtes attendus : la première ligne doit nommer les colonnes, dont « id » et "
                f"« nom » (colonnes trouvées : {found})."
            )
        duplicated = sorted({h for h in headers if h and headers.count(h) > 1})
        if duplicated:
            raise ImportFileError(f"Colonnes en double dans l'en-tête du CSV : {', '.join(duplicated)}.")
        rows: list[dict[str, Any]] = []
        lines: list[int] = []
        row_errors: dict[int, list[str]] = {}
        while True:
            line = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                break
            if not any(cell.strip() for cell in cells):
                continue  # a blank line
            if len(cells) > len(headers):
                row_errors[len(rows)] = [
                    f"ligne : {len(cells)} valeurs pour {len(headers)} colonnes (un séparateur en trop, ou un "
                    "texte contenant le séparateur sans guillemets ?)"
                ]
            row = {header: value for header, value in zip(headers, cells, strict=False) if header}
            rows.append(row)
            lines.append(line)
    except csv.Error as exc:
        raise ImportFileError(
            f"CSV mal formé à la ligne {reader.line_num} : {_csv_message(exc)}. Vérifiez les guillemets de cette ligne."
        ) from None
    return ParsedFile(kind="", file_format="csv", rows=rows, filename=filename, lines=lines, row_errors=row_errors)


def _csv_message(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return (
            f"une valeur dépasse la taille maximale d'une cellule ({csv.field_size_limit() // 1024} Ko ; "
            "un guillemet non fermé plus haut ?)"
        )
    if "EOF" in text or "quote" in text:
        return "guillemets non fermés ou mal placés"
    if "NUL" in text or "null" in text.lower():
        return "caractère nul"
    return "ligne illisible"


def _detect_kind(rows: list[dict[str, Any]], kind: str | None) -> str:
    services = sum(1 for row in rows if "structure_id" in row)
    if 0 < services < len(rows):
        raise ImportFileError(
            "Le fichier mélange des structures et des services : importez-les dans deux fichiers séparés, "
            "les structures d'abord."
        )
    detected = "services" if services else "structures"
    if kind is not None and kind != detected:
        found = "des services (ils ont un « structure_id »)" if services else "des structures"
        raise ImportFileError(f"Ce fichier contient {found}, pas des {kind}.")
    return detected


def _coerce_csv_rows(parsed: ParsedFile) -> None:
    """CSV cells are text: empty means null, list fields are comma-separated (or a JSON array), the
    numeric fields are numbers (a decimal comma is accepted)."""
    list_fields = set(LIST_FIELDS[parsed.kind])
    for row in parsed.rows:
        for name, value in list(row.items()):
            if value is None or not value.strip():
                row[name] = None
            elif name in list_fields:
                row[name] = _csv_list(value)
            elif name in records.NULLABLE_NUMBERS:
                row[name] = _csv_number(value, integer=name in INTEGER_FIELDS)


def _csv_list(value: str) -> Any:
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return value  # the schema then says "liste attendue"
    return [part.strip() for part in text.split(",") if part.strip()]


def _csv_number(value: str, *, integer: bool) -> Any:
    text = value.strip().replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return value  # the schema then says "nombre attendu"
    if integer and number.is_integer():
        return int(number)
    return number


# --- the run ----------------------------------------------------------------------------------------


def _identity(record: Mapping[str, Any], default_source: str) -> tuple[str, str] | None:
    record_id = record.get("id")
    if record_id in (None, ""):
        return None
    return (str(record.get("source") or default_source), str(record_id))


def create_run(*, parsed: ParsedFile, source: str = "", user=None) -> ImportRun:
    """Store the parsed rows with a new run (nothing imported yet). A later occurrence of an id already
    seen in the file is marked rejected here, so that the rule holds across chunks."""
    seen: dict[tuple[str, str], int] = {}
    entries: list[dict[str, Any]] = []
    for index, (line, record) in enumerate(zip(parsed.lines, parsed.rows, strict=True)):
        entry: dict[str, Any] = {"line": line, "record": record}
        errors = list(parsed.row_errors.get(index, []))
        key = _identity(record, source)
        if key is not None:
            if key in seen:
                errors.append(f"id : identifiant en double dans le fichier (déjà vu ligne {seen[key]})")
            else:
                seen[key] = line
        if errors:
            entry["errors"] = errors
        entries.append(entry)
    return ImportRun.objects.create(
        kind=parsed.kind,
        source=source,
        filename=(parsed.filename or "")[:255],
        file_format=parsed.file_format,
        rows=entries,
        total_rows=len(entries),
        started_by=user if user is not None and getattr(user, "is_authenticated", False) else None,
    )


def _load_entries(run_id: int) -> list[dict[str, Any]]:
    return ImportRun.objects.values_list("rows", flat=True).get(pk=run_id)


def process_next_chunk(run_id: int, *, chunk_size: int = 500, entries: list[dict[str, Any]] | None = None) -> ImportRun:
    """Validate and upsert the next `chunk_size` rows of a run, in one transaction with the progress.
    `entries` (the run's rows, already read) spares reading them again on each chunk of a loop.

    On an unexpected error the chunk is rolled back (no row half-written, `processed_rows` unchanged),
    the run is marked failed with the error, and the error is raised again: calling this function again
    retries the same chunk."""
    if entries is None:
        entries = _load_entries(run_id)
    try:
        with transaction.atomic():
            run = ImportRun.objects.select_for_update().defer("rows").get(pk=run_id)
            if run.status == ImportStatus.DONE:
                return run
            chunk = entries[run.processed_rows : run.processed_rows + max(1, chunk_size)]
            outcome = _import_chunk(run, chunk)
            run.processed_rows += len(chunk)
            run.created_count += outcome.created
            run.updated_count += outcome.updated
            run.unchanged_count += outcome.unchanged
            run.rejected_count += len(outcome.rejections)
            ImportRejection.objects.bulk_create(outcome.rejections, batch_size=1000)
            run.error = ""
            if run.processed_rows >= run.total_rows:
                run.status = ImportStatus.DONE
                run.finished_at = timezone.now()
                _audit(run)
            else:
                run.status = ImportStatus.RUNNING
            run.save(
                update_fields=[
                    "processed_rows",
                    "created_count",
                    "updated_count",
                    "unchanged_count",
                    "rejected_count",
                    "status",
                    "error",
                    "finished_at",
                ]
            )
            return run
    except Exception as exc:
        ImportRun.objects.filter(pk=run_id).exclude(status=ImportStatus.DONE).update(
            status=ImportStatus.FAILED, error=f"{type(exc).__name__} : {exc}"[:2000]
        )
        raise


def run_to_completion(
    run: ImportRun,
    *,
    chunk_size: int = 500,
    progress: Callable[[ImportRun], None] | None = None,
    deadline: float | None = None,
    entries: list[dict[str, Any]] | None = None,
) -> ImportRun:
    """Process chunks until the run is done (or, with `deadline`, a `time.monotonic()` value, until that
    moment has passed: a web request processes what fits in a few seconds). `entries`: the run's rows
    when the caller holds them already (just stored), else they are read once."""
    if entries is None:
        entries = _load_entries(run.pk)
    while run.status != ImportStatus.DONE:
        run = process_next_chunk(run.pk, chunk_size=chunk_size, entries=entries)
        if progress is not None:
            progress(run)
        if deadline is not None and time.monotonic() >= deadline:
            break
    return run


def import_records(
    records_: Iterable[Mapping[str, Any]], *, kind: str, source: str = "", user=None, chunk_size: int = 1000
) -> ImportRun:
    """Import v1 records given as Python dicts (the demo, the benchmark): a run like a file's."""
    rows = [dict(record) for record in records_]
    if kind not in KINDS:
        raise ImportFileError(f"Type de contenu inconnu : « {kind} » (attendu : structures ou services).")
    parsed = ParsedFile(kind=kind, file_format="python", rows=rows, filename=f"{kind} ({source or 'sans source'})")
    run = create_run(parsed=parsed, source=source, user=user)
    return run_to_completion(run, chunk_size=chunk_size, entries=run.rows)


def _audit(run: ImportRun) -> None:
    audit_log(
        actor=run.started_by,
        action=AuditAction.UPDATE,
        obj=run,
        object_type="directory.importrun",
        fields=[run.kind],
        reason=(
            f"Import {run.get_kind_display().lower()} « {run.filename} » : {run.created_count} créé(s), "
            f"{run.updated_count} mis à jour, {run.unchanged_count} inchangé(s), {run.rejected_count} rejeté(s)"
        )[:500],
    )


# --- one chunk --------------------------------------------------------------------------------------


@dataclass
class _Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejections: list[ImportRejection] = field(default_factory=list)


def _max_lengths(model: type[Model]) -> dict[str, int]:
    lengths = {}
    for f in model._meta.concrete_fields:
        limit = getattr(f, "max_length", None)
        if limit and not f.is_relation:
            lengths[f.name] = limit
    return lengths


_MAX_LENGTHS = {"structures": _max_lengths(Structure), "services": _max_lengths(Service)}


def _database_checks(fields: Mapping[str, Any], kind: str) -> list[str]:
    """What the database would refuse and the schema lets through (lengths, the services' check
    constraints): caught here, one row at a time, so that one bad row never fails its whole chunk."""
    errors = []
    for name, limit in _MAX_LENGTHS[kind].items():
        value = fields.get(name)
        if isinstance(value, str) and len(value) > limit:
            errors.append(f"{'id' if name == 'source_id' else name} : texte trop long ({limit} caractères au plus)")
    for name in ("longitude", "latitude", "volume_horaire_hebdomadaire"):
        value = fields.get(name)
        if isinstance(value, float) and not math.isfinite(value):
            errors.append(f"{name} : nombre attendu")
    volume = fields.get("volume_horaire_hebdomadaire")
    if isinstance(volume, int | float) and volume < 0:
        errors.append("volume_horaire_hebdomadaire : ne peut pas être négatif")
    weeks = fields.get("nombre_semaines")
    if isinstance(weeks, int) and weeks < 1:
        errors.append("nombre_semaines : au moins 1 semaine")
    elif isinstance(weeks, int) and weeks > 2_147_483_647:
        errors.append("nombre_semaines : valeur trop grande")
    return errors


def _reference_for(checked_raw: Iterable[Mapping[str, Any]]) -> tuple[records.Reference, dict[str, tuple]]:
    """The territory's codes the rows of a chunk use, and the centres of their communes."""
    codes: set[str] = set()
    for raw in checked_raw:
        code = raw.get("code_insee")
        if isinstance(code, str) and code:
            codes.add(code)
        zone = raw.get("zone_eligibilite")
        if isinstance(zone, list):
            codes.update(code for code in zone if isinstance(code, str))
    return territory_reference(codes)


def _by_keys(model: Any, keys: Iterable[tuple[str, str]], fields: Iterable[str]) -> dict[tuple[str, str], dict]:
    """Existing rows for (source, source_id) keys, grouped by source (usually one) to keep `IN` lists."""
    by_source: dict[str, list[str]] = {}
    for source, source_id in keys:
        by_source.setdefault(source, []).append(source_id)
    if not by_source:
        return {}
    condition = Q()
    for source, ids in by_source.items():
        condition |= Q(source=source, source_id__in=ids)
    return {(row["source"], row["source_id"]): row for row in model.objects.filter(condition).values(*fields)}


def _import_chunk(run: ImportRun, chunk: list[dict[str, Any]]) -> _Outcome:
    outcome = _Outcome()
    kind = run.kind
    raws: list[tuple[int, dict[str, Any]]] = []
    for entry in chunk:
        record = dict(entry["record"])
        if run.source and not record.get("source"):
            record["source"] = run.source
        if entry.get("errors"):
            outcome.rejections.append(_rejection(run, entry["line"], record, entry["errors"]))
        else:
            raws.append((entry["line"], record))
    reference, commune_points = _reference_for(raw for _line, raw in raws)
    check = records.check_service if kind == ImportKind.SERVICES else records.check_structure
    valid: list[tuple[int, dict[str, Any], records.Checked]] = []
    for line, raw in raws:
        checked = check(raw, reference)
        if checked.ok:
            checked.errors = _database_checks(checked.fields, kind)
        if checked.ok:
            valid.append((line, raw, checked))
        else:
            outcome.rejections.append(_rejection(run, line, raw, checked.errors))
    if kind == ImportKind.SERVICES:
        _upsert_services(run, valid, commune_points, outcome)
    else:
        _upsert_structures(valid, outcome)
    return outcome


def _rejection(run: ImportRun, line: int, record: Mapping[str, Any], reasons: list[str]) -> ImportRejection:
    record_id = record.get("id") if isinstance(record, Mapping) else None
    return ImportRejection(
        run=run, row_number=line, record_id=str(record_id or "")[:255], reasons=list(reasons) or ["invalide"]
    )


def _upsert_structures(valid: list[tuple[int, dict, records.Checked]], outcome: _Outcome) -> None:
    fields = STRUCTURE_IMPORTED_FIELDS
    existing = _by_keys(
        Structure, ((c.fields["source"], c.fields["source_id"]) for _l, _r, c in valid), ("id", *fields)
    )
    to_write: list[Structure] = []
    moved: list[int] = []  # existing structures whose coordinates change
    for _line, _raw, checked in valid:
        key = (checked.fields["source"], checked.fields["source_id"])
        before = existing.get(key)
        if before is None:
            outcome.created += 1
        elif all(before[name] == checked.fields[name] for name in fields):
            outcome.unchanged += 1
            continue
        else:
            outcome.updated += 1
            if (before["latitude"], before["longitude"]) != (checked.fields["latitude"], checked.fields["longitude"]):
                moved.append(before["id"])
        to_write.append(Structure(**checked.fields))
    _bulk_upsert(Structure, to_write, [name for name in fields if name not in ("source", "source_id")])
    if moved:
        _refresh_points_of_structures(moved)


def _refresh_points_of_structures(structure_ids: list[int]) -> None:
    """Services without their own coordinates are placed at their structure: follow it when it moves."""
    structures = {s.pk: s for s in Structure.objects.filter(pk__in=structure_ids).only("latitude", "longitude")}
    services = list(
        Service.objects.filter(structure_id__in=structure_ids, latitude__isnull=True).only(
            "structure_id", "code_insee", "latitude", "longitude", "point_latitude", "point_longitude"
        )
    )
    points = dict(
        (
            (code, (lat, lon))
            for code, lat, lon in Commune.objects.filter(
                insee_code__in={s.code_insee for s in services if s.code_insee}
            ).values_list("insee_code", "latitude", "longitude")
        )
    )
    for service in services:
        structure = structures[service.structure_id]
        if structure.latitude is not None and structure.longitude is not None:
            service.point_latitude, service.point_longitude = structure.latitude, structure.longitude
        else:
            service.point_latitude, service.point_longitude = points.get(service.code_insee, (None, None))
    Service.objects.bulk_update(services, ["point_latitude", "point_longitude"], batch_size=1000)


class _StructurePoint:
    __slots__ = ("pk", "latitude", "longitude")

    def __init__(self, pk: int, latitude: float | None, longitude: float | None) -> None:
        self.pk, self.latitude, self.longitude = pk, latitude, longitude


def _upsert_services(
    run: ImportRun,
    valid: list[tuple[int, dict, records.Checked]],
    commune_points: dict[str, tuple],
    outcome: _Outcome,
) -> None:
    structure_keys = {(c.fields["source"], c.structure_id) for _l, _r, c in valid}
    structures = {
        key: _StructurePoint(row["id"], row["latitude"], row["longitude"])
        for key, row in _by_keys(
            Structure, structure_keys, ("id", "source", "source_id", "latitude", "longitude")
        ).items()
    }
    compared = (*SERVICE_IMPORTED_FIELDS, *SERVICE_DERIVED_FIELDS)
    existing = _by_keys(
        Service, ((c.fields["source"], c.fields["source_id"]) for _l, _r, c in valid), (*compared, "languages")
    )
    to_write: list[Service] = []
    for line, raw, checked in valid:
        structure = structures.get((checked.fields["source"], checked.structure_id))
        if structure is None:
            outcome.rejections.append(
                _rejection(
                    run,
                    line,
                    raw,
                    [
                        f"structure_id : aucune structure « {checked.structure_id[:80]} » dans la source "
                        f"« {checked.fields['source'][:64]} » (importez d'abord ses structures)"
                    ],
                )
            )
            continue
        key = (checked.fields["source"], checked.fields["source_id"])
        before = existing.get(key)
        service = Service(**checked.fields, structure_id=structure.pk, status=ServiceStatus.PUBLISHED)
        # The facets include the languages, which Parcours keeps: those of the existing service.
        service.languages = list(before["languages"] or []) if before is not None else []
        records.refresh_search_fields(service, structure, commune_points.get(service.code_insee))
        if before is None:
            outcome.created += 1
        elif all(before[name] == getattr(service, name) for name in compared):
            outcome.unchanged += 1
            continue
        else:
            outcome.updated += 1
        to_write.append(service)
    update_fields = [name for name in compared if name not in ("source", "source_id")]
    _bulk_upsert(Service, to_write, update_fields)


def _bulk_upsert(model: Any, objs: Sequence[Model], update_fields: list[str]) -> None:
    """INSERT … ON CONFLICT (source, source_id) DO UPDATE. On PostgreSQL the rows travel by COPY into a
    temporary table first (Django's multi-row INSERT spends most of its time preparing parameters);
    elsewhere (the demo's SQLite) through bulk_create."""
    if not objs:
        return
    if connection.vendor == "postgresql":
        _copy_upsert(model, objs, [*update_fields, "updated_at"])
    else:
        model.objects.bulk_create(
            objs,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["source", "source_id"],
            update_fields=[*update_fields, "updated_at"],
        )


def _copy_upsert(model: Any, objs: Sequence[Model], update_fields: list[str]) -> None:
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    table = connection.ops.quote_name(model._meta.db_table)
    staging = connection.ops.quote_name(f"staging_{model._meta.db_table}")
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    by_name = {field.name: field for field in fields} | {field.attname: field for field in fields}
    assignments = ", ".join(
        f"{connection.ops.quote_name(by_name[name].column)} = EXCLUDED.{connection.ops.quote_name(by_name[name].column)}"
        for name in update_fields
    )
    json_columns = {field.column for field in fields if field.get_internal_type() == "JSONField"}
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} AS SELECT {columns} FROM {table} WITH NO DATA")
        cursor.execute(f"TRUNCATE {staging}")
        # psycopg's COPY adapts Python values itself (in C); JSON goes as text into jsonb columns.
        with cursor.cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                row = []
                for field in fields:
                    value = (
                        field.pre_save(obj, add=True)
                        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
                        else getattr(obj, field.attname)
                    )
                    if field.column in json_columns:
                        value = json.dumps(value, ensure_ascii=False)
                    row.append(value)
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging} "
            f"ON CONFLICT (source, source_id) DO UPDATE SET {assignments}"
        )
        cursor.execute(f"TRUNCATE {staging}")


# --- reporting --------------------------------------------------------------------------------------


def thousands(number: int) -> str:
    """French digit grouping with a plain space: 10000 -> "10 000"."""
    return f"{number:,}".replace(",", " ")


def percent(run: ImportRun) -> int:
    if not run.total_rows:
        return 100
    return int(100 * run.processed_rows / run.total_rows)


def progress_bar(done: int, total: int, *, width: int = 20) -> str:
    """ "[##########----------] 50 % 5 000/10 000" (plain text, for a terminal)."""
    share = done / total if total else 1.0
    filled = min(width, int(share * width))
    return f"[{'#' * filled}{'-' * (width - filled)}] {int(share * 100)} % {thousands(done)}/{thousands(total)}"


def summary(run: ImportRun) -> str:
    kind = "services" if run.kind == ImportKind.SERVICES else "structures"
    text = (
        f"{thousands(run.processed_rows)} ligne(s) traitée(s) sur {thousands(run.total_rows)} ({kind}) : "
        f"{thousands(run.created_count)} créée(s), {thousands(run.updated_count)} mise(s) à jour, "
        f"{thousands(run.unchanged_count)} inchangée(s), {thousands(run.rejected_count)} rejetée(s)."
    )
    return text
