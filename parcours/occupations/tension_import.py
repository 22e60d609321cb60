"""Import of a recruitment tension file: tension % by FAP family (familles professionnelles, DARES),
published on ROME v3 codes, mapped onto the ROME 4.0 sheets of the current release.

Source format (UTF-8, comma-separated, header on the first line):
`fap_code,fap,tension_pct,rome_code,rome_label`, plus an optional `departement` (or
`code_departement`) column: with it, each row is the tension in one département; without it the
file is national (`JobTension.departement` is null).

Mapping of a ROME v3 code onto ROME 4.0: the sheet of the same code (direct) and every sheet whose
`parent_code` is that code (`via_parent`), among the sheets of the current release only. A sheet
reached directly keeps its direct rows only; the parent's rows apply to a sheet that has no direct
row of its own (a 4.0 sheet split from a v3 sheet inherits the v3 tension, never overrides a
figure published for itself). When several FAP rows cover one sheet in one territory, the highest
tension is kept and every FAP is listed. Codes matching no sheet are reported in
`TensionImport.unmatched` and counted, never dropped silently.

The file is read and checked completely before anything is written; any error raises
`TensionFileError` (French messages) and leaves the current import untouched. The replacement is
one transaction: the new import becomes current, the previous one stays as history (with its
report) and its tension rows are deleted.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.occupations.models import JobTension, RomeJob, TensionImport
from parcours.territories.models import Departement

REQUIRED_COLUMNS = ("fap_code", "fap", "tension_pct", "rome_code", "rome_label")
TERRITORY_COLUMNS = ("departement", "code_departement")
MAX_FILE_BYTES = 50 * 1024 * 1024
# Beyond this many faulty rows the report stops listing them (the count is still given).
MAX_LISTED_ERRORS = 20

_ROME_CODE = re.compile(r"[A-N][0-9]{4}")
_ONE_DECIMAL = Decimal("0.1")


NO_MATCH_MESSAGE = (
    "Aucun code ROME du fichier ne correspond à une fiche du référentiel en service : importez d'abord le ROME 4.0."
)


class TensionFileError(Exception):
    """The file cannot be imported; `messages` says why, in French. Nothing was written."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(" ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class _Row:
    fap_code: str
    fap_label: str
    pct: Decimal
    rome_code: str
    rome_label: str
    departement: str | None


@dataclass
class _Cover:
    """The rows reaching one sheet in one territory."""

    source_code: str = ""
    via_parent: bool = False
    rows: list[_Row] = field(default_factory=list)


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise TensionFileError([f"Fichier introuvable : {path}"])
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise TensionFileError([f"Fichier trop volumineux ({size // 1_000_000} Mo ; 50 Mo au plus)."])
    raw = path.read_bytes()
    try:
        # utf-8-sig: a byte-order mark left by a spreadsheet export is not part of the first column name.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TensionFileError(
            [
                f"Le fichier n'est pas encodé en UTF-8 (octet invalide à la position {exc.start}). "
                "Enregistrez-le en « CSV UTF-8 »."
            ]
        ) from None


def _parse_pct(value: str) -> Decimal | None:
    text = value.strip().replace(",", ".")
    if not text:
        return None
    try:
        pct = Decimal(text)
    except InvalidOperation:
        return None
    if not pct.is_finite():
        return None
    return pct


def _departement_code(value: str) -> str:
    code = value.strip().upper()
    # "1" written by a spreadsheet that dropped the leading zero of "01".
    return code.zfill(2) if code.isdigit() and len(code) == 1 else code


def parse_tension_text(text: str) -> tuple[list[_Row], bool]:
    """Check and read the whole file. Returns the rows and whether they are per département."""
    if not text.strip():
        raise TensionFileError(["Le fichier est vide."])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except csv.Error as exc:
        raise TensionFileError([f"Ligne 1 : CSV illisible ({exc})."]) from None
    columns = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise TensionFileError(
            [
                "Colonnes manquantes : "
                + ", ".join(missing)
                + ". Colonnes attendues : "
                + ", ".join(REQUIRED_COLUMNS)
                + " (et, pour des chiffres par département, departement). "
                + "Colonnes trouvées : "
                + (", ".join(name for name in columns if name) or "aucune")
                + "."
            ]
        )
    territory_column = next((name for name in TERRITORY_COLUMNS if name in columns), None)
    index = {name: columns.index(name) for name in (*REQUIRED_COLUMNS, *TERRITORY_COLUMNS) if name in columns}
    known_departements = (
        set(Departement.objects.values_list("code", flat=True)) if territory_column is not None else set()
    )

    rows: list[_Row] = []
    errors: list[str] = []
    error_count = 0

    def fail(line: int, message: str) -> None:
        nonlocal error_count
        error_count += 1
        if len(errors) < MAX_LISTED_ERRORS:
            errors.append(f"Ligne {line} : {message}")

    try:
        for values in reader:
            line = reader.line_num
            if not any(value.strip() for value in values):
                continue
            if len(values) != len(columns):
                fail(line, f"{len(values)} valeurs au lieu de {len(columns)}.")
                continue

            def get(name: str, values: list[str] = values) -> str:
                return values[index[name]].strip()

            rome_code = get("rome_code").upper()
            if not _ROME_CODE.fullmatch(rome_code):
                fail(line, f"code ROME « {get('rome_code')} » invalide (une lettre de A à N et 4 chiffres, ex. J1501).")
                continue
            pct = _parse_pct(get("tension_pct"))
            if pct is None:
                fail(line, f"tension_pct « {get('tension_pct')} » n'est pas un nombre.")
                continue
            if not Decimal(0) <= pct <= Decimal(100):
                fail(line, f"tension_pct {get('tension_pct')} hors de l'intervalle 0 à 100.")
                continue
            fap_code = get("fap_code")
            if not fap_code:
                fail(line, "code FAP (fap_code) vide.")
                continue
            departement: str | None = None
            if territory_column is not None:
                departement = _departement_code(get(territory_column))
                if not departement:
                    fail(line, "département vide.")
                    continue
                if departement not in known_departements:
                    fail(line, f"département « {departement} » inconnu.")
                    continue
            rows.append(
                _Row(
                    fap_code=fap_code,
                    fap_label=get("fap"),
                    pct=pct.quantize(_ONE_DECIMAL, rounding=ROUND_HALF_UP),
                    rome_code=rome_code,
                    rome_label=get("rome_label"),
                    departement=departement,
                )
            )
    except csv.Error as exc:
        fail(reader.line_num, f"CSV illisible ({exc}).")

    if error_count:
        if error_count > len(errors):
            errors.append(f"… et {error_count - len(errors)} autre(s) ligne(s) en erreur.")
        raise TensionFileError(errors)
    if not rows:
        raise TensionFileError(["Le fichier ne contient aucune ligne de données."])
    return rows, territory_column is not None


def _fap_list(rows: list[_Row]) -> list[dict[str, str]]:
    """Every FAP family of the rows once (its highest figure), highest tension first."""
    best: dict[str, _Row] = {}
    for row in rows:
        if row.fap_code not in best or row.pct > best[row.fap_code].pct:
            best[row.fap_code] = row
    ordered = sorted(best.values(), key=lambda row: (-row.pct, row.fap_code))
    return [{"code": row.fap_code, "label": row.fap_label, "pct": str(row.pct)} for row in ordered]


def _map_rows(rows: list[_Row]) -> tuple[dict[tuple[str, str | None], _Cover], list[dict[str, Any]], set[str]]:
    """(sheet, territory) → the rows covering it; the unmatched codes; the matched codes."""
    sheets = set(RomeJob.objects.filter(in_release=True).values_list("code", flat=True))
    children: dict[str, list[str]] = defaultdict(list)
    for code, parent in RomeJob.objects.filter(in_release=True).values_list("code", "parent_code"):
        if parent and parent != code:
            children[parent].append(code)

    direct: dict[tuple[str, str | None], _Cover] = {}
    inherited: dict[tuple[str, str | None], _Cover] = {}
    unmatched: dict[str, dict[str, Any]] = {}
    matched: set[str] = set()
    for row in rows:
        hit = False
        if row.rome_code in sheets:
            cover = direct.setdefault((row.rome_code, row.departement), _Cover(source_code=row.rome_code))
            cover.rows.append(row)
            hit = True
        for child in children.get(row.rome_code, ()):
            cover = inherited.setdefault((child, row.departement), _Cover(source_code=row.rome_code, via_parent=True))
            cover.rows.append(row)
            hit = True
        if hit:
            matched.add(row.rome_code)
        else:
            entry = unmatched.setdefault(row.rome_code, {"code": row.rome_code, "label": row.rome_label, "fap": []})
            if all(fap["code"] != row.fap_code for fap in entry["fap"]):
                entry["fap"].append({"code": row.fap_code, "label": row.fap_label})

    # A sheet with rows of its own ignores its parent's (see the module docstring).
    covers = dict(direct)
    for key, cover in inherited.items():
        covers.setdefault(key, cover)
    return covers, sorted(unmatched.values(), key=lambda entry: entry["code"]), matched


def import_tension_file(path: Path | str, *, user=None) -> TensionImport:
    """Read, check and map a tension file, then make it the current tension import in one
    transaction. Raises `TensionFileError` (nothing written) when the file is not usable."""
    started = time.monotonic()
    path = Path(path)
    rows, per_departement = parse_tension_text(_read_text(path))
    covers, unmatched, matched = _map_rows(rows)
    if not covers:
        # Nothing to map onto (no ROME 4.0 in service, or a file of another nomenclature): keep
        # the current tensions rather than replacing them with none.
        raise TensionFileError([NO_MATCH_MESSAGE])

    direct_sheets = {code for (code, _dep), cover in covers.items() if not cover.via_parent}
    parent_sheets = {code for (code, _dep), cover in covers.items() if cover.via_parent}
    counts: dict[str, Any] = {
        "matched_codes": len(matched),
        "unmatched_codes": len(unmatched),
        "sheets": len(direct_sheets | parent_sheets),
        # A sheet counted once: direct when it is reached directly in at least one territory.
        "direct": len(direct_sheets),
        "via_parent": len(parent_sheets - direct_sheets),
        "tensions": len(covers),
        "scope": "departement" if per_departement else "national",
        "territories": sorted({row.departement for row in rows if row.departement}),
    }

    with transaction.atomic():
        previous = list(TensionImport.objects.select_for_update().filter(is_current=True))
        for old in previous:
            JobTension.objects.filter(tension_import=old).delete()
        TensionImport.objects.filter(pk__in=[old.pk for old in previous]).update(is_current=False)
        tension_import = TensionImport.objects.create(
            source=str(path)[-500:],
            imported_by=user if user is not None and getattr(user, "is_authenticated", False) else None,
            is_current=True,
            rows=len(rows),
            counts=counts,
            unmatched=unmatched,
        )
        JobTension.objects.bulk_create(
            [
                JobTension(
                    tension_import=tension_import,
                    rome_id=code,
                    departement_id=departement,
                    tension_pct=max(row.pct for row in cover.rows),
                    fap=_fap_list(cover.rows),
                    source_code=cover.source_code,
                    via_parent=cover.via_parent,
                )
                for (code, departement), cover in sorted(
                    covers.items(), key=lambda item: (item[0][0], item[0][1] or "")
                )
            ],
            batch_size=1000,
        )
        counts["duration_s"] = round(time.monotonic() - started, 3)
        tension_import.counts = counts
        tension_import.save(update_fields=["counts"])
        audit_log(
            actor=user,
            action=AuditAction.CREATE,
            obj=tension_import,
            reason=f"Import des tensions de recrutement : {len(rows)} lignes, {counts['sheets']} fiches couvertes, "
            f"{len(unmatched)} code(s) non rapproché(s).",
        )
    return tension_import
