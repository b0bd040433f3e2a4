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
from threadpoolctl import threadpool_limits

from occupancy.models.detector import make_pipeline

#: Folds for the out-of-fold metrics reported with a trained model.
CV_FOLDS = 5
#: Threads for fitting. The data are small (a few thousand rows of 38 features): one thread
#: fits the trees in seconds, while OpenMP spreading them over a busy machine's cores made
#: the same fit take minutes.
FIT_THREADS = 1


def fit_detector(
    X: np.ndarray,
    y: np.ndarray,
    *,
    classifier: Literal["logistic", "trees"] = "trees",
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
    with threadpool_limits(limits=FIT_THREADS):
        # The features have nothing to learn, so they are computed once and only the
        # classifier is cross-validated: the same out-of-fold scores, a fifth of the work.
        features = pipeline.named_steps["features"].fit(X)
        F = features.transform(X)
        if cv_folds:
            folds = StratifiedKFold(n_splits=cv_folds, shuffle=True, random_state=random_state)
            classifier_step = clone(pipeline.named_steps["classifier"])
            proba = cross_val_predict(classifier_step, F, y, cv=folds, method="predict_proba")
            p = proba[:, 1]
            metrics.update(
                {
                    "cv_folds": cv_folds,
                    "accuracy": round(float(accuracy_score(y, p >= 0.5)), 4),
                    "roc_auc": round(float(roc_auc_score(y, p)), 5),
                    "brier": round(float(brier_score_loss(y, p)), 5),
                    "log_loss": round(float(log_loss(y, p, labels=[0, 1])), 5),
                }
            )
        pipeline.named_steps["classifier"].fit(F, y)
    return pipeline, metrics
