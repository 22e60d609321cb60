"""The enrolment state machine: proposing a candidacy (eligibility snapshot, override reason),
every allowed move with its log, timeline event, audit entry and notification, the follow-up
surveys at exit, and the bad input and refused rights (French message, nothing written).
Eligibility is the real evaluator on the person's facts (parcours/programmes/facts.py)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from parcours.audit.models import AuditEntry
from parcours.notifications.models import Notification
from parcours.pathways.enums import EventKind, PathwayStatus
from parcours.pathways.models import Event
from parcours.programmes.enums import EligibilityStatus, EnrolmentState
from parcours.programmes.models import Enrolment, EnrolmentTransition, FollowUpSurvey
from parcours.programmes.services_enrolment import add_months, enrolment_move, enrolment_propose, transitions_for
from tests.factories import FollowUpMemberFactory, MembershipFactory, PathwayFactory
from tests.programmes.factories import EnrolmentFactory, SessionFactory, operator_staff

pytestmark = pytest.mark.django_db

TOO_OLD = [{"field": "age", "op": "gte", "value": 100}]
NEEDS_FRENCH = [{"field": "french_level", "op": "at_least", "value": "A1"}]
TODAY = timezone.localdate()
DAYS = datetime.timedelta


@pytest.fixture
def session():
    return SessionFactory(places=2)


@pytest.fixture
def staff(session):
    return operator_staff(session)


@pytest.fixture
def referent():
    return MembershipFactory()


@pytest.fixture
def pathway(referent):
    return PathwayFactory(referent=referent)


def _snapshot():
    return (
        Enrolment.objects.count(),
        EnrolmentTransition.objects.count(),
        Event.objects.count(),
        AuditEntry.objects.count(),
        Notification.objects.count(),
        FollowUpSurvey.objects.count(),
    )


def _enrolment(session, pathway, state=EnrolmentState.CANDIDATE, **dates):
    return EnrolmentFactory(
        session=session, pathway=pathway, state=state, proposed_at=timezone.now() - DAYS(days=60), **dates
    )


# --- proposing -------------------------------------------------------------------------------------


def test_referent_proposes_an_eligible_person(session, staff, pathway, referent):
    enrolment = enrolment_propose(membership=referent, session=session, pathway=pathway)
    assert enrolment.state == EnrolmentState.CANDIDATE
    assert enrolment.eligibility_status == EligibilityStatus.ELIGIBLE
    assert enrolment.eligibility["status"] == "eligible"
    assert enrolment.programme == session.programme
    assert enrolment.override_reason == ""
    transition = enrolment.transitions.get()
    assert (transition.from_state, transition.to_state, transition.actor) == ("", "candidate", referent.user)
    event = Event.objects.get(pathway=pathway, kind=EventKind.ENROLMENT_UPDATED)
    assert session.label in event.summary
    assert AuditEntry.objects.filter(object_type="programmes.enrolment", object_id=str(enrolment.pk)).exists()
    # The operator centre's staff hear of the new candidacy.
    assert Notification.objects.filter(recipient=staff.user, kind="enrolment_new").exists()


def test_ineligible_person_without_override_reason_is_refused(session, pathway, referent):
    session.programme.eligibility_rules = TOO_OLD
    session.programme.save()
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        enrolment_propose(membership=referent, session=session, pathway=pathway)
    message = exc.value.message_dict["override_reason"][0]
    assert "ne remplit pas les conditions" in message
    assert "Âge" in message
    assert _snapshot() == before


def test_ineligible_person_with_override_reason_is_proposed_and_the_reason_kept(session, pathway, referent):
    session.programme.eligibility_rules = TOO_OLD
    session.programme.save()
    enrolment = enrolment_propose(
        membership=referent, session=session, pathway=pathway, override_reason="Décision de la commission"
    )
    assert enrolment.eligibility_status == EligibilityStatus.NOT_ELIGIBLE
    assert enrolment.override_reason == "Décision de la commission"
    assert enrolment.eligibility["criteria"][0]["status"] == "not_met"
    entry = AuditEntry.objects.get(object_type="programmes.enrolment", object_id=str(enrolment.pk))
    assert "Décision de la commission" in entry.reason
    # The timeline (read by the whole group) says nothing of the eligibility or the reason.
    assert "commission" not in Event.objects.get(pathway=pathway).summary


def test_undetermined_eligibility_needs_an_override_reason_and_names_what_is_missing(session, pathway, referent):
    session.programme.eligibility_rules = NEEDS_FRENCH
    session.programme.save()
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        enrolment_propose(membership=referent, session=session, pathway=pathway)
    message = exc.value.message_dict["override_reason"][0]
    assert "ne peut pas être établie" in message
    assert "français" in message.lower()
    assert _snapshot() == before


def test_only_a_follow_up_member_proposes(session, pathway):
    before = _snapshot()
    with pytest.raises(PermissionDenied, match="groupe de suivi"):
        enrolment_propose(membership=MembershipFactory(), session=session, pathway=pathway)
    assert _snapshot() == before


def test_an_ended_follow_up_seat_cannot_propose(session, pathway):
    seat = FollowUpMemberFactory(pathway=pathway, ended_at=timezone.now())
    with pytest.raises(PermissionDenied):
        enrolment_propose(membership=seat.membership, session=session, pathway=pathway)


def test_a_second_live_candidacy_on_the_same_session_is_refused(session, pathway, referent):
    enrolment_propose(membership=referent, session=session, pathway=pathway)
    before = _snapshot()
    with pytest.raises(ValidationError, match="déjà une candidature"):
        enrolment_propose(membership=referent, session=session, pathway=pathway)
    assert _snapshot() == before


def test_a_closed_session_takes_no_candidacy(session, pathway, referent):
    session.status = "closed"
    session.save()
    with pytest.raises(ValidationError, match="pas ouverte aux candidatures"):
        enrolment_propose(membership=referent, session=session, pathway=pathway)
    assert not Enrolment.objects.exists()


def test_a_closed_pathway_takes_no_candidacy(session, pathway, referent):
    pathway.status = PathwayStatus.CLOSED
    pathway.closed_at = timezone.now()
    pathway.save()
    with pytest.raises(ValidationError, match="parcours est clos"):
        enrolment_propose(membership=referent, session=session, pathway=pathway)


def test_override_reason_too_long_is_refused(session, pathway, referent):
    session.programme.eligibility_rules = TOO_OLD
    session.programme.save()
    with pytest.raises(ValidationError) as exc:
        enrolment_propose(membership=referent, session=session, pathway=pathway, override_reason="x" * 501)
    assert "500 caractères" in exc.value.message_dict["override_reason"][0]


# --- the whole way through ---------------------------------------------------------------------------


def test_from_candidate_to_completed_with_log_events_audit_notifications_and_surveys(session, staff, pathway, referent):
    enrolment = enrolment_propose(membership=referent, session=session, pathway=pathway)
    Enrolment.objects.filter(pk=enrolment.pk).update(proposed_at=timezone.now() - DAYS(days=30))
    enrolment_move(membership=staff, enrolment=enrolment, to_state=EnrolmentState.SELECTED)
    enrolment_move(membership=staff, enrolment=enrolment, to_state="enrolled", on_date=TODAY - DAYS(days=20))
    enrolment_move(membership=staff, enrolment=enrolment, to_state="in_progress", on_date=TODAY - DAYS(days=10))
    enrolment = enrolment_move(membership=staff, enrolment=enrolment, to_state="completed")

    assert enrolment.state == EnrolmentState.COMPLETED
    assert enrolment.enrolled_on == TODAY - DAYS(days=20)
    assert enrolment.entered_on == TODAY - DAYS(days=10)
    assert enrolment.exited_on == TODAY
    assert list(enrolment.transitions.values_list("to_state", flat=True)) == [
        "candidate",
        "selected",
        "enrolled",
        "in_progress",
        "completed",
    ]
    assert Event.objects.filter(pathway=pathway, kind=EventKind.ENROLMENT_UPDATED).count() == 5
    assert AuditEntry.objects.filter(object_type="programmes.enrolment", object_id=str(enrolment.pk)).count() == 5
    assert Notification.objects.filter(recipient=referent.user, kind="enrolment_updated").count() == 4
    surveys = list(enrolment.surveys.order_by("wave_months").values_list("wave_months", "due_on", "status"))
    assert surveys == [(6, add_months(TODAY, 6), "pending"), (12, add_months(TODAY, 12), "pending")]


def test_surveys_due_at_the_end_of_a_shorter_month(session, staff, pathway):
    enrolment = _enrolment(
        session,
        pathway,
        EnrolmentState.IN_PROGRESS,
        enrolled_on=datetime.date(2025, 8, 1),
        entered_on=datetime.date(2025, 8, 4),
    )
    enrolment_move(
        membership=staff,
        enrolment=enrolment,
        to_state="abandoned",
        reason="employment",
        on_date=datetime.date(2025, 8, 31),
    )
    dues = list(enrolment.surveys.order_by("wave_months").values_list("due_on", flat=True))
    assert dues == [datetime.date(2026, 2, 28), datetime.date(2026, 8, 31)]


def test_enrolling_when_the_session_is_full_is_refused_and_the_waiting_list_offered(session, staff, pathway):
    for _ in range(2):
        _enrolment(session, PathwayFactory(), EnrolmentState.ENROLLED, enrolled_on=TODAY - DAYS(days=5))
    enrolment = _enrolment(session, pathway, EnrolmentState.SELECTED)
    before = _snapshot()
    with pytest.raises(ValidationError, match="liste d'attente"):
        enrolment_move(membership=staff, enrolment=enrolment, to_state="enrolled")
    assert _snapshot() == before
    assert [s for s, _label in transitions_for(membership=staff, enrolment=enrolment)] == [
        "not_selected",
        "waiting_list",
    ]
    enrolment = enrolment_move(membership=staff, enrolment=enrolment, to_state="waiting_list")
    assert enrolment.waiting_since is not None


def test_a_place_freed_by_an_abandonment_goes_to_the_waiting_list(session, staff, pathway):
    leaver = _enrolment(session, PathwayFactory(), EnrolmentState.ENROLLED, enrolled_on=TODAY - DAYS(days=5))
    _enrolment(session, PathwayFactory(), EnrolmentState.ENROLLED, enrolled_on=TODAY - DAYS(days=5))
    waiting = _enrolment(session, pathway, EnrolmentState.WAITING_LIST, waiting_since=timezone.now())
    enrolment_move(membership=staff, enrolment=leaver, to_state="abandoned", reason="moved")
    waiting = enrolment_move(membership=staff, enrolment=waiting, to_state="enrolled")
    assert waiting.state == EnrolmentState.ENROLLED


def test_a_move_not_allowed_is_refused(session, staff, pathway):
    enrolment = _enrolment(session, pathway)
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        enrolment_move(membership=staff, enrolment=enrolment, to_state="in_progress")
    assert exc.value.messages == ["Cette inscription est « Candidat·e » : elle ne peut pas passer à « En cours »."]
    assert _snapshot() == before


def test_a_final_state_does_not_move(session, staff, pathway):
    enrolment = _enrolment(
        session,
        pathway,
        EnrolmentState.COMPLETED,
        enrolled_on=TODAY - DAYS(days=9),
        entered_on=TODAY - DAYS(days=8),
        exited_on=TODAY,
    )
    with pytest.raises(ValidationError, match="ne peut pas passer"):
        enrolment_move(membership=staff, enrolment=enrolment, to_state="in_progress")


def test_an_unknown_state_is_refused(session, staff, pathway):
    enrolment = _enrolment(session, pathway)
    with pytest.raises(ValidationError, match="État inconnu"):
        enrolment_move(membership=staff, enrolment=enrolment, to_state="graduated")


def test_abandon_needs_a_reason(session, staff, pathway):
    enrolment = _enrolment(session, pathway, EnrolmentState.ENROLLED, enrolled_on=TODAY - DAYS(days=3))
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        enrolment_move(membership=staff, enrolment=enrolment, to_state="abandoned")
    assert exc.value.message_dict["reason"] == ["Choisissez le motif de l'abandon dans la liste."]
    assert _snapshot() == before


def test_abandon_for_another_reason_needs_a_detail(session, staff, pathway):
    enrolment = _enrolment(session, pathway, EnrolmentState.ENROLLED, enrolled_on=TODAY - DAYS(days=3))
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        enrolment_move(membership=staff, enrolment=enrolment, to_state="abandoned", reason="other", detail="  ")
    assert exc.value.message_dict["detail"] == ["Précisez le motif de l'abandon."]
    assert _snapshot() == before
    enrolment = enrolment_move(
        membership=staff, enrolment=enrolment, to_state="abandoned", reason="other", detail="Parti à l'étranger"
    )
    assert (enrolment.abandon_reason, enrolment.reason_detail) == ("other", "Parti à l'étranger")
    assert enrolment.surveys.count() == 2


def test_not_selected_needs_a_reason_and_other_a_detail(session, staff, pathway):
    enrolment = _enrolment(session, pathway)
    with pytest.raises(ValidationError) as exc:
        enrolment_move(membership=staff, enrolment=enrolment, to_state="not_selected")
    assert "motif" in exc.value.message_dict["reason"][0]
    with pytest.raises(ValidationError) as exc:
        enrolment_move(membership=staff, enrolment=enrolment, to_state="not_selected", reason="other")
    assert "Précisez" in exc.value.message_dict["detail"][0]
    enrolment.refresh_from_db()
    assert enrolment.state == EnrolmentState.CANDIDATE


def test_the_reason_of_an_abandonment_stays_out_of_the_timeline(session, staff, pathway):
    enrolment = _enrolment(session, pathway, EnrolmentState.ENROLLED, enrolled_on=TODAY - DAYS(days=3))
    enrolment_move(membership=staff, enrolment=enrolment, to_state="abandoned", reason="health")
    summary = Event.objects.get(pathway=pathway).summary
    assert "abandon" in summary
    assert "santé" not in summary
    assert EnrolmentTransition.objects.get(enrolment=enrolment, to_state="abandoned").reason.endswith(
        "Raisons de santé"
    )


def test_a_date_before_the_previous_step_is_refused(session, staff, pathway):
    enrolment = _enrolment(session, pathway, EnrolmentState.ENROLLED, enrolled_on=TODAY - DAYS(days=3))
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        enrolment_move(membership=staff, enrolment=enrolment, to_state="in_progress", on_date=TODAY - DAYS(days=4))
    assert exc.value.message_dict["on_date"] == [
        f"La date ne peut pas précéder celle de l'inscription ({(TODAY - DAYS(days=3)):%d/%m/%Y})."
    ]
    assert _snapshot() == before


def test_an_exit_before_the_entry_is_refused(session, staff, pathway):
    enrolment = _enrolment(
        session, pathway, EnrolmentState.IN_PROGRESS, enrolled_on=TODAY - DAYS(days=9), entered_on=TODAY - DAYS(days=5)
    )
    with pytest.raises(ValidationError) as exc:
        enrolment_move(membership=staff, enrolment=enrolment, to_state="completed", on_date=TODAY - DAYS(days=6))
    assert "l'entrée en parcours" in exc.value.message_dict["on_date"][0]
    assert not FollowUpSurvey.objects.exists()


def test_an_enrolment_before_the_candidacy_is_refused(session, staff, pathway):
    enrolment = _enrolment(session, pathway, EnrolmentState.SELECTED)
    with pytest.raises(ValidationError) as exc:
        enrolment_move(membership=staff, enrolment=enrolment, to_state="enrolled", on_date=TODAY - DAYS(days=61))
    assert "la candidature" in exc.value.message_dict["on_date"][0]


def test_a_date_in_the_future_is_refused(session, staff, pathway):
    enrolment = _enrolment(session, pathway, EnrolmentState.SELECTED)
    with pytest.raises(ValidationError) as exc:
        enrolment_move(membership=staff, enrolment=enrolment, to_state="enrolled", on_date=TODAY + DAYS(days=1))
    assert exc.value.message_dict["on_date"] == ["La date ne peut pas être dans le futur."]


# --- who may move ------------------------------------------------------------------------------------


def test_follow_up_member_withdraws_a_candidacy_when_the_person_declines(session, staff, pathway, referent):
    enrolment = _enrolment(session, pathway, EnrolmentState.SELECTED)
    assert transitions_for(membership=referent, enrolment=enrolment) == [
        ("not_selected", "Retirer la candidature (la personne renonce)")
    ]
    enrolment = enrolment_move(
        membership=referent, enrolment=enrolment, to_state="not_selected", reason="person_declined"
    )
    assert enrolment.not_selected_reason == "person_declined"
    # The centre is told; the referent (who acted) is not.
    assert Notification.objects.filter(recipient=staff.user, kind="enrolment_updated").exists()
    assert not Notification.objects.filter(recipient=referent.user).exists()


def test_follow_up_member_cannot_make_the_centre_s_decisions(session, pathway, referent):
    enrolment = _enrolment(session, pathway)
    before = _snapshot()
    with pytest.raises(PermissionDenied, match="centre opérateur"):
        enrolment_move(membership=referent, enrolment=enrolment, to_state="selected")
    with pytest.raises(PermissionDenied):
        enrolment_move(membership=referent, enrolment=enrolment, to_state="not_selected", reason="no_place")
    assert _snapshot() == before


def test_staff_of_another_centre_cannot_move(session, pathway):
    enrolment = _enrolment(session, pathway)
    stranger = operator_staff(SessionFactory(programme=session.programme))
    with pytest.raises(PermissionDenied, match="centre opérateur de la session"):
        enrolment_move(membership=stranger, enrolment=enrolment, to_state="selected")
    assert transitions_for(membership=stranger, enrolment=enrolment) == []


def test_an_administrator_of_the_centre_does_not_move_enrolments(session, pathway):
    admin = MembershipFactory(organisation=session.operator, admin=True)
    enrolment = _enrolment(session, pathway)
    with pytest.raises(PermissionDenied):
        enrolment_move(membership=admin, enrolment=enrolment, to_state="selected")


def test_transitions_offered_to_the_centre(session, staff, pathway):
    enrolment = _enrolment(session, pathway)
    assert transitions_for(membership=staff, enrolment=enrolment) == [
        ("selected", "Retenir la candidature"),
        ("not_selected", "Ne pas retenir"),
    ]
    enrolment.state = EnrolmentState.ENROLLED
    assert [s for s, _label in transitions_for(membership=staff, enrolment=enrolment)] == [
        "in_progress",
        "abandoned",
    ]
