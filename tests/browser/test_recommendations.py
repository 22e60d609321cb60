"""The "Pistes" journey in headless Chromium: a counsellor opens a refugee's pathway, reads the ranked
jobs, services and programmes with their reasons, dismisses a job with a reason, and turns the
housing service into a referral (recorded as a retained proposal); the job pages and the usage page
(pilote) pass axe-core too."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from parcours.diagnostics.enums import AssessmentMethod, NeedLevel, Theme
from parcours.diagnostics.models import Diagnostic, LanguageLevel, ThemeAssessment
from parcours.matching.enums import DismissReason, FeedbackDecision, RecommendationKind
from parcours.matching.models import RecommendationFeedback
from parcours.occupations.models import (
    Appellation,
    JobTension,
    Mobility,
    ProfessionalDomain,
    ReleaseStatus,
    RomeRelease,
    TensionImport,
)
from parcours.occupations.search import normalise
from parcours.organisations.enums import OrganisationKind
from parcours.people.models import JobWish, JobWishKind, WorkExperience
from parcours.referrals.models import Referral
from parcours.territories.models import Commune
from tests.directory.factories import REZE, ServiceFactory
from tests.factories import PASSWORD, MembershipFactory, OrganisationFactory, RomeJobFactory
from tests.programmes.factories import ProgrammeFactory, SessionFactory

HOUSING = "logement-hebergement--louer-un-logement"
FRENCH = "lecture-ecriture-calcul--maitriser-le-francais"
HOUSING_SERVICE = "Accompagnement vers le logement des personnes réfugiées"
ASSOCIATION = "Passerelles Réfugiés Rezé"


@pytest.fixture
def counsellor(db):
    return MembershipFactory(
        user__first_name="Sophie",
        user__last_name="Martin",
        organisation=OrganisationFactory(name="France Travail Nantes Nord"),
    )


@pytest.fixture
def pistes(amina_pathway, counsellor, theme_mapping):
    """Amina (Rezé, Dari) worked as « Aide à domicile » (K1304) and wishes to become « Aide-soignant »
    (J1501, in tension, regulated); French A1; priority needs: French and housing. Near her: a housing
    service with free places run by an association, a French class; HOPE with an open session."""
    release = RomeRelease.objects.create(version="460", status=ReleaseStatus.CURRENT)
    care = ProfessionalDomain.objects.create(
        code="J15", label="Soins", grand_domain_code="J", grand_domain_label="Santé", french_level="B1"
    )
    help_ = ProfessionalDomain.objects.create(
        code="K13", label="Aide à la vie", grand_domain_code="K", grand_domain_label="Services", french_level="A2"
    )
    k1304 = RomeJobFactory(code="K1304", label="Employé familial / Employée familiale", domain=help_)
    k1302 = RomeJobFactory(code="K1302", label="Assistant / Assistante de vie dépendance", domain=help_)
    j1501 = RomeJobFactory(code="J1501", label="Aide-soignant / Aide-soignante", domain=care, is_regulated=True)
    Mobility.objects.create(release=release, source_code="K1304", target_code="K1302", order=1)
    Mobility.objects.create(release=release, source_code="K1304", target_code="J1501", order=4)
    appellations = {}
    for code, label, job in (
        (10805, "Aide à domicile", k1304),
        (511181, "Employé familial / Employée familiale", k1304),
        (38087, "Assistant / Assistante de vie dépendance", k1302),
        (10891, "Aide-soignant / Aide-soignante", j1501),
    ):
        appellations[code] = Appellation.objects.create(
            code=code, label=label, rome=job, search_text=normalise(label), is_principal=code != 10805
        )
    tension = TensionImport.objects.create(source="metiers_tension.csv")
    for job, pct in ((j1501, "54.7"), (k1302, "81.4"), (k1304, "64.5")):
        JobTension.objects.create(
            tension_import=tension, rome=job, departement_id=None, tension_pct=Decimal(pct), source_code=job.code
        )

    person = amina_pathway.person
    WorkExperience.objects.create(person=person, rome=k1304, appellation=appellations[10805], years=Decimal("4"))
    JobWish.objects.create(person=person, appellation=appellations[10891], kind=JobWishKind.WISH)
    diagnostic = Diagnostic.objects.get(person=person)
    ThemeAssessment.objects.create(diagnostic=diagnostic, theme=Theme.LOGEMENT, need=NeedLevel.PRIORITY)
    LanguageLevel.objects.create(diagnostic=diagnostic, language="fr", level="A1", method=AssessmentMethod.OFII_TEST)

    association = OrganisationFactory(kind=OrganisationKind.ASSOCIATION, name=ASSOCIATION)
    MembershipFactory(organisation=association)
    housing = ServiceFactory(
        nom=HOUSING_SERVICE,
        thematiques=[HOUSING],
        publics=["personnes-exilees"],
        place=REZE,
        operator=association,
        languages=["fr", "prs"],
        places_total=15,
        places_free=4,
        structure__nom=ASSOCIATION,
    )
    ServiceFactory(nom="Cours de français à Rezé", thematiques=[FRENCH], place=REZE, places_free=6)
    hope = ProgrammeFactory(code="hope-44", name="HOPE Loire-Atlantique")
    session = SessionFactory(
        programme=hope, label="HOPE Rezé — Aide à la personne", commune=Commune.objects.get(insee_code="44143")
    )
    session.target_jobs.add(k1302)
    return {"pathway": amina_pathway, "housing": housing}


def test_counsellor_reads_the_pistes_dismisses_a_job_and_refers_to_a_service(
    page, axe_check, browser_login, counsellor, pistes
):
    pathway, housing = pistes["pathway"], pistes["housing"]
    browser_login(counsellor)
    page.goto(f"/parcours/{pathway.pk}/")
    page.locator("#contenu").get_by_role("link", name="Pistes").first.click()
    page.wait_for_url(f"**/parcours/{pathway.pk}/pistes/")

    # Three sections, ranked, each proposal with its reasons.
    for heading in ("Métiers", "Services", "Programmes"):
        assert page.get_by_role("heading", name=heading, exact=True).is_visible()
    jobs = page.locator("#pistes-metiers").locator("xpath=..")
    assert jobs.get_by_role("heading", name=re.compile(r"^1\. ")).count() == 1
    soignant = page.locator("#piste-job-J1501")
    assert soignant.get_by_text("Métier souhaité par la personne : Aide-soignant / Aide-soignante").is_visible()
    assert soignant.get_by_text("Métier réglementé : reconnaissance du diplôme à prévoir").is_visible()
    assert page.locator("#piste-job-K1304").get_by_text("Expérience de la personne : Aide à domicile").is_visible()
    service_card = page.locator(f"#piste-service-{housing.pk}")
    assert service_card.get_by_role("heading", name=f"1. {HOUSING_SERVICE}").is_visible()
    assert service_card.get_by_text("Répond au besoin « Logement » (prioritaire) du diagnostic").is_visible()
    assert service_card.get_by_text("4 places libres").is_visible()
    hope = page.locator("#piste-programme-hope-44")
    assert hope.get_by_role("heading", name="1. HOPE Loire-Atlantique").is_visible()
    assert hope.get_by_text("La personne remplit les conditions d'éligibilité").is_visible()
    assert hope.get_by_role("cell", name="HOPE Rezé — Aide à la personne", exact=True).is_visible()
    axe_check(page, "pistes")

    # Dismiss a job with a reason: it moves to "Propositions écartées".
    card = page.locator("#piste-job-K1302")
    card.get_by_text("Écarter « Assistant / Assistante de vie dépendance »").click()
    card.get_by_label("Motif").select_option(DismissReason.PERSON_REFUSES)
    card.get_by_role("button", name="Écarter cette proposition").click()
    page.wait_for_url(re.compile(rf".*/parcours/{pathway.pk}/pistes/.*"))
    assert page.locator("#piste-job-K1302").count() == 0
    dismissed = page.locator("#ecartees").locator("xpath=..")
    assert dismissed.get_by_role("cell", name="Assistant / Assistante de vie dépendance", exact=True).is_visible()
    assert dismissed.get_by_role("cell", name="La personne ne le souhaite pas", exact=True).is_visible()
    axe_check(page, "pistes-after-dismissal")

    # Refer to the housing service from its proposal: the referral form comes prefilled.
    page.locator(f"#piste-service-{housing.pk}").get_by_role(
        "link", name=re.compile("Orienter vers ce service")
    ).click()
    page.wait_for_url(f"**/prescriptions/nouvelle/{pathway.pk}/**")
    assert page.locator("select[name=theme]").input_value() == Theme.LOGEMENT
    assert page.get_by_text(HOUSING_SERVICE).first.is_visible()
    axe_check(page, "pistes-referral-create")
    page.fill(
        "textarea[name=message]",
        "Bonjour, Amina cherche un logement autonome à Rezé ; elle parle dari. Merci de lui proposer un rendez-vous.",
    )
    page.get_by_role("button", name="Envoyer la prescription").click()
    page.wait_for_url(re.compile(r".*/prescriptions/\d+/$"))

    referral = Referral.objects.get(pathway=pathway)
    assert referral.service == housing
    retained = RecommendationFeedback.objects.get(pathway=pathway, kind=RecommendationKind.SERVICE)
    assert (retained.decision, retained.key, retained.referral) == (
        FeedbackDecision.ACCEPTED,
        str(housing.pk),
        referral,
    )
    dismissal = RecommendationFeedback.objects.get(pathway=pathway, kind=RecommendationKind.JOB)
    assert (dismissal.key, dismissal.decision, dismissal.reason) == (
        "K1302",
        FeedbackDecision.DISMISSED,
        DismissReason.PERSON_REFUSES,
    )
    assert dismissal.decided_by == counsellor.user and dismissal.revoked_at is None
    assert dismissal.decided_at <= timezone.now()


def test_job_pages_and_usage_page_pass_axe(page, axe_check, browser_login, counsellor, pistes):
    browser_login(counsellor)
    page.goto("/metiers/?q=aide+soignant")
    assert page.get_by_role("link", name=re.compile("Aide-soignant")).first.is_visible()
    axe_check(page, "job-search")
    page.goto("/metiers/J1501/")
    assert page.get_by_role("heading", name=re.compile("Aide-soignant")).first.is_visible()
    axe_check(page, "job-sheet")

    page.context.clear_cookies()
    browser_login(MembershipFactory(pilote=True))
    page.goto("/pistes/usage/")
    assert page.get_by_role("heading", name=re.compile("Usage des pistes")).first.is_visible()
    axe_check(page, "pistes-usage")


def test_appellation_picker_domains_mapping_and_releases_pages_pass_axe(
    page, axe_check, browser_login, counsellor, amina_pathway, pistes
):
    """The pages of this issue that the journeys above do not open: the appellation picker of the
    person's situation (searched without JavaScript), the French levels per domain and the theme →
    thématique mapping as a counsellor, then as a platform administrator the editable forms and the
    ROME releases page."""
    from tests.factories import UserFactory

    browser_login(counsellor)
    page.goto(f"/parcours/{amina_pathway.pk}/fiche/situation/?experience-q=aide+soignant")
    assert page.get_by_role("radio", name=re.compile("Aide-soignant")).first.is_visible()
    axe_check(page, "situation-appellation-picker")
    page.goto("/metiers/domaines/")
    assert page.get_by_role("heading", name=re.compile("français", re.IGNORECASE)).first.is_visible()
    axe_check(page, "domain-levels-read")
    page.goto("/pistes/correspondances/")
    axe_check(page, "theme-mapping-read")

    admin = UserFactory(is_superuser=True, is_staff=True)
    page.context.clear_cookies()
    page.goto("/connexion/")
    page.get_by_label("Nom d’utilisateur").fill(admin.username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    for url, name in (
        ("/metiers/domaines/", "domain-levels-edit"),
        ("/pistes/correspondances/", "theme-mapping-edit"),
        ("/metiers/referentiel/", "rome-releases"),
    ):
        response = page.goto(url)
        assert response.status == 200 and page.url.endswith(url)
        assert page.locator("h1").first.is_visible()
        axe_check(page, name)
