"""Import of France Travail's ROME 4.0 open-data release (the `unix_*_v<NNN>_utf8.csv` files of the
"fichiers CSV" archive, https://www.francetravail.org/opendata/repertoire-operationnel-des-meti.html).

Two steps, so that a bad release never reaches the platform:

1. `load_release` reads and checks every file *before* writing anything, then writes the release
   tables (`ReleaseSheet`, `ReleaseAppellation`, `Skill`, `SheetSkill`, `Mobility`) beside the
   release in service. A refused release keeps its `RomeRelease` row (status FAILED, French
   messages in `errors`) and none of its rows.
2. `switch_release` puts a loaded release in service in one transaction: the stable tables
   (`ProfessionalDomain`, `RomeJob`, `Appellation`) are upserted from it, codes absent from it are
   marked `in_release=False` (never deleted: experiences, wishes and programmes point to them).
   The previous release stays loaded so that one can switch back to it.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Field, Model
from django.utils import timezone

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log

from .models import (
    Appellation,
    Mobility,
    ProfessionalDomain,
    ReleaseAppellation,
    ReleaseSheet,
    ReleaseStatus,
    RomeJob,
    RomeRelease,
    SheetSkill,
    Skill,
    SkillKind,
    SkillRole,
)
from .search import normalise

MAX_MESSAGES = 20
BATCH_SIZE = 2000
FILE_PATTERN = re.compile(r"^unix_(?P<stem>[a-z_]+?)_v(?P<version>\d+)_utf8\.csv$")
ROME_CODE = re.compile(r"^[A-N]\d{4}$")

# Required columns per file (extra columns are tolerated: the publisher adds some from time to time).
REQUIRED: dict[str, tuple[str, ...]] = {
    "referentiel_code_rome": (
        "code_rome",
        "code_ogr",
        "libelle_rome",
        "transition_eco",
        "transition_num",
        "transition_demo",
        "emploi_reglemente",
        "emploi_cadre",
        "code_rome_parent",
    ),
    "referentiel_appellation": (
        "code_ogr",
        "libelle_appellation_long",
        "libelle_appellation_court",
        "code_rome",
        "transition_eco",
        "transition_num",
        "transition_demo",
        "emploi_reglemente",
        "emploi_cadre",
        "classification",
        "peu_usite",
    ),
    "referentiel_competence": (
        "code_ogr",
        "nature",
        "libelle_competence",
        "cat_comp",
        "sous_cat_comp",
        "transition_eco",
        "transition_num",
    ),
    "referentiel_savoir": (
        "code_ogr_savoir",
        "libelle_savoir",
        "categorie_savoir",
        "sous_categorie_savoir",
        "transition_eco",
        "transition_num",
    ),
    "liens_rome_referentiels": ("code_rome", "code_compo_bloc", "code_rubrique", "code_ogr"),
    "coherence_item": ("code_rome", "code_ogr", "coeur_metier"),
    "rubrique_mobilite": ("code_rome", "code_rome_cible", "numero_ordre"),
    # The publisher spells "professionel" with one n in this file.
    "cr_gd_dp": (
        "code_rome",
        "code_grand_domaine",
        "libelle_grand_domaine",
        "code_domaine_professionel",
        "libelle_domaine_professionel",
    ),
    "referentiel_code_rome_riasec": ("code_rome", "riasec_majeur", "riasec_mineur"),
}
# Also published, not needed (cr_gd_dp carries the domains), but they must carry the same version.
OPTIONAL = ("domaine_professionnel", "grand_domaine")

SECTIONS = {"1": "savoir_faire", "2": "savoir_etre", "3": "savoir"}
ROLES = {"Principale": SkillRole.CORE, "Émergente": SkillRole.EMERGING, "": SkillRole.OTHER}
SAVOIR_ETRE = "Savoir-être professionnel"


class ReleaseError(Exception):
    """A release refused, with the reasons in French (one message per problem)."""

    def __init__(self, messages: Sequence[str]):
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


def file_name(stem: str, version: str) -> str:
    return f"unix_{stem}_v{version}_utf8.csv"


# --- reading and checking ---------------------------------------------------------------------------


class _Problems:
    """Collects French messages; the first MAX_MESSAGES are kept verbatim, the rest counted."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.more = 0

    def add(self, message: str) -> None:
        if len(self.messages) < MAX_MESSAGES:
            self.messages.append(message)
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.messages)

    def result(self) -> list[str]:
        if self.more:
            return [*self.messages, f"… et {self.more} autres erreurs."]
        return list(self.messages)


@dataclass
class _Parsed:
    version: str
    title: str = ""
    published_on: date | None = None
    sheets: list[ReleaseSheet] = field(default_factory=list)
    appellations: list[ReleaseAppellation] = field(default_factory=list)
    skills: list[Skill] = field(default_factory=list)
    sheet_skills: list[SheetSkill] = field(default_factory=list)
    mobilities: list[Mobility] = field(default_factory=list)
    domains: list[dict[str, str]] = field(default_factory=list)


def _find_files(directory: Path, problems: _Problems) -> tuple[str, dict[str, Path]]:
    """The version suffix shared by the files and the path of each expected stem."""
    found: dict[str, list[tuple[str, Path]]] = {}
    for path in sorted(directory.iterdir()):
        match = FILE_PATTERN.match(path.name)
        if match and path.is_file():
            found.setdefault(match["stem"], []).append((match["version"], path))
    versions = Counter(version for entries in found.values() for version, _path in entries)
    expected = [*REQUIRED, *OPTIONAL]
    relevant = Counter(version for stem in expected for version, _path in found.get(stem, []))
    version = relevant.most_common(1)[0][0] if relevant else (versions.most_common(1)[0][0] if versions else "")
    if len(relevant) > 1:
        odd = sorted(path.name for stem in expected for other, path in found.get(stem, []) if other != version)
        problems.add(
            f"Les fichiers ne portent pas tous la même version : la plupart sont en v{version}, "
            f"mais pas {', '.join(odd)}. Placez dans le dossier les fichiers d'une seule version."
        )
    paths: dict[str, Path] = {}
    for stem in REQUIRED:
        entries = [path for other, path in found.get(stem, []) if other == version]
        if entries:
            paths[stem] = entries[0]
        else:
            problems.add(f"Fichier manquant : {file_name(stem, version or '<version>')}.")
    return version, paths


def _read(path: Path, required: Iterable[str], problems: _Problems) -> list[dict[str, str]] | None:
    """Rows of one CSV file as dicts, or None (with a message) when it cannot be used."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(
            f"{path.name} n'est pas encodé en UTF-8 (octet invalide à la position {exc.start}) : "
            "utilisez les fichiers « unix_…_utf8.csv » de l'archive sans les modifier."
        )
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        problems.add(f"{path.name} est vide.")
        return None
    header = [cell.strip() for cell in header]
    missing = [column for column in required if column not in header]
    if missing:
        problems.add(
            f"{path.name} : colonne(s) attendue(s) absente(s) : {', '.join(missing)} "
            f"(colonnes trouvées : {', '.join(header)}). Le format du fichier a peut-être changé."
        )
        return None
    width = len(header)
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not cells:
            continue
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        row = dict(zip(header, (cell.strip() for cell in cells), strict=False))
        row["_line"] = str(number)
        rows.append(row)
    if not rows:
        problems.add(f"{path.name} ne contient aucune ligne de données.")
        return None
    return rows


def _read_version_file(directory: Path) -> tuple[str, date | None]:
    """Title and publication date from version.txt ("Titre/commentaire : …", "Date de publication : 18/09/2025")."""
    path = directory / "version.txt"
    if not path.is_file():
        return "", None
    title, published = "", None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        key, _sep, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if key.startswith("titre") and value:
            title = value[:255]
        elif key.startswith("date de publication"):
            try:
                published = datetime.strptime(value, "%d/%m/%Y").date()
            except ValueError:
                published = None
    return title, published


def _skill_kind(stem: str, row: dict[str, str]) -> str:
    """A savoir, or a competence's kind. The publisher files the savoir-être under "Savoir-être
    professionnel" (all of them are macro-compétences in v460): that category wins, so that they can
    be told apart."""
    if stem == "referentiel_savoir":
        return SkillKind.SAVOIR
    if row["cat_comp"] == SAVOIR_ETRE:
        return SkillKind.SAVOIR_ETRE
    if row["nature"] == "Macro-compétence":
        return SkillKind.MACRO
    return SkillKind.COMPETENCE


def _flag(value: str) -> bool | None:
    return True if value == "O" else False if value == "N" else None


def _int(value: str, *, where: str, column: str, problems: _Problems) -> int | None:
    if value.isdigit():
        return int(value)
    problems.add(f"{where} : « {value} » n'est pas un code valide dans la colonne {column}.")
    return None


def _parse(directory: Path, problems: _Problems) -> _Parsed | None:
    version, paths = _find_files(directory, problems)
    if problems:
        return None
    tables: dict[str, list[dict[str, str]]] = {}
    for stem, path in paths.items():
        rows = _read(path, REQUIRED[stem], problems)
        if rows is not None:
            tables[stem] = rows
    if problems:
        return None
    title, published = _read_version_file(directory)
    parsed = _Parsed(version=version, title=title or f"ROME 4.0 v{version}", published_on=published)

    def at(stem: str, row: dict[str, str]) -> str:
        return f"{file_name(stem, version)}, ligne {row['_line']}"

    # Domains (cr_gd_dp) first: every sheet must have one.
    domain_of: dict[str, str] = {}
    domains: dict[str, dict[str, str]] = {}
    for row in tables["cr_gd_dp"]:
        code, domain = row["code_rome"], row["code_domaine_professionel"]
        if code in domain_of:
            problems.add(f"{at('cr_gd_dp', row)} : la fiche {code} est rattachée deux fois à un domaine.")
        if not domain:
            continue
        domain_of[code] = domain
        domains.setdefault(
            domain,
            {
                "code": domain,
                "label": row["libelle_domaine_professionel"],
                "grand_domaine": row["code_grand_domaine"],
                "grand_domaine_label": row["libelle_grand_domaine"],
            },
        )
    parsed.domains = [domains[code] for code in sorted(domains)]

    riasec: dict[str, tuple[str, str]] = {}
    for row in tables["referentiel_code_rome_riasec"]:
        riasec[row["code_rome"]] = (row["riasec_majeur"][:1], row["riasec_mineur"][:1])

    # Sheets.
    sheets: set[str] = set()
    stem = "referentiel_code_rome"
    for row in tables[stem]:
        code = row["code_rome"]
        if not ROME_CODE.match(code):
            problems.add(
                f"{at(stem, row)} : code ROME « {code} » invalide (attendu : une lettre de A à N et 4 chiffres)."
            )
            continue
        if code in sheets:
            problems.add(f"{at(stem, row)} : la fiche {code} figure deux fois.")
            continue
        sheets.add(code)
        parent = row["code_rome_parent"]
        if parent and not ROME_CODE.match(parent):
            problems.add(f"{at(stem, row)} : code ROME parent « {parent} » invalide.")
        if code not in domain_of:
            problems.add(f"La fiche {code} n'a pas de domaine professionnel dans {file_name('cr_gd_dp', version)}.")
        major, minor = riasec.get(code, ("", ""))
        parsed.sheets.append(
            ReleaseSheet(
                code=code,
                ogr_code=int(row["code_ogr"]) if row["code_ogr"].isdigit() else None,
                label=row["libelle_rome"][:255],
                domain_code=domain_of.get(code, ""),
                parent_code=parent,
                is_regulated=row["emploi_reglemente"] == "O",
                is_cadre=row["emploi_cadre"] == "O",
                transition_eco=row["transition_eco"][:64],
                transition_num=row["transition_num"] == "O",
                transition_demo=row["transition_demo"] == "O",
                riasec_major=major,
                riasec_minor=minor,
            )
        )
    for stem, column in (("cr_gd_dp", "code_rome"), ("referentiel_code_rome_riasec", "code_rome")):
        for row in tables[stem]:
            if row[column] not in sheets:
                problems.add(f"{at(stem, row)} : fiche inconnue {row[column]}.")

    # Appellations.
    stem = "referentiel_appellation"
    appellation_codes: set[int] = set()
    for row in tables[stem]:
        ogr = _int(row["code_ogr"], where=at(stem, row), column="code_ogr", problems=problems)
        if ogr is None:
            continue
        if ogr in appellation_codes:
            problems.add(f"{at(stem, row)} : l'appellation {ogr} figure deux fois.")
            continue
        appellation_codes.add(ogr)
        if row["code_rome"] not in sheets:
            problems.add(f"{at(stem, row)} : l'appellation {ogr} renvoie à une fiche inconnue « {row['code_rome']} ».")
            continue
        parsed.appellations.append(
            ReleaseAppellation(
                code=ogr,
                label=row["libelle_appellation_long"][:255],
                short_label=row["libelle_appellation_court"][:255],
                rome_code=row["code_rome"],
                is_regulated=_flag(row["emploi_reglemente"]),
                is_cadre=_flag(row["emploi_cadre"]),
                transition_eco=row["transition_eco"][:64],
                transition_num=_flag(row["transition_num"]),
                transition_demo=_flag(row["transition_demo"]),
                is_principal=row["classification"] == "PRINCIPALE",
                rarely_used=row["peu_usite"] == "O",
            )
        )

    # Skills: competences and savoirs share one code space (OGR codes), so one loop reads both files
    # (columns: code, label, category, sub-category).
    skill_codes: set[int] = set()
    skill_files = (
        ("referentiel_competence", ("code_ogr", "libelle_competence", "cat_comp", "sous_cat_comp"), "la compétence"),
        (
            "referentiel_savoir",
            ("code_ogr_savoir", "libelle_savoir", "categorie_savoir", "sous_categorie_savoir"),
            "le savoir",
        ),
    )
    for stem, (code_column, label_column, category_column, subcategory_column), what in skill_files:
        for row in tables[stem]:
            ogr = _int(row[code_column], where=at(stem, row), column=code_column, problems=problems)
            if ogr is None:
                continue
            if ogr in skill_codes:
                problems.add(f"{at(stem, row)} : {what} {ogr} figure deux fois (ou porte le code d'un autre item).")
                continue
            skill_codes.add(ogr)
            parsed.skills.append(
                Skill(
                    code=ogr,
                    kind=_skill_kind(stem, row),
                    label=row[label_column][:500],
                    category=row[category_column][:255],
                    subcategory=row[subcategory_column][:255],
                    transition_eco=_flag(row["transition_eco"]),
                    transition_num=_flag(row["transition_num"]),
                )
            )

    # Core / emerging flags. coherence_item also lists the work contexts (bloc 6), which are not
    # imported: a code that is no skill is skipped, but its sheet must exist.
    roles: dict[tuple[str, int], str] = {}
    stem = "coherence_item"
    for row in tables[stem]:
        if row["code_rome"] not in sheets:
            problems.add(f"{at(stem, row)} : fiche inconnue {row['code_rome']}.")
            continue
        if row["coeur_metier"] not in ROLES:
            problems.add(f"{at(stem, row)} : valeur « {row['coeur_metier']} » inattendue pour coeur_metier.")
            continue
        if row["code_ogr"].isdigit():
            roles[(row["code_rome"], int(row["code_ogr"]))] = ROLES[row["coeur_metier"]]

    # Links (bloc 5 = competences and savoirs; the other blocs are the sheet itself, its
    # appellations and its work contexts).
    stem = "liens_rome_referentiels"
    pairs: set[tuple[str, int]] = set()
    for row in tables[stem]:
        if row["code_rome"] not in sheets:
            problems.add(f"{at(stem, row)} : fiche inconnue {row['code_rome']}.")
            continue
        if row["code_compo_bloc"] != "5":
            continue
        ogr = _int(row["code_ogr"], where=at(stem, row), column="code_ogr", problems=problems)
        if ogr is None:
            continue
        section = SECTIONS.get(row["code_rubrique"])
        if section is None:
            problems.add(f"{at(stem, row)} : rubrique « {row['code_rubrique']} » inconnue (attendu : 1, 2 ou 3).")
            continue
        if ogr not in skill_codes:
            problems.add(f"{at(stem, row)} : compétence ou savoir inconnu {ogr} (fiche {row['code_rome']}).")
            continue
        pair = (row["code_rome"], ogr)
        if pair in pairs:
            problems.add(f"{at(stem, row)} : le lien {row['code_rome']} – {ogr} figure deux fois.")
            continue
        pairs.add(pair)
        parsed.sheet_skills.append(
            SheetSkill(
                rome_code=row["code_rome"], skill_code=ogr, section=section, role=roles.get(pair, SkillRole.OTHER)
            )
        )

    stem = "rubrique_mobilite"
    links: set[tuple[str, str]] = set()
    for row in tables[stem]:
        source, target = row["code_rome"], row["code_rome_cible"]
        unknown = [code for code in (source, target) if code not in sheets]
        if unknown:
            problems.add(f"{at(stem, row)} : fiche inconnue {', '.join(unknown)}.")
            continue
        order = _int(row["numero_ordre"], where=at(stem, row), column="numero_ordre", problems=problems)
        if order is None:
            continue
        if (source, target) in links:
            problems.add(f"{at(stem, row)} : la mobilité {source} → {target} figure deux fois.")
            continue
        links.add((source, target))
        parsed.mobilities.append(Mobility(source_code=source, target_code=target, order=min(order, 32767)))
    return None if problems else parsed


# --- writing ----------------------------------------------------------------------------------------


def _bulk_insert(model: type[Model], objects: list[Any], columns: Sequence[str]) -> None:
    """Insert many rows: COPY on PostgreSQL (several times faster than INSERT for the 90,000 links),
    bulk_create elsewhere."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objects, batch_size=BATCH_SIZE)
        return
    fields = [cast(Field, model._meta.get_field(name)) for name in columns]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    attnames = [f.attname for f in fields]
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for obj in objects:
            copy.write_row([getattr(obj, name) for name in attnames])


_COLUMNS: list[tuple[type[Model], str, tuple[str, ...]]] = [
    (
        ReleaseSheet,
        "sheets",
        (
            "release",
            "code",
            "ogr_code",
            "label",
            "domain_code",
            "parent_code",
            "is_regulated",
            "is_cadre",
            "transition_eco",
            "transition_num",
            "transition_demo",
            "riasec_major",
            "riasec_minor",
        ),
    ),
    (
        ReleaseAppellation,
        "appellations",
        (
            "release",
            "code",
            "label",
            "short_label",
            "rome_code",
            "is_regulated",
            "is_cadre",
            "transition_eco",
            "transition_num",
            "transition_demo",
            "is_principal",
            "rarely_used",
        ),
    ),
    (
        Skill,
        "skills",
        ("release", "code", "kind", "label", "category", "subcategory", "transition_eco", "transition_num"),
    ),
    (SheetSkill, "sheet_skills", ("release", "rome_code", "skill_code", "section", "role")),
    (Mobility, "mobilities", ("release", "source_code", "target_code", "order")),
]


def _delete_rows(release_ids: Iterable[int]) -> None:
    ids = list(release_ids)
    if ids:
        for model, _key, _columns in _COLUMNS:
            model._default_manager.filter(release_id__in=ids).delete()


def _fail(release: RomeRelease, messages: list[str], *, user: Any, started: float) -> ReleaseError:
    _delete_rows([release.pk])
    release.status = ReleaseStatus.FAILED
    release.errors = messages
    release.duration_s = round(time.monotonic() - started, 3)
    release.save(update_fields=["status", "errors", "duration_s"])
    audit_log(
        actor=user,
        action=AuditAction.CREATE,
        obj=release,
        object_type="occupations.romerelease",
        reason=f"Import du ROME 4.0 refusé ({release.source}) : {len(messages)} erreur(s)"[:500],
    )
    return ReleaseError(messages)


def load_release(directory: Path, *, user: Any = None) -> RomeRelease:
    """Read and check a release directory, then write its release rows (status READY). Raises
    ReleaseError (release kept as FAILED, without rows) on any problem; nothing else is touched."""
    started = time.monotonic()
    directory = Path(directory)
    release = RomeRelease.objects.create(
        source=str(directory.resolve())[:500], status=ReleaseStatus.LOADING, loaded_by=user
    )
    if not directory.is_dir():
        raise _fail(release, [f"Dossier introuvable : {directory}."], user=user, started=started)
    problems = _Problems()
    try:
        parsed = _parse(directory, problems)
    except Exception as exc:  # an unreadable file, a bug: the release must not stay LOADING
        raise _fail(release, [f"Lecture impossible : {type(exc).__name__}"], user=user, started=started) from exc
    if parsed is None:
        if not problems:
            problems.add("Version refusée.")
        raise _fail(release, problems.result(), user=user, started=started)
    try:
        with transaction.atomic():
            for model, key, columns in _COLUMNS:
                objects = getattr(parsed, key)
                for obj in objects:
                    obj.release_id = release.pk
                _bulk_insert(model, objects, columns)
    except Exception as exc:  # a database refusal: the release rows went with the savepoint
        raise _fail(release, [f"Écriture refusée par la base de données : {exc}"], user=user, started=started) from exc
    release.version = parsed.version
    release.title = parsed.title
    release.published_on = parsed.published_on
    release.domains = parsed.domains
    release.counts = {key: len(getattr(parsed, key)) for _model, key, _columns in _COLUMNS} | {
        "domains": len(parsed.domains)
    }
    release.status = ReleaseStatus.READY
    release.duration_s = round(time.monotonic() - started, 3)
    release.save(update_fields=["version", "title", "published_on", "domains", "counts", "status", "duration_s"])
    audit_log(
        actor=user,
        action=AuditAction.CREATE,
        obj=release,
        object_type="occupations.romerelease",
        reason=f"Chargement du ROME 4.0 v{release.version} ({release.source}) : {_counts_text(release)}"[:500],
    )
    return release


def _counts_text(release: RomeRelease) -> str:
    counts = release.counts
    return (
        f"{counts.get('sheets', 0)} fiches, {counts.get('appellations', 0)} appellations, "
        f"{counts.get('skills', 0)} compétences et savoirs, {counts.get('sheet_skills', 0)} liens fiche–compétence, "
        f"{counts.get('mobilities', 0)} mobilités, {counts.get('domains', 0)} domaines professionnels"
    )


# --- switching ---------------------------------------------------------------------------------------


def _upsert(model: type[Model], objects: list[Any], *, key: str, update: Sequence[str]) -> None:
    model._default_manager.bulk_create(
        objects, batch_size=BATCH_SIZE, update_conflicts=True, unique_fields=[key], update_fields=list(update)
    )


@transaction.atomic
def switch_release(release: RomeRelease, *, user: Any = None) -> RomeRelease:
    """Put a loaded release in service (or go back to the previous one): stable tables synced from
    it, previous release SUPERSEDED, this one CURRENT. Release rows older than the previous release
    are deleted (current + one previous kept)."""
    started = time.monotonic()
    # Lock every release row: two switches never interleave.
    locked = {r.pk: r for r in RomeRelease.objects.select_for_update().order_by("pk")}
    fresh = locked.get(release.pk)
    if fresh is None:
        raise ReleaseError(["Cette version du ROME n'existe plus."])
    if fresh.status == ReleaseStatus.CURRENT:
        raise ReleaseError([f"La version {fresh.version} est déjà en service."])
    if fresh.status not in (ReleaseStatus.READY, ReleaseStatus.SUPERSEDED):
        raise ReleaseError(
            [f"La version n° {fresh.pk} ne peut pas être mise en service : elle est « {fresh.get_status_display()} »."]
        )
    sheets = list(ReleaseSheet.objects.filter(release=fresh).order_by("code"))
    if not sheets:
        raise ReleaseError(
            [f"Les données de la version n° {fresh.pk} ont été supprimées : importez à nouveau ses fichiers."]
        )
    previous = next((r for r in locked.values() if r.status == ReleaseStatus.CURRENT), None)

    _upsert(
        ProfessionalDomain,
        [
            ProfessionalDomain(
                code=d["code"],
                label=d["label"],
                grand_domain_code=d["grand_domaine"],
                grand_domain_label=d["grand_domaine_label"],
            )
            for d in fresh.domains
        ],
        key="code",
        # Never french_level: an administrator's setting survives every release.
        update=["label", "grand_domain_code", "grand_domain_label"],
    )
    job_fields = [
        "label",
        "is_regulated",
        "domain",
        "parent_code",
        "ogr_code",
        "is_cadre",
        "transition_eco",
        "transition_num",
        "transition_demo",
        "riasec_major",
        "riasec_minor",
        "in_release",
    ]
    _upsert(
        RomeJob,
        [
            RomeJob(
                code=s.code,
                label=s.label,
                is_regulated=s.is_regulated,
                domain_id=s.domain_code or None,
                parent_code=s.parent_code,
                ogr_code=s.ogr_code,
                is_cadre=s.is_cadre,
                transition_eco=s.transition_eco,
                transition_num=s.transition_num,
                transition_demo=s.transition_demo,
                riasec_major=s.riasec_major,
                riasec_minor=s.riasec_minor,
                in_release=True,
            )
            for s in sheets
        ],
        key="code",
        update=job_fields,
    )
    codes = [s.code for s in sheets]
    jobs_out = RomeJob.objects.filter(in_release=True).exclude(code__in=codes).update(in_release=False)

    appellations = list(ReleaseAppellation.objects.filter(release=fresh).order_by("code"))
    _upsert(
        Appellation,
        [
            Appellation(
                code=a.code,
                label=a.label,
                short_label=a.short_label,
                rome_id=a.rome_code,
                is_regulated=a.is_regulated,
                is_cadre=a.is_cadre,
                transition_eco=a.transition_eco,
                transition_num=a.transition_num,
                transition_demo=a.transition_demo,
                is_principal=a.is_principal,
                rarely_used=a.rarely_used,
                search_text=normalise(f"{a.label} {a.short_label}"),
                in_release=True,
            )
            for a in appellations
        ],
        key="code",
        update=[
            "label",
            "short_label",
            "rome",
            "is_regulated",
            "is_cadre",
            "transition_eco",
            "transition_num",
            "transition_demo",
            "is_principal",
            "rarely_used",
            "search_text",
            "in_release",
        ],
    )
    appellation_codes = [a.code for a in appellations]
    appellations_out = (
        Appellation.objects.filter(in_release=True).exclude(code__in=appellation_codes).update(in_release=False)
    )

    now = timezone.now()
    if previous is not None:
        previous.status = ReleaseStatus.SUPERSEDED
        previous.save(update_fields=["status"])
    fresh.status = ReleaseStatus.CURRENT
    fresh.switched_at = now
    fresh.save(update_fields=["status", "switched_at"])
    # Keep the rows of the release in service and of the one before (to switch back); pending
    # (READY) releases keep theirs too.
    keep = {fresh.pk} | ({previous.pk} if previous else set())
    _delete_rows(
        r.pk
        for r in locked.values()
        if r.pk not in keep and r.status in (ReleaseStatus.SUPERSEDED, ReleaseStatus.FAILED)
    )
    audit_log(
        actor=user,
        action=AuditAction.UPDATE,
        obj=fresh,
        object_type="occupations.romerelease",
        fields=["status"],
        reason=(
            f"Mise en service du ROME 4.0 v{fresh.version} (n° {fresh.pk}"
            + (f", remplace n° {previous.pk}" if previous else "")
            + f") : {len(codes)} fiches, {len(appellation_codes)} appellations ; "
            f"{jobs_out} fiche(s) et {appellations_out} appellation(s) retirées ; "
            f"{round(time.monotonic() - started, 1)} s"
        )[:500],
    )
    release.status, release.switched_at = fresh.status, fresh.switched_at
    return fresh


def import_release(directory: Path, *, user: Any = None) -> RomeRelease:
    """Load a release directory then put it in service."""
    started = time.monotonic()
    release = load_release(directory, user=user)
    release = switch_release(release, user=user)
    release.duration_s = round(time.monotonic() - started, 3)
    release.save(update_fields=["duration_s"])
    return release


def release_version(directory: Path) -> str:
    """The version suffix of the release files in a directory ("460"), "" when there is none; the
    files are not read."""
    versions = Counter(
        match["version"]
        for path in Path(directory).glob("unix_*_utf8.csv")
        if (match := FILE_PATTERN.match(path.name)) and match["stem"] in REQUIRED
    )
    return versions.most_common(1)[0][0] if versions else ""


def current_release() -> RomeRelease | None:
    return RomeRelease.objects.filter(status=ReleaseStatus.CURRENT).first()
