from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from parcours.diagnostics.enums import AssessmentMethod, NeedLevel, Theme
from parcours.diagnostics.models import Diagnostic, LanguageLevel, ThemeAssessment
from parcours.matching.enums import DismissReason, FeedbackDecision, RecommendationKind
from parcours.matching.models import RecommendationFeedback, ThemeThematique
from parcours.matching.selectors import recommend_for, travel_limit_km
from parcours.occupations.models import (
    Appellation,
    JobTension,
    Mobility,
    ProfessionalDomain,
    ReleaseStatus,
    RomeRelease,
    TensionImport,
)
from parcours.people.enums import ORDINARY_CATEGORIES, DataCategory
from parcours.people.models import JobWish, JobWishKind, WorkExperience
from tests.directory.factories import ANGERS, NANTES, REZE, ServiceFactory
from tests.factories import FollowUpMemberFactory, MembershipFactory, PathwayFactory, PersonFactory, RomeJobFactory
from tests.programmes.factories import ProgrammeFactory, SessionFactory

pytestmark = pytest.mark.django_db

ORDINARY = frozenset(ORDINARY_CATEGORIES)
WITH_HEALTH = ORDINARY | {DataCategory.HEALTH}
HOUSING = "logement-hebergement--louer-un-logement"
FRENCH = "lecture-ecriture-calcul--maitriser-le-francais"
HEALTH = "sante--acces-aux-soins"


@pytest.fixture
def world(theme_mapping):
    """A refugee in Nantes who worked as « Auxiliaire de vie » (K1302) and wishes to become
    « Aide-soignant » (J1501, regulated, usually B1), French A2, a diagnostic with a priority
    housing need, a French need and a priority health need; services near and far; programmes."""
    release = RomeRelease.objects.create(version="460", status=ReleaseStatus.CURRENT)
    care = ProfessionalDomain.objects.create(
        code="J15", label="Soins", grand_domain_code="J", grand_domain_label="Santé", french_level="B1"
    )
    help_ = ProfessionalDomain.objects.create(
        code="K13", label="Aide à la vie", grand_domain_code="K", grand_domain_label="Services", french_level="A2"
    )
    k1302 = RomeJobFactory(code="K1302", label="Assistance auprès d'adultes", domain=help_)
    j1501 = RomeJobFactory(code="J1501", label="Aide-soignant / Aide-soignante", domain=care, is_regulated=True)
    RomeJobFactory(code="K1304", label="Services domestiques", domain=help_)
    Mobility.objects.create(release=release, source_code="K1302", target_code="J1501", order=1)
    Mobility.objects.create(release=release, source_code="K1302", target_code="K1304", order=2)
    auxiliaire = Appellation.objects.create(code=11111, label="Auxiliaire de vie", rome=k1302, search_text=" a ")
    soignant = Appellation.objects.create(code=22222, label="Aide-soignant", rome=j1501, search_text=" a ")
    tension = TensionImport.objects.create(source="metiers_tension.csv")
    JobTension.objects.create(
        tension_import=tension, rome=j1501, departement_id="44", tension_pct=Decimal("80.0"), source_code="J1501"
    )

    referent = MembershipFactory()
    person = PersonFactory(refugee=True, max_travel_minutes=60, has_vehicle=False)
    pathway = PathwayFactory(person=person, referent=referent)
    WorkExperience.objects.create(person=person, rome=k1302, appellation=auxiliaire, years=Decimal("3"))
    JobWish.objects.create(person=person, appellation=soignant, kind=JobWishKind.WISH)

    diagnostic = Diagnostic.objects.create(
        person=person,
        version=1,
        recorded_at=timezone.now(),
        recorded_by=referent.user,
        organisation=referent.organisation,
    )
    for theme, need in (
        (Theme.LOGEMENT, NeedLevel.PRIORITY),
        (Theme.MAITRISE_LANGUE, NeedLevel.TO_WORK_ON),
        (Theme.SANTE, NeedLevel.PRIORITY),
        (Theme.EMPLOI, NeedLevel.NONE),
    ):
        ThemeAssessment.objects.create(diagnostic=diagnostic, theme=theme, need=need)
    LanguageLevel.objects.create(diagnostic=diagnostic, language="fr", level="A2", method=AssessmentMethod.OFII_TEST)

    services = {
        "housing_near": ServiceFactory(nom="Logement Rezé", thematiques=[HOUSING], place=REZE, places_free=3),
        "housing_full": ServiceFactory(nom="Logement complet", thematiques=[HOUSING], place=NANTES, places_free=0),
        "housing_far": ServiceFactory(nom="Logement Angers", thematiques=[HOUSING], place=ANGERS),
        "french": ServiceFactory(nom="Cours de français", thematiques=[FRENCH], place=NANTES, languages=["fr", "prs"]),
        "health": ServiceFactory(nom="Accès aux soins", thematiques=[HEALTH], place=NANTES),
        "draft": ServiceFactory(nom="Brouillon", thematiques=[HOUSING], place=NANTES, draft=True),
    }
    programme = ProgrammeFactory(code="hope", name="HOPE")
    programme.rome_jobs.add(j1501)
    session = SessionFactory(programme=programme, label="HOPE Nantes")
    session.target_jobs.add(j1501)
    closed = ProgrammeFactory(
        code="paris-only", eligibility_rules=[{"field": "departement", "op": "in", "value": ["75"]}]
    )
    SessionFactory(programme=closed)
    return {"pathway": pathway, "referent": referent, "services": services, "session": session}


def _keys(proposals):
    return [p.key for p in proposals]


def test_recommendations_for_a_refugee(world, django_assert_max_num_queries):
    # 17: the decided keys (to leave out) and the dismissed list (consent-filtered in SQL) are two reads.
    with django_assert_max_num_queries(17):
        reco = recommend_for(pathway=world["pathway"], membership=world["referent"], categories=ORDINARY)

    # Jobs: the wish (in tension, reachable from the experience), the experience, the farther mobility.
    codes = [job.code for job in reco.jobs]
    assert set(codes) == {"J1501", "K1302", "K1304"}
    assert [job.rank for job in reco.jobs] == [1, 2, 3]
    assert [job.score for job in reco.jobs] == sorted((job.score for job in reco.jobs), reverse=True)
    soignant = next(job for job in reco.jobs if job.code == "J1501")
    assert soignant.origin == "wish"
    assert soignant.appellation_code == 22222
    assert soignant.tension_pct == Decimal("80.0")
    assert soignant.regulated and soignant.french_gap and soignant.french_required == "B1"
    texts = [r.text for r in soignant.reasons]
    assert "Niveau de français habituellement demandé : B1 (niveau actuel : A2)" in texts
    assert any(t.startswith("Métier réglementé : reconnaissance du diplôme") for t in texts)
    assert any("en Loire-Atlantique" in t and "80,0 %" in t for t in texts)
    mobility = next(job for job in reco.jobs if job.code == "K1304")
    assert (mobility.origin, mobility.from_code, mobility.appellation_code) == ("mobility", "K1302", None)

    # Services: housing (priority) first, the full one kept but below, far and draft ones absent,
    # the health need hidden without consent for health data.
    services = {p.service.nom: p for p in reco.services}
    assert set(services) == {"Logement Rezé", "Logement complet", "Cours de français"}
    assert reco.services[0].service.nom == "Logement Rezé"
    first = reco.services[0]
    assert first.theme == Theme.LOGEMENT and first.theme_label == "Logement"
    assert first.reasons[0].text == "Répond au besoin « Logement » (prioritaire) du diagnostic"
    assert any(r.text.startswith("À 5,4 km de Nantes") for r in first.reasons)
    full = services["Logement complet"]
    assert full.rank > first.rank and ("Complet actuellement", "minus") in [(r.text, r.tone) for r in full.reasons]
    french = services["Cours de français"]
    assert french.theme == Theme.MAITRISE_LANGUE
    assert "Service délivré en dari" in [r.text for r in french.reasons]

    # Programmes: HOPE eligible with its Nantes session fitting the wish; the Paris one counted out.
    assert [p.programme.code for p in reco.programmes] == ["hope"]
    hope = reco.programmes[0]
    assert hope.result.status == "eligible"
    assert [o.session for o in hope.sessions] == [world["session"]]
    assert hope.sessions[0].free_places == 12 and hope.sessions[0].job_fit == ["Aide-soignant / Aide-soignante"]
    assert "Prépare au métier souhaité : Aide-soignant / Aide-soignante" in [r.text for r in hope.reasons]
    assert "1 programme non proposé : la personne n'y est pas éligible." in reco.notes
    assert "Distance maximale retenue : 30 km (trajet de 60 minutes, en transports en commun)." in reco.notes
    assert reco.dismissed == []


def test_health_needs_only_with_health_consent(world):
    reco = recommend_for(pathway=world["pathway"], membership=world["referent"], categories=WITH_HEALTH)
    health = [p for p in reco.services if p.service.nom == "Accès aux soins"]
    assert len(health) == 1 and health[0].theme == Theme.SANTE


def test_decided_proposals_are_not_proposed_again(world):
    pathway, referent = world["pathway"], world["referent"]
    near = world["services"]["housing_near"]
    common = {"pathway": pathway, "decided_by": referent.user, "organisation": referent.organisation}
    dismissal = RecommendationFeedback.objects.create(
        kind=RecommendationKind.SERVICE,
        key=str(near.pk),
        label=near.nom,
        decision=FeedbackDecision.DISMISSED,
        reason=DismissReason.TOO_FAR,
        **common,
    )
    RecommendationFeedback.objects.create(
        kind=RecommendationKind.JOB, key="K1304", label="Services", decision=FeedbackDecision.ACCEPTED, **common
    )
    RecommendationFeedback.objects.create(
        kind=RecommendationKind.PROGRAMME,
        key="hope",
        label="HOPE",
        decision=FeedbackDecision.DISMISSED,
        reason=DismissReason.NOT_RELEVANT,
        revoked_at=timezone.now(),  # revoked: shown again
        **common,
    )

    reco = recommend_for(pathway=pathway, membership=referent, categories=ORDINARY)

    assert str(near.pk) not in _keys(reco.services)
    assert "K1304" not in _keys(reco.jobs)
    assert _keys(reco.programmes) == ["hope"]
    assert reco.dismissed == [dismissal]


def test_only_an_active_follow_up_member_may_ask(world):
    pathway = world["pathway"]
    stranger = MembershipFactory(organisation=world["referent"].organisation)
    with pytest.raises(PermissionDenied):
        recommend_for(pathway=pathway, membership=stranger, categories=ORDINARY)
    pilot = FollowUpMemberFactory(pathway=pathway, membership=MembershipFactory(pilote=True)).membership
    with pytest.raises(PermissionDenied):
        recommend_for(pathway=pathway, membership=pilot, categories=ORDINARY)
    former = FollowUpMemberFactory(pathway=pathway, ended_at=timezone.now()).membership
    with pytest.raises(PermissionDenied):
        recommend_for(pathway=pathway, membership=former, categories=ORDINARY)
    referent = world["referent"]
    referent.user.is_active = False
    referent.user.save()
    with pytest.raises(PermissionDenied):
        recommend_for(pathway=pathway, membership=referent, categories=ORDINARY)
    referent.user.is_active = True
    referent.user.save()
    referent.is_active = False
    referent.save()
    with pytest.raises(PermissionDenied):
        recommend_for(pathway=pathway, membership=referent, categories=ORDINARY)


def test_a_person_with_nothing_recorded_gets_notes_not_errors(django_assert_max_num_queries):
    referent = MembershipFactory()
    pathway = PathwayFactory(person=PersonFactory(commune=None), referent=referent)
    with django_assert_max_num_queries(16):
        reco = recommend_for(pathway=pathway, membership=referent, categories=ORDINARY)
    assert reco.jobs == reco.services == reco.programmes == []
    assert "Aucun diagnostic : les services ne peuvent pas être proposés à partir des besoins." in reco.notes
    assert "Commune inconnue : distance non calculée." in reco.notes
    assert any(note.startswith("Aucune expérience ni métier souhaité") for note in reco.notes)


def test_the_mapping_is_the_editable_table(world):
    ThemeThematique.objects.filter(theme=Theme.LOGEMENT).delete()
    reco = recommend_for(pathway=world["pathway"], membership=world["referent"], categories=ORDINARY)
    assert {p.theme for p in reco.services} == {Theme.MAITRISE_LANGUE}
    assert any("« Logement » n'a pas de thématique associée" in note for note in reco.notes)


@pytest.mark.parametrize(
    ("minutes", "vehicle", "km"), [(None, False, 30), (60, False, 30), (60, True, 48), (240, True, 192), (5, False, 2)]
)
def test_travel_limit(minutes, vehicle, km):
    assert travel_limit_km(minutes, vehicle) == km


# --- consent: disability (RQTH) and health -------------------------------------------------------


DISABLED_PUBLIC = "personnes-en-situation-de-handicap"


def test_rqth_public_used_only_with_disability_consent(world):
    """A person with an RQTH: a service for disabled people gains its public points only for a
    reader whose consent covers disability; otherwise the RQTH is not used at all."""
    from parcours.matching import scoring
    from parcours.matching.selectors import _person_publics

    person = world["pathway"].person
    person.has_rqth = True
    person.save()
    assert DISABLED_PUBLIC not in _person_publics(person, ORDINARY)
    assert DISABLED_PUBLIC in _person_publics(person, ORDINARY | {DataCategory.DISABILITY})

    adapted = ServiceFactory(nom="Logement adapté", thematiques=[HOUSING], place=NANTES, publics=[DISABLED_PUBLIC])
    referent = world["referent"]
    without = recommend_for(pathway=world["pathway"], membership=referent, categories=ORDINARY)
    with_consent = recommend_for(
        pathway=world["pathway"], membership=referent, categories=ORDINARY | {DataCategory.DISABILITY}
    )
    score_without = next(p.score for p in without.services if p.service == adapted)
    score_with = next(p.score for p in with_consent.services if p.service == adapted)
    assert score_with == pytest.approx(score_without + scoring.PUBLIC_POINTS)


def _health_dismissal(world):
    pathway, referent = world["pathway"], world["referent"]
    common = {"pathway": pathway, "decided_by": referent.user, "organisation": referent.organisation}
    health = world["services"]["health"]
    health_dismissal = RecommendationFeedback.objects.create(
        kind=RecommendationKind.SERVICE,
        key=str(health.pk),
        label=health.nom,
        theme=Theme.SANTE,
        decision=FeedbackDecision.DISMISSED,
        reason=DismissReason.NOT_RELEVANT,
        **common,
    )
    housing = world["services"]["housing_near"]
    housing_dismissal = RecommendationFeedback.objects.create(
        kind=RecommendationKind.SERVICE,
        key=str(housing.pk),
        label=housing.nom,
        theme=Theme.LOGEMENT,
        decision=FeedbackDecision.DISMISSED,
        reason=DismissReason.TOO_FAR,
        **common,
    )
    return health_dismissal, housing_dismissal


def test_a_health_themed_dismissal_is_hidden_without_health_consent(world):
    health_dismissal, housing_dismissal = _health_dismissal(world)
    reco = recommend_for(pathway=world["pathway"], membership=world["referent"], categories=ORDINARY)
    assert reco.dismissed == [housing_dismissal]
    # Still decided: not proposed again either.
    assert str(world["services"]["health"].pk) not in _keys(reco.services)


def test_a_health_themed_dismissal_is_listed_with_health_consent(world):
    health_dismissal, housing_dismissal = _health_dismissal(world)
    reco = recommend_for(pathway=world["pathway"], membership=world["referent"], categories=WITH_HEALTH)
    assert set(reco.dismissed) == {health_dismissal, housing_dismissal}
    assert str(world["services"]["health"].pk) not in _keys(reco.services)
