#!/usr/bin/env python
"""Benchmark of the placement solver core on synthetic instances (no database; see bench/README.md).

Instances: n candidates × m sessions; predicted success = logistic(person effect + session effect +
interaction − 0.5), each effect drawn from N(0, 1); capacities drawn from a Dirichlet and summing
to about 115 % of the candidates. Every pair is allowed (the worst case for the solver: hard
constraints only remove arcs).

Prints one `name: value` line per figure on stdout; details go to stderr.

    .venv/bin/python bench/bench_placement.py [--sizes 26000,260000] [--sessions 100] [--seed 1]

- placement_exact_<n>x<m>_s: wall time of `placement.solve` (instance checks, graph building, the
  min-cost flow and the dual prices), for each size;
- placement_online_ratio: objective of the online dual-price rule / exact optimum, on the first size.
  Prices come from the exact solution of a *different* draw of expected arrivals (same sessions,
  same size), as the platform computes them from past candidacies; then people arrive one by one
  in random order;
- placement_greedy_ratio, placement_random_ratio: the same ratio for "best open session at zero
  price" and for a random open session;
- placement_peak_rss_mb: the process's peak resident memory (it ends after the largest size).
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()


def info(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def draw_scores(n: int, session_effect: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    person = rng.normal(0.0, 1.0, n)
    logit = person[:, None] + session_effect[None, :] + rng.normal(0.0, 1.0, (n, len(session_effect))) - 0.5
    return 1.0 / (1.0 + np.exp(-logit))


def make_instance(scores: np.ndarray, capacity: np.ndarray):
    from parcours.matching.placement import Instance

    n, m = scores.shape
    return Instance(
        scores=scores,
        exclusion=np.zeros((n, m), dtype=np.int8),
        capacity=capacity,
        household=np.arange(n),
        hosts_households=np.ones(m, dtype=bool),
        territory=np.arange(m) % 5,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="26000,260000")
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    setup_django()
    from parcours.matching import placement

    m = args.sessions
    sizes = [int(size) for size in args.sizes.split(",")]
    for position, n in enumerate(sizes):
        rng = np.random.default_rng(args.seed + position)
        session_effect = rng.normal(0.0, 1.0, m)
        capacity = np.maximum(1, np.rint(rng.dirichlet(np.full(m, 3.0)) * n * 1.15)).astype(np.int64)
        scores = draw_scores(n, session_effect, rng)
        info(f"{n} × {m}: {capacity.sum()} places for {n} candidates")

        started = time.perf_counter()
        instance = make_instance(scores, capacity)
        exact = placement.solve(instance)
        elapsed = time.perf_counter() - started
        info(f"  exact: {exact.placed} placed, objective {exact.objective:.1f}, proven {exact.proven_optimal}")
        print(f"placement_exact_{n}x{m}_s: {elapsed:.2f}", flush=True)

        if position == 0:
            expected = make_instance(draw_scores(n, session_effect, np.random.default_rng(args.seed + 100)), capacity)
            started = time.perf_counter()
            prices = placement.dual_prices(expected, placement.solve(expected).assignment)
            info(f"  prices from expected arrivals: {time.perf_counter() - started:.2f} s")
            order = np.random.default_rng(args.seed + 200).permutation(n)
            arriving = make_instance(scores[order], capacity)
            started = time.perf_counter()
            online = placement.simulate_online(arriving, prices)
            info(f"  online: {time.perf_counter() - started:.2f} s, {online.placed} placed")
            greedy = placement.greedy(arriving)
            random = placement.random_assignment(instance, seed=args.seed)
            print(f"placement_online_ratio: {online.objective / exact.objective:.4f}", flush=True)
            print(f"placement_greedy_ratio: {greedy.objective / exact.objective:.4f}", flush=True)
            print(f"placement_random_ratio: {random.objective / exact.objective:.4f}", flush=True)
        del instance, exact, scores
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"placement_peak_rss_mb: {peak:.0f}", flush=True)


if __name__ == "__main__":
    main()
