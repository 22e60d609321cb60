"""The outcome model of the placement optimiser: the probability that a candidate placed in a
session leaves the programme with a positive outcome (programme.positive_outcomes), learnt from the
past enrolments of the database. Pure: numpy and scikit-learn, no ORM; the feature rows are built by
parcours/matching/selectors_outcome.py.

- Model: a logistic regression on standardised features, calibrated by Platt scaling fitted on
  out-of-fold decision values (CalibratedClassifierCV, method "sigmoid", ensemble=False). The fitted
  model is kept as plain numbers (means, scales, coefficients, intercept, the two Platt constants):
  it is stored as JSON and never as a pickle.
- Quality: nested cross-validation. The outer StratifiedKFold (shuffled with the seed) holds out
  each fold in turn; the whole procedure (scaling, regression, calibration) is fitted on the other
  folds and predicts the held-out one. The AUC of each fold, the Brier score and the calibration
  bins are computed on these out-of-fold probabilities, so the figures shown measure the model on
  people it has not seen.
- Thin history (fewer than MIN_SAMPLES exits, or fewer than MIN_PER_CLASS positive or negative
  ones): no model, a French message says why, and the optimiser uses `fallback_score`, a
  transparent score whose weights are the named constants below.

Sex, nationality and religion are never features (FEATURES is the complete list)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:  # scikit-learn takes seconds to import: only training loads it (see train)
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.pipeline import Pipeline

FEATURES: tuple[str, ...] = (
    "french_level",
    "education_level",
    "domain_experience_years",
    "months_since_arrival",
    "arrival_unknown",
    "local_tension",
)
FEATURE_LABELS: dict[str, Any] = {
    "french_level": gettext_lazy("Niveau de français"),
    "education_level": gettext_lazy("Niveau de formation"),
    "domain_experience_years": gettext_lazy("Expérience dans le domaine des métiers de la session"),
    "months_since_arrival": gettext_lazy("Temps depuis l'arrivée en France"),
    "arrival_unknown": gettext_lazy("Date d'arrivée en France inconnue"),
    "local_tension": gettext_lazy("Tension de recrutement des métiers de la session dans le département"),
}

# Below these counts the cross-validated figures are too noisy to trust and the calibration cannot
# be estimated: no model is trained.
MIN_SAMPLES = 80
MIN_PER_CLASS = 15
# Inverse regularisation strength of the logistic regression (sklearn's default): with six
# standardised features and at least 80 rows, a mild L2 penalty keeps the coefficients stable.
REGULARISATION_C = 1.0
# Calibration bins shown with the model: equal-width bins of the predicted probability; fewer bins
# when history is short, so that each bin holds enough people to read an observed rate.
CALIBRATION_BINS = 10
CALIBRATION_BINS_SHORT = 5
SHORT_HISTORY = 200
PARAMS_VERSION = 1

# --- transparent fallback score --------------------------------------------------------------------
# Used when no model could be trained. A linear score in probability points, each weight explained:
# - FALLBACK_BASE: the score of a person with no job fit, no tension and at the edge of their travel
#   limit's reach (distance ratio 0);
# - job fit (0..1: how well the person's experiences and wishes match the session's target jobs)
#   weighs most, as in the recommendations;
# - tension (0..1: share of recruitment projects judged difficult for the session's jobs in its
#   département): jobs that recruit give more exits to employment;
# - distance ratio (0..1: the distance to the session over the person's travel limit; 1 at the
#   limit): a far session is more often abandoned.
FALLBACK_BASE = 0.40
FALLBACK_JOB_FIT_WEIGHT = 0.30
FALLBACK_TENSION_WEIGHT = 0.20
FALLBACK_DISTANCE_WEIGHT = -0.20
FALLBACK_WEIGHTS: dict[str, float] = {
    "job_fit": FALLBACK_JOB_FIT_WEIGHT,
    "tension": FALLBACK_TENSION_WEIGHT,
    "distance_ratio": FALLBACK_DISTANCE_WEIGHT,
}
FALLBACK_LABELS: dict[str, Any] = {
    "job_fit": gettext_lazy("Adéquation avec les métiers de la session"),
    "tension": gettext_lazy("Tension de recrutement locale"),
    "distance_ratio": gettext_lazy("Distance jusqu'à la session"),
}
FALLBACK_MIN = 0.05
FALLBACK_MAX = 0.95


@dataclass(frozen=True, eq=False)
class FittedModel:
    """A trained model as numbers. Probability of a positive exit for a feature row x:
    z = (x - mean) / scale; f = coef·z + intercept; p = 1 / (1 + exp(platt_a * f + platt_b))."""

    features: tuple[str, ...]
    coef: np.ndarray  # (F,) on the standardised features
    intercept: float
    mean: np.ndarray  # (F,)
    scale: np.ndarray  # (F,), > 0
    platt_a: float
    platt_b: float

    def _check(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = X.reshape(1, -1)
        if X.ndim != 2 or X.shape[1] != len(self.features):
            raise ValueError(
                _("Les données doivent compter %(n)d colonnes (%(names)s).")
                % {"n": len(self.features), "names": ", ".join(self.features)}
            )
        if not np.isfinite(X).all():
            raise ValueError(_("Les données contiennent des valeurs manquantes ou infinies."))
        return X

    def decision(self, X: np.ndarray) -> np.ndarray:
        """The regression's linear score f (before calibration), shape (k,)."""
        X = self._check(X)
        return ((X - self.mean) / self.scale) @ self.coef + self.intercept

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of a positive exit, shape (k,), for X of shape (k, F)."""
        f = self.decision(X)
        return 1.0 / (1.0 + np.exp(self.platt_a * f + self.platt_b))

    def contributions(self, x: np.ndarray) -> list[tuple[str, float]]:
        """What each feature of one row adds to the calibrated log-odds, compared with a person at
        the training means (a positive effect raises the predicted success). Returns
        (French label, effect) for every feature, sorted by decreasing |effect| (ties: feature
        order). The labels are FEATURE_LABELS as plain strings, ready for JSON."""
        row = self._check(x)
        if row.shape[0] != 1:
            raise ValueError(_("Une seule ligne est attendue pour expliquer une prédiction."))
        effects = -self.platt_a * self.coef * ((row[0] - self.mean) / self.scale)
        order = sorted(range(len(self.features)), key=lambda k: (-abs(float(effects[k])), k))
        return [(str(FEATURE_LABELS.get(self.features[k], self.features[k])), float(effects[k])) for k in order]

    def to_params(self) -> dict[str, Any]:
        """JSON numbers only (stored in OutcomeModel.params)."""
        return {
            "version": PARAMS_VERSION,
            "features": list(self.features),
            "coef": [float(v) for v in self.coef],
            "intercept": float(self.intercept),
            "mean": [float(v) for v in self.mean],
            "scale": [float(v) for v in self.scale],
            "platt_a": float(self.platt_a),
            "platt_b": float(self.platt_b),
        }

    @classmethod
    def from_params(cls, d: Mapping[str, Any]) -> FittedModel:
        """Rebuild a model from `to_params()`; ValueError (French) when the numbers are malformed."""
        try:
            features = tuple(str(name) for name in d["features"])
            coef = np.asarray(d["coef"], dtype=np.float64)
            mean = np.asarray(d["mean"], dtype=np.float64)
            scale = np.asarray(d["scale"], dtype=np.float64)
            intercept = float(d["intercept"])
            platt_a = float(d["platt_a"])
            platt_b = float(d["platt_b"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(_("Paramètres du modèle illisibles.")) from exc
        k = len(features)
        if k == 0 or any(a.shape != (k,) for a in (coef, mean, scale)):
            raise ValueError(_("Paramètres du modèle incohérents : dimensions différentes."))
        values = np.concatenate([coef, mean, scale, [intercept, platt_a, platt_b]])
        if not np.isfinite(values).all() or (scale <= 0).any():
            raise ValueError(_("Paramètres du modèle incohérents : valeurs non finies ou échelle nulle."))
        return cls(
            features=features,
            coef=coef,
            intercept=intercept,
            mean=mean,
            scale=scale,
            platt_a=platt_a,
            platt_b=platt_b,
        )


@dataclass
class TrainingResult:
    """What a training gives: the model (None when history is too thin) and its cross-validated
    quality. `calibration`: [{"predicted": mean predicted, "observed": observed rate, "n": count}]
    per non-empty bin, from the out-of-fold probabilities; the counts sum to n."""

    model: FittedModel | None
    n: int
    n_positive: int
    auc: float | None = None
    auc_folds: list[float] = field(default_factory=list)
    brier: float | None = None
    calibration: list[dict[str, float | int]] = field(default_factory=list)
    message: str = ""


def _pipeline() -> Pipeline:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("logit", LogisticRegression(C=REGULARISATION_C, max_iter=1000)),
        ]
    )


def _calibrated(*, seed: int, folds: int) -> CalibratedClassifierCV:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.model_selection import StratifiedKFold

    return CalibratedClassifierCV(
        _pipeline(),
        method="sigmoid",
        ensemble=False,
        cv=StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed),
    )


def _extract(calibrated: CalibratedClassifierCV, features: tuple[str, ...]) -> FittedModel:
    """The numbers of a fitted CalibratedClassifierCV(ensemble=False): one pipeline fitted on all the
    data and one sigmoid calibrator fitted on its out-of-fold decision values."""
    (pair,) = calibrated.calibrated_classifiers_
    pipeline = pair.estimator
    (calibrator,) = pair.calibrators
    scaler = pipeline.named_steps["scale"]
    logit = pipeline.named_steps["logit"]
    return FittedModel(
        features=features,
        coef=np.asarray(logit.coef_[0], dtype=np.float64).copy(),
        intercept=float(logit.intercept_[0]),
        mean=np.asarray(scaler.mean_, dtype=np.float64).copy(),
        scale=np.asarray(scaler.scale_, dtype=np.float64).copy(),
        platt_a=float(calibrator.a_),
        platt_b=float(calibrator.b_),
    )


def calibration_bins(predicted: np.ndarray, observed: np.ndarray, *, bins: int) -> list[dict[str, float | int]]:
    """Equal-width bins of [0, 1] on the predicted probability; empty bins are left out. The last
    bin includes 1.0."""
    predicted = np.asarray(predicted, dtype=np.float64)
    observed = np.asarray(observed, dtype=np.float64)
    index = np.minimum((predicted * bins).astype(np.int64), bins - 1)
    result: list[dict[str, float | int]] = []
    for b in range(bins):
        mask = index == b
        count = int(mask.sum())
        if count:
            result.append(
                {
                    "predicted": float(predicted[mask].mean()),
                    "observed": float(observed[mask].mean()),
                    "n": count,
                }
            )
    return result


def thin_history_message(n: int, n_positive: int) -> str:
    """The French reason why no model is trained, or "" when history suffices."""
    n_negative = n - n_positive
    if n < MIN_SAMPLES:
        return _(
            "Historique insuffisant : %(n)d sortie(s) de programme avec une situation connue, il en faut au moins "
            "%(min)d pour entraîner un modèle fiable. Le score transparent (adéquation aux métiers, tension, "
            "distance) est utilisé."
        ) % {"n": n, "min": MIN_SAMPLES}
    if min(n_positive, n_negative) < MIN_PER_CLASS:
        return _(
            "Historique insuffisant : %(pos)d sortie(s) positive(s) et %(neg)d autre(s) sur %(n)d, il en faut au "
            "moins %(min)d de chaque sorte pour entraîner un modèle fiable. Le score transparent (adéquation aux "
            "métiers, tension, distance) est utilisé."
        ) % {"pos": n_positive, "neg": n_negative, "n": n, "min": MIN_PER_CLASS}
    return ""


def train(X: np.ndarray, y: np.ndarray, *, seed: int = 0, folds: int = 5) -> TrainingResult:
    """Train and evaluate the outcome model on X (n, len(FEATURES)) and y (n,) in {0, 1}.
    Deterministic for a given seed. ValueError (French) on malformed input."""
    X = np.asarray(X, dtype=np.float64)
    y_arr = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != len(FEATURES):
        raise ValueError(_("Les données doivent compter %(n)d colonnes.") % {"n": len(FEATURES)})
    if y_arr.shape != (X.shape[0],):
        raise ValueError(_("Il faut une issue (0 ou 1) par ligne de données."))
    if not np.isfinite(X).all():
        raise ValueError(_("Les données contiennent des valeurs manquantes ou infinies."))
    if not np.isin(y_arr, (0, 1)).all():
        raise ValueError(_("Les issues doivent valoir 0 ou 1."))
    if not 2 <= folds <= 10:
        raise ValueError(_("Le nombre de blocs de validation croisée doit être compris entre 2 et 10."))
    labels = y_arr.astype(np.int64)
    n = int(labels.shape[0])
    n_positive = int(labels.sum())
    message = thin_history_message(n, n_positive)
    if message:
        return TrainingResult(model=None, n=n, n_positive=n_positive, message=message)

    from sklearn.metrics import brier_score_loss, roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    # Out-of-fold calibrated probabilities: the whole procedure is refitted without each fold.
    outer = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    oof = np.zeros(n, dtype=np.float64)
    auc_folds: list[float] = []
    for train_idx, test_idx in outer.split(X, labels):
        y_train = labels[train_idx]
        inner = min(folds, int(y_train.sum()), int((1 - y_train).sum()))
        model = _calibrated(seed=seed, folds=inner).fit(X[train_idx], y_train)
        p = _extract(model, FEATURES).predict(X[test_idx])
        oof[test_idx] = p
        auc_folds.append(float(roc_auc_score(labels[test_idx], p)))

    final = _extract(_calibrated(seed=seed, folds=folds).fit(X, labels), FEATURES)
    bins = CALIBRATION_BINS_SHORT if n < SHORT_HISTORY else CALIBRATION_BINS
    return TrainingResult(
        model=final,
        n=n,
        n_positive=n_positive,
        auc=float(np.mean(auc_folds)),
        auc_folds=auc_folds,
        brier=float(brier_score_loss(labels, oof)),
        calibration=calibration_bins(oof, labels, bins=bins),
        message="",
    )


def _unit(value: float, name: str) -> float:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ValueError(_("Valeur manquante pour le score transparent (%(name)s).") % {"name": name})
    # Clipped rather than refused: a distance a little beyond the limit (a person who accepts to
    # move) counts as the limit.
    return min(1.0, max(0.0, float(value)))


def fallback_score(job_fit: float, tension: float, distance_ratio: float) -> tuple[float, list[tuple[str, float]]]:
    """The transparent score used without a trained model, in [FALLBACK_MIN, FALLBACK_MAX]:
    FALLBACK_BASE + 0.30 × job fit + 0.20 × tension − 0.20 × distance ratio (inputs clipped to
    [0, 1]). Returns (score, factors): (French label, effect in probability points) for each term,
    sorted by decreasing |effect| (ties: job fit, tension, distance)."""
    inputs = {
        "job_fit": _unit(job_fit, "job_fit"),
        "tension": _unit(tension, "tension"),
        "distance_ratio": _unit(distance_ratio, "distance_ratio"),
    }
    effects = [(name, FALLBACK_WEIGHTS[name] * value) for name, value in inputs.items()]
    score = float(fallback_scores(*(np.array(value) for value in inputs.values())))
    ordered = sorted(range(len(effects)), key=lambda k: (-abs(effects[k][1]), k))
    return score, [(str(FALLBACK_LABELS[effects[k][0]]), float(effects[k][1])) for k in ordered]


def fallback_scores(job_fit: np.ndarray, tension: np.ndarray, distance_ratio: np.ndarray) -> np.ndarray:
    """`fallback_score` on whole arrays of the same shape (the scores only, no factors): for the
    (n, m) matrices of a batch. NaN inputs are refused like in fallback_score."""
    arrays = [np.asarray(a, dtype=np.float64) for a in (job_fit, tension, distance_ratio)]
    if any(np.isnan(a).any() for a in arrays):
        raise ValueError(_("Valeur manquante pour le score transparent."))
    raw = FALLBACK_BASE + sum(
        FALLBACK_WEIGHTS[name] * np.clip(a, 0.0, 1.0)
        for name, a in zip(("job_fit", "tension", "distance_ratio"), arrays, strict=True)
    )
    return np.clip(raw, FALLBACK_MIN, FALLBACK_MAX)


def explain_top(factors: Sequence[tuple[str, float]], k: int = 3) -> list[dict[str, float | str]]:
    """The first k factors as JSON rows {"label", "effect"} (effects rounded to 3 decimals)."""
    return [{"label": label, "effect": round(effect, 3)} for label, effect in list(factors)[:k]]
