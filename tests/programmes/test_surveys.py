"""Follow-up surveys: answering ("no answer" kept apart from "not employed"), what is refused, the
referent's list of surveys due, and the daily notification (once per survey, idempotent)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.http import Http404
from django.utils import timezone

from parcours.audit.models import AuditEntry
from parcours.notifications.models import Notification
from parcours.pathways.enums import EventKind
from parcours.pathways.models import Event, FollowUpMember
from parcours.programmes import enums, tasks
from parcours.programmes.models import FollowUpSurvey
from parcours.programmes.services_surveys import (
    SURVEY_EARLY_DAYS,
    survey_answer,
    survey_get_for,
    surveys_due_for,
    surveys_notify_due,
)
from tests.factories import MembershipFactory, PathwayFactory
from tests.programmes.factories import EnrolmentFactory, FollowUpSurveyFactory, operator_staff

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def exited_enrolment(**kwargs):
    return EnrolmentFactory(
        state=enums.EnrolmentState.COMPLETED,
        enrolled_on=TODAY - 500 * DAY,
        entered_on=TODAY - 490 * DAY,
        exited_on=TODAY - 200 * DAY,
        **kwargs,
    )


def referent_of(enrolment):
    return FollowUpMember.objects.get(pathway=enrolment.pathway, is_referent=True).membership


@pytest.fixture
def survey():
    enrolment = exited_enrolment()
    return FollowUpSurveyFactory(enrolment=enrolment, wave_months=6, due_on=enrolment.exited_on + 182 * DAY)


def state(survey):
    survey.refresh_from_db()
    return (survey.status, survey.employment, survey.answered_on)


PENDING = (enums.SurveyStatus.PENDING, "", None)


def test_the_referent_records_an_answer_with_event_and_audit(survey):
    member = referent_of(survey.enrolment)
    survey_answer(membership=member, survey=survey, status="answered", employment="not_employed", answered_on=TODAY)
    assert state(survey) == ("answered", "not_employed", TODAY)
    assert survey.recorded_by == member.user
    event = Event.objects.get(kind=EventKind.PROGRAMME_PROGRESS, pathway=survey.enrolment.pathway)
    assert "6 mois" in event.summary and "Sans emploi" in event.summary
    assert AuditEntry.objects.filter(object_type="programmes.followupsurvey", action="create").count() == 1


def test_no_answer_is_kept_apart_and_leaves_employment_empty(survey):
    survey_answer(membership=referent_of(survey.enrolment), survey=survey, status="no_answer", answered_on=TODAY)
    assert state(survey) == ("no_answer", "", TODAY)
    assert "Pas de réponse" in Event.objects.get(kind=EventKind.PROGRAMME_PROGRESS).summary


def test_operator_staff_may_answer_and_a_correction_is_audited(survey):
    staff = operator_staff(survey.enrolment.session)
    survey_answer(membership=staff, survey=survey, status="no_answer", answered_on=TODAY - DAY)
    survey_answer(membership=staff, survey=survey, status="answered", employment="work_study", answered_on=TODAY)
    assert state(survey) == ("answered", "work_study", TODAY)
    assert AuditEntry.objects.filter(object_type="programmes.followupsurvey", action="update").count() == 1


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"status": "answered"}, "Indiquez la situation d'emploi"),
        ({"status": "answered", "employment": "chomage"}, "dans la liste"),
        ({"status": "no_answer", "employment": "not_employed"}, "« pas de réponse » n'est pas « sans emploi »"),
        ({"status": "pending"}, "si la personne a répondu"),
        ({"status": "no_answer", "answered_on": TODAY + DAY}, "dans le futur"),
        ({"status": "no_answer", "answered_on": None}, "Indiquez la date"),
    ],
)
def test_bad_answers_are_refused_with_nothing_written(survey, kwargs, message):
    data = {"answered_on": TODAY, **kwargs}
    with pytest.raises(ValidationError) as exc:
        survey_answer(membership=referent_of(survey.enrolment), survey=survey, **data)
    assert message in " ".join(exc.value.messages)
    assert state(survey) == PENDING
    assert Event.objects.filter(kind=EventKind.PROGRAMME_PROGRESS).count() == 0
    assert AuditEntry.objects.count() == 0


def test_an_answer_too_long_before_the_due_date_is_refused():
    enrolment = exited_enrolment()
    early = FollowUpSurveyFactory(enrolment=enrolment, wave_months=12, due_on=TODAY + (SURVEY_EARLY_DAYS + 1) * DAY)
    with pytest.raises(ValidationError) as exc:
        survey_answer(membership=referent_of(enrolment), survey=early, status="no_answer", answered_on=TODAY)
    assert "au plus tôt le" in " ".join(exc.value.messages)
    assert state(early) == PENDING
    # Within the tolerance: accepted.
    within = FollowUpSurveyFactory(enrolment=enrolment, wave_months=6, due_on=TODAY + SURVEY_EARLY_DAYS * DAY)
    survey_answer(membership=referent_of(enrolment), survey=within, status="no_answer", answered_on=TODAY)
    assert state(within)[0] == "no_answer"


@pytest.mark.parametrize(
    "dates",
    [
        {"state": enums.EnrolmentState.CANDIDATE},
        {"state": enums.EnrolmentState.IN_PROGRESS, "enrolled_on": TODAY - 100 * DAY, "entered_on": TODAY - 90 * DAY},
    ],
)
def test_a_survey_for_someone_never_enrolled_or_never_exited_is_refused(dates):
    enrolment = EnrolmentFactory(**dates)
    survey = FollowUpSurveyFactory(enrolment=enrolment, due_on=TODAY - DAY)
    with pytest.raises(ValidationError) as exc:
        survey_answer(
            membership=referent_of(enrolment),
            survey=survey,
            status="answered",
            employment="other_employment",
            answered_on=TODAY,
        )
    assert "jamais été inscrite" in " ".join(exc.value.messages)
    assert state(survey) == PENDING
    assert AuditEntry.objects.count() == 0


def test_someone_else_may_not_answer(survey):
    with pytest.raises(PermissionDenied):
        survey_answer(membership=MembershipFactory(), survey=survey, status="no_answer", answered_on=TODAY)
    assert state(survey) == PENDING
    with pytest.raises(Http404):
        survey_get_for(membership=MembershipFactory(), survey_id=survey.pk)
    assert survey_get_for(membership=referent_of(survey.enrolment), survey_id=survey.pk) == survey


# --- the referent's list ---------------------------------------------------------------------------


def test_surveys_due_for_lists_pending_due_surveys_of_the_referents_pathways_only():
    enrolment = exited_enrolment()
    member = referent_of(enrolment)
    due = FollowUpSurveyFactory(enrolment=enrolment, wave_months=6, due_on=TODAY - 3 * DAY)
    FollowUpSurveyFactory(enrolment=enrolment, wave_months=12, due_on=TODAY + 3 * DAY)  # not yet due
    other = exited_enrolment(pathway=PathwayFactory(referent=member))
    FollowUpSurveyFactory(
        enrolment=other,
        wave_months=6,
        due_on=TODAY - 10 * DAY,
        status="no_answer",
        answered_on=TODAY - DAY,
    )  # done
    elsewhere = exited_enrolment()
    FollowUpSurveyFactory(enrolment=elsewhere, due_on=TODAY - DAY)  # another referent's
    assert list(surveys_due_for(membership=member)) == [due]
    # A follow-up member who is not the referent, and operator staff, have no such list.
    assert list(surveys_due_for(membership=operator_staff(enrolment.session))) == []
    assert list(surveys_due_for(membership=None)) == []


def test_a_referent_replaced_no_longer_sees_the_survey():
    enrolment = exited_enrolment()
    member = referent_of(enrolment)
    FollowUpSurveyFactory(enrolment=enrolment, due_on=TODAY - DAY)
    FollowUpMember.objects.filter(membership=member).update(ended_at=timezone.now())
    assert list(surveys_due_for(membership=member)) == []


# --- the notification -------------------------------------------------------------------------------


def test_each_due_survey_is_notified_once_to_the_current_referent():
    enrolment = exited_enrolment()
    member = referent_of(enrolment)
    first = FollowUpSurveyFactory(enrolment=enrolment, wave_months=6, due_on=TODAY - DAY)
    later = FollowUpSurveyFactory(enrolment=enrolment, wave_months=12, due_on=TODAY + 30 * DAY)
    second = FollowUpSurveyFactory(enrolment=exited_enrolment(pathway=PathwayFactory(referent=member)), due_on=TODAY)
    orphan = FollowUpSurveyFactory(enrolment=exited_enrolment(), due_on=TODAY)
    FollowUpMember.objects.filter(pathway=orphan.enrolment.pathway).update(ended_at=timezone.now())

    assert surveys_notify_due(today=TODAY) == 2
    [notification] = Notification.objects.all()
    assert notification.recipient == member.user and notification.kind == "survey_due"
    assert "2 enquêtes de suivi" in notification.subject
    for survey in (first, second):
        survey.refresh_from_db()
        assert survey.notified_at is not None
    for survey in (later, orphan):
        survey.refresh_from_db()
        assert survey.notified_at is None

    # Idempotent: a second run notifies nothing.
    assert surveys_notify_due(today=TODAY) == 0
    assert Notification.objects.count() == 1
    # The later wave falls due: notified then, alone.
    assert surveys_notify_due(today=TODAY + 30 * DAY) == 1
    assert Notification.objects.count() == 2


def test_the_task_and_the_command_run_the_notification():
    enrolment = exited_enrolment()
    FollowUpSurveyFactory(enrolment=enrolment, due_on=TODAY - DAY)
    result = tasks.surveys_notify.call()
    assert result == 1
    FollowUpSurveyFactory(enrolment=enrolment, wave_months=12, due_on=TODAY)
    call_command("surveys_notify", date=TODAY.isoformat())
    assert FollowUpSurvey.objects.filter(notified_at__isnull=True).count() == 0
    assert Notification.objects.count() == 2
