"""The job sheet read (sheet_detail) and the French level of a domain (domain_french_level_set)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from parcours.audit.models import AuditAction, AuditEntry
from parcours.occupations.models import ProfessionalDomain, ReleaseStatus, SkillKind, SkillRole
from parcours.occupations.services import domain_french_level_set
from parcours.occupations.sheets import SheetNotFound, sheet_detail, transition_tags
from parcours.territories.models import Departement
from tests.factories import DepartementFactory, UserFactory
from tests.occupations import factories as rome

pytestmark = pytest.mark.django_db


@pytest.fixture
def soins():
    """J1501 in domain J15 (B1), regulated, with three appellations, skills in two releases,
    mobility links and tension figures."""
    job = rome.sheet(
        "J1501",
        "Soins d'hygiène, de confort du patient",
        domain=rome.domain("J15", "Soins", level="B1"),
        is_regulated=True,
        transition_demo=True,
        transition_eco="Emploi Blanc",
    )
    rome.appellation("Aide-soignant de nuit / Aide-soignante de nuit", job, code=3, rarely_used=True)
    rome.appellation("Aide-soignant / Aide-soignante", job, code=2, is_principal=True)
    rome.appellation("Auxiliaire de soins", job, code=1)
    rome.appellation("Ancienne appellation", job, code=4, in_release=False)
    old = rome.release("459", ReleaseStatus.SUPERSEDED)
    current = rome.release("460")
    rome.skill(old, "J1501", "Compétence de l'ancienne version")
    rome.skill(current, "J1501", "Réaliser les soins d'hygiène", role=SkillRole.CORE)
    rome.skill(current, "J1501", "Adopter une posture bienveillante", kind=SkillKind.SAVOIR_ETRE, section="savoir_etre")
    rome.skill(current, "J1501", "Utiliser un dossier de soins informatisé", role=SkillRole.EMERGING)
    rome.skill(current, "J1501", "Accompagner la personne", role=SkillRole.OTHER)
    rome.skill(current, "J1501", "Règles d'hygiène", kind=SkillKind.SAVOIR, section="savoir", category="Hygiène")
    rome.sheet("J1301", "Personnel polyvalent des services hospitaliers")
    rome.sheet("K1302", "Assistance auprès d'adultes")
    rome.mobility(current, "J1501", "K1302", 2)
    rome.mobility(current, "J1501", "J1301", 1)
    rome.mobility(old, "J1501", "A1101", 1)
    return job


def test_sheet_detail_reads_the_release_in_service(soins, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        detail = sheet_detail("j1501")
    assert detail.job.code == "J1501"
    assert (detail.domain.code, detail.french_level, detail.regulated) == ("J15", "B1", True)
    assert detail.transitions == ["Emploi Blanc", "Transition démographique"]
    assert [a.code for a in detail.appellations] == [2, 1, 3]  # principal first, rarely used last
    assert detail.principal.label == "Aide-soignant / Aide-soignante"
    assert [s.label for s in detail.core] == ["Adopter une posture bienveillante", "Réaliser les soins d'hygiène"]
    assert [s.label for s in detail.emerging] == ["Utiliser un dossier de soins informatisé"]
    assert [s.label for s in detail.other] == ["Accompagner la personne"]
    assert [(s.label, s.category) for s in detail.savoirs] == [("Règles d'hygiène", "Hygiène")]
    assert [(m.code, m.label, m.order) for m in detail.mobility] == [
        ("J1301", "Personnel polyvalent des services hospitaliers", 1),
        ("K1302", "Assistance auprès d'adultes", 2),
    ]
    assert detail.has_release


def test_sheet_detail_without_a_release_in_service():
    job = rome.sheet("F1703", "Maçonnerie")
    rome.release("460", ReleaseStatus.READY)
    detail = sheet_detail("F1703")
    assert detail.job == job
    assert (detail.has_release, detail.core, detail.mobility, detail.domain, detail.french_level) == (
        False,
        [],
        [],
        None,
        "",
    )


def test_unknown_sheet_raises():
    with pytest.raises(SheetNotFound):
        sheet_detail("Z9999")


def test_tension_national_and_in_the_departement(soins):
    loire = DepartementFactory()
    gironde = Departement.objects.create(code="33", name="Gironde", region_code="75")
    rome.tension(soins, "70.5")
    rome.tension(soins, "81.2", departement=loire)
    national_only = sheet_detail("J1501", departement_code="33")
    assert [(t.territory, t.pct) for t in national_only.tensions] == [("France entière", Decimal("70.5"))]
    both = sheet_detail("J1501", departement_code="44")
    assert [(t.territory, t.pct) for t in both.tensions] == [
        ("France entière", Decimal("70.5")),
        ("Loire-Atlantique", Decimal("81.2")),
    ]
    assert gironde.code == "33"


def test_no_tension_figure(soins):
    assert sheet_detail("J1501", departement_code="44").tensions == []


def test_transition_tags_cover_every_flag():
    job = rome.sheet("M1805", "Études et développement informatique", is_cadre=True, transition_num=True)
    assert transition_tags(job) == ["Emploi cadre", "Transition numérique"]


# --- French level of a domain -------------------------------------------------------------------------


def test_platform_admin_sets_the_level_with_an_audit_entry():
    rome.domain("J15", "Soins", level="B1")
    admin = UserFactory(is_superuser=True)
    domain = domain_french_level_set(code="j15", level="B2", user=admin)
    domain.refresh_from_db()
    assert (domain.french_level, domain.french_level_updated_by) == ("B2", admin)
    assert domain.french_level_updated_at is not None
    entry = AuditEntry.objects.get(object_type="occupations.professionaldomain", action=AuditAction.UPDATE)
    assert (entry.object_id, entry.fields, entry.actor) == ("J15", ["french_level"], admin)


def test_level_change_refused_to_anyone_else():
    rome.domain("J15", "Soins", level="B1")
    with pytest.raises(PermissionDenied) as exc:
        domain_french_level_set(code="J15", level="A2", user=UserFactory())
    assert "administrateur" in str(exc.value)
    assert ProfessionalDomain.objects.get(code="J15").french_level == "B1"
    assert not AuditEntry.objects.filter(action=AuditAction.UPDATE).exists()


@pytest.mark.parametrize(
    ("code", "level", "key", "message"),
    [
        ("J15", "B3", "level", "Niveau de français inconnu : choisissez un niveau du CECRL (A1.1 à C2)."),
        ("Z99", "B2", "code", "Domaine professionnel inconnu."),
    ],
)
def test_bad_level_or_domain_is_refused_and_nothing_written(code, level, key, message):
    rome.domain("J15", "Soins", level="B1")
    with pytest.raises(ValidationError) as exc:
        domain_french_level_set(code=code, level=level, user=UserFactory(is_superuser=True))
    assert exc.value.message_dict[key] == [message]
    assert ProfessionalDomain.objects.get(code="J15").french_level == "B1"
    assert not AuditEntry.objects.filter(action=AuditAction.UPDATE).exists()
