"""Importers of the geographic referentials: La Poste's postcode file (communes, postcodes, a
point) and INSEE's EPCI composition file.

Each importer has a pure parser (text lines in, plain dicts and French error messages out) and a
database loader that upserts in bulk, atomically, and writes one audit entry."""

import csv
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from django.db import transaction

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log

from . import geo
from .models import Commune, Departement, Epci, Region

DATA_DIR = Path(__file__).resolve().parent / "data"

# Files above this size are refused before being read: the whole of France is about 2 MB.
MAX_FILE_BYTES = 50 * 1024 * 1024

# INSEE's composition file marks the few communes that belong to no EPCI (some islands) this way.
NO_EPCI = "ZZZZZZZZZ"

_BATCH = 1000


class WrongFileKind(ValueError):
    """The file is not the expected kind (missing columns): nothing must be imported."""


class ParsedCommune(TypedDict):
    name: str
    postcodes: list[str]
    latitude: float | None
    longitude: float | None
    departement: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # outside the requested départements, or absent from the database (EPCI)
    rejected: list[str] = field(default_factory=list)
    rejected_count: int = 0  # communes (not messages) rejected by the loader
    notes: list[str] = field(default_factory=list)  # informative, not errors

    def summary(self) -> str:
        return (
            f"{self.created} créée(s), {self.updated} mise(s) à jour, {self.unchanged} inchangée(s), "
            f"{self.skipped} ignorée(s), {self.rejected_count} rejetée(s)"
        )


# --- reading files ---------------------------------------------------------------------------


def read_lines(path: Path) -> list[str]:
    """The file's lines, decoded as UTF-8 (with or without BOM) or, failing that, Windows-1252 —
    the encoding of La Poste's older exports."""
    if not path.is_file():
        raise WrongFileKind(f"Fichier introuvable : {path}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise WrongFileKind(f"Fichier trop volumineux (plus de {MAX_FILE_BYTES // (1024 * 1024)} Mo) : {path}")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return text.splitlines()


def _header_key(name: str) -> str:
    return geo.normalise_name(name.lstrip("\ufeff#")).replace(" ", "_")


def _columns(header: list[str], wanted: Mapping[str, tuple[str, ...]], optional: Iterable[str] = ()) -> dict[str, int]:
    """Index of each wanted column, accepting the aliases of each (case and accents ignored)."""
    keys = [_header_key(name) for name in header]
    found: dict[str, int] = {}
    for column, aliases in wanted.items():
        for alias in aliases:
            if alias in keys:
                found[column] = keys.index(alias)
                break
    missing = [column for column in wanted if column not in found and column not in set(optional)]
    if missing:
        raise WrongFileKind(
            "Ce fichier n'a pas le format attendu : colonne(s) manquante(s) "
            + ", ".join(wanted[column][0] for column in missing)
            + f". En-tête lu : {';'.join(header)[:200]}"
        )
    return found


# --- La Poste postcode file ------------------------------------------------------------------

_LAPOSTE_COLUMNS = {
    "insee": ("code_commune_insee",),
    "name": ("nom_commune", "nom_de_la_commune"),
    "postcode": ("code_postal",),
    "gps": ("coordonnees_gps", "coordonnees_geographiques"),
}


def _parse_point(text: str) -> tuple[float, float]:
    lat_text, lon_text = text.split(",")
    return float(lat_text), float(lon_text)


def _insee_problem(insee: str) -> str:
    if len(insee) == 5 and insee.startswith("99") and insee.isdigit():
        # La Poste also serves Monaco, whose code is a foreign-country code in INSEE's referential.
        return f"code « {insee} » d'un pays étranger, pas d'une commune française"
    return f"code INSEE « {insee} » invalide"


def parse_laposte(lines: Iterable[str]) -> tuple[dict[str, ParsedCommune], list[str]]:
    """Parse La Poste's `;`-separated postcode file (one row per commune, postcode and ligne 5).

    Returns the communes by INSEE code (name typeset from La Poste's upper case, postcodes sorted
    and unique, the point, the département) and French error messages with line numbers. A row with
    an invalid code is dropped; a row with unreadable or non-French coordinates keeps the commune
    without a point. Raises WrongFileKind if a required column is missing (the newer export without
    coordinates is accepted)."""
    reader = csv.reader(iter(lines), delimiter=";")
    header = next(reader, None)
    if header is None:
        raise WrongFileKind("Le fichier est vide.")
    cols = _columns(header, _LAPOSTE_COLUMNS, optional=("gps",))
    needed = max(cols.values()) + 1
    communes: dict[str, ParsedCommune] = {}
    postcodes: dict[str, set[str]] = defaultdict(set)
    errors: list[str] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < needed:
            errors.append(f"Ligne {line} : {len(row)} champ(s) au lieu de {len(header)}, ligne ignorée.")
            continue
        insee = row[cols["insee"]].strip().upper()
        raw_name = row[cols["name"]].strip()
        postcode = row[cols["postcode"]].strip()
        if not geo.is_valid_insee_commune_code(insee):
            errors.append(f"Ligne {line} : {_insee_problem(insee)}, ligne ignorée.")
            continue
        if not (len(postcode) == 5 and postcode.isascii() and postcode.isdigit()):
            errors.append(f"Ligne {line} : code postal « {postcode} » invalide, ligne ignorée.")
            continue
        if not raw_name:
            errors.append(f"Ligne {line} : nom de commune vide, ligne ignorée.")
            continue
        latitude = longitude = None
        gps = row[cols["gps"]].strip() if "gps" in cols else ""
        if gps:
            try:
                lat, lon = _parse_point(gps)
            except ValueError:
                errors.append(f"Ligne {line} : coordonnées « {gps} » illisibles (attendu « latitude, longitude »).")
            else:
                if geo.in_france(lat, lon):
                    latitude, longitude = lat, lon
                else:
                    errors.append(f"Ligne {line} : coordonnées « {gps} » hors de France, ignorées.")
        name = geo.pretty_commune_name(raw_name)
        known = communes.get(insee)
        if known is None:
            communes[insee] = ParsedCommune(
                name=name,
                postcodes=[],
                latitude=latitude,
                longitude=longitude,
                departement=geo.departement_of_insee(insee),
            )
        else:
            if geo.normalise_name(known["name"]) != geo.normalise_name(name):
                errors.append(
                    f"Ligne {line} : la commune {insee} s'appelle « {raw_name} » ici et « {known['name']} » "
                    "plus haut ; le premier nom est gardé."
                )
            if known["latitude"] is None and latitude is not None:
                known["latitude"], known["longitude"] = latitude, longitude
        postcodes[insee].add(postcode)
    for insee, commune in communes.items():
        commune["postcodes"] = sorted(postcodes[insee])
    return communes, errors


def reference_departements() -> dict[str, tuple[str, str]]:
    """code -> (name, region_code), from the shipped départements referential."""
    with (DATA_DIR / "departements.csv").open(encoding="utf-8", newline="") as handle:
        return {row["code"]: (row["name"], row["region_code"]) for row in csv.DictReader(handle)}


def _examples(codes: list[str], limit: int = 5) -> str:
    shown = ", ".join(codes[:limit])
    return shown + (f", … (+{len(codes) - limit})" if len(codes) > limit else "")


@transaction.atomic
def import_communes(
    rows: Mapping[str, ParsedCommune], *, departements: set[str] | None = None, actor=None
) -> ImportReport:
    """Upsert the parsed communes (see parse_laposte) in bulk; idempotent.

    - `departements` restricts the import to these département codes (None: all).
    - An existing name is kept when it has the same key as La Poste's (it is usually the nicer,
      accented one: "Rezé" rather than "Reze"); postcodes are replaced by La Poste's; an existing
      point is kept when the file has none.
    - A missing département is created if the shipped referential knows it; otherwise its communes
      are rejected (e.g. Saint-Pierre-et-Miquelon or the Pacific collectivités, not in the
      referential) with one message per département."""
    report = ImportReport()
    wanted: dict[str, ParsedCommune] = {}
    for insee, commune in rows.items():
        if departements is not None and commune["departement"] not in departements:
            report.skipped += 1
        else:
            wanted[insee] = commune

    needed_deps = {commune["departement"] for commune in wanted.values()}
    present_deps = set(Departement.objects.filter(code__in=needed_deps).values_list("code", flat=True))
    reference = reference_departements()
    new_deps = [
        Departement(code=code, name=reference[code][0], region_code=reference[code][1])
        for code in sorted(needed_deps - present_deps)
        if code in reference
    ]
    Departement.objects.bulk_create(new_deps)
    unknown_deps = needed_deps - present_deps - set(reference)
    if unknown_deps:
        by_dep: dict[str, list[str]] = defaultdict(list)
        for insee in sorted(wanted):
            if wanted[insee]["departement"] in unknown_deps:
                by_dep[wanted[insee]["departement"]].append(insee)
                del wanted[insee]
        for code, codes in sorted(by_dep.items()):
            report.rejected.append(
                f"Département {code} absent du référentiel des départements : {len(codes)} commune(s) "
                f"rejetée(s) ({_examples(codes)})."
            )
            report.rejected_count += len(codes)

    codes = list(wanted)
    existing: dict[str, Commune] = {}
    for start in range(0, len(codes), 5000):
        for stored in Commune.objects.filter(pk__in=codes[start : start + 5000]):
            existing[stored.pk] = stored

    to_create: list[Commune] = []
    to_update: list[Commune] = []
    for insee, parsed in wanted.items():
        current = existing.get(insee)
        if current is None:
            to_create.append(
                Commune(
                    insee_code=insee,
                    name=parsed["name"],
                    departement_id=parsed["departement"],
                    postcodes=parsed["postcodes"],
                    latitude=parsed["latitude"],
                    longitude=parsed["longitude"],
                )
            )
            continue
        name = (
            current.name if geo.normalise_name(current.name) == geo.normalise_name(parsed["name"]) else parsed["name"]
        )
        latitude, longitude = parsed["latitude"], parsed["longitude"]
        if latitude is None:
            latitude, longitude = current.latitude, current.longitude
        new_values = (name, parsed["departement"], parsed["postcodes"], latitude, longitude)
        old_values = (current.name, current.departement_id, current.postcodes, current.latitude, current.longitude)
        if new_values == old_values:
            report.unchanged += 1
            continue
        current.name, current.departement_id, current.postcodes = name, parsed["departement"], parsed["postcodes"]
        current.latitude, current.longitude = latitude, longitude
        to_update.append(current)

    Commune.objects.bulk_create(to_create, batch_size=_BATCH)
    Commune.objects.bulk_update(
        to_update, ["name", "departement", "postcodes", "latitude", "longitude"], batch_size=_BATCH
    )
    report.created, report.updated = len(to_create), len(to_update)
    if to_create or to_update:  # a rerun that changes nothing leaves no trace
        audit_log(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type="territories.commune",
            fields=["name", "postcodes", "latitude", "longitude"],
            reason=f"Import des communes (fichier La Poste) : {report.summary()}."[:500],
        )
    return report


# --- EPCI composition file ---------------------------------------------------------------------

_EPCI_COLUMNS = {"insee": ("codgeo",), "epci": ("epci",), "name": ("libepci",)}


class ParsedMembership(TypedDict):
    epci: str | None  # SIREN, or None for a commune outside any EPCI
    epci_name: str


def _sniff_delimiter(first_line: str) -> str:
    return ";" if first_line.count(";") > first_line.count(",") else ","


def parse_epci(lines: Iterable[str]) -> tuple[dict[str, ParsedMembership], list[str]]:
    """Parse INSEE's EPCI composition file (columns CODGEO, EPCI, LIBEPCI; other columns such as
    LIBGEO, DEP, REG are ignored; `,` or `;` separated). Returns the EPCI of each commune and French
    error messages with line numbers. Raises WrongFileKind if a required column is missing."""
    lines = list(lines)
    if not lines:
        raise WrongFileKind("Le fichier est vide.")
    reader = csv.reader(iter(lines), delimiter=_sniff_delimiter(lines[0]))
    header = next(reader)
    cols = _columns(header, _EPCI_COLUMNS)
    needed = max(cols.values()) + 1
    memberships: dict[str, ParsedMembership] = {}
    names: dict[str, str] = {}
    errors: list[str] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < needed:
            errors.append(f"Ligne {line} : {len(row)} champ(s) au lieu de {len(header)}, ligne ignorée.")
            continue
        insee = row[cols["insee"]].strip().upper()
        siren = row[cols["epci"]].strip().upper()
        name = row[cols["name"]].strip()
        if not geo.is_valid_insee_commune_code(insee):
            errors.append(f"Ligne {line} : code INSEE « {insee} » invalide, ligne ignorée.")
            continue
        if siren != NO_EPCI and not geo.is_valid_siren(siren):
            errors.append(f"Ligne {line} : SIREN d'EPCI « {siren} » invalide, ligne ignorée.")
            continue
        if siren != NO_EPCI and not name:
            errors.append(f"Ligne {line} : nom de l'EPCI {siren} vide, ligne ignorée.")
            continue
        epci = None if siren == NO_EPCI else siren
        if insee in memberships and memberships[insee]["epci"] != epci:
            errors.append(f"Ligne {line} : la commune {insee} figure déjà dans un autre EPCI, ligne ignorée.")
            continue
        if epci is not None:
            if names.setdefault(epci, name) != name:
                errors.append(
                    f"Ligne {line} : l'EPCI {epci} s'appelle « {name} » ici et « {names[epci]} » plus haut ; "
                    "le premier nom est gardé."
                )
            name = names[epci]
        memberships[insee] = ParsedMembership(epci=epci, epci_name=name if epci else "")
    return memberships, errors


@dataclass
class EpciImportReport:
    epci_created: int = 0
    epci_updated: int = 0
    communes: ImportReport = field(default_factory=ImportReport)

    def summary(self) -> str:
        return (
            f"EPCI : {self.epci_created} créé(s), {self.epci_updated} renommé(s) ; communes : {self.communes.summary()}"
        )


@transaction.atomic
def import_epci(rows: Mapping[str, ParsedMembership], *, actor=None) -> EpciImportReport:
    """Create or rename the EPCIs of the parsed composition (see parse_epci) and attach their
    communes, in bulk; idempotent. Communes absent from the database are counted as ignored (a
    national file loaded on a platform holding one département); communes the file does not
    mention keep their EPCI."""
    report = EpciImportReport()
    names = {row["epci"]: row["epci_name"] for row in rows.values() if row["epci"]}
    existing_epcis = Epci.objects.in_bulk(list(names))
    new_epcis = [Epci(code=code, name=name) for code, name in names.items() if code not in existing_epcis]
    renamed = [epci for code, epci in existing_epcis.items() if epci.name != names[code]]
    for epci in renamed:
        epci.name = names[epci.code]
    Epci.objects.bulk_create(new_epcis, batch_size=_BATCH)
    Epci.objects.bulk_update(renamed, ["name"], batch_size=_BATCH)
    report.epci_created, report.epci_updated = len(new_epcis), len(renamed)

    codes = list(rows)
    communes: dict[str, Commune] = {}
    for start in range(0, len(codes), 5000):
        for stored in Commune.objects.filter(pk__in=codes[start : start + 5000]).only("insee_code", "epci"):
            communes[stored.pk] = stored
    changed: list[Commune] = []
    absent: list[str] = []
    for insee, row in rows.items():
        found = communes.get(insee)
        if found is None:
            absent.append(insee)
        elif found.epci_id == row["epci"]:
            report.communes.unchanged += 1
        else:
            found.epci_id = row["epci"]
            changed.append(found)
    Commune.objects.bulk_update(changed, ["epci"], batch_size=_BATCH)
    report.communes.updated = len(changed)
    report.communes.skipped = len(absent)
    if absent:
        report.communes.notes.append(
            f"{len(absent)} commune(s) absente(s) de la base ignorée(s) ({_examples(sorted(absent))})."
        )
    if new_epcis or renamed or changed:
        audit_log(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type="territories.epci",
            fields=["epci"],
            reason=f"Import de la composition des EPCI : {report.summary()}."[:500],
        )
    return report


# --- régions -----------------------------------------------------------------------------------


@transaction.atomic
def import_regions(path: Path | None = None) -> int:
    """Upsert the régions of the shipped referential (code, name); returns how many rows it has."""
    path = path or DATA_DIR / "regions.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    existing = Region.objects.in_bulk([row["code"] for row in rows])
    to_create = [Region(code=row["code"], name=row["name"]) for row in rows if row["code"] not in existing]
    to_update = []
    for row in rows:
        region = existing.get(row["code"])
        if region is not None and region.name != row["name"]:
            region.name = row["name"]
            to_update.append(region)
    Region.objects.bulk_create(to_create)
    Region.objects.bulk_update(to_update, ["name"])
    return len(rows)
