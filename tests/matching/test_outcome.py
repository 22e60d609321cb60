"""The outcome model (pure): training, quality figures, serialisation, thin history, fallback."""

import json

import numpy as np
import pytest

from parcours.matching import outcome
from parcours.matching.outcome import (
    FALLBACK_BASE,
    FALLBACK_DISTANCE_WEIGHT,
    FALLBACK_JOB_FIT_WEIGHT,
    FALLBACK_MAX,
    FALLBACK_MIN,
    FALLBACK_TENSION_WEIGHT,
    FEATURE_LABELS,
    FEATURES,
    MIN_PER_CLASS,
    MIN_SAMPLES,
    FittedModel,
    fallback_score,
    train,
)


def _separable(n=300, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(FEATURES)))
    logit = 2.5 * X[:, 0] + 1.5 * X[:, 2] - 1.0 * X[:, 5]
    y = (logit + rng.normal(scale=0.5, size=n) > 0).astype(np.int64)
    return X, y


@pytest.fixture(scope="module")
def separable():
    """The separable set and its training (trained once for the module: a training refits 36 models)."""
    X, y = _separable()
    return X, y, train(X, y)


def test_no_protected_attribute_is_a_feature():
    assert set(FEATURES) == set(FEATURE_LABELS)
    for word in ("sex", "nationality", "religion"):
        assert not any(word in name for name in FEATURES)


def test_training_is_deterministic_with_the_seed(separable):
    X, y, first = separable
    second = train(X, y, seed=0)
    assert first.model is not None and second.model is not None
    assert first.auc_folds == second.auc_folds
    assert first.brier == second.brier
    assert first.calibration == second.calibration
    assert first.model.to_params() == second.model.to_params()


def test_auc_is_high_on_a_separable_set(separable):
    X, y, result = separable
    assert result.model is not None
    assert len(result.auc_folds) == 5
    assert result.auc > 0.9
    assert min(result.auc_folds) > 0.8
    assert result.auc == pytest.approx(np.mean(result.auc_folds))
    assert result.brier < 0.15
    assert result.n == 300 and result.n_positive == int(y.sum())


def test_auc_is_about_one_half_on_noise():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, len(FEATURES)))
    y = rng.integers(0, 2, size=400)
    result = train(X, y, seed=0)
    assert result.model is not None
    assert 0.4 < result.auc < 0.6
    # A calibrated model on noise predicts about the base rate for everyone.
    p = result.model.predict(X)
    assert abs(float(p.mean()) - float(y.mean())) < 0.05


def test_calibration_bins_sum_to_n_and_are_ordered(separable):
    _X, _y, result = separable
    assert sum(b["n"] for b in result.calibration) == 300
    predicted = [b["predicted"] for b in result.calibration]
    assert predicted == sorted(predicted)
    assert all(0 <= b["observed"] <= 1 for b in result.calibration)
    # Short history (under 200 rows shown in 5 bins at most) vs longer (10 at most).
    assert len(train(*_separable(n=150)).calibration) <= outcome.CALIBRATION_BINS_SHORT
    assert len(result.calibration) <= outcome.CALIBRATION_BINS


def test_calibration_bins_computed_by_hand():
    bins = outcome.calibration_bins(np.array([0.05, 0.15, 0.1, 0.95, 1.0]), np.array([0, 1, 0, 1, 1]), bins=5)
    assert bins == [
        {"predicted": pytest.approx(0.1), "observed": pytest.approx(1 / 3), "n": 3},
        {"predicted": pytest.approx(0.975), "observed": 1.0, "n": 2},
    ]


def test_fitted_model_matches_sklearn_calibrated_classifier(separable):
    X, y, result = separable
    calibrated = outcome._calibrated(seed=0, folds=5).fit(X, y)
    np.testing.assert_allclose(result.model.predict(X), calibrated.predict_proba(X)[:, 1], atol=1e-12)


def test_params_round_trip_through_json(separable):
    X, _y, result = separable
    model = result.model
    params = json.loads(json.dumps(model.to_params()))
    again = FittedModel.from_params(params)
    np.testing.assert_allclose(again.predict(X), model.predict(X), rtol=0, atol=0)
    assert again.features == FEATURES
    assert all(isinstance(v, float) for v in params["coef"] + params["mean"] + params["scale"])


def test_malformed_params_are_refused_in_french(separable):
    params = separable[2].model.to_params()
    with pytest.raises(ValueError, match="Paramètres du modèle incohérents"):
        FittedModel.from_params({**params, "coef": params["coef"][:-1]})
    with pytest.raises(ValueError, match="illisibles"):
        FittedModel.from_params({k: v for k, v in params.items() if k != "platt_a"})
    with pytest.raises(ValueError, match="échelle nulle"):
        FittedModel.from_params({**params, "scale": [0.0] * len(FEATURES)})


def test_predict_refuses_wrong_shape_and_nan(separable):
    model = separable[2].model
    with pytest.raises(ValueError, match="colonnes"):
        model.predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="manquantes"):
        model.predict(np.full((1, len(FEATURES)), np.nan))


def test_contributions_are_sorted_by_effect_and_sum_to_the_logit(separable):
    X, _y, result = separable
    model = result.model
    x = X[4]
    contributions = model.contributions(x)
    assert len(contributions) == len(FEATURES)
    effects = [abs(e) for _label, e in contributions]
    assert effects == sorted(effects, reverse=True)
    assert {label for label, _e in contributions} == {str(v) for v in FEATURE_LABELS.values()}
    # The effects add up to the calibrated log-odds minus the log-odds of a person at the means.
    p = float(model.predict(x.reshape(1, -1))[0])
    p_mean = float(model.predict(model.mean.reshape(1, -1))[0])
    logit = np.log(p / (1 - p)) - np.log(p_mean / (1 - p_mean))
    assert sum(e for _label, e in contributions) == pytest.approx(logit)
    # The strongest driver of the synthetic outcome (French level) leads for an extreme row.
    extreme = model.mean.copy()
    extreme[0] += 3 * model.scale[0]
    assert model.contributions(extreme)[0] == (
        str(FEATURE_LABELS["french_level"]),
        pytest.approx(-model.platt_a * model.coef[0] * 3),
    )


def test_too_few_rows_gives_no_model_and_a_french_message():
    X, y = _separable(n=MIN_SAMPLES - 1)
    result = train(X, y)
    assert result.model is None
    assert result.auc is None and result.calibration == []
    assert result.n == MIN_SAMPLES - 1
    assert f"{MIN_SAMPLES - 1} sortie(s)" in result.message
    assert f"au moins {MIN_SAMPLES}" in result.message


def test_too_few_positives_gives_no_model_and_a_french_message():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, len(FEATURES)))
    y = np.zeros(200, dtype=np.int64)
    y[: MIN_PER_CLASS - 1] = 1
    result = train(X, y)
    assert result.model is None
    assert result.n_positive == MIN_PER_CLASS - 1
    assert f"{MIN_PER_CLASS - 1} sortie(s) positive(s)" in result.message
    assert f"au moins {MIN_PER_CLASS} de chaque sorte" in result.message


def test_just_enough_history_trains():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(MIN_SAMPLES, len(FEATURES)))
    y = np.zeros(MIN_SAMPLES, dtype=np.int64)
    y[:MIN_PER_CLASS] = 1
    result = train(X, y)
    assert result.model is not None and result.message == ""
    assert sum(b["n"] for b in result.calibration) == MIN_SAMPLES


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.zeros((100, 3)), np.zeros(100), "colonnes"),
        (np.zeros((100, 6)), np.zeros(99), "une issue"),
        (np.zeros((100, 6)), np.full(100, 2), "0 ou 1"),
        (np.full((100, 6), np.nan), np.zeros(100), "manquantes"),
    ],
)
def test_bad_training_input_is_refused_in_french(X, y, message):
    with pytest.raises(ValueError, match=message):
        train(X, y)


def test_fallback_score_computed_by_hand():
    score, factors = fallback_score(0.5, 0.8, 0.25)
    # 0.40 + 0.30 × 0.5 + 0.20 × 0.8 − 0.20 × 0.25 = 0.40 + 0.15 + 0.16 − 0.05
    assert score == pytest.approx(0.66)
    assert factors == [
        ("Tension de recrutement locale", pytest.approx(0.16)),
        ("Adéquation avec les métiers de la session", pytest.approx(0.15)),
        ("Distance jusqu'à la session", pytest.approx(-0.05)),
    ]
    assert score == pytest.approx(FALLBACK_BASE + sum(e for _label, e in factors))
    assert (FALLBACK_JOB_FIT_WEIGHT, FALLBACK_TENSION_WEIGHT, FALLBACK_DISTANCE_WEIGHT) == (0.30, 0.20, -0.20)


def test_fallback_score_stays_within_bounds_and_clips_inputs():
    best, _factors = fallback_score(1.0, 1.0, 0.0)
    worst, _factors = fallback_score(0.0, 0.0, 1.0)
    assert FALLBACK_MIN <= worst < best <= FALLBACK_MAX
    assert fallback_score(1.5, 0.0, 2.0)[0] == pytest.approx(fallback_score(1.0, 0.0, 1.0)[0])
    with pytest.raises(ValueError, match="Valeur manquante"):
        fallback_score(float("nan"), 0.5, 0.5)


def test_fallback_scores_on_arrays_match_the_scalar_score():
    rng = np.random.default_rng(4)
    fit, tension, ratio = rng.uniform(-0.2, 1.2, size=(3, 4, 5))
    expected = np.array(
        [[fallback_score(fit[i, j], tension[i, j], ratio[i, j])[0] for j in range(5)] for i in range(4)]
    )
    np.testing.assert_allclose(outcome.fallback_scores(fit, tension, ratio), expected)
