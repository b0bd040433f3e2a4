"""Per-unit features from an hourly window: what separates a lived-in home from an empty one.

An empty flat still draws power: a router, standby loads, often a fridge, sometimes a storage
water heater reheating every few hours, a dehumidifier or a lamp on a timer. People add
*excess* over the standby line at the times people do things, and they never do it exactly
the same way twice. So every energy feature is measured against the unit's own standby
baseline, and activity is *human* activity as ``occupancy.models.activity`` defines it:
sustained or bigger than what the unit's own appliances do at night, and not identical every
day. Appliance signatures (night activity, isolated equal spikes, a flat plateau with dead
nights like a shop) are features of their own, so the classifier can tell "busy" from
"busy like a person". Lights observations, where a unit has a sensor, are a second witness,
checked for the same-every-night pattern of a timer.

Everything is vectorised over units and NaN-aware: an hour without a measurement is neither
activity nor quiet, it is simply not counted. Rates are per measured day, so a model trained
on 7-day windows reads other whole-day lengths.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import Tags
from sklearn.utils.validation import check_array, check_is_fitted

from occupancy.models.activity import (
    HUMAN_MARGIN_KWH,
    REPEAT_OUTLIER_DAYS,
    STILL_KWH,
    daily_repeat,
    hours_since_last,
    human_hours,
    row_quantile,
)
from occupancy.models.matrix import HOURS_PER_DAY, split_matrix

#: Local hours (inclusive start, exclusive end) that count as evening and morning.
EVENING_HOURS = (18, 24)
MORNING_HOURS = (5, 10)
#: Late evening and small hours (22:00-01:59) and early morning (04:00-07:59): a shop is
#: closed then, a home usually is not.
LATE_HOURS = (22, 2)
EARLY_HOURS = (4, 8)
#: The small hours (01:00-04:59), when people sleep and only appliances run.
SMALL_HOURS = (1, 5)
#: Daytime for the day/night ratio.
DAY_HOURS = (8, 22)
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
    "peak_to_baseline",
    "flatness",
    "daily_cv",
    "active_hours_per_day",
    "event_hours_per_day",
    "human_hours_per_day",
    "human_days_share",
    "evening_human_days_share",
    "morning_human_days_share",
    "late_human_days_share",
    "early_human_days_share",
    "evening_excess_kwh",
    "morning_excess_kwh",
    "regularity",
    "night_active_share",
    "night_peak_kwh",
    "day_night_ratio",
    "isolated_share",
    "repeat_share",
    "human_span_hours",
    "plateau_cv",
    "lights_observed",
    "lights_night_share",
    "lights_nights_lit_share",
    "last_night_lights",
    "lights_variability",
    "lights_with_activity_share",
    "last24_human_hours",
    "last24_excess_kwh",
    "last48_human_hours",
    "days_since_human",
    "days_since_active",
    "human_trend",
    "first_human_day",
    "never_moved",
)


@dataclass(frozen=True)
class UnitSummary:
    """Per-unit numbers behind the features, one array entry per unit.

    The flags' evidence is built from the same numbers the model saw, so what a worker reads
    ("activity every evening 6 of 7 days") is exactly what the detector counted.
    """

    days: int
    measured_hours: np.ndarray
    measured_share: np.ndarray
    measured_days: np.ndarray
    mean_daily_kwh: np.ndarray
    baseline_kwh: np.ndarray
    #: Days with human activity in the evening (18:00-23:59), and on any hour.
    evening_active_days: np.ndarray
    active_days: np.ndarray
    #: Hours above standby by the margin, any cause; and human hours.
    active_hours: np.ndarray
    human_hours: np.ndarray
    nights_observed: np.ndarray
    nights_lit: np.ndarray
    last24_measured_hours: np.ndarray
    #: Hours from the end of the last human hour to the end of the window; NaN if never.
    hours_since_active: np.ndarray
    #: Hours from the end of the last measured hour to the end of the window; NaN if never.
    hours_since_measured: np.ndarray
    #: The model's inputs in ``FEATURE_NAMES`` order (NaN not yet replaced).
    columns: dict[str, np.ndarray]

    @property
    def hours(self) -> int:
        return self.days * HOURS_PER_DAY


#: Units summarised at a time: every feature is per unit, and blocks this size keep the
#: (units x hours) temporaries in cache and a 100,000-unit window's extra memory small.
BLOCK_UNITS = 8192


def summarize(
    X: np.ndarray,
    *,
    margin_kwh: float = HUMAN_MARGIN_KWH,
    event_kwh: float = 0.3,
    baseline_percentile: float = 10.0,
    block_units: int = BLOCK_UNITS,
) -> UnitSummary:
    """Count activity, standby, appliance signatures and lights per unit of a window matrix.

    Works through ``block_units`` rows at a time (same numbers as all at once); see
    ``_summarize_block`` for the parameters.
    """
    kwargs = {
        "margin_kwh": margin_kwh,
        "event_kwh": event_kwh,
        "baseline_percentile": baseline_percentile,
    }
    n = X.shape[0]
    if n <= block_units:
        return _summarize_block(X, **kwargs)
    parts = [_summarize_block(X[i : i + block_units], **kwargs) for i in range(0, n, block_units)]
    first = parts[0]
    fields = {
        f.name: np.concatenate([getattr(p, f.name) for p in parts])
        for f in dataclasses.fields(UnitSummary)
        if f.name not in ("days", "columns")
    }
    columns = {k: np.concatenate([p.columns[k] for p in parts]) for k in first.columns}
    return UnitSummary(days=first.days, columns=columns, **fields)


def _summarize_block(
    X: np.ndarray,
    *,
    margin_kwh: float = HUMAN_MARGIN_KWH,
    event_kwh: float = 0.3,
    baseline_percentile: float = 10.0,
) -> UnitSummary:
    """Count activity, standby, appliance signatures and lights per unit of a window matrix.

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
    hod = np.arange(hours) % HOURS_PER_DAY
    measured = ~np.isnan(flat)
    measured_hours = measured.sum(axis=1)
    measured_days = measured.reshape(n, days, HOURS_PER_DAY).any(axis=2).sum(axis=1)
    per_day = np.maximum(measured_days, 1).astype(float)

    act = human_hours(
        flat,
        hod,
        margin_kwh=margin_kwh,
        baseline_percentile=baseline_percentile,
    )
    human = act.human
    active = act.active
    baseline = act.baseline_kwh
    excess = act.excess
    human3 = human.reshape(n, days, HOURS_PER_DAY)

    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        raw_excess = flat - baseline[:, None]
        peak = row_quantile(flat, 0.95)
        mean_hourly = np.nanmean(flat, axis=1)
        std_hourly = np.nanstd(flat, axis=1)
        daily_kwh = np.nanmean(energy, axis=2) * HOURS_PER_DAY
        daily_cv = np.nanstd(daily_kwh, axis=1) / np.maximum(np.nanmean(daily_kwh, axis=1), 0.01)
        evening_excess = np.nanmean(excess[:, _hours_mask(hod, EVENING_HOURS)], axis=1)
        morning_excess = np.nanmean(excess[:, _hours_mask(hod, MORNING_HOURS)], axis=1)
        night = _hours_mask(hod, SMALL_HOURS)
        night_measured = measured[:, night].sum(axis=1)
        night_active_share = active[:, night].sum(axis=1) / np.maximum(night_measured, 1)
        day_mean = np.nanmean(np.maximum(excess[:, _hours_mask(hod, DAY_HOURS)], 0.0), axis=1)
        night_mean = np.nanmean(np.maximum(excess[:, night], 0.0), axis=1)
        day_night = np.log((day_mean + 0.02) / (night_mean + 0.02))
        positive = np.nansum(np.maximum(raw_excess, 0.0), axis=1)
        # Timers are measured leniently here (a reheat may land in the lamp's hour on a few
        # days); the human hours above use the strict rule, like the welfare check, so a
        # resident's steady habits are never taken for a timer.
        repeat = np.nansum(
            np.maximum(daily_repeat(raw_excess, hod, REPEAT_OUTLIER_DAYS), 0.0), axis=1
        )
        repeat_share = repeat / np.maximum(positive, 1e-6)
        human_excess = np.where(human, excess, np.nan)
        plateau_cv = np.nanstd(human_excess, axis=1) / np.nanmean(human_excess, axis=1)
        last24 = slice(hours - HOURS_PER_DAY, hours)
        last24_excess = np.nanmean(excess[:, last24], axis=1)

    n_active = active.sum(axis=1)
    isolated = (active & (act.run_length <= 2)).sum(axis=1) / np.maximum(n_active, 1)
    human_days = human3.any(axis=2).sum(axis=1)
    first = np.where(human.any(axis=1), np.argmax(human, axis=1), hours) / HOURS_PER_DAY
    half = hours // 2
    trend = (
        human[:, half:].sum(axis=1) / max(hours - half, 1)
        - human[:, :half].sum(axis=1) / max(half, 1)
    ) * HOURS_PER_DAY
    since_human = hours_since_last(human)
    since_active = hours_since_last(active)
    nights_observed, nights_lit, night_share, last_night = _lights(lights)
    variability = _lights_variability(lights)
    lit = lights.reshape(n, hours) >= 0.5
    with np.errstate(invalid="ignore", divide="ignore"):
        lit_active = np.where(
            lit.sum(axis=1) > 0, (lit & human).sum(axis=1) / lit.sum(axis=1), np.nan
        )
        lit_share = np.where(
            nights_observed > 0, nights_lit / np.maximum(nights_observed, 1), np.nan
        )
    moved = (flat > STILL_KWH).any(axis=1)

    columns = {
        "measured_share": measured_hours / hours,
        "mean_daily_kwh": mean_hourly * HOURS_PER_DAY,
        "baseline_kwh": baseline,
        "peak_to_baseline": peak / np.maximum(baseline, MIN_BASELINE_KWH),
        "flatness": std_hourly / np.maximum(mean_hourly, MIN_BASELINE_KWH),
        "daily_cv": daily_cv,
        "active_hours_per_day": n_active / per_day,
        "event_hours_per_day": (excess > event_kwh).sum(axis=1) / per_day,
        "human_hours_per_day": human.sum(axis=1) / per_day,
        "human_days_share": human_days / per_day,
        "evening_human_days_share": _days_with(human3, EVENING_HOURS) / per_day,
        "morning_human_days_share": _days_with(human3, MORNING_HOURS) / per_day,
        "late_human_days_share": _days_with(human3, LATE_HOURS) / per_day,
        "early_human_days_share": _days_with(human3, EARLY_HOURS) / per_day,
        "evening_excess_kwh": evening_excess,
        "morning_excess_kwh": morning_excess,
        "regularity": _regularity(np.where(human, excess, np.where(measured, 0.0, np.nan))),
        "night_active_share": night_active_share,
        "night_peak_kwh": act.night_peak_kwh,
        "day_night_ratio": day_night,
        "isolated_share": isolated,
        "repeat_share": repeat_share,
        "human_span_hours": _span(human3),
        "plateau_cv": plateau_cv,
        "lights_observed": (nights_observed > 0).astype(float),
        "lights_night_share": _neutral(night_share),
        "lights_nights_lit_share": _neutral(lit_share),
        "last_night_lights": _neutral(last_night),
        "lights_variability": np.where(np.isnan(variability), 0.25, variability),
        "lights_with_activity_share": _neutral(lit_active),
        "last24_human_hours": human[:, last24].sum(axis=1).astype(float),
        "last24_excess_kwh": last24_excess,
        "last48_human_hours": human[:, max(hours - 48, 0) :].sum(axis=1).astype(float),
        "days_since_human": np.where(np.isnan(since_human), hours, since_human) / 24.0,
        "days_since_active": np.where(np.isnan(since_active), hours, since_active) / 24.0,
        "human_trend": trend,
        "first_human_day": first,
        "never_moved": (~moved).astype(float),
    }
    return UnitSummary(
        days=days,
        measured_hours=measured_hours,
        measured_share=measured_hours / hours,
        measured_days=measured_days,
        mean_daily_kwh=mean_hourly * HOURS_PER_DAY,
        baseline_kwh=baseline,
        evening_active_days=_days_with(human3, EVENING_HOURS),
        active_days=human_days,
        active_hours=n_active,
        human_hours=human.sum(axis=1),
        nights_observed=nights_observed,
        nights_lit=nights_lit,
        last24_measured_hours=measured[:, last24].sum(axis=1),
        hours_since_active=since_human,
        hours_since_measured=hours_since_last(measured),
        columns=columns,
    )


def feature_matrix(summary: UnitSummary) -> np.ndarray:
    """The model's inputs, in ``FEATURE_NAMES`` order, with every NaN replaced by 0.

    Whatever is still NaN comes from a unit with no measured (or no human) hour at all:
    nothing to see, which 0 says for every feature here.
    """
    out = np.column_stack(
        [np.asarray(summary.columns[name], dtype=float) for name in FEATURE_NAMES]
    )
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
    >>> HourlyFeatures().fit_transform(X).shape == (1, len(FEATURE_NAMES))
    True
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


#: Kept for callers of the earlier private name.
_row_quantile = row_quantile


def _hours_mask(hod: np.ndarray, span: tuple[int, int]) -> np.ndarray:
    """Columns whose local hour is in ``[start, end)``; a span may wrap past midnight."""
    start, end = span
    if start <= end:
        return (hod >= start) & (hod < end)
    return (hod >= start) | (hod < end)


def _days_with(human3: np.ndarray, span: tuple[int, int]) -> np.ndarray:
    """Days with a human hour in ``span`` of local hours (per unit)."""
    return human3[:, :, _hours_mask(np.arange(HOURS_PER_DAY), span)].any(axis=2).sum(axis=1)


def _span(human3: np.ndarray) -> np.ndarray:
    """Mean hours from the first to the last human hour of a day, over days with any."""
    any_day = human3.any(axis=2)
    first = np.argmax(human3, axis=2)
    last = HOURS_PER_DAY - 1 - np.argmax(human3[:, :, ::-1], axis=2)
    span = np.where(any_day, last - first + 1, 0)
    return span.sum(axis=1) / np.maximum(any_day.sum(axis=1), 1)


def _regularity(energy: np.ndarray) -> np.ndarray:
    """Mean correlation of each day's hourly activity profile with the next day's.

    People repeat their days (dinner at six, bed at eleven), so consecutive profiles correlate.
    The profile is the human excess only, so a fridge or a water heater has no profile and
    scores 0, as does a day without activity. Unmeasured hours are filled with the unit's
    mean for that hour of day so that a gap does not look like a change.
    """
    n, hours = energy.shape
    days = hours // HOURS_PER_DAY
    energy = energy.reshape(n, days, HOURS_PER_DAY)
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
    nights = days + 1
    values = np.where(is_night[None, :], flat, np.nan)
    seen = ~np.isnan(values)
    # Pad 6 hours in front so every night is one row of 24 columns.
    pad = np.full((n, NIGHT_SHIFT), np.nan)
    shifted = np.concatenate([pad, values, np.full((n, HOURS_PER_DAY - NIGHT_SHIFT), np.nan)], 1)
    seen_s = np.concatenate(
        [np.zeros((n, NIGHT_SHIFT), bool), seen, np.zeros((n, HOURS_PER_DAY - NIGHT_SHIFT), bool)],
        1,
    )
    count = seen_s.reshape(n, nights, HOURS_PER_DAY).sum(axis=2).astype(float)
    total = np.nan_to_num(shifted).reshape(n, nights, HOURS_PER_DAY).sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(count > 0, total / count, np.nan)
        observed = count > 0
        lit = observed & (share >= LIT_NIGHT_SHARE)
        night_share = np.where(count.sum(axis=1) > 0, total.sum(axis=1) / count.sum(axis=1), np.nan)
    # The last night with any observation: the most recent thing the sensor told us.
    last_idx = np.where(observed.any(axis=1), nights - 1 - np.argmax(observed[:, ::-1], axis=1), 0)
    last_night = np.where(observed.any(axis=1), share[np.arange(n), last_idx], np.nan)
    return observed.sum(axis=1), lit.sum(axis=1), night_share, last_night


def _lights_variability(lights: np.ndarray) -> np.ndarray:
    """How much the lights-on share at each hour of the night changes from day to day.

    A lamp on a timer switches at the same minute every day, so its hourly shares are
    identical night after night (0); people come home, cook and go to bed at slightly
    different times (clearly above 0). NaN without observations on two nights.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        seen = (~np.isnan(lights)).sum(axis=1)
        std = np.nanstd(lights, axis=1)
        std = np.where(seen >= 2, std, np.nan)
        return np.nanmean(std, axis=1)


def _neutral(values: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(values), NEUTRAL_LIGHTS, values)
