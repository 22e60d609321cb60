"""Placement solver core: who goes to which session, exactly, with explanations.

Pure: numpy arrays in, numpy arrays out; no ORM (parcours/matching/placement_build.py builds the
instance from the database, parcours/matching/services_placement.py stores the result).

The problem. n candidates, m sessions with free places. `scores[i, j]` is the predicted success of
candidate i in session j (a probability); `exclusion[i, j]` says whether j is an option for i and,
if not, which hard constraint excludes it (enums.Exclusion). A household (people sharing an index in
`household`) is placed together in one session, which must host households when it has two members
or more. Optional balancing sets a minimum and a maximum share of each session's (or territory's)
places to fill.

The objective is lexicographic, and both exact solvers give its proven optimum:
1. meet the minimum shares as far as possible (they are hard: a shortfall is reported as binding);
2. place as many people as possible (nobody is left out to raise the average);
3. maximise the total predicted success.

- Single people only: a min-cost flow (OR-Tools SimpleMinCostFlow) on source → person → session →
  territory → sink. Without minimum shares, levels 2 and 3 are exactly a maximum flow of minimum
  cost. With them, each level gets a cost scale large enough that no amount of the next level can
  outweigh one unit of it, so one flow gives the lexicographic optimum. Integer costs: scores are
  rounded to 1/SCALE (SCALE is lowered for very large instances so that costs fit in 64 bits).
- Households of two or more: a 0-1 programme solved by CP-SAT in three stages (one per level, each
  stage fixing the previous level's optimum), with one worker so that the result is reproducible.

Prices. The flow's optimal assignment also gives the dual values of the capacity constraints of the
assignment LP (the transportation LP is totally unimodular: its optimum is the flow's). The price of a
session is what one more place there would add to the total; it is 0 for a session that is not full.
We compute the smallest optimal prices by complementary slackness: p_j >= s_ij for an unplaced person
who could go to j, p_j >= p_k + s_ij - s_ik for a person placed in k who could go to j (a longest path
over m sessions). The online mode (Ahani et al., 2024) places each arriving person at the best
`score - price` among the sessions with a free place, with prices computed on the expected arrivals.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from ortools.graph.python import min_cost_flow

from .enums import Exclusion

# Score resolution of the flow's integer costs (adapted down for very large instances, see _scale).
MAX_SCALE = 1_000_000
INT_LIMIT = 2**62


class PlacementError(ValueError):
    """Bad input; args[0] is a French message for the user."""


@dataclass(frozen=True)
class Balancing:
    """Shares in [0, 1] of each session's (or each territory's) free places."""

    session_min: float = 0.0
    session_max: float = 1.0
    territory_min: float = 0.0
    territory_max: float = 1.0

    def is_neutral(self) -> bool:
        return self.session_min == 0 and self.territory_min == 0 and self.session_max == 1 and self.territory_max == 1


@dataclass(frozen=True)
class Instance:
    scores: np.ndarray
    exclusion: np.ndarray
    capacity: np.ndarray
    household: np.ndarray
    hosts_households: np.ndarray
    territory: np.ndarray
    balancing: Balancing = field(default_factory=Balancing)
    labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        scores = np.asarray(self.scores, dtype=np.float64)
        if scores.ndim != 2:
            raise PlacementError("Les scores doivent former un tableau personnes × sessions.")
        n, m = scores.shape
        object.__setattr__(self, "scores", scores)
        object.__setattr__(self, "exclusion", np.asarray(self.exclusion, dtype=np.int8))
        object.__setattr__(self, "capacity", np.asarray(self.capacity, dtype=np.int64))
        object.__setattr__(self, "household", np.asarray(self.household, dtype=np.int64))
        object.__setattr__(self, "hosts_households", np.asarray(self.hosts_households, dtype=bool))
        object.__setattr__(self, "territory", np.asarray(self.territory, dtype=np.int64))
        if self.exclusion.shape != (n, m):
            raise PlacementError("Le tableau des exclusions n'a pas la taille personnes × sessions.")
        if self.capacity.shape != (m,) or self.hosts_households.shape != (m,) or self.territory.shape != (m,):
            raise PlacementError("Chaque session doit avoir une capacité, un territoire et l'accueil des familles.")
        if self.household.shape != (n,):
            raise PlacementError("Chaque personne doit avoir un foyer.")
        if n and not np.isfinite(scores).all():
            raise PlacementError("Un score de réussite est manquant ou invalide.")
        if n and ((scores < 0).any() or (scores > 1).any()):
            raise PlacementError("Les scores de réussite doivent être compris entre 0 et 1.")
        if m and (self.capacity < 0).any():
            raise PlacementError("Une session a un nombre de places négatif.")
        if n and m and ((self.exclusion < 0).any() or (self.exclusion > max(Exclusion.values)).any()):
            raise PlacementError("Un code d'exclusion est inconnu.")
        if m and (self.territory < 0).any():
            raise PlacementError("Un territoire de session est invalide.")
        b = self.balancing
        for value in (b.session_min, b.session_max, b.territory_min, b.territory_max):
            if not 0 <= value <= 1:
                raise PlacementError("Les parts d'équilibrage doivent être comprises entre 0 et 100 %.")
        if b.session_min > b.session_max or b.territory_min > b.territory_max:
            raise PlacementError("La part minimale ne peut pas dépasser la part maximale.")
        if self.labels and len(self.labels) != m:
            raise PlacementError("Chaque session doit avoir un intitulé.")

    @property
    def n(self) -> int:
        return int(self.scores.shape[0])

    @property
    def m(self) -> int:
        return int(self.scores.shape[1])

    def label(self, j: int) -> str:
        return self.labels[j] if self.labels else f"session {j + 1}"

    @cached_property
    def allowed(self) -> np.ndarray:
        return self.exclusion == Exclusion.NONE


@dataclass
class Solution:
    assignment: np.ndarray
    objective: float
    placed: int
    proven_optimal: bool
    solver: str
    prices: np.ndarray
    binding: list[str] = field(default_factory=list)


@dataclass
class Explanation:
    session: int | None
    predicted: float | None
    price: float | None
    next_best: int | None
    next_best_predicted: float | None
    excluded: list[tuple[int, int]]
    unplaced_reason: str


# --- Households and bounds ---------------------------------------------------------------------


def _households(instance: Instance) -> list[np.ndarray]:
    """Members of each household, households in the order of their first member."""
    _, first, inverse = np.unique(instance.household, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    members: list[list[int]] = [[] for _ in range(len(first))]
    for i, h in enumerate(inverse):
        members[int(h)].append(i)
    return [np.array(members[h], dtype=np.int64) for h in order]


def _household_allowed(instance: Instance, members: np.ndarray) -> np.ndarray:
    allowed = instance.allowed[members].all(axis=0)
    if len(members) > 1:
        allowed &= instance.hosts_households
    return allowed


def _session_bounds(instance: Instance) -> tuple[np.ndarray, np.ndarray]:
    """(minimum, maximum) people per session from the capacities and the balancing shares."""
    b = instance.balancing
    cap = instance.capacity
    upper = np.floor(cap * b.session_max + 1e-9).astype(np.int64)
    lower = np.minimum(np.ceil(cap * b.session_min - 1e-9).astype(np.int64), upper)
    return lower, upper


def _territory_bounds(instance: Instance) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(territory ids, minimum, maximum) people per territory."""
    b = instance.balancing
    ids = np.unique(instance.territory) if instance.m else np.zeros(0, dtype=np.int64)
    totals = np.array([instance.capacity[instance.territory == t].sum() for t in ids], dtype=np.int64)
    upper = np.floor(totals * b.territory_max + 1e-9).astype(np.int64)
    lower = np.minimum(np.ceil(totals * b.territory_min - 1e-9).astype(np.int64), upper)
    return ids, lower, upper


# --- Exact solvers ---------------------------------------------------------------------------------


def solve(instance: Instance, *, time_limit_s: float = 60.0) -> Solution:
    """The lexicographic optimum (minimum shares, then people placed, then total success)."""
    if instance.n == 0 or instance.m == 0:
        return _finish(instance, np.full(instance.n, -1, dtype=np.int64), "flow", True)
    households = _households(instance)
    if any(len(members) > 1 for members in households):
        return _solve_mip(instance, households, time_limit_s)
    return _solve_flow(instance)


def _scale(n: int, nodes: int) -> tuple[int, int, int]:
    """(SCALE, BIG, BIGGER): integer costs per level such that one unit of a level outweighs any
    total of the levels below it, and every cost times the node count fits in 64 bits (the
    cost-scaling algorithm multiplies costs by the number of nodes)."""
    scale = MAX_SCALE
    while scale > 1:
        big = scale * (n + 1)
        bigger = big * (n + 1)
        top = bigger * 2
        if top * (nodes + 1) < INT_LIMIT:
            return scale, big, bigger
        scale //= 2
    raise PlacementError("Instance trop grande pour le calcul exact avec les parts minimales.")


def _solve_flow(instance: Instance) -> Solution:
    n, m = instance.n, instance.m
    s_lower, s_upper = _session_bounds(instance)
    t_ids, t_lower, t_upper = _territory_bounds(instance)
    has_minimum = bool(s_lower.any() or t_lower.any())
    t_count = len(t_ids)
    source, sink = n + m + t_count, n + m + t_count + 1
    nodes = n + m + t_count + 2
    # Without minimum shares, "as many people as possible, then the best total" is exactly a
    # maximum flow of minimum cost; with them, each level gets its own cost scale.
    scale, big, bigger = _scale(n, nodes) if has_minimum else (MAX_SCALE, 0, 0)

    # Person → session arcs, added by blocks of people to keep temporary arrays small; the arc ids
    # of a block are consecutive, so the flows are read back block by block the same way.
    flow = min_cost_flow.SimpleMinCostFlow()
    for start, rows, cols in _blocks(instance):
        costs = np.rint(instance.scores[rows + start, cols] * scale).astype(np.int64)
        costs += big
        np.negative(costs, out=costs)
        flow.add_arcs_with_capacity_and_unit_cost(
            (rows + start).astype(np.int32), (cols + n).astype(np.int32), np.ones(len(rows), dtype=np.int64), costs
        )
    people = np.arange(n, dtype=np.int32)
    flow.add_arcs_with_capacity_and_unit_cost(
        np.full(n, source, dtype=np.int32), people, np.ones(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    )
    territory_node = {int(t): n + m + k for k, t in enumerate(t_ids)}
    for j in range(m):
        head = territory_node[int(instance.territory[j])]
        if s_lower[j]:
            flow.add_arc_with_capacity_and_unit_cost(n + j, head, int(s_lower[j]), -bigger)
        if s_upper[j] > s_lower[j]:
            flow.add_arc_with_capacity_and_unit_cost(n + j, head, int(s_upper[j] - s_lower[j]), 0)
    for k in range(t_count):
        if t_lower[k]:
            flow.add_arc_with_capacity_and_unit_cost(n + m + k, sink, int(t_lower[k]), -bigger)
        if t_upper[k] > t_lower[k]:
            flow.add_arc_with_capacity_and_unit_cost(n + m + k, sink, int(t_upper[k] - t_lower[k]), 0)
    flow.set_node_supply(source, n)
    flow.set_node_supply(sink, -n)
    if has_minimum:
        flow.add_arc_with_capacity_and_unit_cost(source, sink, n, 0)  # nobody is forced in
        status = flow.solve()
    else:
        status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise PlacementError("Le calcul de l'affectation a échoué (flot à coût minimum).")
    assignment = np.full(n, -1, dtype=np.int64)
    first_arc = 0
    for start, rows, cols in _blocks(instance):
        used = flow.flows(np.arange(first_arc, first_arc + len(rows), dtype=np.int64)) > 0
        assignment[rows[used] + start] = cols[used]
        first_arc += len(rows)
    return _finish(instance, assignment, "flow", True)


BLOCK = 20_000


def _blocks(instance: Instance) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(first person, rows, columns) of the allowed pairs, by blocks of BLOCK people."""
    for start in range(0, instance.n, BLOCK):
        rows, cols = np.nonzero(instance.allowed[start : start + BLOCK])
        yield start, rows, cols


def _solve_mip(instance: Instance, households: list[np.ndarray], time_limit_s: float) -> Solution:
    from ortools.sat.python import cp_model  # imports pandas (about a second): only when needed

    m = instance.m
    s_lower, s_upper = _session_bounds(instance)
    t_ids, t_lower, t_upper = _territory_bounds(instance)
    scale = 10_000
    options: list[tuple[int, int, int, int]] = []  # (household, session, size, integer score)
    for h, members in enumerate(households):
        for session in np.flatnonzero(_household_allowed(instance, members)):
            points = int(np.rint(instance.scores[members, session].sum() * scale))
            options.append((h, int(session), len(members), points))

    def build() -> tuple[cp_model.CpModel, list, list, list, list]:
        model = cp_model.CpModel()
        x = [model.new_bool_var(f"x{k}") for k in range(len(options))]
        by_household: dict[int, list] = {}
        load: list[list] = [[] for _ in range(m)]
        for var, (h, j, size, _) in zip(x, options, strict=True):
            by_household.setdefault(h, []).append(var)
            load[j].append(size * var)
        for vars_ in by_household.values():
            model.add_at_most_one(vars_)
        shortfalls = []
        for j in range(m):
            model.add(sum(load[j]) <= int(s_upper[j]))
            if s_lower[j]:
                short = model.new_int_var(0, int(s_lower[j]), f"s{j}")
                model.add(sum(load[j]) + short >= int(s_lower[j]))
                shortfalls.append(short)
        for k, t in enumerate(t_ids):
            t_load = [term for j in np.flatnonzero(instance.territory == t) for term in load[int(j)]]
            model.add(sum(t_load) <= int(t_upper[k]))
            if t_lower[k]:
                short = model.new_int_var(0, int(t_lower[k]), f"t{k}")
                model.add(sum(t_load) + short >= int(t_lower[k]))
                shortfalls.append(short)
        placed = [size * var for var, (_, _, size, _) in zip(x, options, strict=True)]
        value = [v * var for var, (_, _, _, v) in zip(x, options, strict=True)]
        return model, x, shortfalls, placed, value

    model, x, shortfalls, placed, value = build()
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_time_in_seconds = time_limit_s
    proven = True
    chosen = [False] * len(options)
    stages: list[tuple[list[Any], str]] = [(shortfalls, "min"), (placed, "max"), (value, "max")]
    for objective, sense in stages:
        if not objective:
            continue
        if sense == "min":
            model.minimize(sum(objective))
        else:
            model.maximize(sum(objective))
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise PlacementError("Le calcul de l'affectation des foyers a échoué (programme en nombres entiers).")
        proven = proven and status == cp_model.OPTIMAL
        best = int(round(solver.objective_value))
        model.clear_objective()
        model.add(sum(objective) <= best if sense == "min" else sum(objective) >= best)
        chosen = [bool(solver.boolean_value(var)) for var in x]
    assignment = np.full(instance.n, -1, dtype=np.int64)
    for k, (h, j, _, _) in enumerate(options):
        if chosen[k]:
            assignment[households[h]] = j
    return _finish(instance, assignment, "mip", proven)


# --- Prices, explanations, binding constraints ------------------------------------------------------


def dual_prices(instance: Instance, assignment: np.ndarray) -> np.ndarray:
    """Smallest optimal dual prices of the capacity constraints for `assignment` (see module doc).
    Exact for an optimal assignment of single people without balancing; indicative otherwise."""
    m = instance.m
    if m == 0:
        return np.zeros(0)
    scores = instance.scores
    allowed = instance.allowed
    base = np.zeros(m)
    unplaced = assignment < 0
    if unplaced.any():
        masked = np.where(allowed[unplaced], scores[unplaced], 0.0)
        base = np.maximum(base, masked.max(axis=0))
    placed = np.flatnonzero(~unplaced)
    weights = np.full((m, m), -np.inf)
    if len(placed):
        order = placed[np.argsort(assignment[placed], kind="stable")]
        sessions = assignment[order]
        own = scores[order, sessions]
        gain = np.where(allowed[order], scores[order] - own[:, None], -np.inf).astype(np.float64)
        starts = np.flatnonzero(np.r_[True, sessions[1:] != sessions[:-1]])
        weights[sessions[starts]] = np.maximum.reduceat(gain, starts, axis=0)
    prices = base.copy()
    for _ in range(m + 1):
        updated = np.maximum(base, (prices[:, None] + weights).max(axis=0))
        if np.allclose(updated, prices, atol=1e-12):
            break
        prices = updated
    return np.clip(prices, 0.0, 1.0)


def _finish(instance: Instance, assignment: np.ndarray, solver: str, proven: bool) -> Solution:
    placed = assignment >= 0
    objective = float(instance.scores[np.flatnonzero(placed), assignment[placed]].sum()) if placed.any() else 0.0
    prices = dual_prices(instance, assignment) if instance.n and instance.m else np.zeros(instance.m)
    solution = Solution(
        assignment=assignment,
        objective=objective,
        placed=int(placed.sum()),
        proven_optimal=proven,
        solver=solver,
        prices=prices,
    )
    solution.binding = binding_constraints(instance, solution)
    return solution


# Why an unplaced household is unplaced (see _unplaced_cause).
NO_OPTION, NO_COMMON, FULL, MAX_SHARE, TERRITORY_SHARE, TOO_BIG = range(6)
CAUSE_SENTENCES = {
    FULL: "Capacité : {count} personne(s) non placée(s) parce que les sessions qui leur sont possibles sont "
    "complètes ({names}).",
    MAX_SHARE: "Part maximale : {count} personne(s) non placée(s) parce que les sessions qui leur sont possibles "
    "ont atteint la part maximale de places fixée ({names}).",
    TERRITORY_SHARE: "Part maximale du territoire : {count} personne(s) non placée(s) parce que les territoires "
    "des sessions qui leur sont possibles ont atteint leur part maximale ({names}).",
    TOO_BIG: "Foyers : {count} personne(s) non placée(s) parce que leur foyer ne tient pas dans les places "
    "restantes des sessions possibles ({names}).",
    NO_COMMON: "Foyers : {count} personne(s) non placée(s) parce qu'aucune session n'est possible pour tout leur "
    "foyer à la fois (contraintes de chacun, ou accueil des familles).",
}
CAUSE_REASONS = {
    NO_OPTION: "Aucune session ne respecte ses contraintes.",
    NO_COMMON: "Aucune session n'est possible pour tout son foyer à la fois.",
    FULL: "Les sessions qui lui sont possibles sont complètes ou attribuées à d'autres.",
    MAX_SHARE: "Les sessions qui lui sont possibles ont atteint la part maximale de places fixée.",
    TERRITORY_SHARE: "Les territoires des sessions qui lui sont possibles ont atteint leur part maximale.",
    TOO_BIG: "Son foyer ne tient pas dans les places restantes des sessions possibles.",
}


def _loads(instance: Instance, assignment: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(people per session, session upper bounds, room left in each session's territory)."""
    load = np.bincount(assignment[assignment >= 0], minlength=instance.m)
    _, upper = _session_bounds(instance)
    t_ids, _, t_upper = _territory_bounds(instance)
    room = np.zeros(instance.m, dtype=np.int64)
    for k, t in enumerate(t_ids):
        in_t = instance.territory == t
        room[in_t] = t_upper[k] - load[in_t].sum()
    return load, upper, room


def _unplaced_cause(instance: Instance, members: np.ndarray, loads) -> tuple[int, list[int]]:
    """The reason a household is unplaced, and the sessions concerned."""
    load, upper, room = loads
    if not instance.allowed[members].any(axis=1).all():
        return NO_OPTION, []
    options = np.flatnonzero(_household_allowed(instance, members))
    if not len(options):
        return NO_COMMON, []
    size = len(members)
    left = upper[options] - load[options]
    if (left >= size).any():
        return TERRITORY_SHARE, [int(j) for j in options[room[options] < size]]
    capped = options[(left <= 0) & (upper[options] < instance.capacity[options])]
    if len(capped):
        return MAX_SHARE, [int(j) for j in capped]
    if size > 1 and (left > 0).any():
        return TOO_BIG, [int(j) for j in options]
    return FULL, [int(j) for j in options]


def binding_constraints(instance: Instance, solution: Solution) -> list[str]:
    """French sentences saying which constraints keep people out or shares unmet."""
    sentences: list[str] = []
    assignment = solution.assignment
    loads = _loads(instance, assignment)
    counts: dict[int, int] = {}
    sessions: dict[int, set[int]] = {}
    no_option: dict[int, int] = {}
    for members in _households(instance):
        if assignment[members[0]] >= 0:
            continue
        cause, concerned = _unplaced_cause(instance, members, loads)
        if cause == NO_OPTION:
            # The members with no option are counted under their constraint; their household
            # partners who had options are kept out by the household rule.
            for i in members:
                if instance.allowed[i].any():
                    counts[NO_COMMON] = counts.get(NO_COMMON, 0) + 1
                    sessions.setdefault(NO_COMMON, set())
                    continue
                code = int(np.bincount(instance.exclusion[i][instance.exclusion[i] > 0]).argmax())
                no_option[code] = no_option.get(code, 0) + 1
            continue
        counts[cause] = counts.get(cause, 0) + len(members)
        sessions.setdefault(cause, set()).update(concerned)
    for cause in (FULL, MAX_SHARE, TERRITORY_SHARE, TOO_BIG, NO_COMMON):
        if cause in counts:
            names = ", ".join(instance.label(j) for j in sorted(sessions[cause]))
            sentences.append(CAUSE_SENTENCES[cause].format(count=counts[cause], names=names))
    for code, count in sorted(no_option.items()):
        sentences.append(
            f"{Exclusion(code).label} : {count} personne(s) n'ont aucune session possible pour cette raison."
        )
    load = loads[0]
    s_lower, _ = _session_bounds(instance)
    for j in np.flatnonzero(load < s_lower):
        sentences.append(
            f"Part minimale non atteinte pour {instance.label(int(j))} : {int(load[j])} place(s) pourvue(s) "
            f"sur {int(s_lower[j])} demandée(s)."
        )
    t_ids, t_lower, _ = _territory_bounds(instance)
    for k, t in enumerate(t_ids):
        t_load = int(load[instance.territory == t].sum()) if instance.m else 0
        if t_load < t_lower[k]:
            sentences.append(
                f"Part minimale non atteinte pour le territoire {k + 1} : {t_load} place(s) pourvue(s) "
                f"sur {int(t_lower[k])} demandée(s)."
            )
    return sentences


def explain(instance: Instance, solution: Solution, i: int) -> Explanation:
    """Why person i got what they got: the session, the next best option at current prices, and every
    session excluded with the constraint that excludes it."""
    j = int(solution.assignment[i])
    allowed = instance.allowed[i]
    excluded = [(int(k), int(instance.exclusion[i, k])) for k in np.flatnonzero(~allowed)]
    value = np.where(allowed, instance.scores[i] - solution.prices, -np.inf)
    if j >= 0:
        value[j] = -np.inf
    k = int(np.argmax(value)) if np.isfinite(value).any() else -1
    next_best = k if k >= 0 else None
    reason = ""
    if j < 0:
        members = np.flatnonzero(instance.household == instance.household[i])
        cause, _ = _unplaced_cause(instance, members, _loads(instance, solution.assignment))
        if cause == NO_OPTION and allowed.any():  # a partner without option keeps this one out
            cause = NO_COMMON
        reason = CAUSE_REASONS[cause]
    return Explanation(
        session=j if j >= 0 else None,
        predicted=float(instance.scores[i, j]) if j >= 0 else None,
        price=float(solution.prices[j]) if j >= 0 else None,
        next_best=next_best,
        next_best_predicted=float(instance.scores[i, k]) if next_best is not None else None,
        excluded=excluded,
        unplaced_reason=reason,
    )


# --- Online mode and baselines ----------------------------------------------------------------------


def place_online(scores_row: np.ndarray, exclusion_row: np.ndarray, remaining: np.ndarray, prices: np.ndarray) -> int:
    """The session with the best score minus price among the open allowed ones, -1 if none."""
    value = np.where((exclusion_row == Exclusion.NONE) & (remaining > 0), scores_row - prices, -np.inf)
    if not np.isfinite(value).any():
        return -1
    return int(np.argmax(value))


def _sequential(instance: Instance, order: list[np.ndarray], pick, solver: str) -> Solution:
    """Households placed one after another, each with `pick(members, allowed, remaining)`."""
    _, upper = _session_bounds(instance)
    remaining = upper.copy()
    assignment = np.full(instance.n, -1, dtype=np.int64)
    for members in order:
        allowed = _household_allowed(instance, members) & (remaining >= len(members))
        if not allowed.any():
            continue
        j = pick(members, allowed, remaining)
        if j >= 0:
            assignment[members] = j
            remaining[j] -= len(members)
    return _finish(instance, assignment, solver, False)


def simulate_online(instance: Instance, prices: np.ndarray) -> Solution:
    """People (households) placed in row order at the best score minus price."""

    def pick(members, allowed, remaining):
        value = np.where(allowed, instance.scores[members].sum(axis=0) - len(members) * prices, -np.inf)
        return int(np.argmax(value))

    return _sequential(instance, _households(instance), pick, "online")


def greedy(instance: Instance) -> Solution:
    """Online with zero prices: each in turn takes the best predicted session still open."""
    solution = simulate_online(instance, np.zeros(instance.m))
    solution.solver = "greedy"
    return solution


def first_come_first_served(instance: Instance, preference: np.ndarray) -> Solution:
    """In arrival (row) order, each takes the open allowed session they prefer (lowest value)."""
    preference = np.asarray(preference, dtype=np.float64)
    if preference.shape != (instance.n, instance.m):
        raise PlacementError("Le tableau des préférences n'a pas la taille personnes × sessions.")

    def pick(members, allowed, remaining):
        return int(np.argmin(np.where(allowed, preference[members].sum(axis=0), np.inf)))

    return _sequential(instance, _households(instance), pick, "fcfs")


def random_assignment(instance: Instance, *, seed: int) -> Solution:
    """In a seeded random order, each takes a random open allowed session."""
    rng = np.random.default_rng(seed)
    households = _households(instance)
    order = [households[k] for k in rng.permutation(len(households))]

    def pick(members, allowed, remaining):
        return int(rng.choice(np.flatnonzero(allowed)))

    return _sequential(instance, order, pick, "random")
