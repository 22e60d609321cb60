"""Reads of the ROME referential shared by the job pages and the recommendations: the current
release, recruitment tension for a territory, mobility links and shared competences between
sheets. The referential is public: no permission scope here. Every function runs a fixed number of
queries whatever the number of codes asked for."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Q

from .models import JobTension, Mobility, ReleaseStatus, RomeRelease, SheetSkill, Skill, SkillRole

# The sections of a sheet whose core items count as the job's competences (savoir-être excluded:
# they are shared by nearly every sheet and say nothing about a move between two jobs).
CORE_SECTIONS = ("savoir_faire", "savoir")
SHARED_LABELS_MAX = 3


def current_release_id() -> int | None:
    """The id of the release in service, None before the first import."""
    return RomeRelease.objects.filter(status=ReleaseStatus.CURRENT).values_list("id", flat=True).first()


@dataclass
class TensionInfo:
    """Recruitment tension of one sheet: the département figure when the import has one, else the
    national figure (`scope` says which)."""

    pct: Decimal
    scope: str  # "departement" | "national"
    departement_name: str = ""
    fap: list[dict] = field(default_factory=list)
    via_parent: bool = False


def tension_for(codes: Iterable[str], departement_code: str | None) -> dict[str, TensionInfo]:
    """Tension of these sheets in this département (or national when the current import has no
    figure for the département), from the current tension import. Codes without any figure are
    absent from the result. One query."""
    wanted = sorted({code for code in codes if code})
    if not wanted:
        return {}
    territory = Q(departement__isnull=True)
    if departement_code:
        territory |= Q(departement_id=departement_code)
    rows = (
        JobTension.objects.filter(territory, tension_import__is_current=True, rome_id__in=wanted)
        .values("rome_id", "departement_id", "departement__name", "tension_pct", "fap", "via_parent")
        .order_by("rome_id")
    )
    found: dict[str, TensionInfo] = {}
    for row in rows:
        local = row["departement_id"] is not None
        if not local and row["rome_id"] in found:
            continue  # the département figure wins over the national one
        found[row["rome_id"]] = TensionInfo(
            pct=row["tension_pct"],
            scope="departement" if local else "national",
            departement_name=row["departement__name"] or "" if local else "",
            fap=list(row["fap"] or []),
            via_parent=row["via_parent"],
        )
    return found


def mobility_targets(codes: Iterable[str], *, release_id: int) -> dict[str, list[tuple[str, int]]]:
    """The sheets reachable from each of these sheets through the release's mobility links:
    {source: [(target, order), …]} sorted by the publisher's order (1 = closest). One query."""
    wanted = sorted({code for code in codes if code})
    result: dict[str, list[tuple[str, int]]] = {code: [] for code in wanted}
    if not wanted:
        return result
    rows = (
        Mobility.objects.filter(release_id=release_id, source_code__in=wanted)
        .order_by("source_code", "order", "target_code")
        .values_list("source_code", "target_code", "order")
    )
    for source, target, order in rows:
        result[source].append((target, order))
    return result


@dataclass
class SharedSkills:
    """How much of a target sheet's core competences a person's experience sheets already hold."""

    shared: int
    target_core: int
    labels: list[str] = field(default_factory=list)  # a few shared core labels, alphabetical

    @property
    def ratio(self) -> float:
        return self.shared / self.target_core if self.target_core else 0.0


def shared_skills(sources: Iterable[str], targets: Iterable[str], *, release_id: int) -> dict[str, SharedSkills]:
    """For each target sheet: the number of its core competences and savoirs (savoir-faire and
    savoirs sections, role core) that appear in any source sheet (any role), its number of core
    items, and up to three shared labels. Two queries (counts aggregated in SQL, then the labels
    limited per sheet by a window). Targets with no core item get SharedSkills(0, 0)."""
    source_codes = sorted({code for code in sources if code})
    target_codes = sorted({code for code in targets if code})
    result = {code: SharedSkills(shared=0, target_core=0) for code in target_codes}
    if not target_codes:
        return result
    # Plain SQL (portable: PostgreSQL and SQLite): these two statements run for every person's
    # proposals, and building them through the ORM cost more than running them.
    table = connection.ops.quote_name(SheetSkill._meta.db_table)
    skills = connection.ops.quote_name(Skill._meta.db_table)
    targets_in = ", ".join(["%s"] * len(target_codes))
    sections_in = ", ".join(["%s"] * len(CORE_SECTIONS))
    sources_in = ", ".join(["%s"] * len(source_codes))
    held = (
        f"t.skill_code IN (SELECT s.skill_code FROM {table} s WHERE s.release_id = %s AND s.rome_code IN ({sources_in}))"
        if source_codes
        else "1 = 0"
    )
    held_params: list[int | str] = [release_id, *source_codes] if source_codes else []
    core = f"t.release_id = %s AND t.rome_code IN ({targets_in}) AND t.role = %s AND t.section IN ({sections_in})"
    core_params: list[int | str] = [release_id, *target_codes, SkillRole.CORE.value, *CORE_SECTIONS]
    any_shared = False
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.rome_code, COUNT(*), SUM(CASE WHEN {held} THEN 1 ELSE 0 END) FROM {table} t "
            f"WHERE {core} GROUP BY t.rome_code",
            [*held_params, *core_params],
        )
        for code, total, shared in cursor.fetchall():
            result[code] = SharedSkills(shared=int(shared or 0), target_core=int(total))
            any_shared = any_shared or bool(shared)
        if not any_shared:
            return result
        cursor.execute(
            f"SELECT rome_code, label FROM (SELECT t.rome_code AS rome_code, k.label AS label, "
            f"ROW_NUMBER() OVER (PARTITION BY t.rome_code ORDER BY k.label) AS position FROM {table} t "
            f"JOIN {skills} k ON k.release_id = t.release_id AND k.code = t.skill_code "
            f"WHERE {core} AND {held}) ranked WHERE position <= %s ORDER BY rome_code, position",
            [*core_params, *held_params, SHARED_LABELS_MAX],
        )
        for code, text in cursor.fetchall():
            if text:
                result[code].labels.append(text)
    return result
