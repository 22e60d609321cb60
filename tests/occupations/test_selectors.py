from decimal import Decimal

import pytest

from parcours.occupations.models import (
    JobTension,
    Mobility,
    ReleaseStatus,
    RomeRelease,
    SheetSkill,
    Skill,
    SkillKind,
    SkillRole,
    TensionImport,
)
from parcours.occupations.selectors import current_release_id, mobility_targets, shared_skills, tension_for
from parcours.territories.models import Departement
from tests.factories import DepartementFactory, RomeJobFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def release():
    RomeRelease.objects.create(version="459", status=ReleaseStatus.SUPERSEDED)
    return RomeRelease.objects.create(version="460", status=ReleaseStatus.CURRENT)


def test_current_release_id(release):
    assert current_release_id() == release.pk


def test_current_release_id_none_before_any_import():
    RomeRelease.objects.create(version="460", status=ReleaseStatus.READY)
    assert current_release_id() is None


def _tension(imp, code, pct, departement=None, **kwargs):
    return JobTension.objects.create(
        tension_import=imp,
        rome=RomeJobFactory(code=code, label=f"Fiche {code}"),
        departement=departement,
        tension_pct=Decimal(pct),
        fap=[{"code": "T4Z60", "label": "Aides-soignants", "pct": pct}],
        source_code=code,
        **kwargs,
    )


def test_tension_prefers_the_departement_figure_then_national(django_assert_num_queries):
    loire = DepartementFactory()
    gironde = Departement.objects.create(code="33", name="Gironde", region_code="75")
    old = TensionImport.objects.create(source="old.csv", is_current=False)
    imp = TensionImport.objects.create(source="metiers_tension.csv")
    _tension(old, "J1501", "99.0")
    _tension(imp, "J1501", "70.5")
    _tension(imp, "J1501", "81.2", departement=loire)
    _tension(imp, "J1502", "55.0", via_parent=True)
    _tension(imp, "F1703", "40.0", departement=gironde)

    with django_assert_num_queries(1):
        found = tension_for(["J1501", "J1502", "F1703", "K2204"], "44")

    assert set(found) == {"J1501", "J1502"}  # Gironde's figure does not apply in Loire-Atlantique
    assert found["J1501"].pct == Decimal("81.2")
    assert found["J1501"].scope == "departement"
    assert found["J1501"].departement_name == "Loire-Atlantique"
    assert found["J1501"].fap[0]["code"] == "T4Z60"
    assert found["J1502"].scope == "national"
    assert found["J1502"].departement_name == ""
    assert found["J1502"].via_parent is True

    national = tension_for(["J1501"], None)
    assert national["J1501"].pct == Decimal("70.5")
    assert national["J1501"].scope == "national"


def test_tension_for_no_codes_runs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert tension_for([], "44") == {}


def test_mobility_targets_in_publisher_order(release, django_assert_num_queries):
    other = RomeRelease.objects.get(version="459")
    Mobility.objects.create(release=release, source_code="J1501", target_code="K1302", order=2)
    Mobility.objects.create(release=release, source_code="J1501", target_code="J1301", order=1)
    Mobility.objects.create(release=release, source_code="F1703", target_code="F1702", order=1)
    Mobility.objects.create(release=other, source_code="J1501", target_code="A1101", order=1)

    with django_assert_num_queries(1):
        targets = mobility_targets(["J1501", "F1703", "G1602"], release_id=release.pk)

    assert targets == {"J1501": [("J1301", 1), ("K1302", 2)], "F1703": [("F1702", 1)], "G1602": []}


def _skills(release, code, items):
    for skill_code, label, section, role in items:
        Skill.objects.get_or_create(
            release=release, code=skill_code, defaults={"kind": SkillKind.COMPETENCE, "label": label}
        )
        SheetSkill.objects.create(release=release, rome_code=code, skill_code=skill_code, section=section, role=role)


def test_shared_skills_counts_target_core_items_held_by_any_source(release, django_assert_max_num_queries):
    core, other = SkillRole.CORE, SkillRole.OTHER
    # Experience sheets: K1302 (aide à domicile) and G1602 (cuisine).
    _skills(release, "K1302", [(1, "Aider à la toilette", "savoir_faire", core), (2, "Hygiène", "savoir", other)])
    _skills(release, "G1602", [(3, "Règles HACCP", "savoir", core), (9, "Ponctualité", "savoir_etre", core)])
    # Target J1501: 4 core items in the counted sections, 3 of them held; a savoir-être and an
    # emerging item do not count.
    _skills(
        release,
        "J1501",
        [
            (1, "Aider à la toilette", "savoir_faire", core),
            (2, "Hygiène", "savoir", core),
            (3, "Règles HACCP", "savoir", core),
            (4, "Surveiller les constantes", "savoir_faire", core),
            (9, "Ponctualité", "savoir_etre", core),
            (5, "Télésoin", "savoir_faire", SkillRole.EMERGING),
        ],
    )
    _skills(release, "A1101", [(6, "Conduire un tracteur", "savoir_faire", core)])

    with django_assert_max_num_queries(2):
        found = shared_skills(["K1302", "G1602"], ["J1501", "A1101", "M1607"], release_id=release.pk)

    assert found["J1501"].shared == 3
    assert found["J1501"].target_core == 4
    assert found["J1501"].ratio == 0.75
    assert found["J1501"].labels == ["Aider à la toilette", "Hygiène", "Règles HACCP"]
    assert (found["A1101"].shared, found["A1101"].target_core, found["A1101"].labels) == (0, 1, [])
    assert (found["M1607"].shared, found["M1607"].target_core) == (0, 0)
    assert found["M1607"].ratio == 0.0


def test_shared_skills_labels_are_at_most_three(release):
    items = [(n, f"Compétence {n:02d}", "savoir_faire", SkillRole.CORE) for n in range(1, 7)]
    _skills(release, "K1302", items)
    _skills(release, "J1501", items)
    found = shared_skills(["K1302"], ["J1501"], release_id=release.pk)
    assert found["J1501"].shared == 6
    assert found["J1501"].labels == ["Compétence 01", "Compétence 02", "Compétence 03"]


def test_shared_skills_without_sources(release, django_assert_max_num_queries):
    _skills(release, "J1501", [(1, "Aider à la toilette", "savoir_faire", SkillRole.CORE)])
    with django_assert_max_num_queries(1):
        found = shared_skills([], ["J1501"], release_id=release.pk)
    assert (found["J1501"].shared, found["J1501"].target_core) == (0, 1)
