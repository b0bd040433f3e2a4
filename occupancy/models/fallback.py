"""A hand-written scorer for when no trained model file is available.

It exists so that a fresh checkout, or an install whose model file was removed, still raises
sensible flags instead of none, and so that there is a plain-language account of what the
trained model is expected to learn. It reads the same features as the trained model:

* people are active on most days and most evenings (``days``: the mean of
  ``human_days_share`` and ``evening_human_days_share``; human activity, so a water heater or
  a dehumidifier does not count) and were active in the last two days
  (``last48_human_hours``);
* a home that has been quiet for more than a day is not lived in *now*, however busy it was
  before (``days_since_human``): a resident taken ill, a household that moved out;
* a shop is busy every day on a flat plateau, never late at night or early in the morning
  (``late_human_days_share``, ``early_human_days_share``, ``plateau_cv``);
* a load as busy at night as by day is an appliance (``night_active_share``,
  ``day_night_ratio``);
* lights at night, where a sensor exists, confirm, unless they are lit at the same hours
  every night like a timer (``lights_variability``).

``z = 6 (days - min_active_share) + 3 min(last48_human_hours, 6) / 6
- 3 max(days_since_human - quiet_days, 0) - 12 shop_like - 4 appliance_like
+ 1.5 (lights_nights_lit_share - 0.5) lights_observed [not timer-like]`` and
``P(occupied) = 1 / (1 + exp(-z))``. The weights were set by hand on simulated data
(docs/detector.md compares it with the trained model), not fitted.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import Tags
from sklearn.utils.validation import check_is_fitted

from occupancy.models.features import FEATURE_NAMES, HourlyFeatures

_COLUMN = {name: i for i, name in enumerate(FEATURE_NAMES)}


class RuleBasedDetector(ClassifierMixin, BaseEstimator):
    """P(occupied) from fixed rules on ``HourlyFeatures``; same interface as the pipeline.

    Parameters
    ----------
    min_active_share : float, default=0.4
        Share of measured days with activity above standby at which the score is even.
    quiet_days : float, default=1.0
        Days without human activity after which the score falls steeply: a day, the welfare
        rule's own bar; a family back from a trip is active again in the last day.
    margin_kwh, event_kwh : float
        Passed to ``HourlyFeatures``.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        ``[0, 1]``; column 1 of ``predict_proba`` is P(occupied).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.hstack([np.full((1, 168), 0.05), np.full((1, 168), np.nan)])
    >>> float(RuleBasedDetector().fit(X).predict_proba(X)[0, 1]) < 0.5
    True
    """

    def __init__(
        self,
        min_active_share: float = 0.4,
        quiet_days: float = 1.0,
        margin_kwh: float = 0.1,
        event_kwh: float = 0.3,
    ) -> None:
        self.min_active_share = min_active_share
        self.quiet_days = quiet_days
        self.margin_kwh = margin_kwh
        self.event_kwh = event_kwh

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> RuleBasedDetector:
        """Check the layout; the rules are fixed, so nothing is learned from ``y``."""
        self.n_features_in_ = self._features().fit(X).n_features_in_
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """``[[1 - p, p], ...]`` with ``p`` = P(occupied) per unit."""
        check_is_fitted(self)
        F = self._features().fit(X).transform(X)
        col = {name: F[:, i] for name, i in _COLUMN.items()}
        shop_like = (
            (col["human_days_share"] >= 0.7)
            & (col["late_human_days_share"] + col["early_human_days_share"] <= 0.15)
            & (col["plateau_cv"] < 0.45)
        )
        # A load that runs at night as much as by day is an appliance's (a dehumidifier).
        appliance_like = (col["night_active_share"] > 0.25) & (col["day_night_ratio"] < 0.2)
        # Lights count unless they are on at the same hours every night (a timer).
        timer = (col["lights_variability"] <= 0.1) & (col["lights_night_share"] > 0.5)
        lights = col["lights_observed"] * ~timer
        # Days with human activity, and evenings: an appliance's stray "human" hour is rarely
        # in the evening, people are home most evenings.
        days = (col["human_days_share"] + col["evening_human_days_share"]) / 2
        z = (
            6.0 * (days - self.min_active_share)
            + 3.0 * np.minimum(col["last48_human_hours"], 6.0) / 6.0
            - 3.0 * np.maximum(col["days_since_human"] - self.quiet_days, 0.0)
            - 12.0 * shop_like
            - 4.0 * appliance_like
            + 1.5 * (col["lights_nights_lit_share"] - 0.5) * lights
        )
        p = 1.0 / (1.0 + np.exp(-z))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """1 where P(occupied) >= 0.5."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def _features(self) -> HourlyFeatures:
        return HourlyFeatures(margin_kwh=self.margin_kwh, event_kwh=self.event_kwh)

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        # The rules are fixed: an unfitted detector scores as well as a fitted one.
        tags.requires_fit = False
        return tags
