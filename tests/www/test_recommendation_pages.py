"""The "Pistes" tab, its actions, the usage page, the theme → thématique mapping page and the
referral created from a proposal: allowed and refused cases, bad input (French message, nothing
written), strict templates."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from parcours.audit.models import AuditAction, AuditEntry
from parcours.diagnostics.enums import NeedLevel, Theme
from parcours.diagnostics.models import Diagnostic, ThemeAssessment
from parcours.matching import scoring
from parcours.matching.enums import DismissReason, FeedbackDecision, RecommendationKind
from parcours.matching.models import RecommendationFeedback, ThemeThematique
from parcours.occupations.models import Appellation, ReleaseStatus, RomeRelease
from parcours.organisations.enums import OrganisationKind
from parcours.pathways.enums import PathwayStatus
from parcours.people.enums import DataCategory
from parcours.people.models import JobWish, JobWishKind, WorkExperience
from parcours.programmes import eligibility as rules
from parcours.programmes.models import Enrolment
from parcours.referrals.models import Referral
from parcours.www.recommendations import views
from tests.directory.factories import REZE, ServiceFactory
from tests.factories import (
    ConsentFactory,
    DepartementFactory,
    MembershipFactory,
    OrganisationFactory,
    PathwayFactory,
    RomeJobFactory,
    TerritoryGrantFactory,
    UserFactory,
)
from tests.programmes.factories import ProgrammeFactory, SessionFactory

pytestmark = pytest.mark.django_db

HOUSING = "logement-hebergement--louer-un-logement"


def html_of(response) -> str:
    html = response.content.decode()
    assert "!!INVALID" not in html
    return html


def shows(html: str, text: str) -> bool:
    return escape(text) in html or text in html


def tab_url(pathway):
    return reverse("pathway_recommendations", args=[pathway.pk])


# --- hand-built proposals (the ranking has its own tests) ------------------------------------------


@pytest.fixture
def service(db):
    return ServiceFactory(
        nom="Logement Rezé",
        thematiques=[HOUSING],
        place=REZE,
        operator=OrganisationFactory(kind=OrganisationKind.ASSOCIATION),
    )


@pytest.fixture
def programme(db):
    return ProgrammeFactory(code="hope", name="HOPE")


@pytest.fixture
def session(programme):
    return SessionFactory(programme=programme, label="HOPE Nantes")


@pytest.fixture
def fake(monkeypatch, service, programme, session):
    """recommend_for replaced by fixed proposals; returns the dismissed list to fill."""
    RomeJobFactory(code="J1501", label="Aide-soignant / Aide-soignante")
    dismissed: list = []
    result = rules.EligibilityResult(
        status=rules.UNDETERMINED,
        criteria=(
            rules.CriterionResult(
                field="rsa",
                label="Bénéficiaire du RSA",
                op="eq",
                expected_display="oui",
                value=None,
                value_display="",
                status=rules.UNKNOWN,
                reason="",
                ask="Perçoit-elle le RSA ?",
                category="",
            ),
        ),
    )

    def recommend_for(*, pathway, membership, categories, limit):
        return scoring.PersonRecommendations(
            jobs=[
                scoring.JobProposal(
                    code="J1501",
                    label="Aide-soignant / Aide-soignante",
                    score=0.91,
                    rank=1,
                    origin="wish",
                    from_code="J1501",
                    from_label="Aide-soignant / Aide-soignante",
                    reasons=[
                        scoring.Reason(text="Métier en tension en Loire-Atlantique", tone="plus"),
                        scoring.Reason(text="Niveau de français habituellement demandé : B1", tone="warning"),
                    ],
                    tension_pct=Decimal("80.0"),
                    regulated=True,
                    french_required="B1",
                    french_gap=True,
                    shared_skills=3,
                    appellation_code=None,
                )
            ],
            services=[
                scoring.ServiceProposal(
                    service=service,
                    score=0.75,
                    rank=1,
                    theme="logement",
                    theme_label="Logement",
                    distance_km=5.43,
                    reasons=[scoring.Reason(text="Répond au besoin « Logement » (prioritaire)", tone="plus")],
                )
            ],
            programmes=[
                scoring.ProgrammeProposal(
                    programme=programme,
                    score=0.6,
                    rank=1,
                    result=result,
                    status_visible=True,
                    sessions=[
                        scoring.SessionOption(
                            session=session, distance_km=2.0, free_places=12, job_fit=["Aide-soignant"]
                        )
                    ],
                    reasons=[scoring.Reason(text="Éligibilité à confirmer", tone="info")],
                )
            ],
            dismissed=dismissed,
            notes=["Commune inconnue : distance non calculée."],
        )

    monkeypatch.setattr(views, "recommend_for", recommend_for)
    return dismissed


def test_tab_shows_the_three_sections_with_reasons_and_actions(login, membership, pathway, fake, service, session):
    response = login(membership).get(tab_url(pathway))
    html = html_of(response)
    assert response.status_code == 200
    for heading in ("Pistes pour la personne", "Métiers", "Services", "Programmes", "Propositions écartées"):
        assert shows(html, heading)
    assert shows(html, "Aide-soignant / Aide-soignante")
    assert 'fr-badge--success fr-mr-1w">Atout</span>Métier en tension en Loire-Atlantique' in html
    assert 'fr-badge--warning fr-mr-1w">Attention</span>' in html
    assert 'fr-badge--info fr-mr-1w">À savoir</span>' in html
    assert shows(html, "Commune inconnue : distance non calculée.")
    assert "fr-notice--info" in html
    referral_url = reverse("referral_create", args=[pathway.pk])
    assert escape(f"{referral_url}?service={service.pk}&theme=logement&reco=0.7500%3A1") in html
    assert reverse("job_sheet", args=["J1501"]) in html
    assert reverse("recommendation_job_target", args=[pathway.pk, "J1501"]) in html
    assert reverse("eligibility_check", args=[pathway.pk, "hope"]) in html
    # "Proposer une session": a plain link to the candidacy form, carrying the proposal.
    assert f'href="{reverse("enrolment_propose", args=[session.pk, pathway.pk])}?reco=0.6000%3A1"' in html
    assert shows(html, "Perçoit-elle le RSA ?")
    assert html.count(reverse("recommendation_dismiss", args=[pathway.pk])) == 3
    assert shows(html, "Aucune proposition écartée.")
    assert AuditEntry.objects.filter(
        action=AuditAction.READ, object_type="pathways.pathway:pathway_recommendations"
    ).exists()


def test_dismissed_proposals_are_listed_with_show_again(login, membership, pathway, fake, service):
    feedback = RecommendationFeedback.objects.create(
        pathway=pathway,
        kind=RecommendationKind.SERVICE,
        key=str(service.pk),
        label="Logement Rezé",
        decision=FeedbackDecision.DISMISSED,
        reason=DismissReason.OTHER,
        note="Horaires incompatibles",
        decided_by=membership.user,
        organisation=membership.organisation,
    )
    fake.append(feedback)
    html = html_of(login(membership).get(tab_url(pathway)))
    assert shows(html, "Autre raison (à préciser)")
    assert shows(html, "Horaires incompatibles")
    assert reverse("recommendation_restore", args=[pathway.pk, feedback.pk]) in html


def test_tab_is_refused_to_a_reader_outside_the_follow_up_group(client, login, pathway, fake):
    officer = TerritoryGrantFactory(departement=pathway.departement).membership
    response = login(officer).get(tab_url(pathway))
    assert response.status_code == 403
    stranger = MembershipFactory()
    assert login(stranger).get(tab_url(pathway)).status_code == 404


# --- actions --------------------------------------------------------------------------------------


def dismiss_data(service, **overrides):
    data = {
        "kind": "service",
        "key": str(service.pk),
        "label": service.nom,
        "score": "0.75",
        "rank": "1",
        "reason": DismissReason.TOO_FAR,
        "note": "",
    }
    data.update(overrides)
    return data


def test_dismiss_records_the_decision_and_returns_to_the_tab(login, membership, pathway, service):
    client = login(membership)
    response = client.post(reverse("recommendation_dismiss", args=[pathway.pk]), dismiss_data(service))
    assert response.status_code == 302
    assert response["Location"] == tab_url(pathway) + "#ecartees"
    feedback = RecommendationFeedback.objects.get()
    assert (feedback.decision, feedback.reason, feedback.score, feedback.rank) == ("dismissed", "too_far", 0.75, 1)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"reason": ""}, "Choisissez le motif pour lequel vous écartez cette proposition dans la liste."),
        ({"reason": DismissReason.OTHER}, "Précisez la raison pour laquelle vous écartez cette proposition."),
        ({"note": "x" * 501}, "La précision ne peut dépasser 500 caractères."),
        ({"kind": "formation"}, "Nature de proposition inconnue."),
        ({"key": "999999"}, "Cette proposition n'existe pas."),
    ],
)
def test_dismiss_bad_input_shows_the_message_and_writes_nothing(
    login, membership, pathway, service, fake, overrides, message
):
    client = login(membership)
    response = client.post(
        reverse("recommendation_dismiss", args=[pathway.pk]), dismiss_data(service, **overrides), follow=True
    )
    assert shows(html_of(response), message)
    assert not RecommendationFeedback.objects.exists()


def test_dismiss_twice_says_it_was_already_dismissed(login, membership, pathway, service, fake):
    client = login(membership)
    url = reverse("recommendation_dismiss", args=[pathway.pk])
    client.post(url, dismiss_data(service))
    html = html_of(client.post(url, dismiss_data(service), follow=True))
    assert shows(html, "Cette proposition a déjà été écartée le ")
    assert RecommendationFeedback.objects.count() == 1


def test_actions_are_refused_outside_the_follow_up_group(login, pathway, service, session):
    officer = TerritoryGrantFactory(departement=pathway.departement).membership
    client = login(officer)
    assert client.post(reverse("recommendation_dismiss", args=[pathway.pk]), dismiss_data(service)).status_code == 403
    RomeJobFactory(code="J1501")
    assert client.post(reverse("recommendation_job_target", args=[pathway.pk, "J1501"])).status_code == 403
    url = reverse("enrolment_propose", args=[session.pk, pathway.pk])
    assert client.post(url, {"reco": "0.6000:1"}).status_code == 403
    assert not RecommendationFeedback.objects.exists()
    assert not Enrolment.objects.exists()


def test_show_again(login, membership, pathway, service):
    client = login(membership)
    client.post(reverse("recommendation_dismiss", args=[pathway.pk]), dismiss_data(service))
    feedback = RecommendationFeedback.objects.get()
    officer = TerritoryGrantFactory(departement=pathway.departement).membership
    restore = reverse("recommendation_restore", args=[pathway.pk, feedback.pk])
    assert login(officer).post(restore).status_code == 403
    response = login(membership).post(restore)
    assert response.status_code == 302
    feedback.refresh_from_db()
    assert feedback.revoked_at is not None


def test_show_again_refused_on_the_page_outside_the_follow_up_group(login, membership, pathway, service):
    feedback = RecommendationFeedback.objects.create(
        pathway=pathway,
        kind=RecommendationKind.SERVICE,
        key=str(service.pk),
        label=service.nom,
        decision=FeedbackDecision.DISMISSED,
        reason=DismissReason.TOO_FAR,
        decided_by=membership.user,
        organisation=membership.organisation,
    )
    restore = reverse("recommendation_restore", args=[pathway.pk, feedback.pk])
    officer = TerritoryGrantFactory(departement=pathway.departement).membership
    assert login(officer).post(restore).status_code == 403
    # A colleague of the referent's organisation who is not in the group.
    colleague = MembershipFactory(organisation=membership.organisation)
    assert login(colleague).post(restore).status_code in (403, 404)
    feedback.refresh_from_db()
    assert feedback.revoked_at is None


def test_dismissing_on_a_closed_pathway_is_refused_on_the_page(login, membership, pathway, service):
    pathway.status, pathway.closed_at, pathway.closure_reason = PathwayStatus.CLOSED, timezone.now(), "Emploi"
    pathway.save()
    response = login(membership).post(reverse("recommendation_dismiss", args=[pathway.pk]), dismiss_data(service))
    assert response.status_code == 403
    assert shows(response.content.decode(), "Ce parcours est clos")
    assert not RecommendationFeedback.objects.exists()


def test_a_posted_label_is_ignored(login, membership, pathway, service):
    data = dismiss_data(service, label="<script>Forgé</script>")
    login(membership).post(reverse("recommendation_dismiss", args=[pathway.pk]), data)
    assert RecommendationFeedback.objects.get().label == "Logement Rezé"


def test_the_dismiss_form_carries_the_theme_and_records_it(login, membership, pathway, fake, service):
    client = login(membership)
    html = html_of(client.get(tab_url(pathway)))
    assert 'name="theme" value="logement"' in html
    assert 'name="label"' not in html
    client.post(reverse("recommendation_dismiss", args=[pathway.pk]), dismiss_data(service, theme="logement"))
    assert RecommendationFeedback.objects.get().theme == "logement"


def test_dismiss_with_an_unknown_theme_shows_the_message_and_writes_nothing(login, membership, pathway, fake, service):
    response = login(membership).post(
        reverse("recommendation_dismiss", args=[pathway.pk]), dismiss_data(service, theme="astrologie"), follow=True
    )
    assert shows(html_of(response), "Thème du diagnostic inconnu : astrologie.")
    assert not RecommendationFeedback.objects.exists()


def _health_dismissal(pathway, membership):
    clinic = ServiceFactory(nom="Centre de soins Bellevue", place=REZE)
    return RecommendationFeedback.objects.create(
        pathway=pathway,
        kind=RecommendationKind.SERVICE,
        key=str(clinic.pk),
        label=clinic.nom,
        theme=Theme.SANTE,
        decision=FeedbackDecision.DISMISSED,
        reason=DismissReason.NOT_RELEVANT,
        decided_by=membership.user,
        organisation=membership.organisation,
    )


def test_a_health_themed_dismissal_is_not_listed_without_health_consent(login, membership, pathway):
    _health_dismissal(pathway, membership)
    html = html_of(login(membership).get(tab_url(pathway)))
    assert "Bellevue" not in html
    assert shows(html, "Aucune proposition écartée.")


def test_a_health_themed_dismissal_is_listed_with_health_consent(login, membership, pathway):
    feedback = _health_dismissal(pathway, membership)
    ConsentFactory(person=pathway.person, organisation=membership.organisation, category=DataCategory.HEALTH)
    html = html_of(login(membership).get(tab_url(pathway)))
    assert "Centre de soins Bellevue" in html
    assert reverse("recommendation_restore", args=[pathway.pk, feedback.pk]) in html


# --- the "Pistes" tab in the pathway's tabs --------------------------------------------------------


def test_the_tab_is_shown_to_a_follow_up_member(login, membership, pathway):
    html = html_of(login(membership).get(reverse("pathway_referrals", args=[pathway.pk])))
    assert f'href="{tab_url(pathway)}"' in html


def test_the_tab_is_hidden_from_a_reader_outside_the_follow_up_group(login, pathway):
    officer = TerritoryGrantFactory(departement=pathway.departement).membership
    client = login(officer)
    response = client.get(reverse("pathway_referrals", args=[pathway.pk]))
    assert response.status_code == 200
    assert f'href="{tab_url(pathway)}"' not in html_of(response)
    # The page behind it refuses that reader.
    assert client.get(tab_url(pathway)).status_code == 403


def test_the_tab_rule_matches_the_page_rule(membership, pathway):
    from parcours.matching import access
    from parcours.pathways.selectors import group_members

    seat = next(s for s in group_members(pathway=pathway) if s.membership_id == membership.pk)
    assert access.can_view_proposals_from_seat(membership, seat) is access.can_view_proposals(membership, pathway)
    assert access.can_view_proposals_from_seat(membership, None) is False
    pilote = MembershipFactory(pilote=True)
    assert access.can_view_proposals_from_seat(pilote, seat) is False


def test_add_a_job_to_the_target_jobs(login, membership, pathway):
    job = RomeJobFactory(code="J1501", label="Aide-soignant / Aide-soignante")
    appellation = Appellation.objects.create(code=22222, label="Aide-soignant", rome=job, search_text=" aide soignant ")
    response = login(membership).post(
        reverse("recommendation_job_target", args=[pathway.pk, "J1501"]),
        {"appellation_code": "", "score": "0.9", "rank": "1"},
    )
    assert response.status_code == 302
    wish = JobWish.objects.get()
    assert (wish.appellation, wish.kind) == (appellation, JobWishKind.TARGET)
    assert RecommendationFeedback.objects.get().decision == FeedbackDecision.ACCEPTED


def test_add_an_unknown_job_shows_the_message_and_writes_nothing(login, membership, pathway, fake):
    response = login(membership).post(reverse("recommendation_job_target", args=[pathway.pk, "Z9999"]), follow=True)
    assert shows(html_of(response), "Ce métier n'existe pas dans le référentiel ROME.")
    assert not JobWish.objects.exists() and not RecommendationFeedback.objects.exists()


def test_propose_a_session_retains_the_programme_with_the_candidacy(login, membership, pathway, session):
    client = login(membership)
    url = reverse("enrolment_propose", args=[session.pk, pathway.pk])
    html = html_of(client.get(f"{url}?reco=0.6000:2"))
    assert 'name="reco" value="0.6000:2"' in html
    # Opening the form decides nothing.
    assert not RecommendationFeedback.objects.exists()
    response = client.post(url, {"reco": "0.6000:2"})
    enrolment = Enrolment.objects.get()
    assert response["Location"] == reverse("enrolment_detail", args=[enrolment.pk])
    feedback = RecommendationFeedback.objects.get()
    assert (feedback.kind, feedback.key, feedback.decision) == ("programme", session.programme.code, "accepted")
    assert (feedback.enrolment, feedback.score, feedback.rank, feedback.label) == (enrolment, 0.6, 2, "HOPE")


@pytest.mark.parametrize("reco", [None, "", "abc", "0.5", "0.5:0", "nan:2", "1:2:3"])
def test_candidacy_without_a_well_formed_reco_records_no_decision(login, membership, pathway, session, reco):
    data = {} if reco is None else {"reco": reco}
    response = login(membership).post(reverse("enrolment_propose", args=[session.pk, pathway.pk]), data)
    assert response.status_code == 302
    assert Enrolment.objects.count() == 1
    assert not RecommendationFeedback.objects.exists()


def test_a_decision_that_cannot_be_recorded_never_blocks_the_candidacy(
    login, membership, pathway, session, monkeypatch
):
    """The decision is written in a savepoint: a failure leaves the candidacy and nothing else."""
    from parcours.matching import services as matching_services
    from parcours.www.programmes import views as programme_views

    def failing(**kwargs):
        RecommendationFeedback.objects.create(
            pathway=pathway,
            kind="programme",
            key=session.programme.code,
            label="partial",
            decision=FeedbackDecision.ACCEPTED,
            decided_by=membership.user,
            organisation=membership.organisation,
        )
        raise ValidationError("refusé")

    monkeypatch.setattr(programme_views, "feedback_accept", transaction.atomic(failing))
    assert matching_services.feedback_accept is not failing
    response = login(membership).post(reverse("enrolment_propose", args=[session.pk, pathway.pk]), {"reco": "0.6:1"})
    assert response.status_code == 302
    assert Enrolment.objects.count() == 1
    assert not RecommendationFeedback.objects.exists()


def test_a_candidacy_on_a_closed_pathway_records_no_decision(login, membership, pathway, session):
    """The candidacy form decides for itself; the proposal cannot be retained on a closed pathway."""
    pathway.status, pathway.closed_at, pathway.closure_reason = PathwayStatus.CLOSED, timezone.now(), "Emploi"
    pathway.save()
    login(membership).post(reverse("enrolment_propose", args=[session.pk, pathway.pk]), {"reco": "0.6:1"})
    assert not RecommendationFeedback.objects.exists()


# --- with the real ranking ------------------------------------------------------------------------


def test_tab_with_the_real_ranking_proposes_the_service_of_the_need(login, membership, pathway):
    """A priority housing need, a published housing service in Rezé (5 km), a job from an
    experience: the page shows them and the service links to a prefilled referral."""
    RomeRelease.objects.create(version="460", status=ReleaseStatus.CURRENT)
    job = RomeJobFactory(code="K1302", label="Assistance auprès d'adultes")
    appellation = Appellation.objects.create(code=11111, label="Auxiliaire de vie", rome=job, search_text=" a ")
    WorkExperience.objects.create(person=pathway.person, rome=job, appellation=appellation, years=Decimal("3"))
    diagnostic = Diagnostic.objects.create(
        person=pathway.person,
        version=1,
        recorded_at=timezone.now(),
        recorded_by=membership.user,
        organisation=membership.organisation,
    )
    ThemeAssessment.objects.create(diagnostic=diagnostic, theme=Theme.LOGEMENT, need=NeedLevel.PRIORITY)
    # Seeded by a migration, but a transactional test elsewhere may have flushed the table.
    ThemeThematique.objects.get_or_create(theme=Theme.LOGEMENT, thematique=HOUSING)
    housing = ServiceFactory(nom="Logement Rezé", thematiques=[HOUSING], place=REZE, places_free=3)
    response = login(membership).get(tab_url(pathway))
    html = html_of(response)
    assert response.status_code == 200
    assert shows(html, "Logement Rezé")
    assert f"?service={housing.pk}&amp;theme=logement&amp;reco=" in html
    assert shows(html, "Assistance auprès d'adultes")
    assert shows(html, "Orienter vers ce service")


# --- referral created from a proposal --------------------------------------------------------------


def referral_post(service, **overrides):
    data = {
        "service": service.pk,
        "theme": "logement",
        "message": "Bonjour, je vous adresse Mme X pour une recherche de logement.",
        "shared_categories": ["contact"],
    }
    data.update(overrides)
    return data


def test_referral_from_a_proposal_records_the_proposal_as_retained(login, membership, pathway, service):
    client = login(membership)
    url = reverse("referral_create", args=[pathway.pk])
    html = html_of(client.get(f"{url}?service={service.pk}&theme=logement&reco=0.7500:3"))
    assert 'name="reco" value="0.7500:3"' in html
    response = client.post(url, referral_post(service, reco="0.7500:3"))
    referral = Referral.objects.get()
    assert response["Location"] == reverse("referral_detail", args=[referral.pk])
    feedback = RecommendationFeedback.objects.get()
    assert (feedback.kind, feedback.key, feedback.decision) == ("service", str(service.pk), "accepted")
    assert (feedback.referral, feedback.score, feedback.rank) == (referral, 0.75, 3)
    # The label is the service's own; the theme is the need the referral answers.
    assert (feedback.label, feedback.theme) == ("Logement Rezé", "logement")


@pytest.mark.parametrize("reco", [None, "", "abc", "0.5", "0.5:0", "nan:2", "1:2:3"])
def test_referral_without_a_well_formed_reco_records_no_decision(login, membership, pathway, service, reco):
    data = referral_post(service) if reco is None else referral_post(service, reco=reco)
    response = login(membership).post(reverse("referral_create", args=[pathway.pk]), data)
    assert response.status_code == 302
    assert Referral.objects.count() == 1
    assert not RecommendationFeedback.objects.exists()


# --- usage ----------------------------------------------------------------------------------------


def _decisions(n, *, departement, decision=FeedbackDecision.ACCEPTED, reason=""):
    user = UserFactory()
    dep = DepartementFactory(code=departement, name=f"Département {departement}")
    for _ in range(n):
        pathway = PathwayFactory()
        RecommendationFeedback.objects.create(
            pathway=pathway,
            kind=RecommendationKind.SERVICE,
            key="1",
            label="Service",
            decision=decision,
            reason=reason,
            decided_by=user,
            organisation=pathway.members.get().membership.organisation,
            departement=dep,
        )


def test_usage_shows_the_pilote_s_departement_only_with_masking(login):
    _decisions(12, departement="44")
    _decisions(12, departement="44", decision=FeedbackDecision.DISMISSED, reason=DismissReason.TOO_FAR)
    _decisions(5, departement="35")
    pilote = MembershipFactory(pilote=True)
    response = login(pilote).get(reverse("recommendation_usage"))
    html = html_of(response)
    assert response.status_code == 200
    assert "<td>12</td>" in html and "<td>24</td>" in html and "<td>50 %</td>" in html
    assert "Département 35" not in html
    assert shows(html, "Secret statistique")
    assert "<svg" in html and "<caption>" in html
    # The pilote has no département filter.
    assert 'name="departement"' not in html


def test_usage_masks_small_counts(login):
    _decisions(4, departement="44")
    html = html_of(login(MembershipFactory(pilote=True)).get(reverse("recommendation_usage")))
    assert "<td>&lt; 11</td>" in html
    assert "<td>s</td>" in html


def test_usage_platform_administrator_sees_every_departement_and_filters(client):
    _decisions(12, departement="44")
    _decisions(11, departement="35")
    admin = UserFactory(is_superuser=True)
    client.force_login(admin)
    html = html_of(client.get(reverse("recommendation_usage")))
    assert "<td>23</td>" in html and 'name="departement"' in html
    html = html_of(client.get(reverse("recommendation_usage"), {"departement": "35"}))
    assert "<td>11</td>" in html and "<td>23</td>" not in html


@pytest.mark.parametrize("periode", ["hier", "2", "2025-01-01", "24"])
def test_usage_bad_filter_shows_the_message(client, periode):
    client.force_login(UserFactory(is_superuser=True))
    response = client.get(reverse("recommendation_usage"), {"departement": "99", "periode": periode})
    html = html_of(response)
    assert response.status_code == 200
    assert shows(html, "Choisissez un département de la liste.")
    assert shows(html, "Choisissez une période de la liste.")


def test_usage_has_no_free_date_filter(login):
    html = html_of(login(MembershipFactory(pilote=True)).get(reverse("recommendation_usage")))
    assert 'type="date"' not in html and 'name="since"' not in html
    for label in ("3 derniers mois", "6 derniers mois", "12 derniers mois", "Depuis le début"):
        assert shows(html, label)


def test_usage_period_filter_starts_on_a_month_boundary(login):
    _decisions(12, departement="44")
    today = timezone.localdate()
    first_of_month = today.replace(day=1)
    # Decided some 200 days before the current month began: outside the last 3 months, inside the last 12.
    old = first_of_month - datetime.timedelta(days=200)
    RecommendationFeedback.objects.update(
        decided_at=timezone.make_aware(datetime.datetime.combine(old, datetime.time(12)))
    )
    client = login(MembershipFactory(pilote=True))
    html = html_of(client.get(reverse("recommendation_usage"), {"periode": "3"}))
    start = views.forms.period_start("3", today)
    assert start is not None and start.day == 1
    assert shows(html, f"Décisions prises depuis le {start:%d/%m/%Y}.")
    assert "<td>12</td>" not in html
    assert "<td>12</td>" in html_of(client.get(reverse("recommendation_usage"), {"periode": "12"}))
    assert "<td>12</td>" in html_of(client.get(reverse("recommendation_usage"), {"periode": ""}))


@pytest.mark.parametrize(
    "period, today, start",
    [
        ("3", datetime.date(2026, 11, 27), datetime.date(2026, 9, 1)),
        ("6", datetime.date(2026, 2, 1), datetime.date(2025, 9, 1)),
        ("12", datetime.date(2026, 1, 31), datetime.date(2025, 2, 1)),
        ("", datetime.date(2026, 1, 31), None),
    ],
)
def test_period_start(period, today, start):
    assert views.forms.period_start(period, today) == start


def test_usage_is_refused_to_other_roles(login, membership):
    assert login(membership).get(reverse("recommendation_usage")).status_code == 403
    assert login(MembershipFactory(admin=True)).get(reverse("recommendation_usage")).status_code == 403


# --- theme mapping --------------------------------------------------------------------------------


def test_mapping_is_read_by_a_professional_without_edit_links(login, membership):
    ThemeThematique.objects.get_or_create(theme=Theme.LOGEMENT, thematique=HOUSING)
    response = login(membership).get(reverse("theme_mapping"))
    html = html_of(response)
    assert response.status_code == 200
    assert shows(html, "Louer un logement")
    assert "?theme=emploi" not in html
    # Asking for the edit form without the right shows the table only.
    html = html_of(login(membership).get(reverse("theme_mapping"), {"theme": "emploi"}))
    assert 'name="thematiques"' not in html


def test_mapping_post_is_refused_to_a_professional(login, membership):
    before = ThemeThematique.objects.count()
    response = login(membership).post(reverse("theme_mapping"), {"theme": "emploi", "thematiques": []})
    assert response.status_code == 403
    assert ThemeThematique.objects.count() == before


def test_mapping_is_refused_without_a_membership(client):
    client.force_login(UserFactory())
    assert client.get(reverse("theme_mapping")).status_code == 403


def test_mapping_edited_by_a_platform_administrator(client):
    client.force_login(UserFactory(is_superuser=True))
    html = html_of(client.get(reverse("theme_mapping"), {"theme": "emploi"}))
    assert 'value="sante--acces-aux-soins" id="thematique-sante--acces-aux-soins"' in html
    response = client.post(
        reverse("theme_mapping"), {"theme": "emploi", "thematiques": ["sante--acces-aux-soins", HOUSING]}
    )
    assert response.status_code == 302
    assert sorted(ThemeThematique.objects.filter(theme="emploi").values_list("thematique", flat=True)) == [
        HOUSING,
        "sante--acces-aux-soins",
    ]


def test_mapping_unknown_thematique_shows_the_message_and_writes_nothing(client):
    client.force_login(UserFactory(is_superuser=True))
    before = sorted(ThemeThematique.objects.values_list("theme", "thematique"))
    response = client.post(reverse("theme_mapping"), {"theme": "emploi", "thematiques": ["astrologie"]})
    html = html_of(response)
    assert shows(html, "Thématique data·inclusion inconnue : astrologie.")
    assert sorted(ThemeThematique.objects.values_list("theme", "thematique")) == before
    response = client.post(reverse("theme_mapping"), {"theme": "jardinage", "thematiques": []}, follow=True)
    assert shows(html_of(response), "Thème du diagnostic inconnu : jardinage.")
    assert sorted(ThemeThematique.objects.values_list("theme", "thematique")) == before
