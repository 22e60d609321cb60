"""The solver core against brute force, and its hard constraints, on small random instances."""

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parcours.matching.enums import Exclusion
from parcours.matching.placement import (
    Balancing,
    Instance,
    PlacementError,
    dual_prices,
    explain,
    first_come_first_served,
    greedy,
    place_online,
    random_assignment,
    simulate_online,
    solve,
)

SCORE_TOLERANCE = 1e-3  # the flow's costs are integers: scores rounded to 1e-6 each


@st.composite
def instances(draw, *, households=False, balancing=False):
    n = draw(st.integers(1, 5))
    m = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    scores = rng.random((n, m)).round(3)
    exclusion = np.where(rng.random((n, m)) < 0.25, rng.integers(1, 6, (n, m)), 0)
    capacity = rng.integers(0, 4, m)
    if households:
        household = rng.integers(0, max(1, n - 1), n)
    else:
        household = np.arange(n)
    hosts = rng.random(m) < 0.6
    territory = rng.integers(0, 2, m)
    shares = Balancing()
    if balancing:
        low = draw(st.sampled_from([0.0, 0.5, 1.0]))
        high = draw(st.sampled_from([0.5, 1.0]))
        shares = Balancing(session_min=min(low, high), session_max=high)
    return Instance(scores, exclusion, capacity, household, hosts, territory, shares)


def brute_force_key(instance: Instance) -> tuple[int, int, float]:
    """Best (−shortfall, placed, score) over every assignment, by enumeration."""
    n, m = instance.n, instance.m
    lower = np.minimum(np.ceil(instance.capacity * instance.balancing.session_min - 1e-9), 10**9).astype(int)
    upper = np.floor(instance.capacity * instance.balancing.session_max + 1e-9).astype(int)
    lower = np.minimum(lower, upper)
    best = None
    for choice in itertools.product(range(-1, m), repeat=n):
        a = np.array(choice)
        if not is_feasible(instance, a, upper):
            continue
        load = np.bincount(a[a >= 0], minlength=m)
        key = (
            -int(np.maximum(lower - load, 0).sum()),
            int((a >= 0).sum()),
            float(instance.scores[a >= 0, a[a >= 0]].sum()),
        )
        if best is None or key[:2] > best[:2] or (key[:2] == best[:2] and key[2] > best[2]):
            best = key
    assert best is not None
    return best


def is_feasible(instance: Instance, a: np.ndarray, upper: np.ndarray) -> bool:
    for i, j in enumerate(a):
        if j >= 0 and instance.exclusion[i, j] != Exclusion.NONE:
            return False
    for h in np.unique(instance.household):
        members = np.flatnonzero(instance.household == h)
        if len(set(a[members].tolist())) > 1:
            return False
        if len(members) > 1 and a[members[0]] >= 0 and not instance.hosts_households[a[members[0]]]:
            return False
    load = np.bincount(a[a >= 0], minlength=instance.m)
    return bool((load <= upper).all())


def solution_key(instance: Instance, a: np.ndarray) -> tuple[int, int, float]:
    lower = np.ceil(instance.capacity * instance.balancing.session_min - 1e-9).astype(int)
    upper = np.floor(instance.capacity * instance.balancing.session_max + 1e-9).astype(int)
    lower = np.minimum(lower, upper)
    load = np.bincount(a[a >= 0], minlength=instance.m)
    return -int(np.maximum(lower - load, 0).sum()), int((a >= 0).sum()), float(instance.scores[a >= 0, a[a >= 0]].sum())


def assert_optimal(instance: Instance) -> None:
    solution = solve(instance)
    upper = np.floor(instance.capacity * instance.balancing.session_max + 1e-9).astype(int)
    assert is_feasible(instance, solution.assignment, upper)
    assert solution.proven_optimal
    got = solution_key(instance, solution.assignment)
    expected = brute_force_key(instance)
    assert got[:2] == expected[:2]
    assert got[2] == pytest.approx(expected[2], abs=SCORE_TOLERANCE)
    assert solution.objective == pytest.approx(got[2])
    assert solution.placed == got[1]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_flow_matches_brute_force(instance):
    assert solve(instance).solver == "flow"
    assert_optimal(instance)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(households=True))
def test_households_mip_matches_brute_force_and_never_splits(instance):
    assert_optimal(instance)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(balancing=True))
def test_balancing_minimum_first_then_placed_then_score(instance):
    assert_optimal(instance)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(households=True, balancing=True))
def test_heuristics_respect_every_hard_constraint(instance):
    upper = np.floor(instance.capacity * instance.balancing.session_max + 1e-9).astype(int)
    preference = np.arange(instance.m, dtype=float)[None, :].repeat(instance.n, axis=0)
    for solution in (
        greedy(instance),
        simulate_online(instance, np.full(instance.m, 0.1)),
        first_come_first_served(instance, preference),
        random_assignment(instance, seed=3),
    ):
        assert is_feasible(instance, solution.assignment, upper)
        assert not solution.proven_optimal
        heuristic, best = (
            solution_key(instance, solution.assignment),
            solution_key(instance, solve(instance).assignment),
        )
        assert heuristic[:2] < best[:2] or (heuristic[:2] == best[:2] and heuristic[2] <= best[2] + SCORE_TOLERANCE)


def test_same_input_same_result():
    rng = np.random.default_rng(7)
    n, m = 40, 5
    args = (rng.random((n, m)), np.zeros((n, m)), np.full(m, 6), np.arange(n), np.ones(m, bool), np.zeros(m, int))
    first, second = solve(Instance(*args)), solve(Instance(*args))
    assert (first.assignment == second.assignment).all()
    household = np.arange(n) // 2
    mip_args = (*args[:3], household, *args[4:])
    assert (solve(Instance(*mip_args)).assignment == solve(Instance(*mip_args)).assignment).all()
    assert (
        random_assignment(Instance(*args), seed=5).assignment == random_assignment(Instance(*args), seed=5).assignment
    ).all()


def test_more_people_than_places_says_what_binds():
    scores = np.array([[0.9, 0.2], [0.8, 0.3], [0.7, 0.1], [0.5, 0.5]])
    exclusion = np.array([[0, 0], [0, 0], [0, 6], [Exclusion.FRENCH_LEVEL, Exclusion.CHILDCARE]])
    instance = Instance(
        scores,
        exclusion,
        np.array([1, 1]),
        np.arange(4),
        np.ones(2, bool),
        np.zeros(2, int),
        labels=("Rezé", "Saint-Nazaire"),
    )
    solution = solve(instance)
    assert solution.placed == 2
    # Two places, two people at most: 0 → Rezé and 1 → Saint-Nazaire (0.9 + 0.3 = 1.2) beat
    # 0 → Saint-Nazaire and 1 → Rezé (0.2 + 0.8 = 1.0) and any pair with person 2 (0.7 + 0.3 at best).
    assert solution.assignment.tolist() == [0, 1, -1, -1]
    assert solution.objective == pytest.approx(1.2)
    assert solution.binding == [
        "Capacité : 1 personne(s) non placée(s) parce que les sessions qui leur sont possibles sont complètes (Rezé).",
        "Niveau de français inférieur au minimum de la session : 1 personne(s) n'ont aucune session possible pour cette raison.",
    ]
    assert explain(instance, solution, 3).unplaced_reason == "Aucune session ne respecte ses contraintes."
    assert explain(instance, solution, 2).unplaced_reason == (
        "Les sessions qui lui sont possibles sont complètes ou attribuées à d'autres."
    )


def test_prices_are_optimal_duals():
    """Strong duality on the assignment LP: Σ u_i + Σ cap_j p_j equals the optimum, with u_i the
    best surplus of person i at those prices."""
    rng = np.random.default_rng(11)
    for _ in range(20):
        n, m = 30, 4
        scores = rng.random((n, m))
        capacity = rng.integers(2, 10, m)
        instance = Instance(scores, np.zeros((n, m)), capacity, np.arange(n), np.ones(m, bool), np.zeros(m, int))
        solution = solve(instance)
        prices = dual_prices(instance, solution.assignment)
        surplus = np.maximum((scores - prices).max(axis=1), 0)
        assert surplus.sum() + (capacity * prices).sum() == pytest.approx(solution.objective, abs=1e-3)
        load = np.bincount(solution.assignment[solution.assignment >= 0], minlength=m)
        assert (prices[load < capacity] == 0).all()


def test_explanation_next_best_and_exclusions():
    scores = np.array([[0.6, 0.5, 0.9]])
    exclusion = np.array([[0, 0, Exclusion.DISTANCE]])
    instance = Instance(scores, exclusion, np.array([1, 1, 1]), np.zeros(1, int), np.ones(3, bool), np.zeros(3, int))
    solution = solve(instance)
    explanation = explain(instance, solution, 0)
    assert explanation.session == 0
    assert explanation.predicted == pytest.approx(0.6)
    assert explanation.price == 0
    assert explanation.next_best == 1
    assert explanation.next_best_predicted == pytest.approx(0.5)
    assert explanation.excluded == [(2, int(Exclusion.DISTANCE))]


def test_online_takes_best_score_minus_price_among_open_places():
    row = np.array([0.9, 0.8, 0.7])
    exclusion = np.array([0, 0, 0])
    assert place_online(row, exclusion, np.array([1, 1, 1]), np.array([0.3, 0.0, 0.0])) == 1
    # Session 1 is full: 0.9 − 0.3 = 0.6 loses to 0.7 − 0 at session 2, wins at a lower price.
    assert place_online(row, exclusion, np.array([1, 0, 1]), np.array([0.3, 0.0, 0.0])) == 2
    assert place_online(row, exclusion, np.array([1, 0, 1]), np.array([0.1, 0.0, 0.0])) == 0
    assert place_online(row, np.array([0, 0, 4]), np.array([0, 0, 1]), np.zeros(3)) == -1


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"capacity": np.array([-1, 2])}, "Une session a un nombre de places négatif."),
        ({"scores": np.array([[0.5, 1.5]])}, "Les scores de réussite doivent être compris entre 0 et 1."),
        ({"scores": np.array([[0.5, np.nan]])}, "Un score de réussite est manquant ou invalide."),
        ({"exclusion": np.array([[0, 9]])}, "Un code d'exclusion est inconnu."),
        (
            {"capacity": np.array([1])},
            "Chaque session doit avoir une capacité, un territoire et l'accueil des familles.",
        ),
        (
            {"balancing": Balancing(session_min=0.8, session_max=0.5)},
            "La part minimale ne peut pas dépasser la part maximale.",
        ),
        (
            {"balancing": Balancing(territory_max=1.5)},
            "Les parts d'équilibrage doivent être comprises entre 0 et 100 %.",
        ),
    ],
)
def test_bad_input_is_refused_in_french(kwargs, message):
    base = {
        "scores": np.array([[0.5, 0.4]]),
        "exclusion": np.array([[0, 0]]),
        "capacity": np.array([1, 2]),
        "household": np.array([0]),
        "hosts_households": np.array([True, True]),
        "territory": np.array([0, 0]),
    }
    base.update(kwargs)
    with pytest.raises(PlacementError) as error:
        Instance(**base)
    assert error.value.args[0] == message


def test_arcs_added_by_blocks_give_the_same_optimum(monkeypatch):
    from parcours.matching import placement

    rng = np.random.default_rng(3)
    n, m = 50, 4
    exclusion = np.where(rng.random((n, m)) < 0.3, Exclusion.DISTANCE, 0)
    instance = Instance(rng.random((n, m)), exclusion, np.full(m, 10), np.arange(n), np.ones(m, bool), np.zeros(m, int))
    whole = solve(instance)
    monkeypatch.setattr(placement, "BLOCK", 7)
    blocked = solve(instance)
    assert (blocked.assignment == whole.assignment).all()
    assert blocked.objective == pytest.approx(whole.objective)


def test_binding_names_households_and_maximum_shares():
    scores = np.full((5, 2), 0.5)
    exclusion = np.zeros((5, 2), dtype=int)
    exclusion[3] = [0, Exclusion.CHILDCARE]
    exclusion[4] = [Exclusion.DISTANCE, 0]
    # People 0, 1, 2 form a household that fits nowhere (3 people, 2 places each); 3 and 4 have no
    # session in common, so as a household they have none.
    household = np.array([0, 0, 0, 1, 1])
    instance = Instance(
        scores, exclusion, np.array([2, 2]), household, np.ones(2, bool), np.zeros(2, int), labels=("A", "B")
    )
    solution = solve(instance)
    assert solution.placed == 0
    assert solution.binding == [
        "Foyers : 3 personne(s) non placée(s) parce que leur foyer ne tient pas dans les places restantes des "
        "sessions possibles (A, B).",
        "Foyers : 2 personne(s) non placée(s) parce qu'aucune session n'est possible pour tout leur foyer à la fois "
        "(contraintes de chacun, ou accueil des familles).",
    ]
    assert (
        explain(instance, solution, 3).unplaced_reason == "Aucune session n'est possible pour tout son foyer à la fois."
    )

    # A maximum share of 50 % leaves one of two places: the second person is kept out by the share.
    capped = Instance(
        np.array([[0.9], [0.8]]),
        np.zeros((2, 1)),
        np.array([2]),
        np.arange(2),
        np.ones(1, bool),
        np.zeros(1, int),
        Balancing(session_max=0.5),
        labels=("A",),
    )
    solution = solve(capped)
    assert solution.assignment.tolist() == [0, -1]
    assert solution.binding == [
        "Part maximale : 1 personne(s) non placée(s) parce que les sessions qui leur sont possibles ont atteint la "
        "part maximale de places fixée (A)."
    ]

    # A household of two with one place left somewhere: too big for what remains.
    tight = Instance(
        np.full((3, 1), 0.5),
        np.zeros((3, 1)),
        np.array([2]),
        np.array([0, 1, 1]),
        np.ones(1, bool),
        np.zeros(1, int),
        labels=("A",),
    )
    solution = solve(tight)
    assert solution.placed == 2
    assert solution.assignment.tolist() == [-1, 0, 0]
    assert solution.binding == [
        "Capacité : 1 personne(s) non placée(s) parce que les sessions qui leur sont possibles sont complètes (A)."
    ]


def test_a_partner_kept_out_by_the_household_rule_is_counted_and_told_why():
    # One member refuses the only session: both stay out, each under their own reason.
    instance = Instance(
        np.array([[0.5], [0.5]]),
        np.array([[Exclusion.REFUSED], [0]]),
        np.array([2]),
        np.array([0, 0]),
        np.ones(1, bool),
        np.zeros(1, int),
        labels=("A",),
    )
    solution = solve(instance)
    assert solution.placed == 0
    assert solution.binding == [
        "Foyers : 1 personne(s) non placée(s) parce qu'aucune session n'est possible pour tout leur foyer à la fois "
        "(contraintes de chacun, ou accueil des familles).",
        "Session refusée par la personne : 1 personne(s) n'ont aucune session possible pour cette raison.",
    ]
    assert explain(instance, solution, 0).unplaced_reason == "Aucune session ne respecte ses contraintes."
    assert (
        explain(instance, solution, 1).unplaced_reason == "Aucune session n'est possible pour tout son foyer à la fois."
    )
