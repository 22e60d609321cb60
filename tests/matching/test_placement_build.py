"""From database rows to the solver's instance: free places, exclusion codes in the Exclusion order,
travel limits, French level, households, territories, first-come preferences, fallback scores."""

import datetime

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parcours.matching import outcome
from parcours.matching import placement_build as build
from parcours.matching.enums import Exclusion, ScoreSource
from parcours.matching.selectors import travel_limit_km
from parcours.people.enums import ChildcareSolution
from parcours.people.models import Person, WorkExperience
from parcours.programmes.enums import EnrolmentState, SessionStatus
from tests.factories import RomeJobFactory
from tests.matching.placement_factories import (
    ANGERS,
    NANTES,
    REZE,
    candidate,
    french,
    model_row,
    programme_with_planner,
    session,
    toddler,
)
from tests.programmes.factories import EnrolmentFactory

pytestmark = pytest.mark.django_db


def cand(pathway, **kwargs):
    person = Person.objects.select_related("commune").get(pk=pathway.person_id)
    return build.Candidate(person=person, pathway_id=pathway.pk, **kwargs)


def test_sessions_are_open_not_started_with_free_places_counted_from_seats():
    programme, _planner = programme_with_planner()
    open_ = session(programme, places=3)
    session(programme, status=SessionStatus.CANCELLED)
    session(programme, starts_on=timezone.localdate() - datetime.timedelta(days=1))
    for state in (EnrolmentState.ENROLLED, EnrolmentState.IN_PROGRESS, EnrolmentState.CANDIDATE):
        EnrolmentFactory(
            session=open_,
            state=state,
            enrolled_on=timezone.localdate(),
            entered_on=(timezone.localdate() if state == EnrolmentState.IN_PROGRESS else None),
        )
    sessions = list(build.placement_sessions(programme))
    assert [s.pk for s in sessions] == [open_.pk]
    assert sessions[0].free_places == 1  # 3 places, 2 seats taken; a candidacy holds none


def test_exclusions_follow_the_exclusion_order():
    programme, _planner = programme_with_planner()
    s_nantes = session(programme, NANTES, min_french_level="B1")
    s_angers = session(programme, ANGERS, offers_childcare=True, hosts_households=True)
    s_full = session(programme, REZE, places=1, offers_childcare=True)
    EnrolmentFactory(session=s_full, state=EnrolmentState.ENROLLED, enrolled_on=s_full.created_at.date())
    pathway = candidate([s_nantes], max_travel_minutes=30)  # 15 km without a vehicle
    french(pathway.person, "A2")
    sessions = list(build.placement_sessions(programme))
    assert [s.pk for s in sessions] == [s_nantes.pk, s_angers.pk, s_full.pk]

    # Refused beats every other rule; French level below the minimum; Angers is 76 km away; full session.
    facts = build.gather(candidates=[cand(pathway, refused=frozenset({s_nantes.pk}))], sessions=sessions)
    assert facts.exclusion.tolist() == [[Exclusion.REFUSED, Exclusion.DISTANCE, Exclusion.NO_PLACE]]
    facts = build.gather(candidates=[cand(pathway)], sessions=sessions)
    assert facts.exclusion.tolist() == [[Exclusion.FRENCH_LEVEL, Exclusion.DISTANCE, Exclusion.NO_PLACE]]
    assert facts.capacity.tolist() == [12, 12, 0]
    # Childcare needed: the session without childcare is excluded for that reason (after French).
    facts = build.gather(candidates=[cand(pathway, needs_childcare=True, accepts_move=True)], sessions=sessions)
    assert facts.exclusion.tolist() == [[Exclusion.FRENCH_LEVEL, Exclusion.NONE, Exclusion.NO_PLACE]]


def test_french_level_is_the_latest_diagnostic_s_and_unknown_does_not_meet_a_minimum():
    programme, _planner = programme_with_planner()
    s = session(programme, min_french_level="A2")
    known = candidate([s])
    french(known.person, "A1", version=1)
    french(known.person, "B1", version=2)
    unknown = candidate([s])
    facts = build.gather(candidates=[cand(known), cand(unknown)], sessions=[*build.placement_sessions(programme)])
    assert facts.french == ["B1", ""]
    assert facts.exclusion[:, 0].tolist() == [Exclusion.NONE, Exclusion.FRENCH_LEVEL]


def test_travel_limit_reuses_the_recommendations_rule():
    programme, _planner = programme_with_planner()
    s = session(programme, ANGERS)
    slow = candidate([s], max_travel_minutes=100)  # 50 km without a vehicle
    driver = candidate([s], max_travel_minutes=100, has_vehicle=True)  # 80 km
    unknown = candidate([s])  # 30 km by default
    mover = candidate([s])
    facts = build.gather(
        candidates=[cand(slow), cand(driver), cand(unknown), cand(mover, accepts_move=True)],
        sessions=list(build.placement_sessions(programme)),
    )
    assert facts.limit_km.tolist() == [travel_limit_km(100, False), travel_limit_km(100, True), 30.0, 30.0]
    assert 70 < facts.distance_km[0, 0] < 80
    assert facts.exclusion[:, 0].tolist() == [Exclusion.DISTANCE, Exclusion.NONE, Exclusion.DISTANCE, Exclusion.NONE]


def test_unknown_distance_excludes_nothing():
    programme, _planner = programme_with_planner()
    s = session(programme, ANGERS)
    pathway = candidate([s])
    pathway.person.commune = None
    pathway.person.save(update_fields=["commune"])
    facts = build.gather(candidates=[cand(pathway)], sessions=list(build.placement_sessions(programme)))
    assert np.isnan(facts.distance_km[0, 0])
    assert facts.exclusion[0, 0] == Exclusion.NONE


def test_households_territories_and_first_come_preferences():
    programme, _planner = programme_with_planner()
    hosting = session(programme, NANTES, hosts_households=True)
    plain = session(programme, REZE)
    far = session(programme, ANGERS)
    a, b, c = candidate([plain]), candidate([plain]), candidate([far, hosting])
    facts = build.gather(
        candidates=[
            cand(a, household="Foyer 1"),
            cand(b, household=" foyer 1 "),
            cand(c, accepts_move=True, preferred=(far.pk, hosting.pk)),
        ],
        sessions=list(build.placement_sessions(programme)),
    )
    assert facts.household[0] == facts.household[1] != facts.household[2]
    assert facts.exclusion[:2].tolist() == [[0, Exclusion.HOUSEHOLD, Exclusion.DISTANCE]] * 2
    assert facts.exclusion[2].tolist() == [0, 0, 0]
    assert [facts.territory_codes[t] for t in facts.territory] == ["44", "44", "49"]
    # Applied-to sessions first, in the order applied, then the others by distance.
    pref = facts.preference[2]
    assert pref[2] == 0 and pref[0] == 1 and pref[1] > 1000
    assert facts.preferred[2].tolist() == [True, False, True]


def test_childcare_needed_reads_children_under_six_without_solution():
    programme, _planner = programme_with_planner()
    s = session(programme)
    mother, covered = candidate([s]), candidate([s])
    toddler(mother.person)
    toddler(covered.person, childcare=ChildcareSolution.CRECHE)
    assert build.childcare_needed([mother.person_id, covered.person_id]) == {mother.person_id}


def test_fallback_score_from_job_fit_tension_and_distance():
    programme, _planner = programme_with_planner()
    job = RomeJobFactory(code="J1501", label="Aide-soignant")
    other = RomeJobFactory(code="K1304", label="Services domestiques")
    near = session(programme, REZE)
    near.target_jobs.set([job, other])
    far = session(programme, ANGERS)
    pathway = candidate([near], max_travel_minutes=200, has_vehicle=True)
    WorkExperience.objects.create(person=pathway.person, rome=job, years=3)
    sessions = list(build.placement_sessions(programme))
    facts = build.gather(candidates=[cand(pathway, preferred=(near.pk,))], sessions=sessions)
    scores = build.pair_scores(facts=facts, programme=programme)
    assert scores.source == ScoreSource.FALLBACK
    assert scores.job_fit is not None and scores.distance_ratio is not None
    assert scores.job_fit[0].tolist() == [0.5, build.NEUTRAL_JOB_FIT]  # one of two jobs; no job named
    expected = outcome.fallback_score(0.5, float(scores.tension[0, 0]), float(scores.distance_ratio[0, 0]))[0]
    assert scores.predicted[0, 0] == pytest.approx(expected)
    assert scores.distance_ratio[0, 0] < scores.distance_ratio[0, 1]
    factors = build.factors(scores, 0, 0)
    assert len(factors) == 3 and {"label", "effect"} <= set(factors[0])
    # The solver's scores add the preference bonus on the applied-to session only.
    solver = build.solver_scores(facts, scores)
    assert solver[0, 0] == pytest.approx(min(1.0, scores.predicted[0, 0] + build.PREFERENCE_BONUS))
    assert solver[0, 1] == pytest.approx(scores.predicted[0, 1])
    assert far.pk == sessions[1].pk


def test_fallback_scores_of_every_pair_equal_the_scalar_score():
    programme, _planner = programme_with_planner()
    job = RomeJobFactory(code="J1501", label="Aide-soignant")
    sessions = [session(programme, place) for place in (NANTES, REZE, ANGERS)]
    sessions[0].target_jobs.set([job])
    people = [candidate(sessions[:1], place=place) for place in (NANTES, ANGERS, REZE)]
    WorkExperience.objects.create(person=people[2].person, rome=job, years=2)
    facts = build.gather(candidates=[cand(p) for p in people], sessions=list(build.placement_sessions(programme)))
    scores = build.pair_scores(facts=facts, programme=programme)
    for i in range(3):
        for j in range(3):
            expected = outcome.fallback_score(
                float(scores.job_fit[i, j]), float(scores.tension[i, j]), float(scores.distance_ratio[i, j])
            )[0]
            assert scores.predicted[i, j] == pytest.approx(expected)


def test_a_session_already_enrolled_on_or_left_is_excluded():
    """Moving the batch's candidacy onto a session where the pathway already has a live enrolment
    would break the one-live-enrolment-per-session rule: such a session is not an option."""
    programme, _planner = programme_with_planner()
    a, b, c = session(programme, NANTES), session(programme, NANTES), session(programme, NANTES)
    pathway = candidate([a])
    today = timezone.localdate()
    EnrolmentFactory(
        session=b,
        pathway=pathway,
        state=EnrolmentState.ABANDONED,
        enrolled_on=today - datetime.timedelta(days=60),
        exited_on=today - datetime.timedelta(days=10),
        abandon_reason="health",
    )
    EnrolmentFactory(session=c, pathway=pathway, state=EnrolmentState.NOT_SELECTED, not_selected_reason="no_place")
    other = candidate([b])  # a candidacy on b: b stays an option for this one
    facts = build.gather(candidates=[cand(pathway), cand(other)], sessions=list(build.placement_sessions(programme)))
    cols = [facts.session_index[s.pk] for s in (a, b, c)]
    assert facts.already_enrolled[:, cols].tolist() == [[False, True, False], [False, False, False]]
    assert facts.exclusion[:, cols].tolist() == [[0, Exclusion.ALREADY_ENROLLED, 0], [0, 0, 0]]


def test_build_instance_reads_a_fixed_number_of_queries():
    programme, _planner = programme_with_planner()
    sessions = [session(programme, place) for place in (NANTES, REZE, ANGERS)]
    people = [candidate(sessions[:2]) for _ in range(6)]

    def count(pathways):
        cands = [cand(p) for p in pathways]
        with CaptureQueriesContext(connection) as ctx:
            built = build.build_instance(
                candidates=cands, sessions=list(build.placement_sessions(programme)), programme=programme
            )
        assert built.instance.scores.shape == (len(pathways), 3)
        return len(ctx.captured_queries)

    assert count(people[:2]) == count(people)


def test_capacity_override_marks_empty_sessions_full():
    programme, _planner = programme_with_planner()
    sessions = [session(programme, NANTES), session(programme, REZE)]
    pathway = candidate(sessions)
    built = build.build_instance(
        candidates=[cand(pathway)],
        sessions=list(build.placement_sessions(programme)),
        programme=programme,
        capacity=np.array([0, 3]),
    )
    assert built.instance.capacity.tolist() == [0, 3]
    assert built.instance.exclusion.tolist() == [[Exclusion.NO_PLACE, Exclusion.NONE]]


def test_balancing_from_percentages():
    b = build.balancing_from({"session_min": 10, "session_max": 90, "territory_min": 0, "territory_max": 100})
    assert (b.session_min, b.session_max, b.territory_min, b.territory_max) == (0.1, 0.9, 0.0, 1.0)
    assert build.balancing_from({}).is_neutral()


def test_the_active_outcome_model_scores_the_pairs():
    programme, _planner = programme_with_planner()
    s = session(programme)
    speaker, beginner = candidate([s]), candidate([s])
    french(speaker.person, "B2")
    french(beginner.person, "A1")
    row, fitted = model_row(programme)
    facts = build.gather(candidates=[cand(speaker), cand(beginner)], sessions=list(build.placement_sessions(programme)))
    scores = build.pair_scores(facts=facts, programme=programme)
    assert scores.source == ScoreSource.MODEL and scores.model == row
    assert scores.predicted[0, 0] > scores.predicted[1, 0]
    assert scores.predicted[:, 0] == pytest.approx(fitted.predict(scores.features[:, 0]))
    assert build.factors(scores, 0, 0)[0]["label"] == str(outcome.FEATURE_LABELS["french_level"])


def test_unreadable_model_numbers_fall_back_to_the_transparent_score():
    programme, _planner = programme_with_planner()
    s = session(programme)
    pathway = candidate([s])
    model_row(programme, scale=[0.0] * len(outcome.FEATURES))
    facts = build.gather(candidates=[cand(pathway)], sessions=list(build.placement_sessions(programme)))
    assert build.pair_scores(facts=facts, programme=programme).source == ScoreSource.FALLBACK
