"""From database rows to a placement.Instance: the sessions of a programme with their free places,
the candidates with their constraints, the exclusion code of every (person, session) pair, the
predicted success of every pair and, for first-come first-served, each person's preference order.
A fixed number of queries whatever the number of candidates and sessions (no per-pair query).

The rules, in this order (the first that fails is the one shown):
0. ALREADY_ENROLLED: the person's pathway already has a live enrolment on that session other than
   an open candidacy (enrolled, in progress, completed or abandoned there): moving the batch's
   candidacy onto it would give the pathway two live enrolments on one session, which the database
   forbids (Facts.already_enrolled keeps the matrix for the services' messages);
1. REFUSED: the person refused the session (line.refused_sessions);
2. FRENCH_LEVEL: the session asks a minimum CECRL level and the person's French level (latest
   diagnostic, else the level at the signature of the integration contract) is lower — or unknown:
   a minimum is a hard constraint, an unknown level does not prove it is met;
3. CHILDCARE: the person needs childcare (a child under CHILDCARE_AGE without a solution, or set by
   the planner) and the session offers none;
4. DISTANCE: farther than the person's travel limit and the person does not accept to move. The
   limit is the recommendations' one (parcours.matching.selectors.travel_limit_km: minutes × 0.5 km
   without a vehicle, × 0.8 with one, the directory's default 30 km when the travel time is
   unknown). An unknown distance (commune or coordinates missing) excludes nothing;
5. HOUSEHOLD: the person belongs to a household of 2+ people and the session does not host households;
6. NO_PLACE: the session has no free place (places minus the seats taken by enrolled, in-progress or
   completed enrolments, as programmes.services_enrolment.places_left counts them).

Predicted success: the programme's active outcome model (else the all-programmes one) applied to
selectors_outcome.pair_features; without a usable model (none, or stored numbers that cannot be
read), the transparent outcome.fallback_score from
- job fit: the share of the session's target jobs (the programme's jobs when the session names none)
  found among the person's experience, wish and target sheets — a sheet counts 1, a sheet sharing
  its ROME v3 parent or its professional domain with one of the person's counts PARENT_MATCH; a
  session without any job gives NEUTRAL_JOB_FIT;
- tension: the local_tension feature (the session's jobs in its département, else national);
- distance ratio: distance / travel limit, capped to 1 (UNKNOWN_DISTANCE_RATIO when unknown, 1 when
  the person accepts to move and the session is beyond the limit).
Applied-to sessions get PREFERENCE_BONUS on top (capped to 1) in the solver's scores only: the
stored predictions and the fairness report use the raw predicted success."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from parcours.diagnostics.models import IntegrationContract, LanguageLevel
from parcours.people.enums import ChildcareSolution
from parcours.people.models import Child, JobWish, Person, WorkExperience
from parcours.programmes import selectors as programme_selectors
from parcours.programmes.enums import EnrolmentState, SessionStatus
from parcours.programmes.models import Enrolment, Programme, Session
from parcours.territories import geo

from . import fairness, outcome, placement, selectors_outcome
from .enums import Exclusion, ScoreSource
from .models import OutcomeModel, PlacementLine
from .scoring import level_rank as scoring_level_rank
from .selectors import FRENCH, travel_limit_km

# Enrolment states that do not block a session for the batch: an open candidacy (moved to the
# chosen session at validation, or closed as not selected) and a closed one.
NOT_BLOCKING_STATES = (
    EnrolmentState.CANDIDATE,
    EnrolmentState.SELECTED,
    EnrolmentState.WAITING_LIST,
    EnrolmentState.NOT_SELECTED,
)
# Added to the predicted success of the sessions the person applied to (solver scores only): a
# nudge towards the person's own choice that never outweighs a real difference in outcome.
PREFERENCE_BONUS = 0.03
# A child younger than this without a childcare solution means the parent needs childcare.
CHILDCARE_AGE = 6
# Job fit of a session sheet sharing only its ROME v3 parent or its domain with the person's sheets.
PARENT_MATCH = 0.5
# Job fit when neither the session nor the programme names a job, and distance ratio when unknown.
NEUTRAL_JOB_FIT = 0.5
UNKNOWN_DISTANCE_RATIO = 0.5
# First-come first-served: applied-to sessions first (in the order applied), then the others by
# distance (unknown distance last).
FCFS_OTHERS_OFFSET = 1000.0
FCFS_UNKNOWN_KM = 100000.0
# How many factors are kept to explain one prediction.
TOP_FACTORS = 3
# The fairness report's label of an unknown French level.
UNKNOWN_FRENCH = "Inconnu"


# --- candidates and sessions -----------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One person to place, with the constraints the builder reads."""

    person: Person
    pathway_id: int
    household: str = ""
    accepts_move: bool = False
    needs_childcare: bool = False
    preferred: tuple[int, ...] = ()
    refused: frozenset[int] = frozenset()


def candidate_from_line(line: PlacementLine) -> Candidate:
    """The line's candidate (its pathway and person read: select_related("pathway__person__commune"))."""
    return Candidate(
        person=line.pathway.person,
        pathway_id=line.pathway_id,
        household=(line.household or "").strip(),
        accepts_move=line.accepts_move,
        needs_childcare=line.needs_childcare,
        preferred=tuple(int(s) for s in line.preferred_sessions or []),
        refused=frozenset(int(s) for s in line.refused_sessions or []),
    )


def placement_sessions(programme: Programme | int, *, today: datetime.date | None = None) -> QuerySet[Session]:
    """The programme's sessions a batch may place people in: open and not started (starting today
    or later), annotated with `free_places` (never below 0), with commune and département."""
    today = today or timezone.localdate()
    pk = programme if isinstance(programme, int) else programme.pk
    return (
        Session.objects.filter(programme_id=pk, status=SessionStatus.OPEN, starts_on__gte=today)
        .select_related("commune__departement", "programme")
        .annotate(free_places=Greatest(F("places") - Coalesce(programme_selectors.seats_taken_subquery(), 0), Value(0)))
        .order_by("starts_on", "pk")
    )


def childcare_needed(person_ids: Iterable[int], *, today: datetime.date | None = None) -> set[int]:
    """The people (among `person_ids`) with a child under CHILDCARE_AGE and no childcare solution:
    one query."""
    today = today or timezone.localdate()
    try:
        limit = today.replace(year=today.year - CHILDCARE_AGE)
    except ValueError:  # 29 February
        limit = today.replace(year=today.year - CHILDCARE_AGE, day=28)
    return set(
        Child.objects.filter(
            person_id__in=list(person_ids), childcare=ChildcareSolution.NONE, birth_date__gt=limit
        ).values_list("person_id", flat=True)
    )


def french_levels(person_ids: Iterable[int]) -> dict[int, str]:
    """Each person's French level: the latest diagnostic's, else the level at the signature of the
    integration contract; absent when unknown. Two queries."""
    ids = list(person_ids)
    found: dict[int, str] = {}
    rows = (
        LanguageLevel.objects.filter(diagnostic__person_id__in=ids, language=FRENCH)
        .order_by("diagnostic__person_id", "-diagnostic__version")
        .values_list("diagnostic__person_id", "level")
    )
    for person_id, level in rows:
        found.setdefault(person_id, level)
    missing = [pk for pk in ids if pk not in found]
    if missing:
        for person_id, level in IntegrationContract.objects.filter(person_id__in=missing).values_list(
            "person_id", "french_level_at_signature"
        ):
            if level:
                found[person_id] = level
    return found


def level_rank(level: str) -> int:
    """scoring.level_rank with -1 for a blank or unknown level (an integer array needs a number)."""
    rank = scoring_level_rank(level)
    return -1 if rank is None else rank


# --- facts -----------------------------------------------------------------------------------------


@dataclass
class Facts:
    """What the builder read, row i = candidates[i], column j = sessions[j]."""

    candidates: list[Candidate]
    sessions: list[Session]
    capacity: np.ndarray  # int64 (m,)
    exclusion: np.ndarray  # int8 (n, m)
    distance_km: np.ndarray  # float64 (n, m), nan when unknown
    limit_km: np.ndarray  # float64 (n,)
    french: list[str]  # CECRL level of each person, "" when unknown
    household: np.ndarray  # int64 (n,)
    hosts_households: np.ndarray  # bool (m,)
    territory: np.ndarray  # int64 (m,)
    territory_codes: list[str]
    preferred: np.ndarray  # bool (n, m): sessions the person applied to
    preference: np.ndarray  # float64 (n, m): first-come first-served order, lower first
    session_index: dict[int, int] = field(default_factory=dict)
    # bool (n, m): the pathway already has a live enrolment there that is not an open candidacy
    # (shown as REFUSED in `exclusion`, see the module docstring).
    already_enrolled: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))


def household_indices(candidates: Sequence[Candidate]) -> np.ndarray:
    """People sharing a non-blank household label share an index; everyone else has their own."""
    index: dict[str, int] = {}
    out = np.empty(len(candidates), dtype=np.int64)
    for i, candidate in enumerate(candidates):
        key = candidate.household.strip().lower()
        if key:
            out[i] = index.setdefault(key, i)
        else:
            out[i] = i
    return out


def _distances(candidates: Sequence[Candidate], sessions: Sequence[Session]) -> np.ndarray:
    """Great-circle distances (km), one computation per (person commune, session commune)."""
    out = np.full((len(candidates), len(sessions)), np.nan)
    cache: dict[tuple[str, str], float] = {}
    for i, candidate in enumerate(candidates):
        here = candidate.person.commune
        if here is None or here.latitude is None or here.longitude is None:
            continue
        for j, session in enumerate(sessions):
            there = session.commune
            if there.latitude is None or there.longitude is None:
                continue
            key = (here.pk, there.pk)
            if key not in cache:
                cache[key] = geo.great_circle_km(here.latitude, here.longitude, there.latitude, there.longitude)
            out[i, j] = cache[key]
    return out


def already_enrolled_matrix(candidates: Sequence[Candidate], sessions: Sequence[Session]) -> np.ndarray:
    """(n, m) bool: the candidate's pathway has an enrolment on the session in a state other than
    NOT_BLOCKING_STATES (enrolled, in progress, completed, abandoned). One query."""
    out = np.zeros((len(candidates), len(sessions)), dtype=bool)
    if not len(candidates) or not len(sessions):
        return out
    rows: dict[int, list[int]] = {}
    for i, candidate in enumerate(candidates):
        rows.setdefault(candidate.pathway_id, []).append(i)
    columns = {s.pk: j for j, s in enumerate(sessions)}
    for pathway_id, session_id in (
        Enrolment.objects.filter(pathway_id__in=list(rows), session_id__in=list(columns))
        .exclude(state__in=NOT_BLOCKING_STATES)
        .values_list("pathway_id", "session_id")
    ):
        for i in rows[pathway_id]:
            out[i, columns[session_id]] = True
    return out


def gather(
    *, candidates: Sequence[Candidate], sessions: Sequence[Session], today: datetime.date | None = None
) -> Facts:
    """Constraints and capacities. `sessions` come from placement_sessions (annotated free_places)
    and `candidates` with their person's commune read. Three queries (French levels, enrolments
    already on the sessions)."""
    candidates, sessions = list(candidates), list(sessions)
    n, m = len(candidates), len(sessions)
    session_index = {s.pk: j for j, s in enumerate(sessions)}
    capacity = np.array([max(int(getattr(s, "free_places", 0)), 0) for s in sessions], dtype=np.int64)
    hosts = np.array([bool(s.hosts_households) for s in sessions], dtype=bool)
    territory_codes = sorted({s.commune.departement_id for s in sessions})
    territory = np.array([territory_codes.index(s.commune.departement_id) for s in sessions], dtype=np.int64)
    household = household_indices(candidates)
    sizes = np.bincount(household, minlength=max(n, 1)) if n else np.zeros(0, dtype=np.int64)

    levels = french_levels(c.person.pk for c in candidates)
    french = [levels.get(c.person.pk, "") for c in candidates]
    person_rank = np.array([level_rank(level) for level in french], dtype=np.int64).reshape(n, 1)
    session_min = np.array([level_rank(s.min_french_level or "") for s in sessions], dtype=np.int64).reshape(1, m)
    childcare = np.array([bool(s.offers_childcare) for s in sessions], dtype=bool).reshape(1, m)

    distance = _distances(candidates, sessions)
    limit = np.array(
        [travel_limit_km(c.person.max_travel_minutes, c.person.has_vehicle) for c in candidates], dtype=np.float64
    )
    preferred = np.zeros((n, m), dtype=bool)
    refused = np.zeros((n, m), dtype=bool)
    preference = np.empty((n, m), dtype=np.float64)
    for i, candidate in enumerate(candidates):
        for sid in candidate.preferred:
            if sid in session_index:
                preferred[i, session_index[sid]] = True
        for sid in candidate.refused:
            if sid in session_index:
                refused[i, session_index[sid]] = True
        km = np.where(np.isnan(distance[i]), FCFS_UNKNOWN_KM, distance[i]) if m else np.zeros(0)
        preference[i] = FCFS_OTHERS_OFFSET + km
        for rank, sid in enumerate(candidate.preferred):
            if sid in session_index:
                preference[i, session_index[sid]] = float(rank)

    accepts_move = np.array([c.accepts_move for c in candidates], dtype=bool).reshape(n, 1)
    needs = np.array([c.needs_childcare for c in candidates], dtype=bool).reshape(n, 1)
    with np.errstate(invalid="ignore"):
        too_far = ~np.isnan(distance) & (distance > limit.reshape(n, 1)) & ~accepts_move
    in_household = (sizes[household] >= 2).reshape(n, 1) if n else np.zeros((0, 1), dtype=bool)
    already = already_enrolled_matrix(candidates, sessions)
    rules: list[tuple[Exclusion, np.ndarray]] = [
        (Exclusion.ALREADY_ENROLLED, already),
        (Exclusion.REFUSED, refused),
        (Exclusion.FRENCH_LEVEL, (session_min >= 0) & (person_rank < session_min)),
        (Exclusion.CHILDCARE, needs & ~childcare),
        (Exclusion.DISTANCE, too_far),
        (Exclusion.HOUSEHOLD, in_household & ~hosts.reshape(1, m)),
        (Exclusion.NO_PLACE, np.broadcast_to((capacity <= 0).reshape(1, m), (n, m))),
    ]
    exclusion = np.zeros((n, m), dtype=np.int8)
    for code, fails in rules:
        exclusion[(exclusion == 0) & fails] = int(code)
    return Facts(
        candidates=candidates,
        sessions=sessions,
        capacity=capacity,
        exclusion=exclusion,
        distance_km=distance,
        limit_km=limit,
        french=french,
        household=household,
        hosts_households=hosts,
        territory=territory,
        territory_codes=territory_codes,
        preferred=preferred,
        preference=preference,
        session_index=session_index,
        already_enrolled=already,
    )


def people_groups(
    people: Sequence[Person], *, french: Sequence[str] | None = None, today: datetime.date | None = None
) -> dict[str, list[str]]:
    """Each person's group in the fairness report's dimensions (fairness.DIMENSIONS). `french`: the
    people's CECRL levels when already read (Facts.french), else read here (two queries)."""
    today = today or timezone.localdate()
    if french is None:
        levels = french_levels(p.pk for p in people)
        french = [levels.get(p.pk, "") for p in people]
    return {
        "sex": [str(p.get_sex_display()) for p in people],
        "age_band": [fairness.age_band(p.birth_date, today) for p in people],
        "nationality_group": [fairness.nationality_group(p.nationality) for p in people],
        "french_level": [level or UNKNOWN_FRENCH for level in french],
    }


# --- scores ----------------------------------------------------------------------------------------


@dataclass
class Scores:
    predicted: np.ndarray  # float64 (n, m): raw predicted success
    source: str  # ScoreSource
    model: OutcomeModel | None = None
    fitted: outcome.FittedModel | None = None
    features: np.ndarray | None = None  # (n, m, F) when a model scored
    job_fit: np.ndarray | None = None  # (n, m) for the fallback score
    tension: np.ndarray | None = None
    distance_ratio: np.ndarray | None = None


def _jobs_of_people(person_ids: list[int]) -> dict[int, list[tuple[str, str, str | None]]]:
    """(code, parent code, domain) of each person's experience, wish and target sheets: two queries."""
    out: dict[int, list[tuple[str, str, str | None]]] = {}
    experiences = WorkExperience.objects.filter(person_id__in=person_ids).values_list(
        "person_id", "rome_id", "rome__parent_code", "rome__domain_id"
    )
    wishes = JobWish.objects.filter(person_id__in=person_ids).values_list(
        "person_id", "appellation__rome_id", "appellation__rome__parent_code", "appellation__rome__domain_id"
    )
    for person_id, code, parent, domain in [*experiences, *wishes]:
        if code:
            out.setdefault(person_id, []).append((code, parent or code, domain))
    return out


def _jobs_of_sessions(sessions: Sequence[Session]) -> dict[int, list[tuple[str, str, str | None]]]:
    """(code, parent code, domain) of each session's target jobs, else its programme's: two queries."""
    by_session: dict[int, list[tuple[str, str, str | None]]] = {}
    for session_id, code, parent, domain in Session.target_jobs.through.objects.filter(
        session_id__in=[s.pk for s in sessions]
    ).values_list("session_id", "romejob_id", "romejob__parent_code", "romejob__domain_id"):
        by_session.setdefault(session_id, []).append((code, parent or code, domain))
    by_programme: dict[int, list[tuple[str, str, str | None]]] = {}
    programmes = {s.programme_id for s in sessions if s.pk not in by_session}
    if programmes:
        for programme_id, code, parent, domain in Programme.rome_jobs.through.objects.filter(
            programme_id__in=programmes
        ).values_list("programme_id", "romejob_id", "romejob__parent_code", "romejob__domain_id"):
            by_programme.setdefault(programme_id, []).append((code, parent or code, domain))
    return {s.pk: by_session.get(s.pk) or by_programme.get(s.programme_id, []) for s in sessions}


def job_fit_matrix(candidates: Sequence[Candidate], sessions: Sequence[Session]) -> np.ndarray:
    """The share of each session's jobs the person's sheets match (module docstring)."""
    people = _jobs_of_people([c.person.pk for c in candidates])
    jobs = _jobs_of_sessions(sessions)
    out = np.full((len(candidates), len(sessions)), NEUTRAL_JOB_FIT)
    for i, candidate in enumerate(candidates):
        own = people.get(candidate.person.pk, [])
        codes = {code for code, _parent, _domain in own}
        parents = {parent for _code, parent, _domain in own}
        domains = {domain for _code, _parent, domain in own if domain is not None}
        for j, session in enumerate(sessions):
            targets = jobs[session.pk]
            if not targets:
                continue
            total = 0.0
            for code, parent, domain in targets:
                if code in codes:
                    total += 1.0
                elif parent in parents or (domain is not None and domain in domains):
                    total += PARENT_MATCH
            out[i, j] = total / len(targets)
    return out


def distance_ratio_matrix(facts: Facts) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = facts.distance_km / np.maximum(facts.limit_km.reshape(-1, 1), 1e-9)
    ratio = np.where(np.isnan(ratio), UNKNOWN_DISTANCE_RATIO, ratio)
    return np.clip(ratio, 0.0, 1.0)


def _usable(row: OutcomeModel | None) -> outcome.FittedModel | None:
    """The stored model's numbers, None when they cannot be read or name a feature the rows do not
    have (the transparent score is then used, as without a model)."""
    if row is None:
        return None
    try:
        fitted = outcome.FittedModel.from_params(row.params)
    except ValueError:
        return None
    if any(name not in outcome.FEATURES for name in fitted.features):
        return None
    return fitted


def pair_scores(*, facts: Facts, programme: Programme) -> Scores:
    """Predicted success of every pair: the active outcome model, else the transparent score."""
    n, m = len(facts.candidates), len(facts.sessions)
    if n == 0 or m == 0:
        return Scores(predicted=np.zeros((n, m)), source=ScoreSource.FALLBACK)
    people = [c.person for c in facts.candidates]
    features = np.asarray(selectors_outcome.pair_features(people=people, sessions=facts.sessions), dtype=np.float64)
    row = selectors_outcome.active_model(programme=programme)
    fitted = _usable(row)
    if row is not None and fitted is not None:
        columns = [outcome.FEATURES.index(name) for name in fitted.features]
        features = features[:, :, columns]
        predicted = np.asarray(fitted.predict(features.reshape(n * m, -1)), dtype=np.float64).reshape(n, m)
        return Scores(
            predicted=np.clip(np.nan_to_num(predicted, nan=0.0), 0.0, 1.0),
            source=ScoreSource.MODEL,
            model=row,
            fitted=fitted,
            features=features,
        )
    tension = np.clip(features[:, :, outcome.FEATURES.index("local_tension")], 0.0, 1.0)
    job_fit = job_fit_matrix(facts.candidates, facts.sessions)
    ratio = distance_ratio_matrix(facts)
    predicted = outcome.fallback_scores(job_fit, tension, ratio)
    return Scores(
        predicted=np.clip(predicted, 0.0, 1.0),
        source=ScoreSource.FALLBACK,
        job_fit=job_fit,
        tension=tension,
        distance_ratio=ratio,
    )


def factors(scores: Scores, i: int, j: int) -> list[dict]:
    """The TOP_FACTORS factors of one prediction, as stored on the line: [{"label", "effect"}]."""
    if scores.fitted is not None and scores.features is not None:
        found = scores.fitted.contributions(scores.features[i, j])
    elif scores.job_fit is not None and scores.tension is not None and scores.distance_ratio is not None:
        found = outcome.fallback_score(
            float(scores.job_fit[i, j]), float(scores.tension[i, j]), float(scores.distance_ratio[i, j])
        )[1]
    else:
        return []
    return [dict(row) for row in outcome.explain_top(found, TOP_FACTORS)]


# --- the instance ----------------------------------------------------------------------------------


@dataclass
class Built:
    facts: Facts
    scores: Scores
    instance: placement.Instance


def solver_scores(facts: Facts, scores: Scores) -> np.ndarray:
    """The scores the solver maximises: predicted success plus PREFERENCE_BONUS on applied-to sessions."""
    return np.clip(scores.predicted + PREFERENCE_BONUS * facts.preferred, 0.0, 1.0)


def build_instance(
    *,
    candidates: Sequence[Candidate],
    sessions: Sequence[Session],
    programme: Programme,
    balancing: placement.Balancing | None = None,
    capacity: np.ndarray | None = None,
    today: datetime.date | None = None,
) -> Built:
    """Everything the solver needs. `capacity` replaces the free places (the online prices scale
    them); placement.PlacementError (French) on an inconsistent instance."""
    facts = gather(candidates=candidates, sessions=sessions, today=today)
    if capacity is not None:
        facts.capacity = np.asarray(capacity, dtype=np.int64)
        full = np.broadcast_to((facts.capacity <= 0).reshape(1, -1), facts.exclusion.shape)
        facts.exclusion[(facts.exclusion == 0) & full] = int(Exclusion.NO_PLACE)
    scores = pair_scores(facts=facts, programme=programme)
    instance = placement.Instance(
        scores=solver_scores(facts, scores),
        exclusion=facts.exclusion,
        capacity=facts.capacity,
        household=facts.household,
        hosts_households=facts.hosts_households,
        territory=facts.territory,
        balancing=balancing or placement.Balancing(),
        labels=tuple(s.label for s in facts.sessions),
    )
    return Built(facts=facts, scores=scores, instance=instance)


def balancing_from(settings: dict | None) -> placement.Balancing:
    """The batch's balancing (percentages 0–100) as the solver's shares."""
    settings = settings or {}

    def share(key: str, default: int) -> float:
        value = settings.get(key, default)
        return float(value) / 100.0 if isinstance(value, int | float) else default / 100.0

    return placement.Balancing(
        session_min=share("session_min", 0),
        session_max=share("session_max", 100),
        territory_min=share("territory_min", 0),
        territory_max=share("territory_max", 100),
    )


def open_candidacies_q(prefix: str = "") -> Q:
    """SQL condition on Enrolment: a candidacy a batch places (candidate or waiting list)."""
    return Q(**{f"{prefix}state__in": [EnrolmentState.CANDIDATE, EnrolmentState.WAITING_LIST]})
