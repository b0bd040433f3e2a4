"""scikit-learn conventions of the detector's estimators, and the fallback rules on toy units."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from occupancy.models import HourlyFeatures, RuleBasedDetector, make_pipeline

from . import toy


def toy_training_set(seed: int = 0, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Half flat fridge-only units (0), half evening-active ones (1), with jitter and gaps."""
    rng = np.random.default_rng(seed)
    rows, y = [], []
    for i in range(n):
        active = i % 2
        energy = toy.evening_active() if active else toy.fridge_only()
        energy = energy * rng.uniform(0.8, 1.2) + rng.normal(0, 0.005, energy.size)
        energy[rng.random(energy.size) < 0.05] = np.nan
        rows.append(energy)
        y.append(active)
    return toy.matrix(*rows), np.array(y)


@pytest.mark.parametrize(
    "estimator", [HourlyFeatures(), RuleBasedDetector()], ids=lambda e: type(e).__name__
)
def test_sklearn_parameter_conventions(estimator):
    name = type(estimator).__name__
    check_no_attributes_set_in_init(name, estimator)
    check_parameters_default_constructible(name, estimator)
    check_get_params_invariance(name, estimator)
    check_set_params(name, estimator)


def test_hourly_features_fit_returns_self_and_transform_needs_fit():
    X, _ = toy_training_set()
    est = HourlyFeatures(margin_kwh=0.2)
    with pytest.raises(NotFittedError):
        est.transform(X)
    assert est.fit(X) is est
    assert est.n_features_in_ == X.shape[1]
    twin = clone(est)
    assert twin.get_params() == est.get_params() and not hasattr(twin, "n_features_in_")


@pytest.mark.parametrize("classifier", ["trees", "logistic"])
def test_pipeline_learns_the_toy_split_and_refuses_to_predict_unfitted(classifier):
    X, y = toy_training_set(n=200)  # trees need 20 units per leaf in each calibration fold
    pipe = make_pipeline(classifier, random_state=0)
    assert isinstance(pipe, Pipeline) and [n for n, _ in pipe.steps] == ["features", "classifier"]
    with pytest.raises(NotFittedError):
        pipe.predict_proba(X)
    assert pipe.fit(X, y) is pipe
    X_new, y_new = toy_training_set(seed=1, n=20)
    p = pipe.predict_proba(X_new)[:, 1]
    assert p.shape == (20,) and ((p >= 0) & (p <= 1)).all()
    assert (p[y_new == 1] > 0.5).all() and (p[y_new == 0] < 0.5).all()
    assert list(pipe.classes_) == [0, 1]


def test_make_pipeline_rejects_unknown_classifier():
    with pytest.raises(ValueError, match="trees"):
        make_pipeline("forest")  # type: ignore[arg-type]


def test_rule_based_detector_scores_toy_units_without_being_fitted():
    quiet = toy.evening_active(active_days=range(3))  # busy, then silent for four days
    X = toy.matrix(toy.fridge_only(), toy.evening_active(), quiet)
    p = RuleBasedDetector().predict_proba(X)[:, 1]
    assert p[0] < 0.1 and p[1] > 0.9 and p[2] < 0.5
    fitted = RuleBasedDetector().fit(X)
    assert list(fitted.classes_) == [0, 1]
    np.testing.assert_array_equal(fitted.predict(X), [0, 1, 0])
    np.testing.assert_allclose(fitted.predict_proba(X)[:, 1], p)


def varying_lights(lit: bool) -> np.ndarray:
    """Lights seen 18:00-23:59; lit until a different hour each night, or dark every night."""
    out = toy.lights(lit_nights=0)
    if lit:
        for d in range(toy.DAYS):
            out[d * 24 + 18 : d * 24 + 21 + d % 3] = 1.0
    return out


def test_lights_move_the_rule_based_score_in_the_right_direction():
    half = toy.evening_active(active_days=range(0, 7, 2))  # active 4 of 7 days
    X = toy.matrix(
        half,
        half,
        half,
        half,
        lights_rows=[
            toy.no_lights(),
            varying_lights(lit=True),
            varying_lights(lit=False),
            toy.lights(lit_nights=7),  # the same hours every night: a timer, no evidence
        ],
    )
    p = RuleBasedDetector().predict_proba(X)[:, 1]
    assert p[2] < p[0] < p[1]
    assert p[3] == pytest.approx(p[0])
