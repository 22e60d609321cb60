"""The pathway-break scan: each rule opens an alert in its situation and not in the near miss, and
the alert closes by itself on the next scan once the condition clears. Then the selectors' scope."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from parcours.diagnostics.models import IntegrationContract
from parcours.organisations.models import Organisation
from parcours.pathways import tasks
from parcours.pathways.breaks import (
    alert_counts_for_departement,
    alert_counts_for_organisation,
    alerts_to_handle,
    open_alerts_of_pathway,
    scan_breaks,
)
from parcours.pathways.enums import ActionKind, ActionStatus, AlertAssignee, BreakKind, EventKind, PathwayStatus
from parcours.pathways.models import Event, FollowUpMember, Pathway, PathwayAlert
from parcours.people.enums import DataCategory
from parcours.referrals.enums import ReferralOutcome, ReferralStatus, RefusalReason
from parcours.referrals.models import Referral
from tests.directory.factories import ServiceFactory
from tests.factories import (
    ActionFactory,
    ConsentFactory,
    DepartementFactory,
    FollowUpMemberFactory,
    GoalFactory,
    MembershipFactory,
    OrganisationFactory,
    PathwayFactory,
    PersonFactory,
    TerritoryGrantFactory,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now()
DAY = datetime.timedelta(days=1)


def days_ago(n: float) -> datetime.datetime:
    return NOW - n * DAY


def scan(now=NOW) -> dict:
    return scan_breaks(now=now)


def alerts(pathway, kind, *, open_only: bool = True):
    qs = PathwayAlert.objects.filter(pathway=pathway, kind=kind)
    if open_only:
        qs = qs.filter(closed_at__isnull=True)
    return list(qs)


def referral(pathway, *, theme="emploi", status=ReferralStatus.SENT, sent_at=None, due_at=None, **kwargs) -> Referral:
    sender = MembershipFactory()
    sent_at = sent_at or days_ago(1)
    if status == ReferralStatus.REFUSED:
        kwargs.setdefault("refusal_reason", RefusalReason.NO_PLACE)
        kwargs.setdefault("answered_at", sent_at + DAY)
    if status == ReferralStatus.CLOSED:
        kwargs.setdefault("outcome", ReferralOutcome.COMPLETED)
        kwargs.setdefault("closed_at", sent_at + DAY)
    return Referral.objects.create(
        pathway=pathway,
        theme=theme,
        service=ServiceFactory(),
        recipient_organisation=OrganisationFactory(),
        sender=sender,
        sent_by=sender.user,
        message="Bonjour, je vous adresse Mme X pour un accompagnement.",
        sla_days=10,
        sent_at=sent_at,
        due_at=due_at or sent_at + 10 * DAY,
        status=status,
        **kwargs,
    )


def action(pathway, *, status=ActionStatus.PLANNED, kind=ActionKind.OTHER, finished_at=None, **kwargs):
    return ActionFactory(goal=GoalFactory(pathway=pathway), status=status, kind=kind, finished_at=finished_at, **kwargs)


# --- rule 1: no referent ------------------------------------------------------------------------------


def test_no_referent_opens_an_alert_for_the_orientation_officers():
    pathway = PathwayFactory(referent=False, opened_at=days_ago(3))
    result = scan()
    (alert,) = alerts(pathway, BreakKind.NO_REFERENT)
    assert alert.assignee == AlertAssignee.ORIENTATION
    assert alert.assignee_membership is None
    assert alert.since == pathway.opened_at
    assert result["by_kind"][BreakKind.NO_REFERENT]["opened"] == 1


def test_a_pathway_with_a_referent_has_no_such_alert(pathway):
    scan()
    assert alerts(pathway, BreakKind.NO_REFERENT) == []


def test_no_referent_since_the_end_of_the_last_referent_seat():
    pathway = PathwayFactory(referent=False, opened_at=days_ago(100))
    FollowUpMemberFactory(pathway=pathway, is_referent=True, ended_at=days_ago(20))
    FollowUpMemberFactory(pathway=pathway, is_referent=True, ended_at=days_ago(5))
    scan()
    (alert,) = alerts(pathway, BreakKind.NO_REFERENT)
    assert alert.since == days_ago(5)


def test_no_referent_closes_when_a_referent_is_appointed():
    pathway = PathwayFactory(referent=False)
    scan()
    (alert,) = alerts(pathway, BreakKind.NO_REFERENT)
    FollowUpMemberFactory(pathway=pathway, is_referent=True)
    result = scan(NOW + DAY)
    alert.refresh_from_db()
    assert alert.closed_at == NOW + DAY
    assert result["by_kind"][BreakKind.NO_REFERENT]["closed"] == 1
    assert Event.objects.filter(pathway=pathway, kind=EventKind.ALERT_CLOSED).count() == 1


# --- rule 2: inactivity --------------------------------------------------------------------------------


def test_inactive_after_45_days_by_default():
    stale = PathwayFactory(last_activity_at=days_ago(46))
    recent = PathwayFactory(last_activity_at=days_ago(44))
    scan()
    (alert,) = alerts(stale, BreakKind.INACTIVE)
    assert alert.since == stale.last_activity_at
    assert alerts(recent, BreakKind.INACTIVE) == []


def test_inactivity_delay_of_the_referent_organisation_is_honoured():
    short = MembershipFactory(organisation=OrganisationFactory(inactivity_days=20))
    long = MembershipFactory(organisation=OrganisationFactory(inactivity_days=90))
    short_stale = PathwayFactory(referent=short, last_activity_at=days_ago(21))
    short_fresh = PathwayFactory(referent=short, last_activity_at=days_ago(19))
    long_fresh = PathwayFactory(referent=long, last_activity_at=days_ago(60))
    long_stale = PathwayFactory(referent=long, last_activity_at=days_ago(91))
    scan()
    assert len(alerts(short_stale, BreakKind.INACTIVE)) == 1
    assert alerts(short_fresh, BreakKind.INACTIVE) == []
    assert alerts(long_fresh, BreakKind.INACTIVE) == []
    assert len(alerts(long_stale, BreakKind.INACTIVE)) == 1


def test_inactivity_reads_the_active_referent_seat_only():
    short = MembershipFactory(organisation=OrganisationFactory(inactivity_days=20))
    long = MembershipFactory(organisation=OrganisationFactory(inactivity_days=90))
    pathway = PathwayFactory(referent=short, last_activity_at=days_ago(21))
    FollowUpMemberFactory(pathway=pathway, membership=long, is_referent=False)
    FollowUpMemberFactory(pathway=pathway, is_referent=True, ended_at=days_ago(30))
    scan()
    (alert,) = alerts(pathway, BreakKind.INACTIVE)
    assert alert.assignee_membership == short


def test_inactivity_without_referent_uses_45_days():
    Organisation.objects.update(inactivity_days=10)
    OrganisationFactory(inactivity_days=10)
    fresh = PathwayFactory(referent=False, last_activity_at=days_ago(30))
    stale = PathwayFactory(referent=False, last_activity_at=days_ago(50))
    scan()
    assert alerts(fresh, BreakKind.INACTIVE) == []
    assert len(alerts(stale, BreakKind.INACTIVE)) == 1


def test_inactivity_closes_when_activity_resumes():
    pathway = PathwayFactory(last_activity_at=days_ago(50))
    scan()
    (alert,) = alerts(pathway, BreakKind.INACTIVE)
    Pathway.objects.filter(pk=pathway.pk).update(last_activity_at=NOW)
    scan(NOW + DAY)
    alert.refresh_from_db()
    assert alert.closed_at is not None


def test_alert_events_do_not_count_as_activity():
    pathway = PathwayFactory(last_activity_at=days_ago(50))
    scan()
    pathway.refresh_from_db()
    assert pathway.last_activity_at == days_ago(50)


# --- rule 3: referral unanswered ---------------------------------------------------------------------------


def test_referral_past_its_deadline_opens_an_alert(pathway):
    overdue = referral(pathway, sent_at=days_ago(12), due_at=days_ago(2))
    scan()
    (alert,) = alerts(pathway, BreakKind.REFERRAL_UNANSWERED)
    assert alert.subject == f"referral:{overdue.pk}"
    assert alert.since == overdue.due_at


def test_referral_within_its_deadline_opens_nothing(pathway):
    referral(pathway, status=ReferralStatus.SEEN, sent_at=days_ago(8), due_at=NOW + 2 * DAY)
    scan()
    assert alerts(pathway, BreakKind.REFERRAL_UNANSWERED) == []


def test_expired_referral_opens_an_alert(pathway):
    expired = referral(pathway, status=ReferralStatus.EXPIRED, sent_at=days_ago(12), due_at=days_ago(2))
    scan()
    (alert,) = alerts(pathway, BreakKind.REFERRAL_UNANSWERED)
    assert alert.subject == f"referral:{expired.pk}"


def test_unanswered_alert_closes_when_a_new_referral_for_the_same_need_is_sent(pathway):
    referral(pathway, theme="logement", sent_at=days_ago(12), due_at=days_ago(2))
    scan()
    (alert,) = alerts(pathway, BreakKind.REFERRAL_UNANSWERED)
    referral(pathway, theme="emploi", sent_at=days_ago(0.5))
    scan(NOW + DAY)
    alert.refresh_from_db()
    assert alert.closed_at is None, "a referral for another need does not answer this one"
    referral(pathway, theme="logement", sent_at=days_ago(0.5))
    scan(NOW + DAY)
    alert.refresh_from_db()
    assert alert.closed_at == NOW + DAY


def test_unanswered_alert_closes_when_the_recipient_answers(pathway):
    overdue = referral(pathway, sent_at=days_ago(12), due_at=days_ago(2))
    scan()
    Referral.objects.filter(pk=overdue.pk).update(status=ReferralStatus.ACCEPTED, answered_at=NOW)
    scan(NOW + DAY)
    assert alerts(pathway, BreakKind.REFERRAL_UNANSWERED) == []
    assert len(alerts(pathway, BreakKind.REFERRAL_UNANSWERED, open_only=False)) == 1


# --- rule 4: referral refused without a new one ---------------------------------------------------------------


def test_refused_referral_without_new_one_after_15_days(pathway):
    refused = referral(pathway, status=ReferralStatus.REFUSED, sent_at=days_ago(20), answered_at=days_ago(16))
    scan()
    (alert,) = alerts(pathway, BreakKind.REFERRAL_REFUSED)
    assert alert.subject == f"referral:{refused.pk}"
    assert alert.since == refused.answered_at + 15 * DAY


def test_refused_referral_within_15_days_opens_nothing(pathway):
    referral(pathway, status=ReferralStatus.REFUSED, sent_at=days_ago(20), answered_at=days_ago(14))
    scan()
    assert alerts(pathway, BreakKind.REFERRAL_REFUSED) == []


def test_refused_referral_followed_by_a_new_one_for_the_same_need(pathway):
    referral(pathway, status=ReferralStatus.REFUSED, sent_at=days_ago(20), answered_at=days_ago(16))
    referral(pathway, sent_at=days_ago(10), due_at=NOW + DAY)
    scan()
    assert alerts(pathway, BreakKind.REFERRAL_REFUSED) == []


def test_refused_referral_followed_by_another_need_only_still_alerts(pathway):
    referral(pathway, status=ReferralStatus.REFUSED, sent_at=days_ago(20), answered_at=days_ago(16))
    referral(pathway, theme="mobilite", sent_at=days_ago(10), due_at=NOW + DAY)
    scan()
    assert len(alerts(pathway, BreakKind.REFERRAL_REFUSED)) == 1


def test_refused_alert_closes_when_a_new_referral_is_sent(pathway):
    referral(pathway, status=ReferralStatus.REFUSED, sent_at=days_ago(20), answered_at=days_ago(16))
    scan()
    (alert,) = alerts(pathway, BreakKind.REFERRAL_REFUSED)
    referral(pathway, sent_at=NOW, due_at=NOW + 10 * DAY)
    scan(NOW + DAY)
    alert.refresh_from_db()
    assert alert.closed_at is not None


# --- rule 5: no next step ----------------------------------------------------------------------------------------


def test_finished_action_without_next_step(pathway):
    action(pathway, status=ActionStatus.DONE, finished_at=days_ago(10))
    latest = action(pathway, status=ActionStatus.ABANDONED, finished_at=days_ago(3))
    scan()
    (alert,) = alerts(pathway, BreakKind.NO_NEXT_STEP)
    assert alert.subject == f"action:{latest.pk}"
    assert alert.since == latest.finished_at


def test_finished_action_with_a_planned_one_opens_nothing(pathway):
    action(pathway, status=ActionStatus.DONE, finished_at=days_ago(10))
    action(pathway, status=ActionStatus.PLANNED)
    scan()
    assert alerts(pathway, BreakKind.NO_NEXT_STEP) == []


def test_finished_action_with_a_referral_under_way_opens_nothing(pathway):
    action(pathway, status=ActionStatus.DONE, finished_at=days_ago(10))
    referral(pathway, status=ReferralStatus.ACCEPTED, sent_at=days_ago(5))
    scan()
    assert alerts(pathway, BreakKind.NO_NEXT_STEP) == []


def test_closed_referral_without_next_step(pathway):
    action(pathway, status=ActionStatus.DONE, finished_at=days_ago(10))
    closed = referral(pathway, status=ReferralStatus.CLOSED, sent_at=days_ago(9), closed_at=days_ago(2))
    scan()
    (alert,) = alerts(pathway, BreakKind.NO_NEXT_STEP)
    assert alert.subject == f"referral:{closed.pk}"
    assert alert.since == closed.closed_at


def test_no_next_step_closes_when_an_action_is_planned(pathway):
    action(pathway, status=ActionStatus.DONE, finished_at=days_ago(10))
    scan()
    (alert,) = alerts(pathway, BreakKind.NO_NEXT_STEP)
    action(pathway, status=ActionStatus.PLANNED)
    scan(NOW + DAY)
    alert.refresh_from_db()
    assert alert.closed_at is not None


# --- rule 6: residence permit ------------------------------------------------------------------------------------------


def permit_pathway(valid_in_days: int) -> Pathway:
    person = PersonFactory(
        residence_permit_valid_until=timezone.localdate(NOW) + datetime.timedelta(days=valid_in_days)
    )
    return PathwayFactory(person=person)


def test_permit_expiring_within_60_days():
    pathway = permit_pathway(59)
    scan()
    (alert,) = alerts(pathway, BreakKind.PERMIT_EXPIRING)
    valid_until = pathway.person.residence_permit_valid_until
    assert alert.details == {"valid_until": valid_until.isoformat()}
    assert alert.since.date() == valid_until - datetime.timedelta(days=60)


def test_permit_expired_alerts_too():
    pathway = permit_pathway(-10)
    scan()
    assert len(alerts(pathway, BreakKind.PERMIT_EXPIRING)) == 1


def test_permit_valid_beyond_60_days_opens_nothing():
    pathway = permit_pathway(61)
    scan()
    assert alerts(pathway, BreakKind.PERMIT_EXPIRING) == []


def test_permit_with_renewal_planned_opens_nothing():
    pathway = permit_pathway(30)
    action(pathway, kind=ActionKind.PERMIT_RENEWAL, status=ActionStatus.IN_PROGRESS)
    scan()
    assert alerts(pathway, BreakKind.PERMIT_EXPIRING) == []


def test_permit_renewal_done_before_the_window_does_not_count():
    pathway = permit_pathway(30)
    action(pathway, kind=ActionKind.PERMIT_RENEWAL, status=ActionStatus.DONE, finished_at=days_ago(400))
    scan()
    assert len(alerts(pathway, BreakKind.PERMIT_EXPIRING)) == 1


def test_permit_alert_closes_when_a_renewal_action_is_added():
    pathway = permit_pathway(30)
    scan()
    (alert,) = alerts(pathway, BreakKind.PERMIT_EXPIRING)
    action(pathway, kind=ActionKind.PERMIT_RENEWAL)
    scan(NOW + DAY)
    alert.refresh_from_db()
    assert alert.closed_at is not None


def test_permit_alert_events_carry_the_residence_category():
    pathway = permit_pathway(30)
    scan()
    event = Event.objects.get(pathway=pathway, kind=EventKind.ALERT_OPENED)
    assert event.category == DataCategory.RESIDENCE_STATUS


# --- rule 7: CIR French hours ---------------------------------------------------------------------------------------------


def cir_pathway(signed_days_ago: int, *, prescribed: int = 200, done: int = 0) -> Pathway:
    pathway = PathwayFactory()
    IntegrationContract.objects.create(
        person=pathway.person,
        signed_on=timezone.localdate(NOW) - datetime.timedelta(days=signed_days_ago),
        french_hours_prescribed=prescribed,
        french_hours_done=done,
    )
    return pathway


def test_cir_french_not_started_after_30_days():
    pathway = cir_pathway(31)
    scan()
    (alert,) = alerts(pathway, BreakKind.CIR_FRENCH_NOT_STARTED)
    signed_on = pathway.person.integration_contract.signed_on
    assert alert.since.date() == signed_on + datetime.timedelta(days=30)


def test_cir_within_30_days_or_without_hours_opens_nothing():
    early = cir_pathway(29)
    none_prescribed = cir_pathway(60, prescribed=0)
    scan()
    assert alerts(early, BreakKind.CIR_FRENCH_NOT_STARTED) == []
    assert alerts(none_prescribed, BreakKind.CIR_FRENCH_NOT_STARTED) == []


def test_cir_with_a_french_course_started_opens_nothing():
    pathway = cir_pathway(60)
    action(pathway, kind=ActionKind.FRENCH_COURSE, status=ActionStatus.IN_PROGRESS)
    scan()
    assert alerts(pathway, BreakKind.CIR_FRENCH_NOT_STARTED) == []


def test_cir_alert_closes_when_french_hours_start():
    pathway = cir_pathway(60)
    scan()
    (alert,) = alerts(pathway, BreakKind.CIR_FRENCH_NOT_STARTED)
    IntegrationContract.objects.filter(person=pathway.person).update(french_hours_done=4)
    scan(NOW + DAY)
    alert.refresh_from_db()
    assert alert.closed_at is not None


# --- common behaviour ---------------------------------------------------------------------------------------------------------


def test_events_are_written_on_open_and_close():
    pathway = PathwayFactory(referent=False, opened_at=datetime.datetime(2026, 10, 12, 9, tzinfo=datetime.UTC))
    scan()
    alert = PathwayAlert.objects.get(pathway=pathway, kind=BreakKind.NO_REFERENT)
    opened = Event.objects.get(pathway=pathway, kind=EventKind.ALERT_OPENED)
    assert opened.summary == "Alerte : sans référent·e depuis le 12/10/2026"
    assert opened.payload == {"alert": alert.pk, "kind": BreakKind.NO_REFERENT}
    assert opened.category == ""
    assert opened.actor is None
    FollowUpMemberFactory(pathway=pathway, is_referent=True)
    scan(NOW + DAY)
    closed = Event.objects.get(pathway=pathway, kind=EventKind.ALERT_CLOSED)
    assert closed.payload == {"alert": alert.pk, "kind": BreakKind.NO_REFERENT}
    assert closed.summary.startswith("Alerte levée")


def test_the_scan_is_idempotent():
    PathwayFactory(referent=False)
    PathwayFactory(last_activity_at=days_ago(60))
    first = scan()
    events = Event.objects.count()
    second = scan()
    third = scan(NOW + DAY)
    assert first["opened"] == 2  # one without referent, one inactive
    assert second["opened"] == second["closed"] == 0
    assert third["opened"] == third["closed"] == 0
    assert second["open"] == first["open"] == 2
    assert Event.objects.count() == events


def test_a_scan_opens_only_the_conditions_without_an_open_alert(membership):
    already = PathwayFactory(referent=False)
    scan()
    (kept,) = alerts(already, BreakKind.NO_REFERENT)
    stale = PathwayFactory(referent=membership, last_activity_at=days_ago(60))
    late = referral(already, sent_at=days_ago(20), due_at=days_ago(10))
    result = scan(NOW + DAY)
    assert result["opened"] == 2
    assert result["closed"] == 0
    assert alerts(already, BreakKind.NO_REFERENT) == [kept]
    (unanswered,) = alerts(already, BreakKind.REFERRAL_UNANSWERED)
    assert unanswered.subject == f"referral:{late.pk}"
    assert unanswered.assignee == AlertAssignee.ORIENTATION
    (inactive,) = alerts(stale, BreakKind.INACTIVE)
    assert inactive.assignee_membership == membership
    opened_events = Event.objects.filter(kind=EventKind.ALERT_OPENED, at=NOW + DAY)
    assert sorted(e.payload["alert"] for e in opened_events) == sorted([unanswered.pk, inactive.pk])
    assert PathwayAlert.objects.count() == 3


def test_a_new_alert_opens_after_the_previous_one_closed():
    pathway = PathwayFactory(referent=False)
    scan()
    seat = FollowUpMemberFactory(pathway=pathway, is_referent=True)
    scan(NOW + DAY)
    FollowUpMember.objects.filter(pk=seat.pk).update(ended_at=NOW + 2 * DAY)
    scan(NOW + 3 * DAY)
    assert len(alerts(pathway, BreakKind.NO_REFERENT)) == 1
    assert len(alerts(pathway, BreakKind.NO_REFERENT, open_only=False)) == 2


def test_assignee_is_the_referent_seat(membership):
    pathway = PathwayFactory(referent=membership, last_activity_at=days_ago(60))
    scan()
    (alert,) = alerts(pathway, BreakKind.INACTIVE)
    assert alert.assignee == AlertAssignee.REFERENT
    assert alert.assignee_membership == membership


def test_assignee_follows_a_referent_change(membership):
    pathway = PathwayFactory(referent=membership, last_activity_at=days_ago(60))
    scan()
    FollowUpMember.objects.filter(pathway=pathway, is_referent=True).update(ended_at=days_ago(0.1))
    successor = MembershipFactory()
    FollowUpMemberFactory(pathway=pathway, membership=successor, is_referent=True)
    scan(NOW + DAY)
    (alert,) = alerts(pathway, BreakKind.INACTIVE)
    assert alert.assignee_membership == successor
    FollowUpMember.objects.filter(pathway=pathway, is_referent=True).update(ended_at=NOW)
    scan(NOW + 2 * DAY)
    (alert,) = alerts(pathway, BreakKind.INACTIVE)
    assert alert.assignee == AlertAssignee.ORIENTATION
    assert alert.assignee_membership is None


def test_alerts_of_a_closed_pathway_close():
    pathway = PathwayFactory(referent=False)
    scan()
    Pathway.objects.filter(pk=pathway.pk).update(status=PathwayStatus.CLOSED, closed_at=NOW)
    result = scan(NOW + DAY)
    assert alerts(pathway, BreakKind.NO_REFERENT) == []
    assert result["closed"] == 1


def test_anonymised_people_are_not_scanned():
    pathway = PathwayFactory(referent=False, person=PersonFactory(anonymised_at=NOW))
    scan()
    assert not PathwayAlert.objects.filter(pathway=pathway).exists()


def test_command_and_task_run_the_scan(capsys):
    PathwayFactory(referent=False)
    call_command("breaks_scan")
    assert "1 alerte(s) ouverte(s)" in capsys.readouterr().out
    result = tasks.scan_breaks.enqueue()
    assert result.return_value["opened"] == 0


# --- selectors --------------------------------------------------------------------------------------------------------------


def test_alerts_to_handle_lists_my_referent_alerts_only(membership):
    mine = PathwayFactory(referent=membership, last_activity_at=days_ago(60))
    other = PathwayFactory(last_activity_at=days_ago(60))
    scan()
    queue = list(alerts_to_handle(membership=membership))
    assert [a.pathway_id for a in queue] == [mine.pk]
    assert other.pk not in [a.pathway_id for a in queue]


def test_a_replaced_referent_no_longer_sees_the_alert_before_the_next_scan(membership):
    mine = PathwayFactory(referent=membership, last_activity_at=days_ago(60))
    scan()
    assert [a.pathway_id for a in alerts_to_handle(membership=membership)] == [mine.pk]
    seat = FollowUpMember.objects.get(pathway=mine, membership=membership, is_referent=True)
    seat.ended_at = NOW
    seat.save(update_fields=["ended_at"])
    assert list(alerts_to_handle(membership=membership)) == []


def test_alerts_to_handle_for_an_orientation_officer_with_a_grant():
    grant = TerritoryGrantFactory()
    officer = grant.membership
    here = PathwayFactory(referent=False, departement=grant.departement)
    elsewhere = PathwayFactory(referent=False, departement=DepartementFactory(code="49", name="Maine-et-Loire"))
    with_referent = PathwayFactory(departement=grant.departement, last_activity_at=days_ago(60))
    scan()
    queue = {a.pathway_id for a in alerts_to_handle(membership=officer)}
    assert here.pk in queue
    assert elsewhere.pk not in queue
    assert with_referent.pk not in queue


def test_alerts_to_handle_refused_without_grant_or_after_revocation():
    grant = TerritoryGrantFactory()
    PathwayFactory(referent=False, departement=grant.departement)
    scan()
    conseiller = MembershipFactory()  # not a chargé·e d'orientation
    assert list(alerts_to_handle(membership=conseiller)) == []
    grant.revoked_at = NOW
    grant.save()
    assert list(alerts_to_handle(membership=grant.membership)) == []


def test_alerts_to_handle_hides_permit_alerts_without_consent(membership):
    person = PersonFactory(residence_permit_valid_until=timezone.localdate(NOW) + 10 * DAY)
    pathway = PathwayFactory(person=person, referent=membership)
    scan()
    assert [a.kind for a in alerts_to_handle(membership=membership)] == []
    ConsentFactory(person=person, organisation=membership.organisation, category=DataCategory.RESIDENCE_STATUS)
    assert [a.kind for a in alerts_to_handle(membership=membership)] == [BreakKind.PERMIT_EXPIRING]
    assert list(open_alerts_of_pathway(pathway=pathway, categories=frozenset())) == []
    assert len(open_alerts_of_pathway(pathway=pathway)) == 1


def test_alerts_to_handle_filters_by_kind(membership):
    pathway = PathwayFactory(referent=membership, last_activity_at=days_ago(60))
    action(pathway, status=ActionStatus.DONE, finished_at=days_ago(50))
    scan()
    assert {a.kind for a in alerts_to_handle(membership=membership)} == {BreakKind.INACTIVE, BreakKind.NO_NEXT_STEP}
    assert [a.kind for a in alerts_to_handle(membership=membership, kind=BreakKind.INACTIVE)] == [BreakKind.INACTIVE]


def test_counts_by_organisation_and_departement():
    organisation = OrganisationFactory()
    member = MembershipFactory(organisation=organisation)
    PathwayFactory(referent=member, last_activity_at=days_ago(60))
    PathwayFactory(referent=member, last_activity_at=days_ago(70))
    PathwayFactory(last_activity_at=days_ago(60))  # another organisation's referent
    PathwayFactory(referent=False)
    scan()
    counts = alert_counts_for_organisation(organisation=organisation)
    assert counts[BreakKind.INACTIVE] == 2
    assert counts[BreakKind.NO_REFERENT] == 0
    territory = alert_counts_for_departement(departement_code="44")
    assert territory[BreakKind.INACTIVE] == 3
    assert territory[BreakKind.NO_REFERENT] == 1
    assert alert_counts_for_departement(departement_code="49")[BreakKind.INACTIVE] == 0
