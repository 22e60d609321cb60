"""Progress of an enrolment: step evidence, certifications, work-study contracts, exit outcome. Who
may write (operator staff, follow-up members), what is refused (a candidacy, bad dates, missing
level or title, negative hours, a step of another programme, an outcome before the exit) with a
French message and nothing written; what each write leaves (event, audit entry)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from parcours.audit.models import AuditEntry
from parcours.pathways.enums import EventKind
from parcours.pathways.models import Event, FollowUpMember
from parcours.programmes import enums
from parcours.programmes.models import Certification, Enrolment, StepRecord, WorkStudyContract
from parcours.programmes.services_progress import (
    certification_record,
    exit_outcome_record,
    step_progress,
    step_record,
    work_study_record,
)
from tests.factories import FollowUpMemberFactory, MembershipFactory, RomeJobFactory
from tests.programmes.factories import EnrolmentFactory, ProgrammeStepFactory, operator_staff

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


@pytest.fixture
def enrolment():
    return EnrolmentFactory(
        state=enums.EnrolmentState.IN_PROGRESS, enrolled_on=TODAY - 60 * DAY, entered_on=TODAY - 55 * DAY
    )


@pytest.fixture
def staff(enrolment):
    return operator_staff(enrolment.session)


@pytest.fixture
def french(enrolment):
    return ProgrammeStepFactory(programme=enrolment.programme, kind=enums.StepKind.FRENCH, target_hours=100)


def referent(enrolment):
    return FollowUpMember.objects.get(pathway=enrolment.pathway, is_referent=True).membership


def counts():
    return (
        StepRecord.objects.count(),
        Certification.objects.count(),
        WorkStudyContract.objects.count(),
        Event.objects.filter(kind=EventKind.PROGRAMME_PROGRESS).count(),
        AuditEntry.objects.count(),
    )


def messages_of(exc) -> str:
    return " ".join(exc.value.messages)


# --- steps ----------------------------------------------------------------------------------------


def test_operator_staff_records_french_hours_with_event_and_audit(enrolment, staff, french):
    record = step_record(
        membership=staff, enrolment=enrolment, step=french, done_on=TODAY - DAY, hours="40", evidence="Feuille"
    )
    assert record.hours == Decimal("40")
    assert record.recorded_by == staff.user
    event = Event.objects.get(pathway=enrolment.pathway, kind=EventKind.PROGRAMME_PROGRESS)
    assert "40 h" in event.summary and french.label in event.summary
    assert event.payload["enrolment"] == enrolment.pk
    entry = AuditEntry.objects.get(object_type="programmes.steprecord", object_id=str(record.pk))
    assert entry.actor == staff.user and entry.person == enrolment.pathway.person


def test_a_follow_up_member_may_record_and_hours_add_up(enrolment, french):
    member = referent(enrolment)
    step_record(membership=member, enrolment=enrolment, step=french, done_on=TODAY - 10 * DAY, hours=60)
    step_record(membership=member, enrolment=enrolment, step=french, done_on=TODAY, hours="40.5")
    [progress] = step_progress(enrolment)
    assert progress.hours_done == Decimal("100.5")
    assert progress.done is True
    assert progress.percent == 100
    assert len(progress.records) == 2


@pytest.mark.parametrize(
    "who",
    [
        lambda e: MembershipFactory(),  # no link at all
        lambda e: MembershipFactory(organisation=e.session.operator, role="admin_structure"),  # not accompanying
        lambda e: FollowUpMemberFactory(pathway=e.pathway, ended_at=timezone.now()).membership,  # seat ended
        lambda e: None,
    ],
)
def test_others_are_refused(enrolment, french, who):
    before = counts()
    with pytest.raises(PermissionDenied):
        step_record(membership=who(enrolment), enrolment=enrolment, step=french, done_on=TODAY, hours=2)
    assert counts() == before


@pytest.mark.parametrize("state", [enums.EnrolmentState.CANDIDATE, enums.EnrolmentState.SELECTED])
def test_evidence_on_a_candidacy_is_refused(state, french):
    candidacy = EnrolmentFactory(session__programme=french.programme, state=state)
    staff = operator_staff(candidacy.session)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        step_record(membership=staff, enrolment=candidacy, step=french, done_on=TODAY, hours=2)
    assert "pas (encore) inscrite" in messages_of(exc)
    with pytest.raises(ValidationError):
        certification_record(
            membership=staff, enrolment=candidacy, kind="language", exam="delf", level="A2", obtained_on=TODAY
        )
    assert counts() == before


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"hours": -1}, "ne peut pas être négatif"),
        ({"hours": "beaucoup"}, "Indiquez un nombre d'heures"),
        ({"hours": None}, "Indiquez le nombre d'heures"),
        ({"hours": 5000}, "vérifiez le nombre d'heures"),
        ({"hours": 2, "done_on": TODAY + DAY}, "dans le futur"),
        ({"hours": 2, "done_on": TODAY - 100 * DAY}, "antérieure à l'inscription"),
        ({"hours": 2, "evidence": "x" * 501}, "ne doit pas dépasser"),
    ],
)
def test_bad_step_input_is_refused_with_nothing_written(enrolment, staff, french, kwargs, message):
    data = {"done_on": TODAY, **kwargs}
    before = counts()
    with pytest.raises(ValidationError) as exc:
        step_record(membership=staff, enrolment=enrolment, step=french, **data)
    assert message in messages_of(exc)
    assert counts() == before


def test_a_step_of_another_programme_is_refused(enrolment, staff):
    other = ProgrammeStepFactory()
    before = counts()
    with pytest.raises(ValidationError) as exc:
        step_record(membership=staff, enrolment=enrolment, step=other, done_on=TODAY, hours=3)
    assert "n'appartient pas au programme" in messages_of(exc)
    assert counts() == before


def test_a_step_without_hours_is_done_with_one_record(enrolment, staff):
    housing = ProgrammeStepFactory(
        programme=enrolment.programme, kind=enums.StepKind.HOUSING, target_hours=None, label="Logement"
    )
    assert step_progress(enrolment)[0].done is False
    step_record(
        membership=staff,
        enrolment=enrolment,
        step=housing,
        done_on=TODAY,
        evidence="Bail signé",
        details={"kind": "logement social"},
    )
    [progress] = step_progress(enrolment)
    assert progress.done is True and progress.percent is None
    assert progress.records[0].details == {"kind": "logement social"}


# --- certifications -------------------------------------------------------------------------------


def test_a_delf_is_recorded_and_counts_for_the_language_certification_step(enrolment, staff):
    step = ProgrammeStepFactory(
        programme=enrolment.programme, kind=enums.StepKind.LANGUAGE_CERTIFICATION, target_hours=None
    )
    certification = certification_record(
        membership=staff, enrolment=enrolment, kind="language", exam="delf", level="A2", obtained_on=TODAY - DAY
    )
    assert certification.level == "A2"
    assert "DELF A2" in Event.objects.get(kind=EventKind.PROGRAMME_PROGRESS).summary
    assert AuditEntry.objects.filter(object_type="programmes.certification").count() == 1
    [progress] = step_progress(enrolment)
    assert progress.step == step and progress.done and progress.linked == [certification]


def test_a_professional_certification_is_recorded(enrolment, staff):
    certification = certification_record(
        membership=staff,
        enrolment=enrolment,
        kind="professional",
        exam="ccp",
        title="CCP Entretien des locaux",
        rncp_code="rncp 37274",
        obtained_on=TODAY,
    )
    assert certification.rncp_code == "RNCP37274"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kind": "language", "exam": "delf", "obtained_on": TODAY - 61 * DAY, "level": "A2"}, "antérieure à"),
        ({"kind": "language", "exam": "delf"}, "Indiquez le niveau CECRL"),
        ({"kind": "language", "exam": "delf", "level": "Z9"}, "niveau CECRL de la liste"),
        ({"kind": "language", "exam": "titre_pro", "level": "A2"}, "DILF, un DELF"),
        ({"kind": "professional", "exam": "titre_pro"}, "intitulé de la certification professionnelle"),
        ({"kind": "professional", "exam": "delf", "title": "X"}, "pas professionnelle"),
        ({"kind": "professional", "exam": "ccp", "title": "X", "rncp_code": "12"}, "code RNCP"),
        ({"kind": "other", "exam": "delf"}, "type de certification"),
        ({"kind": "language", "exam": "delf", "level": "A2", "obtained_on": TODAY + DAY}, "dans le futur"),
    ],
)
def test_bad_certifications_are_refused_with_nothing_written(enrolment, staff, kwargs, message):
    data = {"obtained_on": TODAY, **kwargs}
    before = counts()
    with pytest.raises(ValidationError) as exc:
        certification_record(membership=staff, enrolment=enrolment, **data)
    assert message in messages_of(exc)
    assert counts() == before


def test_certification_refused_to_someone_else(enrolment):
    with pytest.raises(PermissionDenied):
        certification_record(
            membership=MembershipFactory(),
            enrolment=enrolment,
            kind="language",
            exam="delf",
            level="A2",
            obtained_on=TODAY,
        )
    assert Certification.objects.count() == 0


# --- work-study contracts -------------------------------------------------------------------------


def test_a_work_study_contract_is_recorded(enrolment, staff):
    contract = work_study_record(
        membership=staff,
        enrolment=enrolment,
        company="Propreté Atlantique",
        contract_kind="professionalisation",
        starts_on=TODAY,
        ends_on=TODAY + 365 * DAY,
        siret="123 456 789 00012",
        rome=RomeJobFactory(),
    )
    assert contract.siret == "12345678900012"
    assert "Propreté Atlantique" in Event.objects.get(kind=EventKind.PROGRAMME_PROGRESS).summary
    assert AuditEntry.objects.filter(object_type="programmes.workstudycontract").count() == 1


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"ends_on": TODAY - DAY}, "ne peut pas se terminer avant de commencer"),
        ({"ends_on": TODAY}, "ne peut pas se terminer avant de commencer"),
        ({"company": "  "}, "Indiquez l'entreprise"),
        ({"contract_kind": "cdi"}, "type de contrat"),
        ({"siret": "1234"}, "14 chiffres"),
        ({"starts_on": TODAY - 90 * DAY, "ends_on": TODAY}, "avant l'inscription"),
    ],
)
def test_bad_contracts_are_refused_with_nothing_written(enrolment, staff, kwargs, message):
    data = {
        "company": "Propreté Atlantique",
        "contract_kind": "apprenticeship",
        "starts_on": TODAY,
        "ends_on": TODAY + 30 * DAY,
        **kwargs,
    }
    before = counts()
    with pytest.raises(ValidationError) as exc:
        work_study_record(membership=staff, enrolment=enrolment, **data)
    assert message in messages_of(exc)
    assert counts() == before


# --- exit outcome ---------------------------------------------------------------------------------


@pytest.fixture
def completed():
    return EnrolmentFactory(
        state=enums.EnrolmentState.COMPLETED,
        enrolled_on=TODAY - 300 * DAY,
        entered_on=TODAY - 290 * DAY,
        exited_on=TODAY - 5 * DAY,
    )


def test_the_exit_outcome_is_recorded_and_may_be_corrected(completed):
    staff = operator_staff(completed.session)
    exit_outcome_record(membership=staff, enrolment=completed, outcome="work_study")
    completed.refresh_from_db()
    assert completed.exit_outcome == "work_study" and completed.exit_outcome_recorded_at is not None
    assert "Alternance" in Event.objects.get(kind=EventKind.PROGRAMME_PROGRESS).summary
    exit_outcome_record(membership=referent(completed), enrolment=completed, outcome="sustainable_employment")
    completed.refresh_from_db()
    assert completed.exit_outcome == "sustainable_employment"
    entries = AuditEntry.objects.filter(object_type="programmes.enrolment", object_id=str(completed.pk))
    assert entries.count() == 2 and "work_study" in entries.order_by("-id").first().reason


def test_an_outcome_before_the_exit_is_refused(enrolment, staff):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        exit_outcome_record(membership=staff, enrolment=enrolment, outcome="job_search")
    assert "une fois le parcours terminé ou abandonné" in messages_of(exc)
    assert Enrolment.objects.get(pk=enrolment.pk).exit_outcome == ""
    assert counts() == before


def test_an_unknown_outcome_is_refused(completed):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        exit_outcome_record(membership=operator_staff(completed.session), enrolment=completed, outcome="retraite")
    assert "dans la liste" in messages_of(exc)
    assert Enrolment.objects.get(pk=completed.pk).exit_outcome == ""
    assert counts() == before


def test_an_outcome_by_someone_else_is_refused(completed):
    with pytest.raises(PermissionDenied):
        exit_outcome_record(membership=MembershipFactory(), enrolment=completed, outcome="job_search")
    assert Enrolment.objects.get(pk=completed.pk).exit_outcome == ""
