"""Reads of the ROME referential shared by the job pages and the recommendations: the current
release, recruitment tension for a territory, mobility links and shared competences between
sheets. The referential is public: no permission scope here. Every function runs a fixed number of
queries whatever the number of codes asked for."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, Subquery, Window
from django.db.models.functions import RowNumber

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
    core = SheetSkill.objects.filter(
        release_id=release_id, rome_code__in=target_codes, role=SkillRole.CORE, section__in=CORE_SECTIONS
    )
    source_skills = SheetSkill.objects.filter(release_id=release_id, rome_code__in=source_codes).values("skill_code")
    held = Q(skill_code__in=source_skills) if source_codes else Q(pk__in=[])
    counts = core.values("rome_code").annotate(total=Count("id"), shared=Count("id", filter=held)).order_by()
    any_shared = False
    for row in counts:
        result[row["rome_code"]] = SharedSkills(shared=row["shared"], target_core=row["total"])
        any_shared = any_shared or row["shared"] > 0
    if not any_shared:
        return result
    label = Skill.objects.filter(release_id=release_id, code=OuterRef("skill_code")).values("label")[:1]
    labelled = (
        core.filter(held)
        .annotate(
            skill_label=Subquery(label),
            position=Window(RowNumber(), partition_by=[F("rome_code")], order_by=[F("skill_label").asc()]),
        )
        .filter(position__lte=SHARED_LABELS_MAX)
        .order_by("rome_code", "position")
        .values_list("rome_code", "skill_label")
    )
    for code, text in labelled:
        if text:
            result[code].labels.append(text)
    return result
