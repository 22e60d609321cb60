"""The demo supports the placement optimiser: HOPE sessions to come in the three AFPA centres with
their placement constraints, about fifty open candidacies proposed by the referents (young children
without childcare, far communes, couples, varied French levels), free places a little above the
candidates, and a history of exits whose outcomes lean on the person's profile (never on sex or
nationality), large enough for the outcome model. The demo is loaded twice for the module (then
rolled back each time): once for the checks, once more to check that it is deterministic."""

import datetime
import math
from collections import Counter

import numpy as np
import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from parcours.demo.loader import demo_load
from parcours.demo.programmes import (
    APPLICANT_CASES,
    HOPE_CODE,
    _pick_outcome,
    applicant_plan,
    outcome_shift,
)
from parcours.diagnostics.models import LanguageLevel
from parcours.matching import outcome
from parcours.matching.enums import ModelStatus, ScoreSource
from parcours.matching.models import OutcomeModel, PlacementPrices
from parcours.matching.selectors import travel_limit_km
from parcours.matching.selectors_outcome import training_set
from parcours.pathways.models import FollowUpMember
from parcours.people.enums import ChildcareSolution
from parcours.people.models import Child
from parcours.programmes import enums as E
from parcours.programmes.models import Enrolment, Programme, Session

PERSONS = 40
CENTRES = {"44162", "44184", "44143"}  # Saint-Herblain, Saint-Nazaire, Rezé
OPEN = (E.EnrolmentState.CANDIDATE, E.EnrolmentState.WAITING_LIST)


def _fingerprint() -> dict:
    """What a planner sees of the batch to come and what the model learns from, without ids."""
    candidacies = sorted(
        Enrolment.objects.filter(programme__code=HOPE_CODE, state__in=OPEN).values_list(
            "pathway__person__first_name",
            "pathway__person__last_name",
            "pathway__person__birth_date",
            "pathway__person__commune_id",
            "pathway__person__education_level",
            "session__label",
            "state",
        )
    )
    levels = sorted(
        LanguageLevel.objects.filter(
            diagnostic__person__pathways__enrolments__programme__code=HOPE_CODE, language="fr"
        ).values_list("diagnostic__person__last_name", "diagnostic__person__first_name", "level")
    )
    outcomes = Counter(Enrolment.objects.filter(programme__code=HOPE_CODE).values_list("state", "exit_outcome"))
    models = list(
        OutcomeModel.objects.filter(programme__code=HOPE_CODE).values_list("status", "n_samples", "auc", "params")
    )
    return {
        "candidacies": candidacies,
        "levels": levels,
        "outcomes": sorted(outcomes.items()),
        "models": models,
    }


def _load() -> None:
    call_command("load_reference", stdout=None)
    demo_load(persons=PERSONS, seed=44)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            _load()
            first = _fingerprint()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            _load()
            yield first
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def loaded(demo, db):
    return demo


def _upcoming():
    return list(
        Session.objects.filter(
            programme__code=HOPE_CODE, status=E.SessionStatus.OPEN, starts_on__gt=timezone.localdate()
        ).order_by("starts_on", "id")
    )


def _candidacies():
    return Enrolment.objects.filter(programme__code=HOPE_CODE, state__in=OPEN, session__in=_upcoming())


def _km(a, b) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


def test_the_demo_is_deterministic(loaded):
    assert loaded["candidacies"]
    assert _fingerprint() == loaded


def test_hope_has_sessions_to_come_in_the_three_centres_with_placement_constraints(loaded):
    sessions = _upcoming()
    today = timezone.localdate()
    assert len(sessions) >= 6
    assert {s.commune_id for s in sessions} == CENTRES
    for session in sessions:
        assert datetime.timedelta(days=28) <= session.starts_on - today <= datetime.timedelta(days=131)
        assert 8 <= session.places <= 14
        assert session.offers_housing and session.partner_companies and session.target_jobs.exists()
    assert any(s.offers_childcare for s in sessions) and not all(s.offers_childcare for s in sessions)
    assert any(s.hosts_households for s in sessions) and not all(s.hosts_households for s in sessions)
    assert "A2" in {s.min_french_level for s in sessions}
    assert "" in {s.min_french_level for s in sessions}


def test_about_fifty_open_candidacies_proposed_by_a_follow_up_member(loaded):
    candidacies = list(_candidacies().select_related("pathway", "proposed_by"))
    pathways = {e.pathway_id for e in candidacies}
    assert 40 <= len(pathways) <= 60
    assert Counter(e.state for e in candidacies)[E.EnrolmentState.WAITING_LIST] >= 3
    # Some apply to two sessions: one placement line each, the sessions applied to as preferences.
    assert len(candidacies) > len(pathways)
    seats = set(
        FollowUpMember.objects.filter(pathway_id__in=pathways, ended_at__isnull=True).values_list(
            "pathway_id", "membership_id"
        )
    )
    assert all((e.pathway_id, e.proposed_by_id) in seats for e in candidacies)
    assert all(e.pathway.status == "open" for e in candidacies)


def test_free_places_exceed_the_candidates_a_little(loaded):
    seats = Count("enrolments", filter=Q(enrolments__state__in=E.SEAT_STATES))
    free = sum(
        s.places - s.seats for s in Session.objects.filter(pk__in=[s.pk for s in _upcoming()]).annotate(seats=seats)
    )
    candidates = _candidacies().values("pathway").distinct().count()
    assert candidates <= free <= candidates * 1.4


def test_candidates_have_varied_french_levels_young_children_and_far_homes(loaded):
    people = {e.pathway.person_id: e.pathway.person for e in _candidacies().select_related("pathway__person__commune")}
    levels = set(
        LanguageLevel.objects.filter(diagnostic__person_id__in=people, language="fr").values_list("level", flat=True)
    )
    assert {"A1.1", "A1", "A2", "B1"} <= levels
    under_six = timezone.localdate() - datetime.timedelta(days=6 * 365)
    needing = set(
        Child.objects.filter(
            person_id__in=people, childcare=ChildcareSolution.NONE, birth_date__gt=under_six
        ).values_list("person_id", flat=True)
    )
    assert len(needing) >= 5
    sessions = [s for s in Session.objects.filter(pk__in=[s.pk for s in _upcoming()]).select_related("commune")]
    reachable = {}
    for pk, person in people.items():
        limit = travel_limit_km(person.max_travel_minutes, person.has_vehicle)
        reachable[pk] = sum(_km(person.commune, s.commune) <= limit for s in sessions)
    communes = {pk: person.commune.name for pk, person in people.items()}
    assert any(n == 0 and communes[pk] == "Châteaubriant" for pk, n in reachable.items())  # only if moving
    assert any(0 < n < len(sessions) and communes[pk] == "Ancenis" for pk, n in reachable.items())


def test_three_couples_apply_each_a_pathway_of_their_own(loaded):
    people = {e.pathway.person for e in _candidacies().select_related("pathway__person")}
    pairs = Counter((p.last_name, p.address, p.commune_id) for p in people if p.household == "couple")
    couples = [key for key, n in pairs.items() if n == 2]
    assert len(couples) == sum(1 for case in APPLICANT_CASES if case.couple) // 2 == 3


def test_history_is_large_and_balanced_enough_for_the_outcome_model(loaded):
    hope = Programme.objects.get(code=HOPE_CODE)
    X, y = training_set(programme=hope)
    assert len(y) >= outcome.MIN_SAMPLES
    assert min(int(y.sum()), int(len(y) - y.sum())) >= outcome.MIN_PER_CLASS
    # The outcomes lean on the French level (the model has something to learn) ...
    french = X[:, outcome.FEATURES.index("french_level")]
    assert y[french >= np.median(french) + 0.5].mean() > y[french < np.median(french)].mean()
    # ... and the positive rate stays around HOPE's published figure.
    assert 0.6 <= y.mean() <= 0.85


def test_outcomes_never_read_sex_or_nationality():
    # The shift reads the profile only; the same profile gives the same chances to anyone.
    shift = outcome_shift(french="A2", education="3", domain_years=1.0, months_since_arrival=24)
    assert outcome_shift(french="B1", education="3", domain_years=1.0, months_since_arrival=24) > shift
    assert outcome_shift(french="A2", education="3", domain_years=3.0, months_since_arrival=24) > shift
    assert outcome_shift(french="A2", education="3", domain_years=1.0, months_since_arrival=3) < shift
    assert outcome_shift(french="A2", education="6", domain_years=1.0, months_since_arrival=24) > shift


def test_tilted_outcome_draw_keeps_the_share_of_unknown_and_is_deterministic():
    import random

    table = ((E.ExitOutcome.WORK_STUDY, 60), (E.ExitOutcome.JOB_SEARCH, 20), (E.ExitOutcome.UNKNOWN, 20))

    def draws(shift, seed=7):
        rng = random.Random(seed)
        return Counter(_pick_outcome(rng, table, shift) for _ in range(4000))

    low, high = draws(-2.0), draws(2.0)
    assert draws(-2.0) == low
    assert high[E.ExitOutcome.WORK_STUDY] > low[E.ExitOutcome.WORK_STUDY]
    assert abs(high[E.ExitOutcome.UNKNOWN] - low[E.ExitOutcome.UNKNOWN]) < 0.03 * 4000
    assert abs(high[E.ExitOutcome.UNKNOWN] - 800) < 0.03 * 4000


def test_applicant_plan_is_pure():
    plan = applicant_plan()
    assert plan == applicant_plan()
    assert plan[: len(APPLICANT_CASES)] == list(APPLICANT_CASES)
    assert sum(a.waiting for a in plan) >= 3
    assert all(a.sessions and len(set(a.sessions)) == len(a.sessions) for a in plan)


def test_the_hope_outcome_model_is_trained_at_load_on_its_own_history(loaded):
    (model,) = OutcomeModel.objects.filter(programme__code=HOPE_CODE)
    X, y = training_set(programme=Programme.objects.get(code=HOPE_CODE))
    assert model.status == ModelStatus.ACTIVE
    assert model.n_samples == len(y) and model.n_positive == int(y.sum())
    assert len(model.auc_folds) == 5
    assert model.auc == pytest.approx(float(np.mean(model.auc_folds)), abs=1e-6)
    assert sum(bin_["n"] for bin_ in model.calibration) == model.n_samples


def test_the_hope_online_prices_are_computed_at_load(loaded):
    (prices,) = PlacementPrices.objects.filter(programme__code=HOPE_CODE)
    upcoming = Session.objects.filter(programme__code=HOPE_CODE, starts_on__gte=timezone.localdate())
    assert prices.score_source == ScoreSource.MODEL
    assert prices.expected_arrivals > 0
    assert set(prices.prices) == {str(pk) for pk in upcoming.values_list("pk", flat=True)}
    assert all(0 <= value <= 1 for value in prices.prices.values())
