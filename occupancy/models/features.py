"""Per-unit features from an hourly window: what separates a lived-in home from an empty one.

An empty flat still draws power: a router, standby loads and often a fridge. At hourly
resolution that is a nearly flat line. People add *excess* over that line at the times people
do things (cooking at 18:00, TV and lights until bedtime, a kettle at 07:00) and they do it
again the next day. So every energy feature is measured against the unit's own standby
baseline, not in absolute kWh: a big empty flat and a small lived-in one would otherwise look
alike. Lights observations, where a unit has a sensor, are a second, independent witness.

Everything is vectorised over units and NaN-aware: an hour without a measurement is neither
activity nor quiet, it is simply not counted.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import Tags
from sklearn.utils.validation import check_array, check_is_fitted

from occupancy.models.matrix import HOURS_PER_DAY, split_matrix

#: Local hours (inclusive start, exclusive end) that count as evening and morning.
EVENING_HOURS = (18, 24)
MORNING_HOURS = (6, 10)
#: Night for lights: 18:00 to 06:00. Shifting hours by this much puts one night in one bin.
NIGHT_SHIFT = 6
NIGHT_EVENING_FROM = 18
NIGHT_MORNING_TO = 6
#: A night counts as "lights on" when at least this share of its observations saw lights.
LIT_NIGHT_SHARE = 0.3
#: Stand-in for lights features of a unit without a lights sensor: halfway between "always
#: dark" and "always lit", so it reads as "no evidence"; ``lights_observed`` says it is missing.
NEUTRAL_LIGHTS = 0.5
#: Smallest baseline used as a denominator (kWh per hour); an all-zero meter is not infinite.
MIN_BASELINE_KWH = 0.01

FEATURE_NAMES: tuple[str, ...] = (
    "measured_share",
    "mean_daily_kwh",
    "baseline_kwh",
    "evening_excess_kwh",
    "morning_excess_kwh",
    "evening_active_days_share",
    "active_days_share",
    "active_hours_per_day",
    "event_hours_per_day",
    "daily_cv",
    "regularity",
    "peak_to_baseline",
    "flatness",
    "lights_observed",
    "lights_night_share",
    "lights_nights_lit_share",
    "last_night_lights",
    "last24_excess_kwh",
    "last24_active_hours",
    "days_since_active",
)


@dataclass(frozen=True)
class UnitSummary:
    """Per-unit numbers behind the features, one array entry per unit.

    The flags' evidence is built from the same numbers the model saw, so what a worker reads
    ("evening activity 6 of 7 days") is exactly what the detector counted.
    """

    days: int
    measured_hours: np.ndarray
    measured_share: np.ndarray
    measured_days: np.ndarray
    mean_daily_kwh: np.ndarray
    baseline_kwh: np.ndarray
    evening_excess_kwh: np.ndarray
    morning_excess_kwh: np.ndarray
    evening_active_days: np.ndarray
    active_days: np.ndarray
    active_hours: np.ndarray
    event_hours: np.ndarray
    daily_cv: np.ndarray
    regularity: np.ndarray
    peak_to_baseline: np.ndarray
    flatness: np.ndarray
    nights_observed: np.ndarray
    nights_lit: np.ndarray
    lights_night_share: np.ndarray
    last_night_lights: np.ndarray
    last24_measured_hours: np.ndarray
    last24_excess_kwh: np.ndarray
    last24_active_hours: np.ndarray
    #: Hours from the end of the last active hour to the end of the window; NaN if never.
    hours_since_active: np.ndarray
    #: Hours from the end of the last measured hour to the end of the window; NaN if never.
    hours_since_measured: np.ndarray

    @property
    def hours(self) -> int:
        return self.days * HOURS_PER_DAY


def summarize(
    X: np.ndarray,
    *,
    margin_kwh: float = 0.1,
    event_kwh: float = 0.3,
    baseline_percentile: float = 10.0,
) -> UnitSummary:
    """Count activity, standby and lights per unit of a ``window_matrix`` array.

    Parameters
    ----------
    X : array of shape (n_units, 2 * 24 * days)
        Hourly energy then hourly lights share, NaN where not measured or observed.
    margin_kwh : float
        An hour is *active* when its energy exceeds the baseline by more than this. 0.1 kWh
        (100 W for an hour) is above the hourly wobble of a cycling fridge (about 0.05 kWh)
        and below a TV with lights on.
    event_kwh : float
        An hour is an *event* (cooking, water heater, air conditioning) above this excess.
    baseline_percentile : float
        Low percentile of the unit's hourly energy taken as its standby baseline.

    Returns
    -------
    UnitSummary
    """
    energy, lights = split_matrix(X)
    n, days, _ = energy.shape
    hours = days * HOURS_PER_DAY
    flat = energy.reshape(n, hours)
    measured = ~np.isnan(energy)
    measured_hours = measured.sum(axis=(1, 2))
    measured_days = measured.any(axis=2).sum(axis=1)

    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        baseline = _row_quantile(flat, baseline_percentile / 100.0)
        peak = _row_quantile(flat, 0.95)
        mean_hourly = np.nanmean(flat, axis=1)
        std_hourly = np.nanstd(flat, axis=1)
        excess = energy - baseline[:, None, None]
        active = excess > margin_kwh
        evening = slice(*EVENING_HOURS)
        morning = slice(*MORNING_HOURS)
        evening_excess = np.nanmean(excess[:, :, evening], axis=(1, 2))
        morning_excess = np.nanmean(excess[:, :, morning], axis=(1, 2))
        daily_kwh = np.nanmean(energy, axis=2) * HOURS_PER_DAY
        daily_cv = np.nanstd(daily_kwh, axis=1) / np.maximum(np.nanmean(daily_kwh, axis=1), 0.01)
        last = excess.reshape(n, hours)[:, -HOURS_PER_DAY:]
        last24_excess = np.nanmean(last, axis=1)

    active_flat = active.reshape(n, hours)
    nights_observed, nights_lit, night_share, last_night = _lights(lights)
    return UnitSummary(
        days=days,
        measured_hours=measured_hours,
        measured_share=measured_hours / hours,
        measured_days=measured_days,
        mean_daily_kwh=mean_hourly * HOURS_PER_DAY,
        baseline_kwh=baseline,
        evening_excess_kwh=evening_excess,
        morning_excess_kwh=morning_excess,
        evening_active_days=active[:, :, evening].any(axis=2).sum(axis=1),
        active_days=active.any(axis=2).sum(axis=1),
        active_hours=active_flat.sum(axis=1),
        event_hours=(excess > event_kwh).sum(axis=(1, 2)),
        daily_cv=daily_cv,
        regularity=_regularity(
            np.where(active, excess - margin_kwh, np.where(measured, 0.0, np.nan))
        ),
        peak_to_baseline=peak / np.maximum(baseline, MIN_BASELINE_KWH),
        flatness=std_hourly / np.maximum(mean_hourly, MIN_BASELINE_KWH),
        nights_observed=nights_observed,
        nights_lit=nights_lit,
        lights_night_share=night_share,
        last_night_lights=last_night,
        last24_measured_hours=measured.reshape(n, hours)[:, -HOURS_PER_DAY:].sum(axis=1),
        last24_excess_kwh=last24_excess,
        last24_active_hours=active_flat[:, -HOURS_PER_DAY:].sum(axis=1),
        hours_since_active=_hours_since_last(active_flat),
        hours_since_measured=_hours_since_last(measured.reshape(n, hours)),
    )


def feature_matrix(summary: UnitSummary) -> np.ndarray:
    """The model's inputs, in ``FEATURE_NAMES`` order, with every NaN replaced.

    Rates are per measured day so a model trained on 7-day windows reads 14-day ones too.
    """
    s = summary
    per_day = np.maximum(s.measured_days, 1).astype(float)
    observed = s.nights_observed > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        lit_share = np.where(observed, s.nights_lit / np.maximum(s.nights_observed, 1), np.nan)
    since = np.where(np.isnan(s.hours_since_active), s.hours, s.hours_since_active) / 24.0
    columns = {
        "measured_share": s.measured_share,
        "mean_daily_kwh": s.mean_daily_kwh,
        "baseline_kwh": s.baseline_kwh,
        "evening_excess_kwh": s.evening_excess_kwh,
        "morning_excess_kwh": s.morning_excess_kwh,
        "evening_active_days_share": s.evening_active_days / per_day,
        "active_days_share": s.active_days / per_day,
        "active_hours_per_day": s.active_hours / per_day,
        "event_hours_per_day": s.event_hours / per_day,
        "daily_cv": s.daily_cv,
        "regularity": s.regularity,
        "peak_to_baseline": s.peak_to_baseline,
        "flatness": s.flatness,
        "lights_observed": observed.astype(float),
        "lights_night_share": _neutral(s.lights_night_share),
        "lights_nights_lit_share": _neutral(lit_share),
        "last_night_lights": _neutral(s.last_night_lights),
        "last24_excess_kwh": s.last24_excess_kwh,
        "last24_active_hours": s.last24_active_hours,
        "days_since_active": since,
    }
    out = np.column_stack([np.asarray(columns[name], dtype=float) for name in FEATURE_NAMES])
    # Whatever is still NaN comes from a unit with no measured hour at all: nothing to see.
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)


class HourlyFeatures(TransformerMixin, BaseEstimator):
    """Turn a ``window_matrix`` array into one row of activity features per unit.

    Parameters
    ----------
    margin_kwh : float, default=0.1
        Excess over the standby baseline that makes an hour *active* (see ``summarize``).
    event_kwh : float, default=0.3
        Excess that makes an hour an *event* (cooking, heating, air conditioning).
    baseline_percentile : float, default=10.0
        Low percentile of hourly energy taken as the standby baseline.

    Attributes
    ----------
    n_features_in_ : int
        Columns of the training matrix (``2 * 24 * days``).
    days_ : int
        Days of the training window. Features are per-day rates, so other whole-day window
        lengths are accepted by ``transform``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.hstack([np.full((1, 24), 0.05), np.full((1, 24), np.nan)])
    >>> HourlyFeatures().fit_transform(X).shape
    (1, 20)
    """

    def __init__(
        self, margin_kwh: float = 0.1, event_kwh: float = 0.3, baseline_percentile: float = 10.0
    ) -> None:
        self.margin_kwh = margin_kwh
        self.event_kwh = event_kwh
        self.baseline_percentile = baseline_percentile

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> HourlyFeatures:
        """Check the layout and remember it; there is nothing to learn."""
        X = self._check(X)
        self._check_params()
        self.n_features_in_ = X.shape[1]
        self.days_ = split_matrix(X[:0])[0].shape[1]
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Features per unit, shape ``(n_units, len(FEATURE_NAMES))``, no NaN."""
        check_is_fitted(self)
        return feature_matrix(self.summarize(X))

    def summarize(self, X: np.ndarray) -> UnitSummary:
        """The per-unit counts behind the features, with this transformer's thresholds."""
        return summarize(
            self._check(X),
            margin_kwh=self.margin_kwh,
            event_kwh=self.event_kwh,
            baseline_percentile=self.baseline_percentile,
        )

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Names of the output columns (input names are hourly and not worth echoing)."""
        return np.asarray(FEATURE_NAMES, dtype=object)

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def _check(self, X: np.ndarray) -> np.ndarray:
        X = check_array(X, dtype=float, ensure_all_finite="allow-nan", ensure_min_samples=0)
        split_matrix(X)  # raises a clear error for a width that is not whole days
        return X

    def _check_params(self) -> None:
        if not 0.0 <= self.baseline_percentile <= 100.0:
            raise ValueError(
                f"baseline_percentile must be in [0, 100], got {self.baseline_percentile}"
            )
        if self.margin_kwh < 0 or self.event_kwh < self.margin_kwh:
            raise ValueError(
                "need 0 <= margin_kwh <= event_kwh, got "
                f"margin_kwh={self.margin_kwh}, event_kwh={self.event_kwh}"
            )


def _row_quantile(a: np.ndarray, q: float) -> np.ndarray:
    """Linear-interpolated quantile of each row, ignoring NaN; NaN for an all-NaN row.

    ``np.nanpercentile`` along an axis falls back to a Python loop per row when NaNs are
    present; sorting once (NaN sorts last) and indexing is the same answer, vectorised.
    """
    n = a.shape[0]
    if a.shape[1] == 0:
        return np.full(n, np.nan)
    ordered = np.sort(a, axis=1)
    count = (~np.isnan(a)).sum(axis=1)
    pos = q * np.maximum(count - 1, 0)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(count - 1, 0))
    frac = pos - lo
    rows = np.arange(n)
    value = ordered[rows, lo] * (1 - frac) + ordered[rows, hi] * frac
    return np.where(count > 0, value, np.nan)


def _regularity(energy: np.ndarray) -> np.ndarray:
    """Mean correlation of each day's hourly activity profile with the next day's.

    People repeat their days (dinner at six, bed at eleven), so consecutive profiles correlate.
    The profile is the energy *above the activity margin*, so a fridge whose cycle happens to
    repeat every 24 hours has no profile at all and scores 0, as does a day without activity.
    Unmeasured hours are filled with the unit's mean for that hour of day so that a gap does
    not look like a change.
    """
    n, days, _ = energy.shape
    if days < 2 or n == 0:
        return np.zeros(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        by_hour = np.nanmean(energy, axis=1, keepdims=True)
    filled = np.where(np.isnan(energy), by_hour, energy)
    filled = np.nan_to_num(filled, nan=0.0)
    centred = filled - filled.mean(axis=2, keepdims=True)
    norm = np.sqrt((centred**2).sum(axis=2))
    dot = (centred[:, :-1] * centred[:, 1:]).sum(axis=2)
    denom = norm[:, :-1] * norm[:, 1:]
    corr = np.where(denom > 1e-12, dot / np.where(denom > 0, denom, 1.0), 0.0)
    return corr.mean(axis=1)


def _lights(lights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Nights observed, nights lit, mean night share and the last night's share per unit.

    Hour ``t`` of the window belongs to night ``(t + 6) // 24``, so 18:00-05:59 of one night
    share a bin; the first bin (the window's first early morning) and the last (its final
    evening) are partial nights and count like any other.
    """
    n, days, _ = lights.shape
    hours = days * HOURS_PER_DAY
    flat = lights.reshape(n, hours)
    hour_of_day = np.arange(hours) % HOURS_PER_DAY
    is_night = (hour_of_day >= NIGHT_EVENING_FROM) | (hour_of_day < NIGHT_MORNING_TO)
    night_of = (np.arange(hours) + NIGHT_SHIFT) // HOURS_PER_DAY
    nights = days + 1
    values = np.where(is_night[None, :], flat, np.nan)
    seen = ~np.isnan(values)
    count = np.zeros((n, nights))
    total = np.zeros((n, nights))
    for k in range(nights):
        cols = night_of == k
        count[:, k] = seen[:, cols].sum(axis=1)
        total[:, k] = np.nansum(values[:, cols], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(count > 0, total / count, np.nan)
        observed = count > 0
        lit = observed & (share >= LIT_NIGHT_SHARE)
        night_share = np.where(count.sum(axis=1) > 0, total.sum(axis=1) / count.sum(axis=1), np.nan)
    # The last night with any observation: the most recent thing the sensor told us.
    last_idx = np.where(observed.any(axis=1), nights - 1 - np.argmax(observed[:, ::-1], axis=1), 0)
    last_night = np.where(observed.any(axis=1), share[np.arange(n), last_idx], np.nan)
    return observed.sum(axis=1), lit.sum(axis=1), night_share, last_night


def _hours_since_last(mask: np.ndarray) -> np.ndarray:
    """Hours from the end of the last True column to the end of the row; NaN if none."""
    hours = mask.shape[1]
    any_true = mask.any(axis=1)
    last = hours - 1 - np.argmax(mask[:, ::-1], axis=1)
    return np.where(any_true, (hours - 1 - last).astype(float), np.nan)


def _neutral(values: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(values), NEUTRAL_LIGHTS, values)
