"""Fairness report of a placement batch: how the optimiser's proposal compares with first-come
first-served and with a random assignment, overall and by sex, age band, nationality group and
French level; and, once exit outcomes are known, predicted against observed success per group.

Pure: numpy arrays and plain lists in, a JSON-serialisable dict out (plain floats rounded to 4
decimals, ints, strings, None), stored as is in `PlacementBatch.report`. No ORM.

A person not placed counts with a predicted success of 0 (whatever the predicted array says): the
figure compared is the expected number of successes *delivered* to the group, per person. A group
is flagged when, for the optimiser (the first method given), its mean predicted success or its
placement rate differs from the overall figure by more than GAP_THRESHOLD (10 points), and only
when it has at least MIN_GROUP people: below that, a difference says nothing (one person moves the
rate by 20 points or more) and the figures could point at someone. The gap is a warning for the
planner to look at, not a proof of discrimination: groups differ in French level or experience,
which the outcome model uses legitimately (see docs)."""

import datetime
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

GAP_THRESHOLD = 0.10
MIN_GROUP = 5
# A gap of exactly 10 points is not flagged; floating point noise (0.7 - 0.6 = 0.0999…98 or 0.1000…09)
# must not decide it either way.
_EPS = 1e-9

DIMENSIONS = {
    "sex": "Sexe",
    "age_band": "Âge",
    "nationality_group": "Nationalité",
    "french_level": "Niveau de français",
}

AGE_UNDER_26 = "moins de 26 ans"
AGE_26_44 = "26-44 ans"
AGE_45_PLUS = "45 ans et plus"
AGE_BANDS = (AGE_UNDER_26, AGE_26_44, AGE_45_PLUS)

FRENCH = "Française"
EU = "Union européenne"
NON_EU = "Hors Union européenne"
UNKNOWN = "Inconnue"

# The 27 member states (since 1 February 2020), ISO 3166-1 alpha-2. Greece is GR in ISO; EL (the EU's
# own code) is accepted too.
EU_MEMBERS = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()) | {
    "EL"
}
# ISO codes of French overseas départements and collectivités: as a nationality they mean French.
FRENCH_CODES = frozenset("FR GF GP MQ RE YT PM BL MF PF NC WF TF".split())

# Labels sorted last whatever the dimension.
UNKNOWN_LABELS = frozenset({"Inconnue", "Inconnu"})
# Scales shown in their natural order rather than alphabetically (A1.1 before A1, « moins de 26 ans »
# first); other labels (sex…) are sorted alphabetically.
_NATURAL_ORDER = {
    label: rank
    for rank, label in enumerate((*AGE_BANDS, FRENCH, EU, NON_EU, "A1.1", "A1", "A2", "B1", "B2", "C1", "C2"))
}


def age_band(birth_date: datetime.date | None, today: datetime.date) -> str:
    """Age band on `today` (completed years: one is 26 from one's 26th birthday included). Someone born
    on 29 February has their birthday on 1 March in other years."""
    if birth_date is None:
        return "Inconnu"
    age = today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))
    if age < 26:
        return AGE_UNDER_26
    if age < 45:
        return AGE_26_44
    return AGE_45_PLUS


def nationality_group(code: str | None) -> str:
    """Nationality group of an ISO 3166-1 alpha-2 code (as stored on Person.nationality)."""
    code = (code or "").strip().upper()
    if not code:
        return UNKNOWN
    if code in FRENCH_CODES:
        return FRENCH
    if code in EU_MEMBERS:
        return EU
    return NON_EU


def _r(value: float) -> float:
    return round(float(value), 4)


def _pct(value: float) -> int:
    """A share as whole percent, halves rounded up (0.625 -> 63), float noise removed first."""
    return math.floor(round(value * 100, 6) + 0.5)


def _over(gap: float) -> bool:
    return abs(gap) > GAP_THRESHOLD + _EPS


def _sort_key(label: str) -> tuple[bool, int, str]:
    return (label in UNKNOWN_LABELS, _NATURAL_ORDER.get(label, len(_NATURAL_ORDER)), label.casefold())


def _dimension_keys(groups: Mapping[str, Sequence[str]]) -> list[str]:
    """The known dimensions in DIMENSIONS order, then any other one in the order given."""
    return [key for key in DIMENSIONS if key in groups] + [key for key in groups if key not in DIMENSIONS]


def _check_groups(groups: Mapping[str, Sequence[str]], n: int) -> None:
    for key, labels in groups.items():
        if len(labels) != n:
            raise ValueError(f"Dimension « {DIMENSIONS.get(key, key)} » : {len(labels)} valeurs pour {n} personnes.")


def _flag(dimension: str, group: str, what: str, value: float, overall: float, reference: str) -> str:
    shown, ref = _pct(value), _pct(overall)
    return f"{dimension} {group} : {what} {shown} % contre {ref} % {reference} (écart de {abs(shown - ref)} points)"


def report(*, groups: Mapping[str, Sequence[str]], methods: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> dict:
    """Compare the methods overall and per group.

    groups: dimension key -> the label of each person (n labels, same order as the arrays).
    methods: name -> (assignment (n,) session index or -1, predicted success of the assigned session (n,)).
    The first method is the one whose gaps are flagged (the optimiser).

    Returns::

        {"n": int, "threshold": 0.1, "min_group": 5,
         "methods": [{"name", "total", "placed", "placed_rate", "mean"}],          # in the order given
         "dimensions": [{"key", "label", "groups": [
             {"label", "n", "small": bool,                                           # small: n < MIN_GROUP
              "methods": [{"name", "placed", "placed_rate", "mean_predicted"}],      # same order as "methods"
              "flags": [str]}]}],
         "flags": [str]}                                                             # every group's flags

    `total` is the sum of predicted success of the placed people, `mean` = total / n and
    `mean_predicted` the same within the group (unplaced people count 0).
    """
    if not methods:
        raise ValueError("Aucune méthode d'affectation à comparer.")
    arrays: list[tuple[str, np.ndarray, np.ndarray]] = []
    n = -1
    for name, (assignment, predicted) in methods.items():
        assignment = np.asarray(assignment, dtype=np.int64)
        predicted = np.asarray(predicted, dtype=np.float64)
        if assignment.ndim != 1 or predicted.shape != assignment.shape:
            raise ValueError(f"Méthode « {name} » : l'affectation et le succès prédit n'ont pas la même taille.")
        if n == -1:
            n = len(assignment)
        elif len(assignment) != n:
            raise ValueError(f"Méthode « {name} » : {len(assignment)} personnes au lieu de {n}.")
        placed = assignment >= 0
        if np.isnan(predicted[placed]).any():
            raise ValueError(f"Méthode « {name} » : succès prédit manquant pour une personne placée.")
        arrays.append((name, placed, np.where(placed, predicted, 0.0)))
    _check_groups(groups, n)

    def figures(mask: np.ndarray | None) -> list[tuple[str, int, int, float, float, float]]:
        """(name, size, placed, total, placed_rate, mean) per method, restricted to mask."""
        out = []
        for name, placed, value in arrays:
            if mask is not None:
                placed, value = placed[mask], value[mask]
            size = len(placed)
            count, total = int(placed.sum()), float(value.sum())
            out.append((name, size, count, total, count / size if size else 0.0, total / size if size else 0.0))
        return out

    overall = figures(None)
    _, _, _, _, ref_rate, ref_mean = overall[0]
    result_methods = [
        {"name": name, "total": _r(total), "placed": count, "placed_rate": _r(rate), "mean": _r(mean)}
        for name, _size, count, total, rate, mean in overall
    ]

    dimensions = []
    all_flags: list[str] = []
    for key in _dimension_keys(groups):
        dim_label = DIMENSIONS.get(key, key)
        labels = np.asarray([str(label) for label in groups[key]], dtype=object)
        rows = []
        for group in sorted({str(label) for label in labels}, key=_sort_key):
            stats = figures(labels == group)
            size = stats[0][1]
            flags: list[str] = []
            if size >= MIN_GROUP:
                _, _, _, _, rate, mean = stats[0]
                if _over(rate - ref_rate):
                    flags.append(_flag(dim_label, group, "taux de placement", rate, ref_rate, "en moyenne"))
                if _over(mean - ref_mean):
                    flags.append(_flag(dim_label, group, "succès prédit moyen", mean, ref_mean, "en moyenne"))
            all_flags.extend(flags)
            rows.append(
                {
                    "label": group,
                    "n": size,
                    "small": size < MIN_GROUP,
                    "methods": [
                        {"name": name, "placed": count, "placed_rate": _r(rate), "mean_predicted": _r(mean)}
                        for name, _size, count, _total, rate, mean in stats
                    ],
                    "flags": flags,
                }
            )
        dimensions.append({"key": key, "label": dim_label, "groups": rows})

    return {
        "n": n,
        "threshold": GAP_THRESHOLD,
        "min_group": MIN_GROUP,
        "methods": result_methods,
        "dimensions": dimensions,
        "flags": all_flags,
    }


def _observed_figures(predicted: np.ndarray, outcome: np.ndarray) -> dict[str, Any]:
    known = ~np.isnan(outcome)
    count = int(known.sum())
    figures: dict[str, Any] = {"n": count, "pending": int((~known).sum())}
    if count:
        mean_predicted, observed_rate = float(predicted[known].mean()), float(outcome[known].mean())
        figures |= {
            "mean_predicted": _r(mean_predicted),
            "observed_rate": _r(observed_rate),
            "gap": _r(observed_rate - mean_predicted),
        }
    else:
        figures |= {"mean_predicted": None, "observed_rate": None, "gap": None}
    return figures


def observed(*, groups: Mapping[str, Sequence[str]], predicted: np.ndarray, outcome: np.ndarray) -> dict:
    """Predicted against observed success, overall and per group, for the people of a batch.

    predicted: predicted success of each person (n,); outcome: 1 (positive exit), 0 (other exit) or
    nan (not known yet: counted in `pending`, left out of the figures). `gap` = observed - predicted
    (negative: the model was too optimistic for the group). A group with at least MIN_GROUP known
    outcomes whose gap exceeds GAP_THRESHOLD is flagged.

    Returns::

        {"overall": {"n", "pending", "mean_predicted", "observed_rate", "gap"},   # figures None when n == 0
         "dimensions": [{"key", "label", "groups": [{"label", "n", "pending", "small", "mean_predicted",
                                                       "observed_rate", "gap", "flags"}]}],
         "flags": [str]}
    """
    predicted = np.asarray(predicted, dtype=np.float64)
    outcome = np.asarray(outcome, dtype=np.float64)
    if predicted.ndim != 1 or outcome.shape != predicted.shape:
        raise ValueError("Le succès prédit et les résultats observés n'ont pas la même taille.")
    n = len(predicted)
    known = ~np.isnan(outcome)
    if not np.isin(outcome[known], (0.0, 1.0)).all():
        raise ValueError("Un résultat observé vaut 1 (sortie positive), 0 ou est inconnu.")
    if np.isnan(predicted[known]).any():
        raise ValueError("Succès prédit manquant pour une personne dont le résultat est connu.")
    _check_groups(groups, n)

    dimensions = []
    all_flags: list[str] = []
    for key in _dimension_keys(groups):
        dim_label = DIMENSIONS.get(key, key)
        labels = np.asarray([str(label) for label in groups[key]], dtype=object)
        rows = []
        for group in sorted({str(label) for label in labels}, key=_sort_key):
            mask = labels == group
            figures = _observed_figures(predicted[mask], outcome[mask])
            flags: list[str] = []
            if figures["n"] >= MIN_GROUP:
                group_known = mask & known
                mean_predicted, observed_rate = predicted[group_known].mean(), outcome[group_known].mean()
                if _over(observed_rate - mean_predicted):
                    flags.append(_flag(dim_label, group, "réussite observée", observed_rate, mean_predicted, "prédite"))
            all_flags.extend(flags)
            rows.append({"label": group, "small": figures["n"] < MIN_GROUP, **figures, "flags": flags})
        dimensions.append({"key": key, "label": dim_label, "groups": rows})

    return {"overall": _observed_figures(predicted, outcome), "dimensions": dimensions, "flags": all_flags}
