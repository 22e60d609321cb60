import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from parcours.pathways.enums import PathwayStatus
from parcours.pathways.models import Note, Pathway
from parcours.pathways.retention import ANONYMISED, people_due_for_anonymisation
from parcours.people.models import Person
from tests.factories import PathwayFactory, PersonFactory, UserFactory


def _close(pathway, days_ago):
    Pathway.objects.filter(pk=pathway.pk).update(
        status=PathwayStatus.CLOSED, closed_at=timezone.now() - datetime.timedelta(days=days_ago)
    )


@pytest.mark.django_db
def test_person_closed_long_ago_is_anonymised_and_keeps_birth_year(settings):
    settings.PATHWAY_RETENTION_DAYS = 365
    person = PersonFactory(refugee=True, nir="185054410912345", phone="0601020304")
    pathway = PathwayFactory(person=person)
    Note.objects.create(
        pathway=pathway,
        author=UserFactory(),
        organisation=pathway.members.get().membership.organisation,
        text="Récit personnel",
    )
    _close(pathway, days_ago=400)
    birth_year = person.birth_date.year

    call_command("anonymise_closed_pathways")

    person.refresh_from_db()
    assert person.anonymised_at is not None
    assert (person.first_name, person.last_name, person.nir, person.phone) == (ANONYMISED, ANONYMISED, "", "")
    assert person.birth_date == datetime.date(birth_year, 1, 1)
    assert person.protection_status == "" and person.residence_permit_valid_until is None
    assert Note.objects.get(pathway=pathway).text == ANONYMISED


@pytest.mark.django_db
def test_anonymisation_removes_every_free_text_of_the_history(settings):
    from parcours.pathways import services
    from parcours.pathways.models import Action, Event, FollowUpMember

    settings.PATHWAY_RETENTION_DAYS = 365
    pathway = PathwayFactory()
    referent = pathway.members.get().membership
    goal = services.goal_create(
        pathway=pathway,
        theme="emploi",
        text="Devenir soudeur chez Durand",
        agreed_by_person=True,
        membership=referent,
        acting_user=referent.user,
    )
    services.action_create(
        goal=goal, text="Appeler M. Durand", due_on=None, membership=referent, acting_user=referent.user
    )
    services.pathway_close(
        pathway=pathway, reason="Embauché chez Durand", membership=referent, acting_user=referent.user
    )
    _close(pathway, days_ago=400)

    call_command("anonymise_closed_pathways")

    texts = [
        Pathway.objects.get(pk=pathway.pk).closure_reason,
        *Action.objects.filter(goal=goal).values_list("text", flat=True),
        *Event.objects.filter(pathway=pathway).values_list("summary", flat=True),
        *FollowUpMember.objects.filter(pathway=pathway).values_list("end_reason", flat=True),
    ]
    assert texts and not any("Durand" in text for text in texts)


@pytest.mark.django_db
def test_person_with_recent_or_open_pathway_is_kept(settings):
    settings.PATHWAY_RETENTION_DAYS = 365
    recent = PathwayFactory()
    _close(recent, days_ago=30)
    still_open = PathwayFactory()
    old_but_reopened = PathwayFactory()
    _close(old_but_reopened, days_ago=800)
    PathwayFactory(person=old_but_reopened.person)

    assert list(people_due_for_anonymisation()) == []
    call_command("anonymise_closed_pathways")
    assert not Person.objects.filter(anonymised_at__isnull=False).exists()
    assert still_open.person.first_name != ANONYMISED


@pytest.mark.django_db
def test_dry_run_changes_nothing(settings, capsys):
    settings.PATHWAY_RETENTION_DAYS = 10
    pathway = PathwayFactory()
    _close(pathway, days_ago=20)
    call_command("anonymise_closed_pathways", "--dry-run")
    assert "1 personne(s) à anonymiser" in capsys.readouterr().out
    assert Person.objects.get().anonymised_at is None


# --- issue 4: referrals, orientation, re-orientation requests and alerts ---------------------------

OLD_TIME = timezone.now() - datetime.timedelta(days=500)


def _history(pathway):
    """What issue 4 stores about a pathway, every free text naming the person's story: a refused
    referral sent with a consent override, an accepted one to a structure without an account with
    its live outcome link, their transitions, an orientation decision, a decided and a pending
    re-orientation request, an open and a closed alert."""
    from parcours.pathways.enums import AlertAssignee, BreakKind, Orientation, ReorientationStatus
    from parcours.pathways.models import OrientationDecision, PathwayAlert, ReorientationRequest
    from parcours.referrals.enums import LinkPurpose, ReferralStatus, RefusalReason
    from parcours.referrals.models import ReferralTransition
    from parcours.referrals.services import link_issue
    from tests.referrals.factories import ReferralFactory

    referent = pathway.members.get().membership
    refused = ReferralFactory(
        pathway=pathway,
        message="Mme Durand sort d'une cure, merci de la recevoir.",
        override_reason="Mme Durand est en danger, urgence sanitaire",
        overridden_by=referent.user,
        status=ReferralStatus.REFUSED,
        refusal_reason=RefusalReason.OTHER,
        refusal_detail="Mme Durand a déjà été exclue de notre atelier",
        answered_at=timezone.now(),
    )
    ReferralTransition.objects.create(referral=refused, to_status=ReferralStatus.SENT, actor=referent.user)
    ReferralTransition.objects.create(
        referral=refused, from_status=ReferralStatus.SENT, to_status=ReferralStatus.REFUSED, reason="Exclue (Durand)"
    )
    accepted = ReferralFactory(
        pathway=pathway,
        recipient_organisation=None,
        recipient_email="accueil@structure.example",
        message="Pour Mme Durand, logement d'urgence.",
        status=ReferralStatus.ACCEPTED,
        refusal_detail="",
    )
    ReferralTransition.objects.create(
        referral=accepted, from_status=ReferralStatus.SENT, to_status=ReferralStatus.ACCEPTED, reason="Vu Durand"
    )
    token = link_issue(referral=accepted, purpose=LinkPurpose.OUTCOME)
    decision = OrientationDecision.objects.create(
        pathway=pathway,
        orientation=Orientation.SOCIAL,
        structure=referent.organisation,
        referent=referent,
        reason="Mme Durand est hospitalisée",
        decided_by=referent.user,
    )
    decided = ReorientationRequest.objects.create(
        pathway=pathway,
        requested_by=referent,
        proposed_orientation=Orientation.PROFESSIONAL,
        reason="Mme Durand va mieux",
        status=ReorientationStatus.ACCEPTED,
        decided_by=referent.user,
        decided_at=timezone.now(),
        decision_reason="Vu avec Mme Durand",
    )
    pending = ReorientationRequest.objects.create(
        pathway=pathway,
        requested_by=referent,
        proposed_orientation=Orientation.SOCIO_PROFESSIONAL,
        reason="Mme Durand rechute",
    )
    open_alert = PathwayAlert.objects.create(
        pathway=pathway,
        kind=BreakKind.PERMIT_EXPIRING,
        since=timezone.now(),
        assignee=AlertAssignee.REFERENT,
        assignee_membership=referent,
        details={"valid_until": "2031-05-04"},
    )
    closed_alert = PathwayAlert.objects.create(
        pathway=pathway,
        kind=BreakKind.INACTIVE,
        since=OLD_TIME,
        closed_at=OLD_TIME,
        assignee=AlertAssignee.ORIENTATION,
        details={"last_activity": "2020-01-01"},
    )
    return {
        "refused": refused,
        "accepted": accepted,
        "token": token,
        "decision": decision,
        "decided": decided,
        "pending": pending,
        "open_alert": open_alert,
        "closed_alert": closed_alert,
    }


@pytest.mark.django_db
def test_anonymisation_clears_referrals_orientation_requests_and_alerts(settings):
    from django.core.exceptions import ValidationError

    from parcours.pathways.retention import ERASED, ERASED_MESSAGE, ERASED_SNAPSHOT
    from parcours.referrals.enums import ReferralStatus, RefusalReason
    from parcours.referrals.models import ReferralLink, ReferralTransition
    from parcours.referrals.services import link_resolve

    settings.PATHWAY_RETENTION_DAYS = 365
    pathway = PathwayFactory(person__last_name="Durand")
    made = _history(pathway)
    assert ReferralLink.objects.filter(referral=made["accepted"]).exists()
    _close(pathway, days_ago=400)

    call_command("anonymise_closed_pathways")

    refused, accepted = made["refused"], made["accepted"]
    for referral in (refused, accepted):
        referral.refresh_from_db()
        assert referral.shared_data == ERASED_SNAPSHOT
        assert referral.message == ERASED_MESSAGE
        referral.validate_constraints()
    # Constraints: an override and an "other" refusal keep a (neutral) reason.
    assert (refused.override_reason, refused.overridden_by_id) == (ERASED, pathway.members.get().membership.user_id)
    assert (refused.refusal_reason, refused.refusal_detail) == (RefusalReason.OTHER, ERASED)
    assert (accepted.override_reason, accepted.refusal_detail) == ("", "")
    # What the statistics and the structure need stays.
    assert (refused.status, accepted.status) == (ReferralStatus.REFUSED, ReferralStatus.ACCEPTED)
    assert accepted.recipient_email == "accueil@structure.example"
    assert refused.shared_categories == ["identity"]
    transitions = ReferralTransition.objects.filter(referral__pathway=pathway)
    assert transitions.count() == 3 and set(transitions.values_list("reason", flat=True)) == {""}
    # The link to the snapshot is gone: the structure's token no longer opens anything.
    assert not ReferralLink.objects.filter(referral__pathway=pathway).exists()
    with pytest.raises(ValidationError, match="Ce lien n'est pas valide"):
        link_resolve(token=made["token"])

    made["decision"].refresh_from_db()
    assert made["decision"].reason == ERASED
    for request in (made["decided"], made["pending"]):
        request.refresh_from_db()
        request.validate_constraints()
    assert (made["decided"].reason, made["decided"].decision_reason) == (ERASED, ERASED)
    assert (made["pending"].reason, made["pending"].decision_reason) == (ERASED, "")

    open_alert, closed_alert = made["open_alert"], made["closed_alert"]
    open_alert.refresh_from_db()
    closed_alert.refresh_from_db()
    assert open_alert.details == {} and open_alert.closed_at is not None
    assert closed_alert.details == {} and closed_alert.closed_at == OLD_TIME


@pytest.mark.django_db
def test_recipient_page_of_an_anonymised_referral_shows_no_personal_data(settings, login):
    from tests.factories import MembershipFactory
    from tests.www.referrals.conftest import html_of

    settings.PATHWAY_RETENTION_DAYS = 365
    pathway = PathwayFactory(person__first_name="Awa", person__last_name="Durand")
    refused = _history(pathway)["refused"]
    _close(pathway, days_ago=400)
    call_command("anonymise_closed_pathways")

    recipient = MembershipFactory(organisation=refused.recipient_organisation)
    html = html_of(login(recipient).get(reverse("referral_detail", args=[refused.pk])))
    assert "Personne anonymisée" in html
    assert "Durand" not in html and "DURAND" not in html and "Awa" not in html


@pytest.mark.django_db
def test_person_not_due_keeps_referrals_orientation_requests_and_alerts(settings):
    from parcours.pathways.models import OrientationDecision, PathwayAlert, ReorientationRequest
    from parcours.referrals.models import Referral, ReferralLink, ReferralTransition

    settings.PATHWAY_RETENTION_DAYS = 365
    pathway = PathwayFactory(person__last_name="Durand")
    made = _history(pathway)
    _close(pathway, days_ago=30)

    def snapshot():
        return (
            list(Referral.objects.filter(pathway=pathway).order_by("pk").values()),
            list(ReferralTransition.objects.filter(referral__pathway=pathway).order_by("pk").values()),
            list(ReferralLink.objects.filter(referral__pathway=pathway).order_by("pk").values()),
            list(OrientationDecision.objects.filter(pathway=pathway).order_by("pk").values()),
            list(ReorientationRequest.objects.filter(pathway=pathway).order_by("pk").values()),
            list(PathwayAlert.objects.filter(pathway=pathway).order_by("pk").values()),
        )

    before = snapshot()
    call_command("anonymise_closed_pathways")

    assert snapshot() == before
    made["refused"].refresh_from_db()
    assert made["refused"].shared_data["name"] == pathway.person.full_name
    assert PathwayAlert.objects.filter(pathway=pathway, closed_at__isnull=True).count() == 1
