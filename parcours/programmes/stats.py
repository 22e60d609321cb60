"""Reading the rows of the indicators from the database, then computing them with the pure core
(parcours/programmes/indicators.py).

One query per table of indicators: the enrolments that entered the programme, with EXISTS
sub-queries for the certifications and a LEFT JOIN on the wave-6 survey — never one
query per enrolment. Access is checked by the callers (parcours.programmes.access.can_view_indicators):
these functions return aggregates only."""

import datetime

from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, QuerySet

from . import indicators
from .enums import CertificationKind
from .indicators import EnrolmentRow, IndicatorTable
from .models import Certification, Enrolment, Programme, Session

ROW_FIELDS = (
    "session_id",
    "state",
    "entered_on",
    "exited_on",
    "exit_outcome",
    "has_language_certification",
    "has_professional_certification",
    "survey_6_status",
    "survey_6_employment",
)


def _entered(*, programme: Programme, session: Session | None = None, cohort: str | None = None) -> QuerySet:
    queryset = Enrolment.objects.filter(programme=programme, entered_on__isnull=False)
    if session is not None:
        queryset = queryset.filter(session=session)
    if cohort is not None:
        start, end = indicators.cohort_bounds(cohort)
        queryset = queryset.filter(entered_on__gte=start, entered_on__lt=end)
    return queryset


def enrolment_rows(
    *, programme: Programme, session: Session | None = None, cohort: str | None = None
) -> list[EnrolmentRow]:
    """The rows of the programme's entrants (optionally one session's, one cohort's), in one query.
    `cohort` must be a valid key ("2025-T1"): ValueError otherwise."""
    certifications = Certification.objects.filter(enrolment=OuterRef("pk"))
    queryset = _entered(programme=programme, session=session, cohort=cohort).annotate(
        has_language_certification=Exists(certifications.filter(kind=CertificationKind.LANGUAGE)),
        has_professional_certification=Exists(certifications.filter(kind=CertificationKind.PROFESSIONAL)),
        # A LEFT JOIN on the wave-6 survey (one per enrolment at most: constraint survey_one_per_wave),
        # rather than a correlated sub-query per row: PostgreSQL then plans a hash join, and the plan's
        # cost stays under the JIT threshold (JIT compilation alone took 0.5 s of a 0.9 s query).
        survey_6=FilteredRelation("surveys", condition=Q(surveys__wave_months=indicators.SURVEY_WAVE_MONTHS)),
        survey_6_status=F("survey_6__status"),
        survey_6_employment=F("survey_6__employment"),
    )
    return [
        EnrolmentRow(
            session_id=session_id,
            state=state,
            entered_on=entered_on,
            exited_on=exited_on,
            exit_outcome=exit_outcome,
            has_language_certification=has_language,
            has_professional_certification=has_professional,
            survey_6_status=survey_status or "",
            survey_6_employment=survey_employment or "",
        )
        for (
            session_id,
            state,
            entered_on,
            exited_on,
            exit_outcome,
            has_language,
            has_professional,
            survey_status,
            survey_employment,
        ) in queryset.values_list(*ROW_FIELDS)
    ]


def programme_by_cohort(
    *, programme: Programme, as_of: datetime.date, session: Session | None = None
) -> IndicatorTable:
    """Every indicator of the programme (or of one of its sessions) per cohort, and in total."""
    return indicators.by_cohort(
        enrolment_rows(programme=programme, session=session),
        positive_outcomes=programme.positive_outcomes,
        as_of=as_of,
    )


def cohort_by_session(*, programme: Programme, cohort: str, as_of: datetime.date) -> IndicatorTable:
    """Every indicator of one cohort of the programme per session (keys: session ids), and in total."""
    return indicators.by_session(
        enrolment_rows(programme=programme, cohort=cohort),
        positive_outcomes=programme.positive_outcomes,
        as_of=as_of,
    )
