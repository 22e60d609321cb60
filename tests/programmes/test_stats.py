"""Reading the indicators' rows from the database: the records of tests/programmes/test_indicators.py
written as enrolments, certifications and surveys give the same figures, in one query."""

import datetime
from fractions import Fraction

import pytest

from parcours.programmes import enums, stats
from parcours.programmes import indicators as ind
from tests.programmes.factories import (
    CertificationFactory,
    EnrolmentFactory,
    FollowUpSurveyFactory,
    ProgrammeFactory,
    SessionFactory,
)
from tests.programmes.test_indicators import AS_OF, ROWS

pytestmark = pytest.mark.django_db


def write(row, sessions):
    """One enrolment (and its certifications and wave-6 survey) for a row of the pure test."""
    exited = row.state in ind.EXITED_STATES
    enrolment = EnrolmentFactory(
        session=sessions[row.session_id],
        state=row.state,
        enrolled_on=row.entered_on,
        entered_on=row.entered_on,
        exited_on=row.exited_on,
        exit_outcome=row.exit_outcome,
        abandon_reason=enums.AbandonReason.HEALTH if row.state == "abandoned" else "",
    )
    if row.has_language_certification:
        CertificationFactory(enrolment=enrolment, obtained_on=row.entered_on)
    if row.has_professional_certification:
        CertificationFactory(
            enrolment=enrolment,
            kind=enums.CertificationKind.PROFESSIONAL,
            exam=enums.CertificationExam.CCP,
            level="",
            title="Agent de propreté et d'hygiène",
            obtained_on=row.exited_on,
        )
    if exited:
        # The wave-12 survey must never be read as the wave-6 one.
        FollowUpSurveyFactory(enrolment=enrolment, wave_months=12, due_on=ind.add_months(row.exited_on, 12))
    if row.survey_6_status:
        FollowUpSurveyFactory(
            enrolment=enrolment,
            wave_months=6,
            due_on=ind.add_months(row.exited_on, 6),
            status=row.survey_6_status,
            employment=row.survey_6_employment,
            answered_on=None if row.survey_6_status == "pending" else AS_OF,
        )
    return enrolment


@pytest.fixture
def programme():
    programme = ProgrammeFactory()
    sessions = {1: SessionFactory(programme=programme), 2: SessionFactory(programme=programme)}
    for row in ROWS:
        write(row, sessions)
    # Noise: an entrant of another programme.
    write(ROWS[0], {1: SessionFactory()})
    programme.sessions_by_number = sessions
    return programme


def normalised(rows, sessions):
    ids = {session.pk: number for number, session in sessions.items()}
    return sorted(
        (ids[r.session_id], r.state, r.entered_on, r.exited_on, r.exit_outcome, r.has_language_certification,
         r.has_professional_certification, r.survey_6_status, r.survey_6_employment)
        for r in rows
    )  # fmt: skip


def test_rows_are_read_in_one_query(programme, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = stats.enrolment_rows(programme=programme)
    expected = [r for r in ROWS if r.entered_on is not None]
    assert normalised(rows, programme.sessions_by_number) == sorted(
        (r.session_id, r.state, r.entered_on, r.exited_on, r.exit_outcome, r.has_language_certification,
         r.has_professional_certification, r.survey_6_status, r.survey_6_employment)
        for r in expected
    )  # fmt: skip


def test_programme_by_cohort_gives_the_hand_computed_figures(programme, django_assert_num_queries):
    with django_assert_num_queries(1):
        table = stats.programme_by_cohort(programme=programme, as_of=AS_OF)
    assert [key for key, _ in table.groups] == ["2025-T1", "2025-T2"]
    t1 = table.group("2025-T1")
    assert t1[ind.ENTRANTS].numerator == 9
    assert (t1[ind.COMPLETION_RATE].numerator, t1[ind.COMPLETION_RATE].denominator) == (4, 7)
    assert (t1[ind.FRENCH_CERTIFICATION_RATE].numerator, t1[ind.FRENCH_CERTIFICATION_RATE].denominator) == (2, 7)
    assert (t1[ind.CERTIFICATION_RATE].numerator, t1[ind.CERTIFICATION_RATE].denominator) == (2, 7)
    positive = t1[ind.POSITIVE_EXIT_RATE]
    assert (positive.numerator, positive.denominator, positive.response_base) == (4, 5, 7)
    employment = t1[ind.EMPLOYMENT_6_MONTHS]
    assert (employment.numerator, employment.denominator, employment.response_base) == (1, 2, 6)
    assert employment.response_rate == Fraction(1, 3)
    assert table == ind.by_cohort(ROWS, positive_outcomes=programme.positive_outcomes, as_of=AS_OF)


def test_programme_positive_outcomes_are_used(programme):
    programme.positive_outcomes = ["sustainable_employment"]
    programme.save(update_fields=["positive_outcomes"])
    table = stats.programme_by_cohort(programme=programme, as_of=AS_OF)
    assert table.group("2025-T1")[ind.POSITIVE_EXIT_RATE].numerator == 1


def test_one_session(programme):
    table = stats.programme_by_cohort(programme=programme, session=programme.sessions_by_number[2], as_of=AS_OF)
    # session 2: rows 2, 4, 8 (2025-T1) and 10 (2025-T2)
    assert table.total[ind.ENTRANTS].numerator == 4
    assert table.group("2025-T1")[ind.ENTRANTS].numerator == 3


def test_one_cohort_by_session(programme, django_assert_num_queries):
    with django_assert_num_queries(1):
        table = stats.cohort_by_session(programme=programme, cohort="2025-T1", as_of=AS_OF)
    sessions = programme.sessions_by_number
    assert [key for key, _ in table.groups] == sorted([sessions[1].pk, sessions[2].pk])
    assert table.group(sessions[1].pk)[ind.ENTRANTS].numerator == 6
    assert table.total[ind.ENTRANTS].numerator == 9
    assert table.total[ind.COMPLETION_RATE].rate == Fraction(4, 7)


def test_malformed_cohort_is_refused(programme):
    with pytest.raises(ValueError, match="Cohorte inconnue"):
        stats.enrolment_rows(programme=programme, cohort="2025-T9")


def test_programme_without_entrants():
    programme = ProgrammeFactory()
    EnrolmentFactory(session=SessionFactory(programme=programme))
    table = stats.programme_by_cohort(programme=programme, as_of=datetime.date(2026, 1, 1))
    assert table.groups == ()
    assert table.total[ind.ENTRANTS].numerator == 0
    assert table.total[ind.COMPLETION_RATE].rate is None
