"""Decisions on proposals (dismiss, accept, show again, target job) and the theme → thématique
mapping: rules, French messages, nothing written on error, audit."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.utils import timezone

from parcours.audit.models import AuditEntry
from parcours.diagnostics.enums import Theme
from parcours.matching import services
from parcours.matching.enums import DismissReason, FeedbackDecision, RecommendationKind
from parcours.matching.models import RecommendationFeedback, ThemeThematique
from parcours.pathways.enums import EventKind, PathwayStatus
from parcours.pathways.models import Event
from parcours.people.models import JobWish, JobWishKind
from tests.directory.factories import ServiceFactory
from tests.factories import (
    CommuneFactory,
    DepartementFactory,
    FollowUpMemberFactory,
    MembershipFactory,
    UserFactory,
)
from tests.occupations import factories as rome
from tests.programmes.factories import ProgrammeFactory
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(db):
    return ServiceFactory(nom="Atelier CV")


def dismiss(pathway, membership, **overrides):
    params = {
        "kind": RecommendationKind.SERVICE,
        "key": None,
        "reason": DismissReason.TOO_FAR,
        "note": "",
        "score": 0.8,
        "rank": 2,
    }
    params.update(overrides)
    return services.feedback_dismiss(pathway=pathway, membership=membership, acting_user=membership.user, **params)


def accept(pathway, membership, **overrides):
    params = {"kind": RecommendationKind.SERVICE, "key": None}
    params.update(overrides)
    return services.feedback_accept(pathway=pathway, membership=membership, acting_user=membership.user, **params)


# --- dismiss --------------------------------------------------------------------------------------


def test_dismiss_records_the_decision_in_the_person_s_departement(pathway, membership, service):
    feedback = dismiss(pathway, membership, key=str(service.pk))
    assert feedback.decision == FeedbackDecision.DISMISSED
    assert feedback.reason == DismissReason.TOO_FAR
    assert (feedback.score, feedback.rank) == (0.8, 2)
    assert feedback.departement_id == pathway.person.commune.departement_id == "44"
    assert feedback.organisation == membership.organisation
    assert feedback.decided_by == membership.user
    assert AuditEntry.objects.filter(object_type="matching.recommendationfeedback", object_id=str(feedback.pk)).exists()


def test_dismiss_counts_in_the_commune_s_departement_not_the_pathway_s(membership, service):
    from tests.factories import PathwayFactory, PersonFactory

    rennes = CommuneFactory(insee_code="35238", name="Rennes", departement=DepartementFactory(code="35", name="Ille"))
    pathway = PathwayFactory(referent=membership, person=PersonFactory(commune=rennes))
    assert pathway.departement_id == "44"
    assert dismiss(pathway, membership, key=str(service.pk)).departement_id == "35"


def test_dismiss_other_reason_requires_a_note_and_writes_nothing(pathway, membership, service):
    with pytest.raises(ValidationError) as exc:
        dismiss(pathway, membership, key=str(service.pk), reason=DismissReason.OTHER, note="  ")
    assert exc.value.message_dict["note"] == ["Précisez la raison pour laquelle vous écartez cette proposition."]
    assert not RecommendationFeedback.objects.exists()


def test_dismiss_other_reason_with_a_note_is_recorded(pathway, membership, service):
    feedback = dismiss(pathway, membership, key=str(service.pk), reason=DismissReason.OTHER, note="Horaires")
    assert feedback.note == "Horaires"


def test_dismiss_refuses_an_unknown_reason(pathway, membership, service):
    with pytest.raises(ValidationError) as exc:
        dismiss(pathway, membership, key=str(service.pk), reason="flemme")
    assert "Choisissez le motif" in exc.value.message_dict["reason"][0]
    assert not RecommendationFeedback.objects.exists()


def test_dismiss_refuses_a_note_over_500_characters(pathway, membership, service):
    with pytest.raises(ValidationError) as exc:
        dismiss(pathway, membership, key=str(service.pk), note="x" * 501)
    assert exc.value.message_dict["note"] == ["La précision ne peut dépasser 500 caractères."]
    assert not RecommendationFeedback.objects.exists()


def test_dismiss_refuses_an_unknown_kind_or_key(pathway, membership, service):
    with pytest.raises(ValidationError) as exc:
        dismiss(pathway, membership, kind="formation", key=str(service.pk))
    assert "Nature de proposition inconnue" in exc.value.message_dict["kind"][0]
    with pytest.raises(ValidationError) as exc:
        dismiss(pathway, membership, key="999999")
    assert exc.value.message_dict["key"] == ["Cette proposition n'existe pas."]
    with pytest.raises(ValidationError):
        dismiss(pathway, membership, kind=RecommendationKind.JOB, key="Z9999")
    assert not RecommendationFeedback.objects.exists()


def test_dismiss_twice_says_when_and_by_whom(pathway, membership, service):
    membership.user.first_name, membership.user.last_name = "Claire", "Martin"
    membership.user.save()
    dismiss(pathway, membership, key=str(service.pk))
    other = FollowUpMemberFactory(pathway=pathway).membership
    with pytest.raises(ValidationError) as exc:
        dismiss(pathway, other, key=str(service.pk), reason=DismissReason.NOT_RELEVANT)
    assert exc.value.messages[0].startswith("Cette proposition a déjà été écartée le ")
    assert exc.value.messages[0].endswith(" par Claire Martin.")
    assert RecommendationFeedback.objects.count() == 1


def test_dismiss_race_on_the_unique_constraint_gives_the_same_message(pathway, membership, service):
    """Two members dismiss at once: the one whose insert comes second hits the partial unique
    constraint (it read "no active decision" before the first committed) and gets the message."""
    first = dismiss(pathway, membership, key=str(service.pk))
    with pytest.raises(ValidationError) as exc:
        services._create(**{**_values(first), "note": "concurrent"})
    assert "déjà été écartée" in exc.value.messages[0]
    assert RecommendationFeedback.objects.count() == 1


def _values(feedback):
    return {
        "pathway": feedback.pathway,
        "kind": feedback.kind,
        "key": feedback.key,
        "label": feedback.label,
        "decision": feedback.decision,
        "reason": feedback.reason,
        "decided_by": feedback.decided_by,
        "organisation": feedback.organisation,
    }


def test_the_database_refuses_a_second_active_decision(pathway, membership, service):
    feedback = dismiss(pathway, membership, key=str(service.pk))
    with pytest.raises(IntegrityError):
        RecommendationFeedback.objects.create(**_values(feedback))


def test_a_member_who_left_or_a_stranger_may_not_dismiss(pathway, service):
    stranger = MembershipFactory()
    with pytest.raises(PermissionDenied):
        dismiss(pathway, stranger, key=str(service.pk))
    seat = FollowUpMemberFactory(pathway=pathway)
    seat.ended_at = seat.started_at
    seat.save()
    with pytest.raises(PermissionDenied):
        dismiss(pathway, seat.membership, key=str(service.pk))
    assert not RecommendationFeedback.objects.exists()


def test_nobody_decides_on_a_closed_pathway(pathway, membership, service):
    pathway.status, pathway.closed_at, pathway.closure_reason = PathwayStatus.CLOSED, timezone.now(), "Emploi"
    pathway.save()
    with pytest.raises(PermissionDenied) as exc:
        dismiss(pathway, membership, key=str(service.pk))
    assert "clos" in str(exc.value)
    assert not RecommendationFeedback.objects.exists()


# --- accept and revoke ----------------------------------------------------------------------------


def test_accept_revokes_an_active_dismissal_first(pathway, membership, service):
    dismissed = dismiss(pathway, membership, key=str(service.pk))
    accepted = accept(pathway, membership, key=str(service.pk), score=0.8, rank=2)
    dismissed.refresh_from_db()
    assert dismissed.revoked_at is not None and dismissed.revoked_by == membership.user
    assert accepted.decision == FeedbackDecision.ACCEPTED and accepted.reason == ""
    assert RecommendationFeedback.objects.filter(revoked_at__isnull=True).get() == accepted


def test_accept_twice_is_idempotent_and_links_the_referral(pathway, membership):
    referral = ReferralFactory(pathway=pathway)
    first = accept(pathway, membership, key=str(referral.service_id))
    again = accept(pathway, membership, key=str(referral.service_id), referral=referral)
    assert again.pk == first.pk
    first.refresh_from_db()
    assert first.referral == referral
    assert RecommendationFeedback.objects.count() == 1


def test_accept_refuses_a_referral_of_another_pathway(pathway, membership):
    other = ReferralFactory()
    with pytest.raises(ValidationError) as exc:
        accept(pathway, membership, key=str(other.service_id), referral=other)
    assert exc.value.message_dict["referral"] == ["Cette prescription n'appartient pas à ce parcours."]
    assert not RecommendationFeedback.objects.exists()


def test_accept_a_programme_by_its_code(pathway, membership):
    programme = ProgrammeFactory(name="Hope")
    feedback = accept(pathway, membership, kind=RecommendationKind.PROGRAMME, key=programme.code)
    assert (feedback.key, feedback.label) == (programme.code, "Hope")


# --- the label is read on the server; the theme is recorded ---------------------------------------


def test_the_label_is_the_proposal_s_own_never_a_posted_one(pathway, membership, service):
    with pytest.raises(TypeError):
        dismiss(pathway, membership, key=str(service.pk), label="<b>Forgé</b>")
    assert dismiss(pathway, membership, key=str(service.pk)).label == "Atelier CV"
    job = rome.sheet("J1501", "Aide-soignant / Aide-soignante")
    assert accept(pathway, membership, kind=RecommendationKind.JOB, key=job.code).label == job.label


def test_a_service_decision_records_the_theme_it_answered(pathway, membership, service):
    feedback = dismiss(pathway, membership, key=str(service.pk), theme=Theme.LOGEMENT)
    assert feedback.theme == Theme.LOGEMENT
    accepted = accept(pathway, membership, key=str(service.pk), theme=Theme.LOGEMENT)
    assert accepted.theme == Theme.LOGEMENT


def test_a_theme_is_recorded_for_services_only(pathway, membership):
    programme = ProgrammeFactory(name="Hope")
    feedback = accept(pathway, membership, kind=RecommendationKind.PROGRAMME, key=programme.code, theme="logement")
    assert feedback.theme == ""


def test_an_unknown_theme_is_refused_and_nothing_written(pathway, membership, service):
    with pytest.raises(ValidationError) as exc:
        dismiss(pathway, membership, key=str(service.pk), theme="astrologie")
    assert exc.value.message_dict["theme"] == ["Thème du diagnostic inconnu : astrologie."]
    assert not RecommendationFeedback.objects.exists()


def _summaries(pathway):
    return list(
        Event.objects.filter(pathway=pathway, kind=EventKind.RECOMMENDATION_DECIDED)
        .values_list("summary", flat=True)
        .order_by("pk")
    )


def test_the_timeline_never_names_a_health_themed_service(pathway, membership):
    clinic = ServiceFactory(nom="Centre de soins Bellevue")
    feedback = dismiss(pathway, membership, key=str(clinic.pk), theme=Theme.SANTE, reason=DismissReason.NOT_RELEVANT)
    services.feedback_revoke(
        pathway=pathway, feedback_id=feedback.pk, membership=membership, acting_user=membership.user
    )
    accept(pathway, membership, key=str(clinic.pk), theme=Theme.SANTE)
    summaries = _summaries(pathway)
    assert summaries == [
        "Piste écartée (Service) : besoin de santé",
        "Piste réaffichée (Service) : besoin de santé",
        "Piste retenue (Service) : besoin de santé",
    ]
    assert not any("Bellevue" in summary for summary in summaries)


def test_the_timeline_names_a_service_of_another_theme(pathway, membership, service):
    dismiss(pathway, membership, key=str(service.pk), theme=Theme.LOGEMENT)
    assert _summaries(pathway) == ["Piste écartée (Service) : Atelier CV — Trop loin ou pas accessible"]


def test_revoke_shows_the_proposal_again(pathway, membership, service):
    feedback = dismiss(pathway, membership, key=str(service.pk))
    other = FollowUpMemberFactory(pathway=pathway).membership
    services.feedback_revoke(pathway=pathway, feedback_id=feedback.pk, membership=other, acting_user=other.user)
    feedback.refresh_from_db()
    assert feedback.revoked_by == other.user
    # Dismissable again afterwards.
    assert dismiss(pathway, membership, key=str(service.pk)).pk != feedback.pk


def test_revoke_refuses_a_stranger_and_another_pathway_s_decision(pathway, membership, service):
    feedback = dismiss(pathway, membership, key=str(service.pk))
    stranger = MembershipFactory()
    with pytest.raises(PermissionDenied):
        services.feedback_revoke(
            pathway=pathway, feedback_id=feedback.pk, membership=stranger, acting_user=stranger.user
        )
    from tests.factories import PathwayFactory

    own = PathwayFactory(referent=stranger)
    with pytest.raises(ValidationError) as exc:
        services.feedback_revoke(pathway=own, feedback_id=feedback.pk, membership=stranger, acting_user=stranger.user)
    assert exc.value.messages == ["Cette décision n'existe pas pour ce parcours."]
    feedback.refresh_from_db()
    assert feedback.revoked_at is None


def test_revoke_twice_is_refused(pathway, membership, service):
    feedback = dismiss(pathway, membership, key=str(service.pk))
    services.feedback_revoke(
        pathway=pathway, feedback_id=feedback.pk, membership=membership, acting_user=membership.user
    )
    with pytest.raises(ValidationError) as exc:
        services.feedback_revoke(
            pathway=pathway, feedback_id=feedback.pk, membership=membership, acting_user=membership.user
        )
    assert exc.value.messages == ["Cette proposition est déjà réaffichée."]


# --- target job -----------------------------------------------------------------------------------


def test_job_target_adds_the_principal_appellation_and_retains_the_job(pathway, membership):
    sheet = rome.sheet("F1703", "Maçonnerie")
    rome.appellation("Maçon / Maçonne VRD", sheet, code=900801)
    principal = rome.appellation("Maçon / Maçonne", sheet, code=900802, is_principal=True)
    wish = services.job_target_accept(
        pathway=pathway, code="F1703", score=0.7, rank=1, membership=membership, acting_user=membership.user
    )
    assert (wish.appellation, wish.kind) == (principal, JobWishKind.TARGET)
    feedback = RecommendationFeedback.objects.get()
    assert (feedback.kind, feedback.key, feedback.decision, feedback.rank) == ("job", "F1703", "accepted", 1)


def test_job_target_twice_keeps_one_wish_and_one_decision(pathway, membership):
    sheet = rome.sheet("F1703", "Maçonnerie")
    rome.appellation("Maçon / Maçonne", sheet, code=900802, is_principal=True)
    for _ in range(2):
        services.job_target_accept(pathway=pathway, code="F1703", membership=membership, acting_user=membership.user)
    assert JobWish.objects.count() == 1
    assert RecommendationFeedback.objects.count() == 1


def test_job_target_refuses_an_appellation_of_another_sheet_and_writes_nothing(pathway, membership):
    sheet = rome.sheet("F1703", "Maçonnerie")
    other = rome.appellation("Aide-soignant", rome.sheet("J1501"), code=900803)
    rome.appellation("Maçon / Maçonne", sheet, code=900802, is_principal=True)
    with pytest.raises(ValidationError) as exc:
        services.job_target_accept(
            pathway=pathway,
            code="F1703",
            appellation_code=other.code,
            membership=membership,
            acting_user=membership.user,
        )
    assert exc.value.message_dict["appellation_code"] == ["Cette appellation n'appartient pas à la fiche F1703."]
    with pytest.raises(ValidationError):
        services.job_target_accept(pathway=pathway, code="Z0000", membership=membership, acting_user=membership.user)
    assert not JobWish.objects.exists() and not RecommendationFeedback.objects.exists()


# --- theme mapping --------------------------------------------------------------------------------


def test_mapping_set_replaces_the_theme_s_rows(db):
    admin = UserFactory(is_superuser=True)
    ThemeThematique.objects.get_or_create(theme="logement", thematique="logement-hebergement--louer-un-logement")
    ThemeThematique.objects.get_or_create(theme="emploi", thematique="trouver-un-emploi--repondre-a-des-offres-demploi")
    untouched = ThemeThematique.objects.filter(theme="logement").count()
    services.theme_mapping_set(
        theme="emploi", thematiques=["mobilite--preparer-un-permis", "sante--acces-aux-soins"], user=admin
    )
    assert sorted(ThemeThematique.objects.filter(theme="emploi").values_list("thematique", flat=True)) == [
        "mobilite--preparer-un-permis",
        "sante--acces-aux-soins",
    ]
    assert ThemeThematique.objects.filter(theme="logement").count() == untouched
    assert AuditEntry.objects.filter(object_type="matching.themethematique", object_id="emploi").exists()


def test_mapping_refuses_an_unknown_thematique_and_writes_nothing(db):
    admin = UserFactory(is_superuser=True)
    ThemeThematique.objects.get_or_create(theme="emploi", thematique="trouver-un-emploi--repondre-a-des-offres-demploi")
    before = list(ThemeThematique.objects.filter(theme="emploi").values_list("thematique", flat=True))
    with pytest.raises(ValidationError) as exc:
        services.theme_mapping_set(theme="emploi", thematiques=["sante--acces-aux-soins", "astrologie"], user=admin)
    assert exc.value.message_dict["thematiques"] == ["Thématique data·inclusion inconnue : astrologie."]
    assert list(ThemeThematique.objects.filter(theme="emploi").values_list("thematique", flat=True)) == before
    with pytest.raises(ValidationError):
        services.theme_mapping_set(theme="jardinage", thematiques=[], user=admin)


def test_mapping_is_edited_by_a_platform_administrator_only(membership):
    before = ThemeThematique.objects.count()
    with pytest.raises(PermissionDenied):
        services.theme_mapping_set(theme="emploi", thematiques=[], user=membership.user)
    assert ThemeThematique.objects.count() == before
