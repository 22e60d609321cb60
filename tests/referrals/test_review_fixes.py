"""The review's fixes, each with its allowed and refused case: old links stop showing the person's
data once the referral left the states their purpose allows (H1); only the members who accompany
people act as recipient (H3); a withdrawn referral consent hides a sensitive section unless the
referral was sent with an override (M1); a health need stays hidden in SQL from a sender-side
reader without health consent (M2); a sender who left the group no longer acts (L1); an accepted
referral closes only as "did not come" (S1); "seen" and expiry are not activity (S3)."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from parcours.organisations.enums import Role
from parcours.pathways.models import FollowUpMember, Pathway
from parcours.people.enums import ConsentDecision, ConsentPurpose, DataCategory
from parcours.referrals import links, selectors
from parcours.referrals.enums import LinkPurpose, ReferralStatus
from parcours.referrals.models import ReferralLink, ReferralTransition
from parcours.referrals.services import (
    link_answer,
    link_issue,
    link_resolve,
    may_override,
    referral_accept,
    referral_cancel,
    referral_close,
    referral_create,
    referral_link_resend,
    referral_mark_seen,
    referral_start,
    service_recipient,
    sweep_deadlines,
)
from tests.directory.factories import ServiceFactory
from tests.factories import (
    ConsentFactory,
    FollowUpMemberFactory,
    MembershipFactory,
    OrganisationFactory,
    TerritoryGrantFactory,
)
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db

EMAIL = "accueil@asso.example"


def assert_unchanged(referral, status, transitions):
    referral.refresh_from_db()
    assert referral.status == status
    assert ReferralTransition.objects.filter(referral=referral).count() == transitions


def days_ago(n):
    return timezone.now() - datetime.timedelta(days=n)


@pytest.fixture
def offline(pathway):
    """A referral to a structure without an account, with its answer link."""
    service = ServiceFactory(operator=None, courriel=EMAIL, nom="Épicerie solidaire")
    referral = ReferralFactory(pathway=pathway, service=service, recipient_organisation=None, recipient_email=EMAIL)
    return referral, link_issue(referral=referral, purpose=LinkPurpose.ANSWER)


# --- H1: a link serves only while its referral is in the states its purpose allows ------------------


def test_answer_link_of_a_referral_answered_in_parcours_ends(pathway, recipient_org, service, membership):
    """The organisation had no member who could act when it was sent (so it got a link), then one
    accepted in Parcours: the link no longer shows anything."""
    referral = ReferralFactory(pathway=pathway, service=service, recipient_email=EMAIL)
    token = link_issue(referral=referral, purpose=LinkPurpose.ANSWER)
    assert link_resolve(token=token).referral == referral  # allowed while it awaits the answer
    member = MembershipFactory(organisation=recipient_org)
    referral_accept(referral=referral, membership=member, acting_user=member.user)
    assert ReferralLink.objects.get(referral=referral).used_at is not None  # ended by the move
    with pytest.raises(ValidationError, match=r"Cette prescription a été acceptée le .* : ce lien ne sert plus\."):
        link_resolve(token=token)
    with pytest.raises(ValidationError, match="ce lien ne sert plus"):
        link_answer(token=token, accept=False, reason="no_place")
    assert_unchanged(referral, ReferralStatus.ACCEPTED, 1)


def test_answer_link_of_an_expired_referral_ends(offline):
    referral, token = offline
    assert link_resolve(token=token).referral == referral
    type(referral).objects.filter(pk=referral.pk).update(due_at=days_ago(1))
    sweep_deadlines()
    assert ReferralLink.objects.get().used_at is not None
    with pytest.raises(ValidationError, match=r"Cette prescription a expiré le .* : ce lien ne sert plus\."):
        link_resolve(token=token)
    assert_unchanged(referral, ReferralStatus.EXPIRED, 1)


def test_outcome_link_serves_while_accepted_or_started_then_ends(offline, recipient_org):
    referral, token = offline
    link_answer(token=token, accept=True)
    outcome = ReferralLink.objects.get(purpose=LinkPurpose.OUTCOME)
    outcome_token = links.sign(link_id=outcome.pk, nonce=outcome.nonce)
    assert link_resolve(token=outcome_token).purpose == LinkPurpose.OUTCOME
    # The answer link that made the move says it has served (not "ended").
    with pytest.raises(ValidationError, match="Ce lien a déjà servi le .*Acceptée"):
        link_resolve(token=token)
    # An outcome link of a referral that no longer awaits its outcome shows nothing either.
    type(referral).objects.filter(pk=referral.pk).update(
        status=ReferralStatus.CLOSED, outcome="did_not_come", closed_at=timezone.now()
    )
    with pytest.raises(ValidationError, match=r"Cette prescription a été clôturée le .* : ce lien ne sert plus\."):
        link_resolve(token=outcome_token)


def test_outcome_link_before_acceptance_does_not_serve_yet(offline):
    referral, _token = offline
    outcome_token = link_issue(referral=referral, purpose=LinkPurpose.OUTCOME)
    with pytest.raises(ValidationError, match="attend encore une réponse"):
        link_resolve(token=outcome_token)


# --- H3: one definition of who acts as recipient ---------------------------------------------------


@pytest.mark.parametrize("role", [Role.ADMIN_STRUCTURE, Role.PILOTE])
def test_non_accompanying_roles_read_neither_inbox_nor_detail(recipient_org, service, pathway, role):
    referral = ReferralFactory(pathway=pathway, service=service)
    other = MembershipFactory(organisation=recipient_org, role=role)
    assert not selectors.inbox_for(membership=other).exists()
    assert not selectors.may_act_as_recipient(membership=other, organisation_id=recipient_org.pk)
    with pytest.raises(Http404):
        selectors.referral_for_recipient(membership=other, referral_id=referral.pk)


def test_accompanying_member_reads_inbox_and_detail(recipient, service, pathway):
    referral = ReferralFactory(pathway=pathway, service=service)
    assert list(selectors.inbox_for(membership=recipient)) == [referral]
    assert selectors.referral_for_recipient(membership=recipient, referral_id=referral.pk) == referral


def test_new_referral_is_told_to_those_who_may_act_not_the_administrator(
    pathway, membership, service, recipient, recipient_org, django_capture_on_commit_callbacks
):
    admin = MembershipFactory(organisation=recipient_org, role=Role.ADMIN_STRUCTURE)
    with django_capture_on_commit_callbacks(execute=True):
        referral_create(
            pathway=pathway,
            service=service,
            theme="emploi",
            message="Bonjour",
            shared_categories=[],
            membership=membership,
            acting_user=membership.user,
        )
    recipients = {m.to[0] for m in mail.outbox}
    assert recipient.user.email in recipients
    assert admin.user.email not in recipients


def test_organisation_with_only_an_administrator_answers_by_link(
    pathway, membership, django_capture_on_commit_callbacks
):
    organisation = OrganisationFactory()
    MembershipFactory(organisation=organisation, role=Role.ADMIN_STRUCTURE)
    service = ServiceFactory(operator=organisation, courriel=EMAIL)
    with django_capture_on_commit_callbacks(execute=True):
        referral = referral_create(
            pathway=pathway,
            service=service,
            theme="emploi",
            message="Bonjour",
            shared_categories=[],
            membership=membership,
            acting_user=membership.user,
        )
    assert ReferralLink.objects.filter(referral=referral, purpose=LinkPurpose.ANSWER).exists()
    assert [m.to for m in mail.outbox] == [[EMAIL]]


# --- M1: a withdrawn referral consent hides the sensitive section ------------------------------------


def health_referral(pathway, service, **kwargs):
    return ReferralFactory(
        pathway=pathway,
        service=service,
        shared_categories=["identity", "health"],
        shared_data={
            "name": "Awa DIALLO",
            "sections": [
                {"category": "identity", "label": "Identité", "fields": [["Prénom", "Awa"]]},
                {"category": "health", "label": "Santé", "fields": [["Besoin", "Suivi psychologique"]]},
            ],
        },
        **kwargs,
    )


def referral_consent(pathway, organisation, decision, **kwargs):
    return ConsentFactory(
        person=pathway.person,
        organisation=organisation,
        category=DataCategory.HEALTH,
        purpose=ConsentPurpose.REFERRAL,
        decision=decision,
        **kwargs,
    )


def test_sensitive_section_shown_while_the_consent_holds(pathway, service, recipient_org):
    referral_consent(pathway, recipient_org, ConsentDecision.GIVEN)
    sections = selectors.recipient_sections(health_referral(pathway, service))
    assert [(s["category"], s["withdrawn"], s["fields"]) for s in sections] == [
        ("identity", False, [["Prénom", "Awa"]]),
        ("health", False, [["Besoin", "Suivi psychologique"]]),
    ]


def test_sensitive_section_withdrawn_after_sending(pathway, service, recipient_org):
    given = referral_consent(pathway, recipient_org, ConsentDecision.GIVEN)
    referral = health_referral(pathway, service)
    given.is_current = False
    given.save()
    referral_consent(
        pathway, recipient_org, ConsentDecision.WITHDRAWN, decided_at=timezone.make_aware(datetime.datetime(2026, 3, 4))
    )
    identity, health = selectors.recipient_sections(referral)
    assert identity["fields"] == [["Prénom", "Awa"]] and not identity["withdrawn"]
    assert (health["withdrawn"], health["withdrawn_on"], health["fields"]) == (True, "04/03/2026", [])


def test_sensitive_section_of_an_override_stays(pathway, service, membership):
    referral = health_referral(pathway, service, override_reason="Urgence médicale", overridden_by=membership.user)
    assert [s["withdrawn"] for s in selectors.recipient_sections(referral)] == [False, False]


# --- M2: a health need, in SQL ---------------------------------------------------------------------


def test_health_referral_hidden_from_a_sender_without_health_consent(pathway, membership, service):
    ordinary = ReferralFactory(pathway=pathway, service=service)
    health = ReferralFactory(pathway=pathway, service=service, theme="sante")
    assert list(selectors.referrals_sent_by(membership=membership, user=membership.user)) == [ordinary]
    with pytest.raises(Http404):
        selectors.referral_for_sender_side(membership=membership, user=membership.user, referral_id=health.pk)
    no_health = frozenset({"identity", "contact", "situation"})
    assert list(selectors.referrals_of_pathway(pathway=pathway, categories=no_health)) == [ordinary]
    # With the person's consent for health data, the same reader sees it.
    ConsentFactory(person=pathway.person, organisation=membership.organisation, category=DataCategory.HEALTH)
    assert list(selectors.referrals_sent_by(membership=membership, user=membership.user)) == [health, ordinary]
    assert selectors.referral_for_sender_side(membership=membership, user=membership.user, referral_id=health.pk)
    assert list(selectors.referrals_of_pathway(pathway=pathway, categories=no_health | {"health"})) == [
        health,
        ordinary,
    ]


def test_health_consent_given_to_the_role_also_counts(pathway, membership, service):
    health = ReferralFactory(pathway=pathway, service=service, theme="sante")
    ConsentFactory(person=pathway.person, organisation=None, role=membership.role, category=DataCategory.HEALTH)
    assert list(selectors.referrals_sent_by(membership=membership, user=membership.user)) == [health]


# --- L1: the sender side acts from an active seat ----------------------------------------------------


def test_sender_who_left_the_group_can_no_longer_cancel_or_resend(offline, membership, pathway):
    referral, _token = offline
    FollowUpMember.objects.filter(pathway=pathway, membership=membership).update(ended_at=timezone.now())
    with pytest.raises(PermissionDenied, match="groupe de suivi"):
        referral_cancel(referral=referral, reason="Erreur", membership=membership, acting_user=membership.user)
    with pytest.raises(PermissionDenied, match="groupe de suivi"):
        referral_link_resend(referral=referral, membership=membership, acting_user=membership.user)
    assert_unchanged(referral, ReferralStatus.SENT, 0)
    assert ReferralLink.objects.count() == 1


def test_a_colleague_seated_in_the_group_cancels(offline, pathway):
    referral, _token = offline
    colleague = FollowUpMemberFactory(pathway=pathway).membership
    referral_cancel(referral=referral, reason="Erreur", membership=colleague, acting_user=colleague.user)
    assert_unchanged(referral, ReferralStatus.CANCELLED, 1)


def test_an_orientation_officer_with_a_grant_cancels(offline, pathway):
    referral, _token = offline
    officer = MembershipFactory(role=Role.CHARGE_ORIENTATION)
    TerritoryGrantFactory(membership=officer, departement=pathway.departement)
    referral_cancel(referral=referral, reason="Réorientation", membership=officer, acting_user=officer.user)
    assert_unchanged(referral, ReferralStatus.CANCELLED, 1)


# --- S1: accepted → closed only as "did not come" -------------------------------------------------


def test_accepted_referral_closes_only_as_did_not_come(pathway, service, recipient):
    referral = ReferralFactory(pathway=pathway, service=service)
    referral_accept(referral=referral, membership=recipient, acting_user=recipient.user)
    for outcome in ("help_received", "abandoned", "completed"):
        with pytest.raises(ValidationError, match="n'a pas démarré : la seule issue possible est « Ne s'est pas"):
            referral_close(referral=referral, outcome=outcome, membership=recipient, acting_user=recipient.user)
        assert_unchanged(referral, ReferralStatus.ACCEPTED, 1)
    referral_close(referral=referral, outcome="did_not_come", membership=recipient, acting_user=recipient.user)
    assert_unchanged(referral, ReferralStatus.CLOSED, 2)


def test_started_referral_closes_with_any_outcome(pathway, service, recipient):
    referral = ReferralFactory(pathway=pathway, service=service, status=ReferralStatus.ACCEPTED)
    referral_start(referral=referral, membership=recipient, acting_user=recipient.user)
    referral_close(referral=referral, outcome="completed", membership=recipient, acting_user=recipient.user)
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == (ReferralStatus.CLOSED, "completed")


# --- S3: "seen" and expiry are not activity, the answers are ------------------------------------------


def test_seen_is_not_activity_but_an_answer_is(pathway, service, recipient):
    referral = ReferralFactory(pathway=pathway, service=service)
    Pathway.objects.filter(pk=pathway.pk).update(last_activity_at=days_ago(30))
    referral_mark_seen(referral=referral, membership=recipient, acting_user=recipient.user)
    assert Pathway.objects.get(pk=pathway.pk).last_activity_at < days_ago(29)
    assert pathway.events.filter(summary__contains="vue par").exists()  # still on the timeline
    referral_accept(referral=referral, membership=recipient, acting_user=recipient.user)
    assert Pathway.objects.get(pk=pathway.pk).last_activity_at > days_ago(1)


# --- the single definitions the views use ------------------------------------------------------------


def test_may_override_is_the_referent_or_an_orientation_officer(pathway, membership):
    seat = FollowUpMember.objects.get(pathway=pathway, membership=membership)
    assert may_override(seat=seat, membership=membership)
    colleague_seat = FollowUpMemberFactory(pathway=pathway)
    assert not may_override(seat=colleague_seat, membership=colleague_seat.membership)
    assert may_override(seat=None, membership=MembershipFactory(role=Role.CHARGE_ORIENTATION))


def test_service_recipient_is_the_active_operator(recipient_org):
    service = ServiceFactory(operator=recipient_org)
    assert service_recipient(service) == recipient_org
    recipient_org.is_active = False
    assert service_recipient(service) is None
    assert service_recipient(ServiceFactory(operator=None)) is None
