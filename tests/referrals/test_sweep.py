"""The deadline sweep: overdue referrals expire in one set-based statement (with their transition
rows and timeline events), those due soon are recalled once, expired ones are escalated once to the
structure's administrators and their senders told."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parcours.organisations.enums import OrganisationKind, Role
from parcours.pathways.enums import EventKind
from parcours.pathways.models import Event, Pathway
from parcours.referrals import services, tasks
from parcours.referrals.enums import LinkPurpose, ReferralStatus, TransitionChannel
from parcours.referrals.models import ReferralLink, ReferralTransition
from parcours.referrals.services import sweep_deadlines
from tests.directory.factories import ServiceFactory
from tests.factories import MembershipFactory, OrganisationFactory
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db


def days_ago(n):
    return timezone.now() - datetime.timedelta(days=n)


@pytest.fixture
def admin(recipient_org):
    return MembershipFactory(organisation=recipient_org, role=Role.ADMIN_STRUCTURE, user__email="admin@asso.example")


def test_overdue_referrals_expire_with_their_log_and_timeline(pathway, service, admin, recipient):
    sent = ReferralFactory(pathway=pathway, service=service, sent_at=days_ago(11))
    seen = ReferralFactory(pathway=pathway, service=service, sent_at=days_ago(12), status=ReferralStatus.SEEN)
    on_time = ReferralFactory(pathway=pathway, service=service, sent_at=days_ago(3))
    answered = ReferralFactory(pathway=pathway, service=service, sent_at=days_ago(20), status=ReferralStatus.ACCEPTED)
    Pathway.objects.filter(pk=pathway.pk).update(last_activity_at=days_ago(30))

    counts = sweep_deadlines()

    assert counts == {"expired": 2, "reminded": 0, "escalated": 2}
    for referral, from_status in ((sent, "sent"), (seen, "seen")):
        referral.refresh_from_db()
        assert referral.status == ReferralStatus.EXPIRED and referral.escalated_at is not None
        transition = referral.transitions.get()
        assert (transition.from_status, transition.to_status) == (from_status, "expired")
        assert (transition.channel, transition.actor) == (TransitionChannel.SYSTEM, None)
    for referral, status in ((on_time, ReferralStatus.SENT), (answered, ReferralStatus.ACCEPTED)):
        referral.refresh_from_db()
        assert referral.status == status and not referral.transitions.exists()
    events = Event.objects.filter(pathway=pathway, kind=EventKind.REFERRAL_UPDATED)
    assert events.count() == 2
    assert all("expirée" in e.summary and service.nom in e.summary for e in events)
    assert {e.payload["referral"] for e in events} == {sent.pk, seen.pk}
    # An automatic expiry is not activity on the pathway.
    assert Pathway.objects.get(pk=pathway.pk).last_activity_at < days_ago(29)
    # A second sweep finds nothing more.
    assert sweep_deadlines() == {"expired": 0, "reminded": 0, "escalated": 0}


@pytest.mark.parametrize("expire", [services._expire_postgresql, services._expire_portable], ids=["pg", "portable"])
def test_expiry_event_of_a_health_need_carries_the_health_category(pathway, service, admin, expire):
    health = ReferralFactory(pathway=pathway, service=service, sent_at=days_ago(11), theme="sante")
    job = ReferralFactory(pathway=pathway, service=service, sent_at=days_ago(11), theme="emploi")
    assert expire(timezone.now(), reason="délai dépassé", summary="Prescription vers {service} expirée") == 2
    categories = {
        e.payload["referral"]: e.category
        for e in Event.objects.filter(kind=EventKind.REFERRAL_UPDATED, pathway=pathway)
    }
    assert categories == {health.pk: "health", job.pk: ""}


def test_expiry_escalates_to_the_administrators_and_tells_the_sender(
    pathway, service, admin, recipient, membership, django_capture_on_commit_callbacks
):
    ReferralFactory(pathway=pathway, service=service, sent_at=days_ago(11))
    ReferralFactory(pathway=pathway, service=service, sent_at=days_ago(15))
    with django_capture_on_commit_callbacks(execute=True):
        sweep_deadlines()
    by_recipient = {m.to[0]: m for m in mail.outbox}
    # One mail per recipient, listing both referrals; the counsellor is not escalated to.
    assert set(by_recipient) == {"admin@asso.example", membership.user.email}
    assert "expiré" in by_recipient["admin@asso.example"].body
    assert by_recipient["admin@asso.example"].body.count("Prescription n°") == 2
    # The administrator's mail names no person and links to no referral page (they may not open it).
    assert pathway.person.last_name not in by_recipient["admin@asso.example"].body
    assert "/prescriptions/" not in by_recipient["admin@asso.example"].body
    assert "Proposez une autre solution" in by_recipient[membership.user.email].body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sweep_deadlines()
    assert mail.outbox == []  # escalated once


def test_escalation_without_administrator_goes_to_the_structure_address(
    pathway, membership, django_capture_on_commit_callbacks
):
    service = ServiceFactory(operator=None, courriel="accueil@asso.example")
    ReferralFactory(
        pathway=pathway,
        service=service,
        recipient_organisation=None,
        recipient_email="accueil@asso.example",
        sent_at=days_ago(11),
    )
    with django_capture_on_commit_callbacks(execute=True):
        sweep_deadlines()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(["accueil@asso.example", membership.user.email])


def test_reminder_two_days_before_the_deadline_once(
    pathway, service, recipient, admin, django_capture_on_commit_callbacks
):
    due_soon = ReferralFactory(pathway=pathway, service=service, sent_at=days_ago(9))
    later = ReferralFactory(pathway=pathway, service=service, sent_at=days_ago(5))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_deadlines()["reminded"] == 1
    due_soon.refresh_from_db()
    later.refresh_from_db()
    assert due_soon.reminder_sent_at is not None and later.reminder_sent_at is None
    # The members who may act on it; not the structure administrator (who cannot open it).
    assert [m.to[0] for m in mail.outbox] == [recipient.user.email]
    assert f"/prescriptions/{due_soon.pk}/" in mail.outbox[0].body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_deadlines()["reminded"] == 0
    assert mail.outbox == []


def test_reminder_to_a_structure_without_account_carries_its_link(pathway, django_capture_on_commit_callbacks):
    service = ServiceFactory(operator=None, courriel="accueil@asso.example")
    ReferralFactory(
        pathway=pathway,
        service=service,
        recipient_organisation=None,
        recipient_email="accueil@asso.example",
        sent_at=days_ago(9),
    )
    with django_capture_on_commit_callbacks(execute=True):
        sweep_deadlines()
    assert [m.to for m in mail.outbox] == [["accueil@asso.example"]]
    assert "/prescriptions/lien/" in mail.outbox[0].body
    assert ReferralLink.objects.get().purpose == LinkPurpose.ANSWER


def test_expiry_cost_does_not_grow_with_the_number_of_referrals():
    """Set-based: the same number of statements for 3 or 60 overdue referrals of one organisation."""

    def queries_for(n):
        organisation = OrganisationFactory(kind=OrganisationKind.ASSOCIATION)
        MembershipFactory(organisation=organisation, role=Role.ADMIN_STRUCTURE)
        service = ServiceFactory(operator=organisation)
        first = ReferralFactory(service=service, sent_at=days_ago(11))
        ReferralFactory.create_batch(n - 1, service=service, pathway=first.pathway, sent_at=days_ago(11))
        with CaptureQueriesContext(connection) as ctx:
            assert sweep_deadlines()["expired"] == n
        return len(ctx.captured_queries)

    assert queries_for(3) == queries_for(60)
    assert ReferralTransition.objects.filter(channel=TransitionChannel.SYSTEM).count() == 63


def test_portable_expiry_matches(pathway, service):
    """The path used on SQLite (development) gives the same rows."""
    referral = ReferralFactory(pathway=pathway, service=service, sent_at=days_ago(11), status=ReferralStatus.SEEN)
    now = timezone.now()
    assert services._expire_portable(now, reason="Pas de réponse", summary="Prescription « {service} » expirée") == 1
    referral.refresh_from_db()
    assert (referral.status, referral.escalated_at) == (ReferralStatus.EXPIRED, now)
    transition = referral.transitions.get()
    assert (transition.from_status, transition.channel) == ("seen", TransitionChannel.SYSTEM)
    assert Event.objects.get(pathway=pathway).summary == f"Prescription « {service.nom} » expirée"


def test_management_command_prints_counts_in_french(pathway, service):
    ReferralFactory(pathway=pathway, service=service, sent_at=days_ago(11))
    out = io.StringIO()
    call_command("referrals_sweep", stdout=out)
    assert out.getvalue().strip() == "Prescriptions expirées : 1 ; relances envoyées : 0 ; escalades : 1"


def test_task_runs_the_sweep(pathway, service, django_capture_on_commit_callbacks):
    referral = ReferralFactory(pathway=pathway, service=service, sent_at=days_ago(11))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.sweep_deadlines.enqueue()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.EXPIRED
