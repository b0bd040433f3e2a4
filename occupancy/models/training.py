"""Fit the detector on labelled windows and measure it honestly (out-of-fold) on the way.

Callers (``occupancy train``) turn data directories into arrays; this module only sees
``X = window_matrix(window)`` rows and ``y`` = 1 for occupied units.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from sklearn.base import clone
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from occupancy.models.detector import make_pipeline

#: Folds for the out-of-fold metrics reported with a trained model.
CV_FOLDS = 5


def fit_detector(
    X: np.ndarray,
    y: np.ndarray,
    *,
    classifier: Literal["logistic", "trees"] = "logistic",
    random_state: int = 0,
    cv_folds: int = CV_FOLDS,
) -> tuple[Pipeline, dict[str, Any]]:
    """Fit ``make_pipeline(classifier)`` on all rows; report out-of-fold metrics.

    Parameters
    ----------
    X : array of shape (n_units, 2 * 24 * days)
        ``window_matrix`` rows of the units to learn from (meter working, enough data).
    y : array of shape (n_units,)
        1 where someone lives in the unit at the end of the window.
    classifier, random_state
        Passed to ``make_pipeline``; ``random_state`` also shuffles the folds.
    cv_folds : int, default=5
        Stratified folds for the out-of-fold metrics; 0 skips them.

    Returns
    -------
    pipeline : Pipeline
        Fitted on all rows.
    metrics : dict
        ``units``, ``occupied`` and, with ``cv_folds``, the out-of-fold ``accuracy``,
        ``roc_auc``, ``brier`` and ``log_loss`` of P(occupied) at threshold 0.5.
    """
    y = np.asarray(y).astype(int)
    if set(np.unique(y)) != {0, 1}:
        raise ValueError("training needs both occupied and unoccupied units")
    pipeline = make_pipeline(classifier, random_state=random_state)
    metrics: dict[str, Any] = {"units": int(y.size), "occupied": int(y.sum())}
    if cv_folds:
        folds = StratifiedKFold(n_splits=cv_folds, shuffle=True, random_state=random_state)
        proba = cross_val_predict(clone(pipeline), X, y, cv=folds, method="predict_proba")[:, 1]
        metrics.update(
            {
                "cv_folds": cv_folds,
                "accuracy": round(float(accuracy_score(y, proba >= 0.5)), 4),
                "roc_auc": round(float(roc_auc_score(y, proba)), 4),
                "brier": round(float(brier_score_loss(y, proba)), 5),
                "log_loss": round(float(log_loss(y, proba, labels=[0, 1])), 5),
            }
        )
    pipeline.fit(X, y)
    return pipeline, metrics
