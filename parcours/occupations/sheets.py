"""What the job sheet page shows: a ROME sheet with its domain and the French level the domain
usually requires, its tags, appellations, the competences and savoirs of the release in service,
its mobility targets and its recruitment tension (national and in a département). The referential
is public: no permission scope. A fixed number of queries whatever the sheet."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from .models import Appellation, ProfessionalDomain, RomeJob, SheetSkill, Skill, SkillKind, SkillRole
from .selectors import TensionInfo, current_release_id, mobility_targets, tension_for

SAVOIR_SECTION = "savoir"


class SheetNotFound(Exception):
    """No sheet has this code."""


@dataclass(frozen=True)
class AppellationItem:
    code: int
    label: str
    is_principal: bool
    rarely_used: bool
    regulated: bool


@dataclass(frozen=True)
class SkillItem:
    code: int
    label: str
    kind: str  # SkillKind value
    category: str


@dataclass(frozen=True)
class MobilityItem:
    code: str
    label: str
    order: int


@dataclass(frozen=True)
class TensionLine:
    pct: Decimal
    territory: str  # "France entière" or the département's name
    fap: list[dict]
    via_parent: bool


@dataclass
class SheetDetail:
    job: RomeJob
    domain: ProfessionalDomain | None
    french_level: str  # the CECRL level the domain usually requires ("" without a domain)
    regulated: bool
    transitions: list[str]
    appellations: list[AppellationItem]
    core: list[SkillItem] = field(default_factory=list)
    emerging: list[SkillItem] = field(default_factory=list)
    other: list[SkillItem] = field(default_factory=list)
    savoirs: list[SkillItem] = field(default_factory=list)
    mobility: list[MobilityItem] = field(default_factory=list)
    tensions: list[TensionLine] = field(default_factory=list)
    has_release: bool = False

    @property
    def principal(self) -> AppellationItem | None:
        return next((a for a in self.appellations if a.is_principal), None)


def transition_tags(job: RomeJob) -> list[str]:
    """The sheet's tags (cadre, ecological, digital and demographic transitions), in French."""
    tags = []
    if job.is_cadre:
        tags.append(_("Emploi cadre"))
    if job.transition_eco:
        tags.append(job.transition_eco)
    if job.transition_num:
        tags.append(_("Transition numérique"))
    if job.transition_demo:
        tags.append(_("Transition démographique"))
    return tags


def _appellations(job: RomeJob) -> list[AppellationItem]:
    rows = Appellation.objects.filter(rome=job, in_release=True).order_by("-is_principal", "rarely_used", "label")
    return [
        AppellationItem(
            code=a.code,
            label=a.label,
            is_principal=a.is_principal,
            rarely_used=a.rarely_used,
            regulated=a.is_regulated if a.is_regulated is not None else job.is_regulated,
        )
        for a in rows
    ]


def _skills(code: str, release_id: int) -> list[tuple[str, str, SkillItem]]:
    """(section, role, item) of every competence and savoir of the sheet in the release, one query."""
    skill = Skill.objects.filter(release_id=release_id, code=OuterRef("skill_code"))
    rows = (
        SheetSkill.objects.filter(release_id=release_id, rome_code=code)
        .annotate(
            skill_label=Subquery(skill.values("label")[:1]),
            skill_kind=Subquery(skill.values("kind")[:1]),
            skill_category=Subquery(skill.values("category")[:1]),
        )
        .order_by("skill_category", "skill_label", "skill_code")
        .values_list("section", "role", "skill_code", "skill_label", "skill_kind", "skill_category")
    )
    return [
        (section, role, SkillItem(code=skill_code, label=label or "", kind=kind or "", category=category or ""))
        for section, role, skill_code, label, kind, category in rows
    ]


def _tension_line(info: TensionInfo, territory: str) -> TensionLine:
    return TensionLine(pct=info.pct, territory=territory, fap=info.fap, via_parent=info.via_parent)


def sheet_detail(code: str, *, departement_code: str | None = None) -> SheetDetail:
    """The sheet `code` as the job page shows it. Raises SheetNotFound for an unknown code (a sheet
    absent from the release in service is still shown: people's experiences point to it)."""
    job = RomeJob.objects.select_related("domain").filter(code=(code or "").strip().upper()).first()
    if job is None:
        raise SheetNotFound(code)
    domain = job.domain
    detail = SheetDetail(
        job=job,
        domain=domain,
        french_level=domain.french_level if domain else "",
        regulated=job.is_regulated,
        transitions=transition_tags(job),
        appellations=_appellations(job),
    )
    release_id = current_release_id()
    if release_id is not None:
        detail.has_release = True
        for section, role, item in _skills(job.code, release_id):
            if section == SAVOIR_SECTION or item.kind == SkillKind.SAVOIR:
                detail.savoirs.append(item)
            elif role == SkillRole.CORE:
                detail.core.append(item)
            elif role == SkillRole.EMERGING:
                detail.emerging.append(item)
            else:
                detail.other.append(item)
        targets = mobility_targets([job.code], release_id=release_id).get(job.code, [])
        labels = dict(RomeJob.objects.filter(code__in=[t for t, _order in targets]).values_list("code", "label"))
        detail.mobility = [
            MobilityItem(code=target, label=labels.get(target, ""), order=order) for target, order in targets
        ]
    national = tension_for([job.code], None).get(job.code)
    if national is not None:
        detail.tensions.append(_tension_line(national, _("France entière")))
    if departement_code:
        local = tension_for([job.code], departement_code).get(job.code)
        if local is not None and local.scope == "departement":
            detail.tensions.append(_tension_line(local, local.departement_name))
    return detail
