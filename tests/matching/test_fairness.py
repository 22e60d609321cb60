"""The fairness report: figures worked out by hand on a small case, the flags around the threshold and
below the minimum group size, the age bands and nationality groups, predicted against observed
success, and properties of the counts (no database)."""

import datetime
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parcours.matching import fairness
from parcours.matching.fairness import age_band, nationality_group, observed, report

NAN = math.nan

# Eight people, two methods. Person 3 is not placed by the optimiser but has a predicted figure in
# the array: it must count 0.
SEX = ["Femme", "Femme", "Femme", "Femme", "Homme", "Homme", "Homme", "Homme"]
FRENCH = ["A1", "A1", "B1", "B1", "B1", "A1.1", "Inconnu", "B1"]
OPTIMISER = (np.array([0, 1, 0, -1, 1, 2, 2, -1]), np.array([0.6, 0.5, 0.7, 0.9, 0.4, 0.8, 0.3, 0.0]))
RANDOM = (np.array([-1, 0, 1, 2, -1, 0, 1, 2]), np.array([0.0, 0.2, 0.3, 0.5, 0.0, 0.6, 0.1, 0.4]))


def _small_case() -> dict:
    return report(
        groups={"french_level": FRENCH, "sex": SEX},
        methods={"optimiseur": OPTIMISER, "aléatoire": RANDOM},
    )


def _group(result: dict, key: str, label: str) -> dict:
    dimension = next(d for d in result["dimensions"] if d["key"] == key)
    return next(g for g in dimension["groups"] if g["label"] == label)


def _figures(group: dict) -> list[tuple[str, int, float, float]]:
    return [(m["name"], m["placed"], m["placed_rate"], m["mean_predicted"]) for m in group["methods"]]


def test_report_method_totals_by_hand():
    # optimiser: 0.6 + 0.5 + 0.7 + 0.4 + 0.8 + 0.3 = 3.3 over 6 placed of 8 -> mean 3.3 / 8 = 0.4125
    # random:    0.2 + 0.3 + 0.5 + 0.6 + 0.1 + 0.4 = 2.1 over 6 placed of 8 -> mean 2.1 / 8 = 0.2625
    result = _small_case()
    assert result["n"] == 8
    assert result["methods"] == [
        {"name": "optimiseur", "total": 3.3, "placed": 6, "placed_rate": 0.75, "mean": 0.4125},
        {"name": "aléatoire", "total": 2.1, "placed": 6, "placed_rate": 0.75, "mean": 0.2625},
    ]


def test_report_groups_by_hand():
    result = _small_case()
    # Dimensions in the DIMENSIONS order, whatever the order given.
    assert [(d["key"], d["label"]) for d in result["dimensions"]] == [
        ("sex", "Sexe"),
        ("french_level", "Niveau de français"),
    ]
    # Femme = people 0-3: optimiser places 0, 1, 2 (0.6 + 0.5 + 0.7 = 1.8 / 4); random 1, 2, 3 (1.0 / 4).
    assert _figures(_group(result, "sex", "Femme")) == [
        ("optimiseur", 3, 0.75, 0.45),
        ("aléatoire", 3, 0.75, 0.25),
    ]
    # Homme = people 4-7: optimiser 4, 5, 6 (0.4 + 0.8 + 0.3 = 1.5 / 4); random 5, 6, 7 (1.1 / 4).
    assert _figures(_group(result, "sex", "Homme")) == [
        ("optimiseur", 3, 0.75, 0.375),
        ("aléatoire", 3, 0.75, 0.275),
    ]
    # B1 = people 2, 3, 4, 7: optimiser places 2 and 4 (0.7 + 0.4 = 1.1 / 4); random 2, 3, 7 (1.2 / 4).
    assert _figures(_group(result, "french_level", "B1")) == [
        ("optimiseur", 2, 0.5, 0.275),
        ("aléatoire", 3, 0.75, 0.3),
    ]
    # A1 = people 0, 1: optimiser both (1.1 / 2); random only 1 (0.2 / 2).
    assert _figures(_group(result, "french_level", "A1")) == [
        ("optimiseur", 2, 1.0, 0.55),
        ("aléatoire", 1, 0.5, 0.1),
    ]
    assert _figures(_group(result, "french_level", "A1.1")) == [
        ("optimiseur", 1, 1.0, 0.8),
        ("aléatoire", 1, 1.0, 0.6),
    ]
    assert _group(result, "french_level", "Inconnu")["n"] == 1


def test_report_small_groups_shown_never_flagged():
    result = _small_case()
    groups = [g for d in result["dimensions"] for g in d["groups"]]
    # Every group has fewer than 5 people: shown, marked small, never flagged (A1: placed 100 % against 75 %).
    assert all(g["small"] and g["flags"] == [] for g in groups)
    assert result["flags"] == []


def test_report_groups_sorted_unknown_last_and_scales_in_natural_order():
    result = _small_case()
    levels = [g["label"] for g in result["dimensions"][1]["groups"]]
    assert levels == ["A1.1", "A1", "B1", "Inconnu"]
    ages = report(
        groups={"age_band": ["Inconnu", "45 ans et plus", "moins de 26 ans", "26-44 ans"]},
        methods={"optimiseur": (np.array([-1, -1, -1, -1]), np.zeros(4))},
    )
    assert [g["label"] for g in ages["dimensions"][0]["groups"]] == [
        "moins de 26 ans",
        "26-44 ans",
        "45 ans et plus",
        "Inconnu",
    ]
    sexes = report(
        groups={"sex": ["Non précisé", "Homme", "Inconnue", "Femme"]},
        methods={"optimiseur": (np.array([-1, -1, -1, -1]), np.zeros(4))},
    )
    assert [g["label"] for g in sexes["dimensions"][0]["groups"]] == ["Femme", "Homme", "Non précisé", "Inconnue"]


def _everyone_placed(women: float, men: float) -> dict:
    """Five women and five men, all placed, with the given predicted success each."""
    return report(
        groups={"sex": ["Femme"] * 5 + ["Homme"] * 5},
        methods={"optimiseur": (np.zeros(10, dtype=np.int64), np.array([women] * 5 + [men] * 5))},
    )


def test_mean_gap_of_exactly_ten_points_not_flagged():
    # 0.6 and 0.4 against 0.5 overall: gaps of exactly 0.10 (not strictly above the threshold).
    assert _everyone_placed(0.6, 0.4)["flags"] == []


def test_mean_gap_above_threshold_flagged_in_french():
    # 0.61 and 0.39 against 0.5: gaps of 0.11.
    result = _everyone_placed(0.61, 0.39)
    assert result["flags"] == [
        "Sexe Femme : succès prédit moyen 61 % contre 50 % en moyenne (écart de 11 points)",
        "Sexe Homme : succès prédit moyen 39 % contre 50 % en moyenne (écart de 11 points)",
    ]
    assert _group(result, "sex", "Femme")["flags"] == [result["flags"][0]]


def test_placement_rate_gap_of_exactly_ten_points_not_flagged():
    # Women 4/5 = 80 %, men 3/5 = 60 %, 70 % overall (0.8 - 0.7 is 0.10000000000000009 in floating point).
    assignment = np.array([0, 0, 0, 0, -1, 0, 0, 0, -1, -1])
    result = report(
        groups={"sex": ["Femme"] * 5 + ["Homme"] * 5},
        methods={"optimiseur": (assignment, np.where(assignment >= 0, 0.5, 0.0))},
    )
    assert result["flags"] == []


def test_placement_rate_and_mean_gaps_flagged():
    # Women 5/5 placed, men 2/5: 100 % and 40 % against 70 %; means 0.5 and 0.2 against 0.35.
    assignment = np.array([0, 0, 0, 0, 0, 1, 1, -1, -1, -1])
    result = report(
        groups={"sex": ["Femme"] * 5 + ["Homme"] * 5},
        methods={"optimiseur": (assignment, np.where(assignment >= 0, 0.5, 0.0))},
    )
    assert _group(result, "sex", "Homme")["flags"] == [
        "Sexe Homme : taux de placement 40 % contre 70 % en moyenne (écart de 30 points)",
        "Sexe Homme : succès prédit moyen 20 % contre 35 % en moyenne (écart de 15 points)",
    ]
    assert len(result["flags"]) == 4


def test_only_the_first_method_is_flagged():
    # The random assignment leaves every man out; the optimiser treats both groups alike.
    optimiser = (np.zeros(10, dtype=np.int64), np.full(10, 0.5))
    unfair = (np.array([0] * 5 + [-1] * 5), np.array([0.5] * 5 + [0.0] * 5))
    result = report(
        groups={"sex": ["Femme"] * 5 + ["Homme"] * 5},
        methods={"optimiseur": optimiser, "aléatoire": unfair},
    )
    assert result["flags"] == []
    assert _figures(_group(result, "sex", "Homme"))[1] == ("aléatoire", 0, 0.0, 0.0)


def test_min_group_suppresses_flags_below_five_people():
    # Four women (none placed) and six men (all placed): 60 % overall. The men (100 %, 6 people) are
    # flagged; the women (0 %, 4 people) are not.
    assignment = np.array([-1] * 4 + [0] * 6)
    result = report(
        groups={"sex": ["Femme"] * 4 + ["Homme"] * 6},
        methods={"optimiseur": (assignment, np.where(assignment >= 0, 0.5, 0.0))},
    )
    women, men = _group(result, "sex", "Femme"), _group(result, "sex", "Homme")
    assert (women["n"], women["small"], women["flags"]) == (4, True, [])
    assert (men["n"], men["small"]) == (6, False)
    assert men["flags"][0] == "Sexe Homme : taux de placement 100 % contre 60 % en moyenne (écart de 40 points)"


def test_group_of_exactly_min_group_people_can_be_flagged():
    assert fairness.MIN_GROUP == 5
    assignment = np.array([-1] * 5 + [0] * 5)
    result = report(
        groups={"sex": ["Femme"] * 5 + ["Homme"] * 5},
        methods={"optimiseur": (assignment, np.where(assignment >= 0, 0.5, 0.0))},
    )
    women = _group(result, "sex", "Femme")
    assert (women["n"], women["small"]) == (5, False)
    assert women["flags"][0] == "Sexe Femme : taux de placement 0 % contre 50 % en moyenne (écart de 50 points)"


def _json_types_only(value) -> bool:
    if isinstance(value, dict):
        return all(type(k) is str and _json_types_only(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_json_types_only(v) for v in value)
    return type(value) in (str, int, float, bool, type(None))


def test_report_is_json_serialisable_with_plain_types():
    result = _small_case()
    assert _json_types_only(result)
    assert json.loads(json.dumps(result)) == result


def test_report_refuses_inconsistent_sizes():
    with pytest.raises(ValueError, match="3 valeurs pour 8 personnes"):
        report(groups={"sex": ["Femme"] * 3}, methods={"optimiseur": OPTIMISER})
    with pytest.raises(ValueError, match="Méthode « aléatoire » : 7 personnes au lieu de 8"):
        report(groups={}, methods={"optimiseur": OPTIMISER, "aléatoire": (np.zeros(7), np.zeros(7))})
    with pytest.raises(ValueError, match="n'ont pas la même taille"):
        report(groups={}, methods={"optimiseur": (np.zeros(3), np.zeros(4))})
    with pytest.raises(ValueError, match="Aucune méthode"):
        report(groups={"sex": SEX}, methods={})
    with pytest.raises(ValueError, match="succès prédit manquant"):
        report(groups={}, methods={"optimiseur": (np.array([0]), np.array([NAN]))})


TODAY = datetime.date(2025, 6, 15)


@pytest.mark.parametrize(
    ("birth_date", "today", "band"),
    [
        (datetime.date(1999, 6, 16), TODAY, "moins de 26 ans"),  # 26 tomorrow
        (datetime.date(1999, 6, 15), TODAY, "26-44 ans"),  # 26 today
        (datetime.date(1980, 6, 16), TODAY, "26-44 ans"),  # 45 tomorrow
        (datetime.date(1980, 6, 15), TODAY, "45 ans et plus"),  # 45 today
        (datetime.date(2007, 1, 1), TODAY, "moins de 26 ans"),
        (datetime.date(1950, 1, 1), TODAY, "45 ans et plus"),
        # Born on 29 February: the birthday falls on 1 March in other years.
        (datetime.date(2000, 2, 29), datetime.date(2026, 2, 28), "moins de 26 ans"),
        (datetime.date(2000, 2, 29), datetime.date(2026, 3, 1), "26-44 ans"),
        (None, TODAY, "Inconnu"),
    ],
)
def test_age_band_boundaries(birth_date, today, band):
    assert age_band(birth_date, today) == band


@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("FR", "Française"),
        (" fr ", "Française"),
        ("RE", "Française"),  # La Réunion: French
        ("DE", "Union européenne"),
        ("GR", "Union européenne"),
        ("EL", "Union européenne"),  # Greece, in the EU's own coding
        ("HR", "Union européenne"),
        ("GB", "Hors Union européenne"),  # left on 1 February 2020
        ("CH", "Hors Union européenne"),
        ("SY", "Hors Union européenne"),
        ("AF", "Hors Union européenne"),
        ("", "Inconnue"),
        (None, "Inconnue"),
    ],
)
def test_nationality_group(code, group):
    assert nationality_group(code) == group


def test_eu_has_27_members():
    assert len(fairness.EU_MEMBERS - {"EL"}) == 27


def test_observed_by_hand_with_pending_outcomes():
    result = observed(
        groups={"sex": ["Femme", "Femme", "Femme", "Homme", "Homme", "Homme"], "french_level": ["A1"] * 6},
        predicted=np.array([0.6, 0.4, 0.5, 0.7, 0.2, 0.9]),
        outcome=np.array([1, 0, NAN, 1, NAN, 0]),
    )
    # Known outcomes: people 0, 1, 3, 5. Predicted (0.6 + 0.4 + 0.7 + 0.9) / 4 = 0.65, observed 2 / 4.
    assert result["overall"] == {"n": 4, "pending": 2, "mean_predicted": 0.65, "observed_rate": 0.5, "gap": -0.15}
    women, men = result["dimensions"][0]["groups"]
    # Women: people 0 and 1 known (0.5 predicted, 1 of 2 observed), person 2 pending.
    assert (women["label"], women["n"], women["pending"]) == ("Femme", 2, 1)
    assert (women["mean_predicted"], women["observed_rate"], women["gap"]) == (0.5, 0.5, 0.0)
    # Men: people 3 and 5 known ((0.7 + 0.9) / 2 = 0.8 predicted, 1 of 2 observed), person 4 pending.
    assert (men["label"], men["n"], men["pending"]) == ("Homme", 2, 1)
    assert (men["mean_predicted"], men["observed_rate"], men["gap"]) == (0.8, 0.5, -0.3)
    assert women["small"] and men["small"] and result["flags"] == []
    assert json.loads(json.dumps(result)) == result


def test_observed_group_with_every_outcome_pending():
    result = observed(
        groups={"french_level": ["A1", "C1", "A1", "C1"]},
        predicted=np.array([0.5, 0.6, 0.7, 0.8]),
        outcome=np.array([1, NAN, 0, NAN]),
    )
    c1 = result["dimensions"][0]["groups"][1]
    assert c1 == {
        "label": "C1",
        "small": True,
        "n": 0,
        "pending": 2,
        "mean_predicted": None,
        "observed_rate": None,
        "gap": None,
        "flags": [],
    }
    assert _json_types_only(result)


def test_observed_flags_a_model_too_optimistic_for_a_group():
    # Five women predicted 0.8, three of them found a job: 60 % observed, 20 points below.
    result = observed(
        groups={"sex": ["Femme"] * 5 + ["Homme"] * 5},
        predicted=np.array([0.8] * 5 + [0.5] * 5),
        outcome=np.array([1, 1, 1, 0, 0, 1, 0, 1, 0, NAN]),
    )
    assert result["flags"] == ["Sexe Femme : réussite observée 60 % contre 80 % prédite (écart de 20 points)"]
    # Men: only 4 outcomes known, below the minimum group size.
    assert result["dimensions"][0]["groups"][1]["small"] is True


def test_observed_refuses_bad_outcomes():
    with pytest.raises(ValueError, match="vaut 1"):
        observed(groups={}, predicted=np.array([0.5]), outcome=np.array([2.0]))
    with pytest.raises(ValueError, match="même taille"):
        observed(groups={}, predicted=np.array([0.5, 0.5]), outcome=np.array([1.0]))


@st.composite
def _cases(draw):
    n = draw(st.integers(min_value=1, max_value=40))
    labels = st.lists(st.sampled_from(["Femme", "Homme", "Non précisé", "Inconnu"]), min_size=n, max_size=n)
    levels = st.lists(st.sampled_from(["A1", "B1", "C1", "Inconnu"]), min_size=n, max_size=n)
    methods = {}
    for name in ("optimiseur", "premier arrivé", "aléatoire"):
        assignment = draw(st.lists(st.integers(min_value=-1, max_value=3), min_size=n, max_size=n))
        predicted = draw(st.lists(st.floats(min_value=0, max_value=1), min_size=n, max_size=n))
        methods[name] = (np.array(assignment), np.array(predicted))
    return n, {"sex": draw(labels), "french_level": draw(levels)}, methods


@settings(max_examples=150, deadline=None)
@given(_cases())
def test_group_counts_and_placed_totals_add_up(case):
    n, groups, methods = case
    result = report(groups=groups, methods=methods)
    for dimension in result["dimensions"]:
        assert sum(g["n"] for g in dimension["groups"]) == n
        for index, method in enumerate(result["methods"]):
            assert sum(g["methods"][index]["placed"] for g in dimension["groups"]) == method["placed"]
            total = sum(g["methods"][index]["mean_predicted"] * g["n"] for g in dimension["groups"])
            assert total == pytest.approx(method["total"], abs=1e-3 * n)
        for group in dimension["groups"]:
            assert group["small"] == (group["n"] < fairness.MIN_GROUP)
            assert not (group["small"] and group["flags"])
    assert json.loads(json.dumps(result)) == result
