#!/usr/bin/env python
"""Benchmark of the pure eligibility evaluator (parcours/programmes/eligibility.py): 100,000
synthetic people evaluated against the rules of 10 programmes, i.e. 1,000,000 full evaluations
(every criterion with its value, status, reason and what to ask). No database.

Prints exactly one line per figure, `name: value`, on stdout; details go to stderr.

    .venv/bin/python bench/bench_eligibility.py [--people 100000] [--seed 7]

`run()` is also called by bench/bench_programmes.py (`make bench-programmes`)."""

import argparse
import datetime
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIGURES = ("eligibility_evals_per_s",)
TODAY = datetime.date(2026, 3, 15)

# Ten programmes as a territory would declare them: 1 to 7 criteria each (the PLIE-like one with a
# group of which one criterion suffices).
PROGRAMMES: list[list[dict]] = [
    [  # HOPE-like
        {"field": "protection_status", "op": "in", "value": ["refugee", "subsidiary"]},
        {"field": "age", "op": "between", "value": [18, 64]},
        {"field": "french_level", "op": "at_least", "value": "A1.1"},
        {"field": "right_to_work", "op": "is_true"},
        {"field": "departement", "op": "in", "value": ["44", "49", "85"]},
        {"field": "enrolled_elsewhere", "op": "is_false"},
        {"field": "years_since_arrival", "op": "lt", "value": 5},
    ],
    [  # VAE for newcomers
        {"field": "right_to_work", "op": "is_true"},
        {"field": "french_level", "op": "at_least", "value": "A2"},
        {"field": "years_since_arrival", "op": "lte", "value": 10},
    ],
    [  # PLIE-like
        {"field": "departement", "op": "eq", "value": "44"},
        {"field": "age", "op": "gte", "value": 26},
        {
            "any": [
                {"field": "rsa_status", "op": "in", "value": ["open", "suspended"]},
                {"field": "has_rqth", "op": "is_true"},
                {"field": "education_level", "op": "at_most", "value": "3"},
            ],
            "label": "Public prioritaire",
        },
        {"field": "enrolled_elsewhere", "op": "is_false"},
    ],
    [  # youth
        {"field": "age", "op": "between", "value": [16, 25]},
        {"field": "education_level", "op": "at_most", "value": "4"},
    ],
    [  # women's mobility
        {"field": "sex", "op": "eq", "value": "F"},
        {"field": "household", "op": "in", "value": ["single_parent", "alone"]},
        {"field": "departement", "op": "not_in", "value": ["75", "92", "93", "94"]},
    ],
    [  # disability
        {"field": "has_rqth", "op": "is_true"},
        {"field": "age", "op": "gte", "value": 18},
    ],
    [  # seniors
        {"field": "age", "op": "gt", "value": 50},
        {"field": "are_status", "op": "eq", "value": "open"},
    ],
    [  # French first
        {"field": "french_level", "op": "at_most", "value": "A2"},
        {"field": "residence_permit_kind", "op": "not_in", "value": ["none", "not_applicable"]},
        {"field": "years_since_arrival", "op": "lt", "value": 5},
    ],
    [  # qualifying training
        {"field": "education_level", "op": "between", "value": ["1", "4"]},
        {"field": "french_level", "op": "at_least", "value": "B1"},
        {"field": "enrolled_elsewhere", "op": "is_false"},
        {"field": "age", "op": "lt", "value": 60},
    ],
    [  # open to everyone in the département
        {"field": "departement", "op": "in", "value": ["44"]},
    ],
]


def info(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _setup_django() -> None:
    """The field labels are translated strings: Django's settings must be loaded (no database)."""
    from django.conf import settings

    if not settings.configured:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
        import django

        django.setup()


def synthetic_facts(n: int, seed: int) -> list[dict]:
    """People as facts.person_facts gives them: dates for age and arrival, some data missing, some
    sensitive categories hidden from the reader."""
    rng = random.Random(seed)
    levels = ["A1.1", "A1", "A2", "B1", "B2", "C1", "C2"]
    protection = ["none", "asylum_seeker", "refugee", "subsidiary", "stateless", "temporary", "rejected"]
    permits = ["not_applicable", "receipt", "aps", "temporary_card", "multiyear_card", "resident_card", "none"]
    departements = ["44", "44", "44", "49", "85", "35", "75"]
    people = []
    for _ in range(n):
        facts: dict = {
            "birth_date": TODAY - datetime.timedelta(days=rng.randint(16 * 365, 70 * 365)),
            "sex": rng.choice(["F", "M"]),
            "household": rng.choice(["alone", "couple", "single_parent", "hosted", ""]),
            "arrival_date": (TODAY - datetime.timedelta(days=rng.randint(30, 20 * 365)))
            if rng.random() < 0.7
            else None,
            "education_level": rng.choice(["0", "1", "3", "4", "5", "6", "7", ""]),
            "rsa_status": rng.choice(["none", "pending", "open", "suspended"]),
            "are_status": rng.choice(["none", "open"]),
            "departement": rng.choice(departements),
            "french_level": rng.choice(levels) if rng.random() < 0.8 else None,
            "enrolled_elsewhere": rng.random() < 0.1,
        }
        hidden = set()
        if rng.random() < 0.8:
            facts["protection_status"] = rng.choice(protection)
        else:
            hidden.add("asylum_history")
        if rng.random() < 0.8:
            facts["right_to_work"] = rng.random() < 0.85
            facts["residence_permit_kind"] = rng.choice(permits)
        else:
            hidden.add("residence_status")
        if rng.random() < 0.5:
            facts["has_rqth"] = rng.random() < 0.1
        else:
            hidden.add("disability")
        facts["hidden_categories"] = frozenset(hidden)
        people.append(facts)
    return people


def run(*, people: int = 100_000, seed: int = 7) -> dict[str, float]:
    """{"eligibility_evals_per_s": …}: full evaluations per second, people × 10 programmes."""
    _setup_django()
    from parcours.programmes.eligibility import compile_rules

    programmes = [compile_rules(rules) for rules in PROGRAMMES]
    facts = synthetic_facts(people, seed)
    info(f"eligibility: {people} people × {len(programmes)} programmes")
    counts = {"eligible": 0, "not_eligible": 0, "undetermined": 0}
    start = time.perf_counter()
    for compiled in programmes:
        evaluate = compiled.evaluate
        for person in facts:
            counts[evaluate(person, today=TODAY).status] += 1
    elapsed = time.perf_counter() - start
    total = people * len(programmes)
    info(f"eligibility: {total} evaluations in {elapsed:.2f} s; results {counts}")
    return {"eligibility_evals_per_s": round(total / elapsed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for name, value in run(people=args.people, seed=args.seed).items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
