"""Small builders of the ROME referential for tests: a domain, a sheet with its appellations, a
release with its competences, savoirs and mobility links, a tension import."""

import itertools
from decimal import Decimal

from parcours.occupations.models import (
    Appellation,
    JobTension,
    Mobility,
    ProfessionalDomain,
    ReleaseStatus,
    RomeJob,
    RomeRelease,
    SheetSkill,
    Skill,
    SkillKind,
    SkillRole,
    TensionImport,
)
from parcours.occupations.search import normalise

_codes = itertools.count(900001)


def domain(code: str = "J15", label: str = "Soins", *, level: str = "B1", **kwargs) -> ProfessionalDomain:
    found, _created = ProfessionalDomain.objects.get_or_create(
        code=code,
        defaults={
            "label": label,
            "grand_domain_code": code[0],
            "grand_domain_label": kwargs.pop("grand_domain_label", "Santé"),
            "french_level": level,
            **kwargs,
        },
    )
    return found


def sheet(code: str = "J1501", label: str = "Soins d'hygiène, de confort du patient", **kwargs) -> RomeJob:
    kwargs.setdefault("parent_code", code)
    job, _created = RomeJob.objects.update_or_create(code=code, defaults={"label": label, **kwargs})
    return job


def appellation(label: str, rome: RomeJob, *, code: int | None = None, **kwargs) -> Appellation:
    return Appellation.objects.create(
        code=code if code is not None else next(_codes),
        label=label,
        rome=rome,
        search_text=normalise(label),
        **kwargs,
    )


def release(version: str = "460", status: str = ReleaseStatus.CURRENT, **kwargs) -> RomeRelease:
    return RomeRelease.objects.create(version=version, status=status, **kwargs)


def skill(
    rel: RomeRelease,
    rome_code: str,
    label: str,
    *,
    kind=SkillKind.COMPETENCE,
    section="savoir_faire",
    role=SkillRole.CORE,
    code: int | None = None,
    category: str = "",
) -> Skill:
    code = code if code is not None else next(_codes)
    found, _created = Skill.objects.get_or_create(
        release=rel, code=code, defaults={"kind": kind, "label": label, "category": category}
    )
    SheetSkill.objects.create(release=rel, rome_code=rome_code, skill_code=code, section=section, role=role)
    return found


def mobility(rel: RomeRelease, source: str, target: str, order: int) -> Mobility:
    return Mobility.objects.create(release=rel, source_code=source, target_code=target, order=order)


def tension(
    rome: RomeJob, pct: str, *, departement=None, tension_import: TensionImport | None = None, **kwargs
) -> JobTension:
    imp = tension_import or TensionImport.objects.filter(is_current=True).first()
    if imp is None:
        imp = TensionImport.objects.create(source="metiers_tension.csv")
    return JobTension.objects.create(
        tension_import=imp,
        rome=rome,
        departement=departement,
        tension_pct=Decimal(pct),
        fap=kwargs.pop("fap", [{"code": "T4Z60", "label": "Aides-soignants", "pct": pct}]),
        source_code=kwargs.pop("source_code", rome.code),
        **kwargs,
    )
