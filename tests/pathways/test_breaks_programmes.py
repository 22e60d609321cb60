"""The "no next step" rule on programme exits: an enrolment that ended more than
BREAK_PROGRAMME_EXIT_NO_NEXT_STEP_DAYS ago with nothing after it opens an alert on its pathway; a
next step (a live enrolment, an action or a referral begun since the exit) keeps it closed or
closes it on the next scan. A live enrolment also counts as pending work for the other rules."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from parcours.pathways.breaks import scan_breaks
from parcours.pathways.enums import ActionStatus, BreakKind
from parcours.pathways.models import PathwayAlert
from parcours.programmes.enums import AbandonReason, EnrolmentState
from parcours.referrals.enums import ReferralStatus
from parcours.referrals.models import Referral
from parcours.www.alerts.presenters import alert_row
from tests.directory.factories import ServiceFactory
from tests.factories import ActionFactory, GoalFactory, MembershipFactory, OrganisationFactory, PathwayFactory
from tests.programmes.factories import EnrolmentFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()
TODAY = timezone.localdate(NOW)
DELAY = settings.BREAK_PROGRAMME_EXIT_NO_NEXT_STEP_DAYS


def exited(pathway=None, *, days_ago: int, state=EnrolmentState.COMPLETED, **kwargs):
    exited_on = TODAY - datetime.timedelta(days=days_ago)
    extra = {"abandon_reason": AbandonReason.HEALTH} if state == EnrolmentState.ABANDONED else {}
    return EnrolmentFactory(
        pathway=pathway or PathwayFactory(),
        state=state,
        enrolled_on=exited_on - datetime.timedelta(days=240),
        entered_on=exited_on - datetime.timedelta(days=230),
        exited_on=exited_on,
        **extra,
        **kwargs,
    )


def no_next_step(pathway) -> list[PathwayAlert]:
    return list(PathwayAlert.objects.filter(pathway=pathway, kind=BreakKind.NO_NEXT_STEP, closed_at__isnull=True))


def send_referral(pathway, sent_at, status=ReferralStatus.SENT) -> Referral:
    sender = MembershipFactory()
    return Referral.objects.create(
        pathway=pathway,
        theme="emploi",
        service=ServiceFactory(),
        recipient_organisation=OrganisationFactory(),
        sender=sender,
        sent_by=sender.user,
        message="Bonjour, je vous adresse M. X pour la suite de son parcours.",
        sla_days=10,
        sent_at=sent_at,
        due_at=sent_at + datetime.timedelta(days=10),
        status=status,
    )


@pytest.mark.parametrize("state", [EnrolmentState.COMPLETED, EnrolmentState.ABANDONED])
def test_an_old_exit_without_next_step_opens_an_alert_with_its_enrolment_and_a_fix_link(state):
    enrolment = exited(days_ago=DELAY + 1, state=state)
    scan_breaks(now=NOW)
    [alert] = no_next_step(enrolment.pathway)
    assert alert.subject == f"enrolment:{enrolment.pk}"
    assert alert.details["enrolment"] == enrolment.pk
    assert alert.details["programme"] == enrolment.programme.name
    assert alert.since.date() == enrolment.exited_on
    assert alert.assignee_membership is not None
    row = alert_row(alert)
    assert row.fix_url and row.fix_label


def test_a_recent_exit_opens_nothing_yet():
    enrolment = exited(days_ago=DELAY)
    scan_breaks(now=NOW)
    assert no_next_step(enrolment.pathway) == []


def test_a_live_enrolment_is_a_next_step():
    enrolment = exited(days_ago=DELAY + 30)
    EnrolmentFactory(pathway=enrolment.pathway, state=EnrolmentState.CANDIDATE)
    scan_breaks(now=NOW)
    assert no_next_step(enrolment.pathway) == []


def test_an_action_planned_after_the_exit_is_a_next_step_but_not_one_planned_before():
    enrolment = exited(days_ago=DELAY + 30)
    goal = GoalFactory(pathway=enrolment.pathway)
    ActionFactory(goal=goal, status=ActionStatus.PLANNED, created_at=NOW - datetime.timedelta(days=DELAY + 31))
    scan_breaks(now=NOW)
    # The action planned before the exit is pending work: nothing opens while it is pending.
    assert no_next_step(enrolment.pathway) == []

    other = exited(days_ago=DELAY + 30)
    ActionFactory(
        goal=GoalFactory(pathway=other.pathway),
        status=ActionStatus.PLANNED,
        created_at=NOW - datetime.timedelta(days=3),
    )
    scan_breaks(now=NOW)
    assert no_next_step(other.pathway) == []


def test_a_referral_sent_after_the_exit_is_a_next_step():
    enrolment = exited(days_ago=DELAY + 30)
    send_referral(enrolment.pathway, NOW - datetime.timedelta(days=5))
    scan_breaks(now=NOW)
    assert no_next_step(enrolment.pathway) == []


def test_the_alert_closes_when_a_next_step_is_added():
    enrolment = exited(days_ago=DELAY + 5)
    scan_breaks(now=NOW)
    [alert] = no_next_step(enrolment.pathway)

    ActionFactory(goal=GoalFactory(pathway=enrolment.pathway), status=ActionStatus.PLANNED)
    result = scan_breaks(now=NOW + datetime.timedelta(minutes=1))
    assert no_next_step(enrolment.pathway) == []
    alert.refresh_from_db()
    assert alert.closed_at is not None
    assert result["by_kind"][BreakKind.NO_NEXT_STEP]["closed"] == 1


def test_only_the_latest_exit_counts():
    first = exited(days_ago=DELAY + 200)
    second = exited(first.pathway, days_ago=DELAY + 2)
    scan_breaks(now=NOW)
    [alert] = no_next_step(first.pathway)
    assert alert.subject == f"enrolment:{second.pk}"


def test_an_exit_after_the_last_finished_action_takes_over_the_action_alert():
    pathway = PathwayFactory()
    ActionFactory(
        goal=GoalFactory(pathway=pathway),
        status=ActionStatus.DONE,
        created_at=NOW - datetime.timedelta(days=400),
        finished_at=NOW - datetime.timedelta(days=300),
    )
    enrolment = exited(pathway, days_ago=DELAY + 3)
    scan_breaks(now=NOW)
    assert [a.subject for a in no_next_step(pathway)] == [f"enrolment:{enrolment.pk}"]


def test_a_live_enrolment_is_pending_work_for_the_action_rule():
    pathway = PathwayFactory()
    ActionFactory(
        goal=GoalFactory(pathway=pathway),
        status=ActionStatus.DONE,
        created_at=NOW - datetime.timedelta(days=40),
        finished_at=NOW - datetime.timedelta(days=20),
    )
    scan_breaks(now=NOW)
    assert len(no_next_step(pathway)) == 1
    EnrolmentFactory(pathway=pathway, state=EnrolmentState.IN_PROGRESS, enrolled_on=TODAY, entered_on=TODAY)
    scan_breaks(now=NOW + datetime.timedelta(minutes=1))
    assert no_next_step(pathway) == []
