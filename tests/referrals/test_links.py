"""Signed links for structures without a Parcours account: single purpose, valid
REFERRAL_LINK_VALID_DAYS days, replay does nothing, expiry is clear, every use (and every failed use)
audited."""

import datetime

import pytest
from django.core import mail, signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from parcours.audit.models import AuditAction, AuditEntry
from parcours.referrals import links
from parcours.referrals.enums import LinkPurpose, ReferralStatus, TransitionChannel
from parcours.referrals.models import ReferralLink, ReferralTransition
from parcours.referrals.services import (
    ReferralConflict,
    link_answer,
    link_close,
    link_issue,
    link_resolve,
    link_start,
    referral_cancel,
    referral_link_resend,
)
from tests.directory.factories import ServiceFactory
from tests.factories import MembershipFactory
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db

EMAIL = "accueil@asso.example"


@pytest.fixture
def referral(pathway):
    service = ServiceFactory(operator=None, courriel=EMAIL, nom="Épicerie solidaire")
    return ReferralFactory(pathway=pathway, service=service, recipient_organisation=None, recipient_email=EMAIL)


@pytest.fixture
def token(referral):
    return link_issue(referral=referral, purpose=LinkPurpose.ANSWER)


def assert_unchanged(referral, status, transitions):
    referral.refresh_from_db()
    assert referral.status == status
    assert ReferralTransition.objects.filter(referral=referral).count() == transitions


def link_audits(referral):
    return AuditEntry.objects.filter(object_type="referrals.referral", object_id=str(referral.pk), actor=None)


def test_link_path_and_referral_path():
    assert links.link_path("abc") == "/prescriptions/lien/abc/"
    assert links.referral_path(12) == "/prescriptions/12/"


def test_issue_gives_a_single_purpose_link_valid_eight_days(referral, token):
    link = ReferralLink.objects.get()
    assert (link.purpose, link.email, link.used_at) == (LinkPurpose.ANSWER, EMAIL, None)
    assert link.expires_at - link.created_at == datetime.timedelta(days=8)
    assert links.unsign(token) == (link.pk, link.nonce)
    # While it is valid, issuing again gives the same link (one live link per purpose).
    # (the token carries a timestamp: compare what it names, not its text)
    assert links.unsign(link_issue(referral=referral, purpose=LinkPurpose.ANSWER)) == (link.pk, link.nonce)
    assert ReferralLink.objects.count() == 1


def test_issue_refuses_an_unknown_purpose_or_a_structure_without_email(referral, pathway):
    with pytest.raises(ValidationError):
        link_issue(referral=referral, purpose="admin")
    with_org = ReferralFactory(pathway=pathway)
    with pytest.raises(ValidationError, match="pas de courriel"):
        link_issue(referral=with_org, purpose=LinkPurpose.ANSWER)
    assert not ReferralLink.objects.exists()


def test_resolve_a_valid_link_is_audited_as_a_reading(referral, token):
    assert link_resolve(token=token).referral == referral
    entry = link_audits(referral).get()
    assert (entry.action, entry.reason, entry.person_id) == (
        AuditAction.READ,
        "lien sécurisé",
        referral.pathway.person_id,
    )


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature altered
        lambda t: signing.dumps({"l": 999999, "n": "x"}, salt=links.LINK_SALT),  # genuine but unknown link
        lambda t: signing.dumps({"l": 1, "n": "x"}, salt="another-salt"),  # signed for something else
        lambda t: "n'importe-quoi",
    ],
)
def test_tampered_or_unknown_link_is_not_valid_and_audited(referral, token, forge):
    bad = forge(token)
    with pytest.raises(ValidationError, match="Ce lien n'est pas valide."):
        link_resolve(token=bad)
    with pytest.raises(ValidationError, match="Ce lien n'est pas valide."):
        link_answer(token=bad, accept=True)
    assert_unchanged(referral, ReferralStatus.SENT, 0)
    failures = AuditEntry.objects.filter(object_type="referrals.referrallink", actor=None)
    assert failures.count() == 2
    assert all(e.reason.startswith("lien sécurisé") for e in failures)


def test_accept_through_the_link(referral, token, membership, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        link_answer(token=token, accept=True)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    assert referral.answered_at is not None and referral.answered_by is None
    transition = referral.transitions.get()
    assert (transition.channel, transition.actor, transition.organisation) == (TransitionChannel.LINK, None, None)
    assert ReferralLink.objects.get(purpose=LinkPurpose.ANSWER).used_at is not None
    # An outcome link goes to the structure; the sender is told.
    outcome = ReferralLink.objects.get(purpose=LinkPurpose.OUTCOME)
    assert outcome.used_at is None
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([EMAIL, membership.user.email])
    structure_mail = next(m for m in mail.outbox if m.to == [EMAIL])
    assert "/prescriptions/lien/" in structure_mail.body
    update = link_audits(referral).get(action=AuditAction.UPDATE)
    assert update.reason == "lien sécurisé"


def test_replayed_link_does_nothing(referral, token):
    link_answer(token=token, accept=True)
    audits = link_audits(referral).count()
    with pytest.raises(ValidationError, match="Ce lien a déjà servi le .*Acceptée"):
        link_answer(token=token, accept=False, reason="no_place")
    with pytest.raises(ValidationError, match="déjà servi"):
        link_resolve(token=token)
    assert_unchanged(referral, ReferralStatus.ACCEPTED, 1)
    assert link_audits(referral).count() == audits + 2  # the failed uses are audited too


def test_expired_link_says_when_and_whom_to_ask(referral, token, membership):
    ReferralLink.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    with pytest.raises(ValidationError, match="Ce lien a expiré le .* ; demandez un nouveau lien à") as exc:
        link_answer(token=token, accept=True)
    assert membership.user.email in exc.value.messages[0]
    assert_unchanged(referral, ReferralStatus.SENT, 0)
    assert link_audits(referral).filter(reason__contains="expiré").count() == 1


def test_refuse_through_the_link(referral, token, membership, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        link_answer(token=token, accept=False, reason="other", detail="Nous ne couvrons pas ce quartier")
    referral.refresh_from_db()
    assert (referral.status, referral.refusal_reason) == (ReferralStatus.REFUSED, "other")
    assert referral.transitions.get().channel == TransitionChannel.LINK
    assert not ReferralLink.objects.filter(purpose=LinkPurpose.OUTCOME).exists()
    assert [m.to for m in mail.outbox] == [[membership.user.email]]


def test_bad_refusal_through_the_link_changes_nothing_and_keeps_the_link(referral, token):
    with pytest.raises(ValidationError, match="motif de refus"):
        link_answer(token=token, accept=False, reason="plein")
    with pytest.raises(ValidationError, match="Précisez"):
        link_answer(token=token, accept=False, reason="other")
    assert_unchanged(referral, ReferralStatus.SENT, 0)
    assert ReferralLink.objects.get().used_at is None
    assert link_audits(referral).filter(action=AuditAction.UPDATE).count() == 2
    link_answer(token=token, accept=False, reason="no_place")
    assert_unchanged(referral, ReferralStatus.REFUSED, 1)


def test_answer_link_cannot_close_and_outcome_link_cannot_answer(referral, token):
    with pytest.raises(ValidationError, match="ne permet pas cette action"):
        link_close(token=token, outcome="completed")
    assert_unchanged(referral, ReferralStatus.SENT, 0)
    outcome_token = link_issue(referral=referral, purpose=LinkPurpose.OUTCOME)
    with pytest.raises(ValidationError, match="ne permet pas cette action"):
        link_answer(token=outcome_token, accept=True)
    assert_unchanged(referral, ReferralStatus.SENT, 0)


def test_close_through_the_outcome_link(referral, token, membership, django_capture_on_commit_callbacks):
    link_answer(token=token, accept=True)
    outcome = ReferralLink.objects.get(purpose=LinkPurpose.OUTCOME)
    outcome_token = links.sign(link_id=outcome.pk, nonce=outcome.nonce)
    with pytest.raises(ValidationError, match="issue"):
        link_close(token=outcome_token, outcome="super")
    assert_unchanged(referral, ReferralStatus.ACCEPTED, 1)
    # Not started: the person did not come is the only outcome.
    with pytest.raises(ValidationError, match="n'a pas démarré : la seule issue possible est « Ne s'est pas"):
        link_close(token=outcome_token, outcome="help_received")
    assert_unchanged(referral, ReferralStatus.ACCEPTED, 1)
    assert ReferralLink.objects.get(purpose=LinkPurpose.OUTCOME).used_at is None
    with django_capture_on_commit_callbacks(execute=True):
        link_close(token=outcome_token, outcome="did_not_come", detail="Jamais venue")
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == (ReferralStatus.CLOSED, "did_not_come")
    assert [m.to for m in mail.outbox] == [[membership.user.email]]
    with pytest.raises(ValidationError, match="déjà servi"):
        link_close(token=outcome_token, outcome="completed")
    assert_unchanged(referral, ReferralStatus.CLOSED, 2)


def test_link_of_a_cancelled_referral_is_ended_and_shows_nothing(referral, token, membership):
    referral_cancel(referral=referral, reason="Erreur de service", membership=membership, acting_user=membership.user)
    # Cancelling ended the live answer link.
    assert ReferralLink.objects.get().used_at is not None
    ended = r"Cette prescription a été annulée par son émetteur le .* : ce lien ne sert plus\."
    with pytest.raises(ValidationError, match=ended):
        link_resolve(token=token)
    with pytest.raises(ValidationError, match=ended):
        link_answer(token=token, accept=True)
    assert_unchanged(referral, ReferralStatus.CANCELLED, 1)


def test_sender_sends_a_new_link_after_expiry(referral, token, membership, django_capture_on_commit_callbacks):
    ReferralLink.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        fresh = referral_link_resend(referral=referral, membership=membership, acting_user=membership.user)
    assert fresh != token
    assert link_resolve(token=fresh).purpose == LinkPurpose.ANSWER
    # The expired link is kept, marked replaced: its token says so (not "not valid").
    old, new = ReferralLink.objects.order_by("created_at", "pk")
    assert old.used_at is not None and new.used_at is None
    with pytest.raises(ValidationError, match="Ce lien a été remplacé par un lien plus récent envoyé le "):
        link_resolve(token=token)
    with pytest.raises(ValidationError, match="remplacé"):
        link_answer(token=token, accept=True)
    assert_unchanged(referral, ReferralStatus.SENT, 0)
    assert [m.to for m in mail.outbox] == [[EMAIL]]


def test_someone_outside_the_group_cannot_resend_a_link(referral, token):
    outsider = MembershipFactory()
    with pytest.raises(PermissionDenied, match="groupe de suivi"):
        referral_link_resend(referral=referral, membership=outsider, acting_user=outsider.user)
    assert ReferralLink.objects.count() == 1


# --- the outcome link also marks the accompaniment started ---------------------------------------------


@pytest.fixture
def outcome_token(referral, token):
    """The structure accepted through its answer link; the outcome link it then received."""
    link_answer(token=token, accept=True)
    outcome = ReferralLink.objects.get(purpose=LinkPurpose.OUTCOME)
    return links.sign(link_id=outcome.pk, nonce=outcome.nonce)


def test_start_then_close_with_the_same_outcome_link(
    referral, outcome_token, membership, django_capture_on_commit_callbacks
):
    updates = link_audits(referral).filter(action=AuditAction.UPDATE).count()
    link_start(token=outcome_token)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.STARTED
    transition = referral.transitions.get(to_status=ReferralStatus.STARTED)
    assert (transition.from_status, transition.channel, transition.actor, transition.organisation) == (
        ReferralStatus.ACCEPTED,
        TransitionChannel.LINK,
        None,
        None,
    )
    # Starting does not use the link up: it still serves for the outcome.
    assert ReferralLink.objects.get(purpose=LinkPurpose.OUTCOME).used_at is None
    assert link_resolve(token=outcome_token).referral == referral
    start_audit = link_audits(referral).filter(action=AuditAction.UPDATE).latest("pk")
    assert (start_audit.reason, start_audit.person_id) == ("lien sécurisé", referral.pathway.person_id)
    assert "status" in start_audit.fields
    assert link_audits(referral).filter(action=AuditAction.UPDATE).count() == updates + 1
    assert referral.pathway.events.filter(summary__contains="accompagnement démarré").exists()

    with django_capture_on_commit_callbacks(execute=True):
        link_close(token=outcome_token, outcome="completed")
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == (ReferralStatus.CLOSED, "completed")
    assert [m.to for m in mail.outbox] == [[membership.user.email]]
    assert ReferralLink.objects.get(purpose=LinkPurpose.OUTCOME).used_at is not None
    assert link_audits(referral).filter(action=AuditAction.UPDATE).count() == updates + 2
    # Closed: the link has served, starting again changes nothing.
    with pytest.raises(ValidationError, match="Ce lien a déjà servi"):
        link_start(token=outcome_token)
    assert_unchanged(referral, ReferralStatus.CLOSED, 3)


def test_starting_twice_is_a_clear_conflict_and_changes_nothing(referral, outcome_token):
    link_start(token=outcome_token)
    audits = link_audits(referral).count()
    with pytest.raises(ReferralConflict, match="L'accompagnement a déjà démarré le .* par la structure"):
        link_start(token=outcome_token)
    assert_unchanged(referral, ReferralStatus.STARTED, 2)
    assert ReferralLink.objects.get(purpose=LinkPurpose.OUTCOME).used_at is None
    # The refused start is audited (outside the rolled-back transaction).
    failed = link_audits(referral).filter(action=AuditAction.UPDATE).latest("pk")
    assert "déjà démarré" in failed.reason
    assert link_audits(referral).count() == audits + 1


def test_start_with_an_expired_or_tampered_link_changes_nothing(referral, outcome_token, membership):
    with pytest.raises(ValidationError, match="Ce lien n'est pas valide."):
        link_start(token=outcome_token[:-2] + ("AA" if not outcome_token.endswith("AA") else "BB"))
    assert AuditEntry.objects.filter(object_type="referrals.referrallink", actor=None).count() == 1
    ReferralLink.objects.filter(purpose=LinkPurpose.OUTCOME).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    with pytest.raises(ValidationError, match="Ce lien a expiré le .* ; demandez un nouveau lien à") as exc:
        link_start(token=outcome_token)
    assert membership.user.email in exc.value.messages[0]
    assert_unchanged(referral, ReferralStatus.ACCEPTED, 1)
    assert link_audits(referral).filter(action=AuditAction.UPDATE, reason__contains="expiré").count() == 1


def test_answer_link_cannot_start(referral, token):
    with pytest.raises(ValidationError, match="ne permet pas cette action"):
        link_start(token=token)
    assert_unchanged(referral, ReferralStatus.SENT, 0)
    assert ReferralLink.objects.get().used_at is None
