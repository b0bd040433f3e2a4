"""Two reference rules the detector must beat, as scikit-learn estimators on ``window_matrix``.

A detector is only worth its complexity if it beats what a utility could do without it, on
the same data and judged by the same flag rules. Both rules here take the detector's input
(``window_matrix`` rows), answer P(occupied) through ``predict_proba`` and so go through
``occupancy.flags.rules.raise_flags(window, register, model=rule)`` unchanged.

``DailyEnergyThreshold``
    The vacancy screen utilities run: a home using less than *t* kWh a day is empty. Its score
    is the unit's mean measured daily energy. ``fit`` tunes *t* on the labels for the best
    accuracy, so on evaluation data tuned on its own truth it is the best such a screen can
    possibly do there (an optimistic reference, on purpose).

``NiomRule``
    NIOM, non-intrusive occupancy monitoring (Chen, Barker, Subbaswamy, Irwin and Shenoy,
    "Non-Intrusive Occupancy Monitoring using Smart Meters", BuildSys 2013), as evaluated on
    the ECO data set by Kleiminger, Beckel, Staake and Santini ("Occupancy detection from
    electricity consumption data", BuildSys 2013): the night-time maximum stands for what an
    unoccupied home draws, and a day counts as *active* when its daytime use exceeds that
    night-time maximum. At hourly resolution: a day is active when some daytime hour
    (07:00-23:00) exceeds the largest hour of the preceding night (01:00-05:00) by more than
    ``margin_kwh``. The unit's score is the share of its measured days that were active, and
    it counts as occupied at ``share_threshold`` or above. Both are tuned on the labels in
    ``fit`` unless given (``margin_kwh`` over a small grid, ``share_threshold`` for the best
    accuracy), again the best this rule can do.

P(occupied) of both is a one-parameter logistic around the tuned threshold,
``sigmoid(slope * (score - threshold))`` (for energy in log space), with ``slope`` fitted by
maximum likelihood on Platt's smoothed targets. So ``P >= 0.5`` is exactly
``score >= threshold`` (the flags are the rule's own decisions), and the probabilities are
as calibrated as one slope allows, which keeps the reliability table and Brier score a fair
comparison.
"""

from __future__ import annotations

import warnings
from abc import abstractmethod
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import Tags
from sklearn.utils.validation import check_array, check_is_fitted, check_X_y

from occupancy.models.matrix import HOURS_PER_DAY, split_matrix

#: Hours (inclusive start, exclusive end) NIOM treats as night and as day.
NIGHT_HOURS = (1, 5)
DAY_HOURS = (7, 23)
#: Margins (kWh per hour above the night maximum) ``NiomRule.fit`` chooses from.
NIOM_MARGINS_KWH = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3)
#: Daily energy floor for the log of ``DailyEnergyThreshold`` (a switched-off meter is 0).
MIN_DAILY_KWH = 0.01
_MAX_SLOPE = 1e3


class _ThresholdRule(ClassifierMixin, BaseEstimator):
    """A per-unit score and a threshold on it; subclasses say how the score is computed."""

    def fit(self, X: np.ndarray, y: np.ndarray) -> _ThresholdRule:
        """Tune the threshold (if not given) for accuracy on ``y``, then the logistic slope."""
        X, y = check_X_y(X, y, dtype=float, ensure_all_finite="allow-nan")
        split_matrix(X)
        self.classes_ = np.array([0, 1])
        labels = np.asarray(y).astype(int)
        if not set(np.unique(labels)) <= {0, 1}:
            raise ValueError("y must hold 0 (empty) and 1 (occupied)")
        self._fit_rule(X, labels.astype(bool))
        margin = self.decision_function(X)
        self.slope_ = _fit_slope(margin, labels.astype(bool))
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Signed distance of the score from the threshold; >= 0 means occupied."""
        check_is_fitted(self, "threshold_")
        return self._margin(self.unit_score(self._check(X)), self.threshold_)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Columns P(empty), P(occupied); P(occupied) >= 0.5 exactly where the rule says so."""
        check_is_fitted(self, "slope_")
        z = np.clip(self.slope_ * self.decision_function(X), -500, 500)
        p = 1.0 / (1.0 + np.exp(-z))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.decision_function(X) >= 0).astype(int)

    @abstractmethod
    def unit_score(self, X: np.ndarray) -> np.ndarray:
        """The rule's score per unit (higher = more likely occupied)."""

    @abstractmethod
    def _fit_rule(self, X: np.ndarray, y: np.ndarray) -> None:
        """Set ``threshold_`` (and any other tuned parameter)."""

    @staticmethod
    def _margin(score: np.ndarray, threshold: float) -> np.ndarray:
        return score - threshold

    def _check(self, X: np.ndarray) -> np.ndarray:
        X = check_array(X, dtype=float, ensure_all_finite="allow-nan", ensure_min_samples=0)
        split_matrix(X)
        return X

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


class DailyEnergyThreshold(_ThresholdRule):
    """Occupied when the mean measured daily energy reaches a threshold (kWh/day).

    Parameters
    ----------
    threshold_kwh : float or None, default=None
        Fixed threshold; None tunes it in ``fit`` for the best accuracy on ``y``.

    Attributes
    ----------
    threshold_ : float
        The threshold used (kWh per day).
    slope_ : float
        Logistic slope on ``log(daily kWh) - log(threshold)``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.hstack([np.array([[0.02], [0.3]]) * np.ones((2, 24)), np.full((2, 24), np.nan)])
    >>> rule = DailyEnergyThreshold().fit(X, [0, 1])
    >>> rule.predict(X).tolist(), 0.48 < rule.threshold_ < 7.2
    ([0, 1], True)
    """

    def __init__(self, threshold_kwh: float | None = None) -> None:
        self.threshold_kwh = threshold_kwh

    def unit_score(self, X: np.ndarray) -> np.ndarray:
        """Mean measured daily energy (kWh/day); 0 for a unit without a measured hour."""
        energy, _ = split_matrix(X)
        n = energy.shape[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            daily = np.nanmean(energy.reshape(n, -1), axis=1) * HOURS_PER_DAY
        return np.nan_to_num(daily, nan=0.0)

    def _fit_rule(self, X: np.ndarray, y: np.ndarray) -> None:
        if self.threshold_kwh is not None:
            if not self.threshold_kwh > 0:
                raise ValueError(f"threshold_kwh must be > 0, got {self.threshold_kwh}")
            self.threshold_ = float(self.threshold_kwh)
            return
        score = np.log(np.maximum(self.unit_score(X), MIN_DAILY_KWH))
        self.threshold_ = float(np.exp(best_threshold(score, y)))

    @staticmethod
    def _margin(score: np.ndarray, threshold: float) -> np.ndarray:
        # Energy spans orders of magnitude (0.3 to 30 kWh/day): compare ratios, not kWh.
        return np.log(np.maximum(score, MIN_DAILY_KWH)) - np.log(max(threshold, MIN_DAILY_KWH))


class NiomRule(_ThresholdRule):
    """NIOM at hourly resolution: share of days whose daytime use beats the night's maximum.

    Parameters
    ----------
    margin_kwh : float or None, default=None
        How far (kWh in one hour) a daytime hour must exceed the night maximum for the day to
        count as active; None picks the best of ``NIOM_MARGINS_KWH`` on ``y`` in ``fit``.
    share_threshold : float or None, default=None
        Share of measured days that must be active for "occupied"; None tunes it in ``fit``.

    Attributes
    ----------
    margin_ : float
        The margin used.
    threshold_ : float
        The share of active days used.
    slope_ : float
        Logistic slope on ``share - threshold``.

    Examples
    --------
    >>> import numpy as np
    >>> day = np.full(24, 0.05); day[19] = 0.8        # an evening of cooking and TV
    >>> X = np.hstack([np.vstack([np.tile(day, 2), np.full(48, 0.05)]), np.full((2, 48), np.nan)])
    >>> NiomRule(margin_kwh=0.1, share_threshold=0.5).fit(X, [1, 0]).predict(X).tolist()
    [1, 0]
    """

    def __init__(self, margin_kwh: float | None = None, share_threshold: float | None = None):
        self.margin_kwh = margin_kwh
        self.share_threshold = share_threshold

    def unit_score(self, X: np.ndarray) -> np.ndarray:
        """Share of measured days that were active, with the fitted (or given) margin."""
        margin = getattr(self, "margin_", self.margin_kwh)
        if margin is None:
            raise ValueError("NiomRule needs margin_kwh or fit() before scoring")
        return active_day_share(X, margin)

    def _fit_rule(self, X: np.ndarray, y: np.ndarray) -> None:
        if self.share_threshold is not None and not 0.0 <= self.share_threshold <= 1.0:
            raise ValueError(f"share_threshold must be in [0, 1], got {self.share_threshold}")
        margins = NIOM_MARGINS_KWH if self.margin_kwh is None else (float(self.margin_kwh),)
        best: tuple[float, float, float] | None = None
        for margin in margins:
            share = active_day_share(X, margin)
            if self.share_threshold is None:
                threshold = best_threshold(share, y)
            else:
                threshold = float(self.share_threshold)
            accuracy = float(np.mean((share >= threshold) == y)) if y.size else 0.0
            if best is None or accuracy > best[0]:
                best = (accuracy, margin, threshold)
        assert best is not None
        _, self.margin_, self.threshold_ = best


def active_day_share(X: np.ndarray, margin_kwh: float) -> np.ndarray:
    """Per unit, the share of days whose largest daytime hour beats the night's largest hour.

    The night is 01:00-05:00 of the same calendar day (the night before its daytime). A day
    counts only when both its night and its daytime have a measured hour; a unit with no such
    day scores 0 (no evidence of anyone).
    """
    energy, _ = split_matrix(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        night = np.nanmax(energy[:, :, slice(*NIGHT_HOURS)], axis=2)
        day = np.nanmax(energy[:, :, slice(*DAY_HOURS)], axis=2)
    counted = ~np.isnan(night) & ~np.isnan(day)
    active = counted & (day > night + margin_kwh)
    days = counted.sum(axis=1)
    return np.where(days > 0, active.sum(axis=1) / np.maximum(days, 1), 0.0)


def best_threshold(score: np.ndarray, y: np.ndarray) -> float:
    """The cut ``t`` maximising accuracy of ``score >= t`` against ``y``.

    Candidates are midpoints between consecutive distinct scores (and beyond both ends);
    among equally accurate cuts the middle one is taken, so the cut sits inside the gap
    rather than on its edge. Vectorised: one sort and two cumulative sums.

    >>> best_threshold(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0, 0, 1, 1]))
    2.5
    """
    score = np.asarray(score, dtype=float)
    y = np.asarray(y, dtype=bool)
    if score.size == 0:
        return 0.0
    values, inverse = np.unique(score, return_inverse=True)
    pos = np.bincount(inverse, weights=y.astype(float), minlength=values.size)
    neg = np.bincount(inverse, weights=(~y).astype(float), minlength=values.size)
    # Cut k (0..len(values)) puts values[k:] above: correct = positives above + negatives below.
    pos_above = np.concatenate([np.cumsum(pos[::-1])[::-1], [0.0]])
    neg_below = np.concatenate([[0.0], np.cumsum(neg)])
    correct = pos_above + neg_below
    best = np.flatnonzero(correct == correct.max())
    k = int(best[len(best) // 2])
    spread = float(values[-1] - values[0]) or 1.0
    if k == 0:
        return float(values[0] - spread)
    if k == values.size:
        return float(values[-1] + spread)
    return float((values[k - 1] + values[k]) / 2.0)


def _fit_slope(margin: np.ndarray, y: np.ndarray) -> float:
    """Slope ``a > 0`` of ``P = sigmoid(a * margin)`` by maximum likelihood, Platt style.

    Targets are Platt's smoothed labels, ``(N+ + 1) / (N+ + 2)`` and ``1 / (N- + 2)``, not
    1 and 0: on data the rule separates perfectly the plain likelihood has no maximum (the
    slope runs off to infinity and every P becomes exactly 0 or 1).
    """
    from scipy.optimize import minimize_scalar

    margin = np.asarray(margin, dtype=float)
    positives = int(np.sum(y))
    negatives = int(y.size - positives)
    target = np.where(y, (positives + 1.0) / (positives + 2.0), 1.0 / (negatives + 2.0))
    if margin.size == 0 or not np.any(margin):
        return 1.0

    def loss(log_a: float) -> float:
        z = np.exp(log_a) * margin
        # -[t log p + (1 - t) log(1 - p)] with p = sigmoid(z), written stably.
        return float((target * np.logaddexp(0.0, -z) + (1 - target) * np.logaddexp(0.0, z)).sum())

    result = minimize_scalar(loss, bounds=(-10.0, np.log(_MAX_SLOPE)), method="bounded")
    return float(np.exp(result.x))


def reference_rules() -> dict[str, Any]:
    """Unfitted reference rules by the name reports use."""
    return {"daily_energy": DailyEnergyThreshold(), "niom": NiomRule()}
