"""A hand-written scorer for when no trained model file is available.

It exists so that a fresh checkout, or an install whose model file was removed, still raises
sensible flags instead of none, and so that there is a plain-language account of what the
trained model is expected to learn. It reads the same features as the trained model:

* people are active above standby on most days (``active_days_share``);
* a home that has been quiet for days is not lived in *now*, however busy it was before
  (``days_since_active``), which is the welfare case of a resident taken ill;
* lights at night, where a sensor exists, confirm either way.

The score is ``z = 8 (active_days_share - min_active_share)
- 3 max(days_since_active - quiet_days, 0) + 2 (lights_nights_lit_share - 0.5) * lights_observed``
and ``P(occupied) = 1 / (1 + exp(-z))``. The weights were set by hand on simulated data
(see ``docs/detector.md`` for how it compares with the trained model), not fitted.
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
    quiet_days : float, default=2.0
        Days without any activity after which the score falls steeply: longer than a weekend
        away, shorter than the silence of a home whose resident has gone.
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
        quiet_days: float = 2.0,
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
        observed = F[:, _COLUMN["lights_observed"]]
        z = (
            8.0 * (F[:, _COLUMN["active_days_share"]] - self.min_active_share)
            - 3.0 * np.maximum(F[:, _COLUMN["days_since_active"]] - self.quiet_days, 0.0)
            + 2.0 * (F[:, _COLUMN["lights_nights_lit_share"]] - 0.5) * observed
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
