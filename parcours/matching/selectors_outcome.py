"""Feature rows of the outcome model (parcours/matching/outcome.py) read from the database, the
training set of past enrolments, and the model in service for a programme.

Features, in outcome.FEATURES order, for a person i and a session j on a reference date (today for a
prediction; the candidacy's date for a past enrolment, so that the model learns from what was known
when the person was placed):

- french_level: the person's French CECRL level as an ordinal A1.1 = 1 … C2 = 7. Source: the French
  level of the person's latest diagnostic recorded on or before the reference date (for a past
  enrolment whose person was only assessed later, the earliest assessment is used: the closest to the
  placement); without any diagnostic level, the OFII test level of the integration contract. Never
  assessed: 0, i.e. below A1.1 (the cautious reading; such people are mostly recent arrivals).
- education_level: the national certification level (0 never schooled, 1 without diploma, 3 CAP/BEP …
  8 doctorate). Unknown: EDUCATION_UNKNOWN (3, a middle level), so that a missing answer neither
  penalises nor favours the person much.
- domain_experience_years: the years of work experience whose ROME sheet belongs to the professional
  domain of one of the session's target jobs (summed over experiences, capped at
  EXPERIENCE_CAP_YEARS). Experiences of a sheet without a domain, sessions without target jobs: 0.
- months_since_arrival: whole months from the arrival in France to the reference date, between 0 and
  MONTHS_CAP. Unknown arrival date: MONTHS_CAP (people without a date are mostly settled for long or
  born in France) and arrival_unknown = 1, so that the model can tell them apart.
- arrival_unknown: 1 when the arrival date is unknown, else 0.
- local_tension: the highest recruitment tension (0..1, the imported percentage / 100) among the
  session's target jobs, each job read in the session's département when the current tension import
  has a figure for it, else nationally. No figure for any target job: TENSION_UNKNOWN (0.5, neither
  tight nor slack).

Sex, nationality and religion are never read."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Q
from django.utils import timezone

from parcours.diagnostics.enums import CECRL_ORDER
from parcours.diagnostics.models import IntegrationContract, LanguageLevel
from parcours.occupations.models import JobTension
from parcours.people.models import Person, WorkExperience
from parcours.programmes.enums import ExitOutcome
from parcours.programmes.models import Enrolment, Programme, Session

from . import outcome
from .enums import ModelStatus
from .models import OutcomeModel

FRENCH = "fr"
FRENCH_UNKNOWN = 0.0
EDUCATION_UNKNOWN = 3.0
EXPERIENCE_CAP_YEARS = 20.0
MONTHS_CAP = 120.0
TENSION_UNKNOWN = 0.5

_F = {name: k for k, name in enumerate(outcome.FEATURES)}


def french_ordinal(level: str) -> float:
    """A1.1 -> 1 … C2 -> 7; "" or an unknown value -> FRENCH_UNKNOWN (0)."""
    return float(CECRL_ORDER.index(level) + 1) if level in CECRL_ORDER else FRENCH_UNKNOWN


def education_ordinal(level: str) -> float:
    return float(level) if level and level.isdigit() else EDUCATION_UNKNOWN


def months_between(start: datetime.date, end: datetime.date) -> float:
    """Whole months from start to end, between 0 and MONTHS_CAP."""
    months = (end.year - start.year) * 12 + (end.month - start.month) - (1 if end.day < start.day else 0)
    return float(min(MONTHS_CAP, max(0, months)))


@dataclass
class _People:
    """What the features need of each person: read in 3 queries whatever the number of people."""

    index: dict[int, int]  # person id -> row
    education: np.ndarray  # (n,)
    arrival: list[datetime.date | None]
    # French assessments per person: [(recorded on, version, level)] sorted by (date, version).
    french: dict[int, list[tuple[datetime.date, int, str]]] = field(default_factory=dict)
    cir_french: dict[int, str] = field(default_factory=dict)
    # Years of experience per (person row, domain column); domains indexed in `domains`.
    years: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    domains: dict[str, int] = field(default_factory=dict)

    def french_level(self, person_id: int, on: datetime.date | None) -> float:
        """The latest diagnostic level on or before `on` (None: the latest of all), else the
        earliest one, else the integration contract's level, else FRENCH_UNKNOWN."""
        levels = self.french.get(person_id)
        if levels:
            if on is None:
                return french_ordinal(levels[-1][2])
            before = [level for day, _version, level in levels if day <= on]
            return french_ordinal(before[-1] if before else levels[0][2])
        return french_ordinal(self.cir_french.get(person_id, ""))

    def months(self, row: int, on: datetime.date) -> tuple[float, float]:
        """(months_since_arrival, arrival_unknown)."""
        arrived = self.arrival[row]
        if arrived is None:
            return MONTHS_CAP, 1.0
        return months_between(arrived, on), 0.0


def _people(people: Sequence[Person]) -> _People:
    ids = [p.pk for p in people]
    data = _People(
        index={pk: k for k, pk in enumerate(ids)},
        education=np.array([education_ordinal(p.education_level) for p in people], dtype=np.float64),
        arrival=[p.arrival_date for p in people],
    )
    if not ids:
        return data
    rows = (
        LanguageLevel.objects.filter(diagnostic__person_id__in=ids, language=FRENCH)
        .values_list("diagnostic__person_id", "diagnostic__recorded_at", "diagnostic__version", "level")
        .order_by()
    )
    for person_id, recorded_at, version, level in rows:
        day = timezone.localdate(recorded_at) if timezone.is_aware(recorded_at) else recorded_at.date()
        data.french.setdefault(person_id, []).append((day, version, level))
    for levels in data.french.values():
        levels.sort()
    data.cir_french = dict(
        IntegrationContract.objects.filter(person_id__in=ids)
        .exclude(french_level_at_signature="")
        .values_list("person_id", "french_level_at_signature")
        .order_by()
    )
    experiences = list(
        WorkExperience.objects.filter(person_id__in=ids, rome__domain__isnull=False)
        .values_list("person_id", "rome__domain_id", "years")
        .order_by()
    )
    data.domains = {code: k for k, code in enumerate(sorted({domain for _p, domain, _y in experiences}))}
    data.years = np.zeros((len(ids), len(data.domains)), dtype=np.float64)
    for person_id, domain, years in experiences:
        data.years[data.index[person_id], data.domains[domain]] += float(years)
    return data


@dataclass
class _Sessions:
    """What the features need of each session: read in 3 queries whatever the number of sessions."""

    index: dict[int, int]
    domains: list[set[str]]  # domains of the session's target jobs
    tension: np.ndarray  # (m,) in 0..1


def _sessions(sessions: Sequence[Session]) -> _Sessions:
    ids = [s.pk for s in sessions]
    data = _Sessions(
        index={pk: k for k, pk in enumerate(ids)},
        domains=[set() for _s in ids],
        tension=np.full(len(ids), TENSION_UNKNOWN, dtype=np.float64),
    )
    if not ids:
        return data
    departement = dict(Session.objects.filter(pk__in=ids).values_list("pk", "commune__departement_id").order_by())
    jobs: dict[int, set[str]] = {pk: set() for pk in ids}
    for session_id, rome_id, domain_id in (
        Session.target_jobs.through.objects.filter(session_id__in=ids)
        .values_list("session_id", "romejob_id", "romejob__domain_id")
        .order_by()
    ):
        jobs[session_id].add(rome_id)
        if domain_id:
            data.domains[data.index[session_id]].add(domain_id)
    codes = sorted(set().union(*jobs.values()))
    if not codes:
        return data
    departements = sorted({code for code in departement.values() if code})
    # (rome, département or None) -> tension %, from the current import: one query for every session.
    figures: dict[tuple[str, str | None], float] = {
        (rome_id, dep): float(pct)
        for rome_id, dep, pct in JobTension.objects.filter(
            Q(departement__isnull=True) | Q(departement_id__in=departements),
            tension_import__is_current=True,
            rome_id__in=codes,
        )
        .values_list("rome_id", "departement_id", "tension_pct")
        .order_by()
    }
    for session_id, k in data.index.items():
        dep = departement.get(session_id)
        values = []
        for code in jobs[session_id]:
            pct = figures.get((code, dep)) if dep else None
            if pct is None:
                pct = figures.get((code, None))
            if pct is not None:
                values.append(pct)
        if values:
            data.tension[k] = min(1.0, max(0.0, max(values) / 100.0))
    return data


def _experience_matrix(people: _People, sessions: _Sessions) -> np.ndarray:
    """(n, m) years of experience in the domains of each session's target jobs, capped."""
    indicator = np.zeros((len(people.domains), len(sessions.domains)), dtype=np.float64)
    for j, domains in enumerate(sessions.domains):
        for domain in domains:
            if domain in people.domains:
                indicator[people.domains[domain], j] = 1.0
    return np.minimum(people.years @ indicator, EXPERIENCE_CAP_YEARS)


def pair_features(*, people: Sequence[Person], sessions: Sequence[Session]) -> np.ndarray:
    """Features of every (person, session) pair today: array (n, m, len(FEATURES)). Six queries
    whatever n and m (fewer when a list is empty or sessions have no target job)."""
    n, m = len(people), len(sessions)
    result = np.zeros((n, m, len(outcome.FEATURES)), dtype=np.float64)
    if n == 0 or m == 0:
        return result
    today = timezone.localdate()
    p = _people(people)
    s = _sessions(sessions)
    french = np.array([p.french_level(person.pk, None) for person in people], dtype=np.float64)
    months = np.array([p.months(i, today) for i in range(n)], dtype=np.float64).reshape(n, 2)
    result[:, :, _F["french_level"]] = french[:, None]
    result[:, :, _F["education_level"]] = p.education[:, None]
    result[:, :, _F["domain_experience_years"]] = _experience_matrix(p, s)
    result[:, :, _F["months_since_arrival"]] = months[:, 0:1]
    result[:, :, _F["arrival_unknown"]] = months[:, 1:2]
    result[:, :, _F["local_tension"]] = s.tension[None, :]
    return result


def _reference_date(enrolment: Enrolment) -> datetime.date:
    """When the person was placed: the enrolment date, else the day the candidacy was proposed."""
    if enrolment.enrolled_on is not None:
        return enrolment.enrolled_on
    return timezone.localdate(enrolment.proposed_at)


def training_set(*, programme: Programme | None) -> tuple[np.ndarray, np.ndarray]:
    """Past enrolments of the programme (every programme when None) with a known exit outcome
    (recorded and not UNKNOWN): X (k, len(FEATURES)) and y (k,) with 1 when the outcome is one of
    the enrolment's programme's positive outcomes. Rows in enrolment id order. Seven queries."""
    enrolments = Enrolment.objects.exclude(exit_outcome__in=["", ExitOutcome.UNKNOWN]).select_related(
        "pathway__person", "programme", "session"
    )
    if programme is not None:
        enrolments = enrolments.filter(programme=programme)
    rows = list(enrolments.order_by("pk"))
    X = np.zeros((len(rows), len(outcome.FEATURES)), dtype=np.float64)
    y = np.zeros(len(rows), dtype=np.int64)
    if not rows:
        return X, y
    people = list({e.pathway.person_id: e.pathway.person for e in rows}.values())
    sessions = list({e.session_id: e.session for e in rows}.values())
    p = _people(people)
    s = _sessions(sessions)
    experience = _experience_matrix(p, s)
    for k, enrolment in enumerate(rows):
        person_id = enrolment.pathway.person_id
        i, j = p.index[person_id], s.index[enrolment.session_id]
        on = _reference_date(enrolment)
        months, unknown = p.months(i, on)
        X[k, _F["french_level"]] = p.french_level(person_id, on)
        X[k, _F["education_level"]] = p.education[i]
        X[k, _F["domain_experience_years"]] = experience[i, j]
        X[k, _F["months_since_arrival"]] = months
        X[k, _F["arrival_unknown"]] = unknown
        X[k, _F["local_tension"]] = s.tension[j]
        y[k] = 1 if enrolment.exit_outcome in (enrolment.programme.positive_outcomes or []) else 0
    return X, y


def active_model(*, programme: Programme) -> OutcomeModel | None:
    """The model in service for the programme: its own active model, else the active model trained
    on every programme, else None (the optimiser then uses the transparent score). Two queries at
    most."""
    own = OutcomeModel.objects.filter(programme=programme, status=ModelStatus.ACTIVE).order_by("-trained_at", "-pk")
    found = own.first()
    if found is not None:
        return found
    return (
        OutcomeModel.objects.filter(programme__isnull=True, status=ModelStatus.ACTIVE)
        .order_by("-trained_at", "-pk")
        .first()
    )
