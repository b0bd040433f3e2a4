"""Which hours show a *person* using electricity, as opposed to an appliance cycling by itself.

An empty flat is not silent on the meter: a fridge cycles, a storage water heater left on
reheats for a few minutes every few hours (about 2 kW, so 0.2-0.5 kWh in one hour), a
dehumidifier runs on its humidistat. Counting every hour above standby as "someone is home"
would keep the welfare check of an elderly resident quiet while nobody has touched a switch
for days. Thermostatic loads, however, do not sleep: they leave the same signature between
01:00 and 05:00 as at noon. People mostly do sleep, and when they are awake they leave either
*sustained* excess (TV and lights for hours, cooking with the hob, then the rice cooker) or
excess *bigger* than anything the unit's own appliances do at night.

So an hour is a *human* hour when its energy above the standby baseline

* exceeds ``margin_kwh`` and is part of a run of consecutive such hours longer than any run
  the unit shows starting in the night (at least ``min_run`` hours), or
* exceeds the unit's largest night-time hourly excess (times ``spike_factor``) by the margin.

Everything is vectorised over units; unmeasured hours (NaN) are never human and break runs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

#: Local hours (inclusive start, exclusive end) when people are asleep, so whatever runs then
#: is the unit's own appliances: the reference for "not human".
NIGHT_HOURS = (22, 5)
#: Runs of activity that start in these hours are an appliance's, not a person's.
CORE_NIGHT_HOURS = (0, 4)
#: A run already going when the window opens counts as an appliance's beyond this.
HOURS_PER_DAY = 24
#: Excess over standby (kWh in the hour) that makes an hour active at all.
HUMAN_MARGIN_KWH = 0.1
#: A run of active hours at least this long is sustained use (a reheat that straddles an hour
#: boundary makes two active hours, never three).
MIN_HUMAN_RUN = 3
#: An hour counts as human when it exceeds the unit's biggest night-time hour times this factor
#: plus the margin (a storage heater's reheats vary by a few minutes, not by half).
SPIKE_FACTOR = 1.0
#: Night events needed before the typical one caps the biggest.
MIN_NIGHT_EVENTS = 3
#: An event over this multiple of the unit's typical night event (plus the margin) is not
#: that appliance.
BIG_EVENT_FACTOR = 1.5
#: The smallest short event (kWh, with its quiet neighbour hours) that proves a person.
MIN_EVENT_KWH = 0.22
#: How much bigger than the unit's night events an event must be (kWh): a reheat can
#: coincide with a defrost cycle (up to 0.15 kWh) and still be no person.
EVENT_MARGIN_KWH = 0.15
#: Someone home and awake: at least this excess (kWh in the hour) ...
LOW_MARGIN_KWH = 0.05
#: ... for this many hours in a row.
LOW_RUN_HOURS = 4
#: A unit whose typical night event is at least this big (kWh) has a big thermostatic
#: appliance (a storage water heater), and its hours of at least REHEAT_SHARE of that event
#: (and REHEAT_MIN_KWH), in events no bigger than its night ones, are taken for reheats.
BIG_APPLIANCE_KWH = 0.25
REHEAT_SHARE = 0.5
REHEAT_MIN_KWH = 0.2
#: Percentile of measured hourly energy taken as the standby baseline.
BASELINE_PERCENTILE = 10.0
#: An hour of the day whose excess stays within this range (kWh) on every measured day is a
#: timer, not a person: people never repeat themselves to the minute.
REPEAT_RANGE_KWH = 0.05
#: Days needed before an hour of the day can be called identical every day.
REPEAT_MIN_DAYS = 5
#: Days that may break the repetition (something else running in that hour that day) for
#: the occupancy features. The welfare check allows none: it must not mistake an elderly
#: resident's steady habits for a timer.
REPEAT_OUTLIER_DAYS = 3
#: ... but at least this many days must repeat, and the others must lie at least
#: REPEAT_FAR_KWH above the repeating level (something else running on top).
REPEAT_MIN_CLOSE = 4
REPEAT_FAR_KWH = 0.1
#: Repeating loads smaller than this (kWh in the hour) are not removed.
REPEAT_MIN_KWH = 0.04


@dataclass(frozen=True)
class HumanActivity:
    """Per-unit result of ``human_hours``: the mask and the reference it was judged against."""

    #: (n_units, hours) True where a person was active in that hour.
    human: np.ndarray
    #: (n_units, hours) True where the hour exceeded standby by the margin (any cause).
    active: np.ndarray
    #: (n_units, hours) energy above the baseline, minus what repeats identically every day.
    excess: np.ndarray
    #: (n_units, hours) length of the run of active hours each active hour belongs to.
    run_length: np.ndarray
    #: Standby baseline (kWh per hour) per unit.
    baseline_kwh: np.ndarray
    #: Largest excess of a night hour per unit (kWh); 0 without night hours.
    night_peak_kwh: np.ndarray
    #: Longest run of active hours starting at night per unit.
    night_run_hours: np.ndarray
    #: Hourly excess above which a single hour counts as human, per unit.
    spike_kwh: np.ndarray
    #: Run length from which sustained excess counts as human, per unit.
    run_hours: np.ndarray


def human_hours(
    energy: np.ndarray,
    hour_of_day: np.ndarray,
    *,
    margin_kwh: float = HUMAN_MARGIN_KWH,
    min_run: int = MIN_HUMAN_RUN,
    spike_factor: float = SPIKE_FACTOR,
    baseline_percentile: float = BASELINE_PERCENTILE,
    night_hours: tuple[int, int] = NIGHT_HOURS,
    min_event_kwh: float = MIN_EVENT_KWH,
    event_margin_kwh: float = EVENT_MARGIN_KWH,
    low_margin_kwh: float = LOW_MARGIN_KWH,
    low_run_hours: int = LOW_RUN_HOURS,
    repeat_outlier_days: int = 0,
) -> HumanActivity:
    """Mark the hours in which a person used electricity.

    Parameters
    ----------
    energy : array of shape (n_units, hours)
        Hourly kWh, NaN where not measured.
    hour_of_day : array of shape (hours,)
        Local hour (0-23) of each column.
    margin_kwh, min_run, spike_factor, baseline_percentile
        See the module docstring.

    Returns
    -------
    HumanActivity

    Examples
    --------
    >>> e = np.full((1, 48), 0.05)
    >>> e[0, [3, 27]] += 0.4            # a water heater reheats at 03:00 and 03:00 next day
    >>> e[0, 13] += 0.4                 # ... and at 13:00: the same size, not a person
    >>> e[0, 42:45] += 0.3              # 18:00-20:59: someone cooking and watching TV
    >>> np.flatnonzero(human_hours(e, np.arange(48) % 24).human[0]).tolist()
    [42, 43, 44]
    """
    energy = np.asarray(energy, dtype=float)
    n, hours = energy.shape
    hour_of_day = np.asarray(hour_of_day) % 24
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        baseline = row_quantile(energy, baseline_percentile / 100.0)
        excess = energy - baseline[:, None]
    measured = ~np.isnan(energy)
    excess = excess - daily_repeat(excess, hour_of_day, repeat_outlier_days)
    active = measured & (excess > margin_kwh)
    run_length = _run_lengths(active)
    first, last = _run_bounds(active)
    event = _event_energy(excess, active, first, last)
    short = active & (run_length < min_run)
    night = hours_in(hour_of_day, night_hours)
    # The unit's own appliances at night: short events only (a long run at night is someone's
    # air conditioning left on after bedtime, not the water heater's signature).
    at_start = active & (np.arange(hours)[None, :] == first)
    night_events = np.where(at_start & short & night[None, :], event, np.nan)
    event_count = (~np.isnan(night_events)).sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        night_peak = _floor0(np.nanmax(night_events, axis=1)) if hours else np.zeros(n)
    event_typical = row_quantile(night_events, 0.5)

    starts = active & ~np.pad(active, ((0, 0), (1, 0)))[:, :-1]
    # Runs that start in the small hours are the appliances' too (a dehumidifier). A run
    # already going at the first column started at an unknown time; see ``_night_run`` for
    # when it counts the same.
    night_start = hours_in(hour_of_day, CORE_NIGHT_HOURS)
    if hours:
        night_start[0] = False
    night_run = _night_run(starts, night_start, run_length, hour_of_day)
    run_needed = np.maximum(night_run + 1, min_run)
    # A thermostat switches a fixed element for a fixed-ish time: its events are all about
    # the same size, so one far bigger is something else. With a few night events the
    # biggest is capped at BIG_EVENT_FACTOR times the typical one, so one night when the
    # resident was up does not raise the bar for good. Below MIN_EVENT_KWH nothing stands
    # alone as proof of a person: a frost-free fridge's defrost heater (200-350 W for up to
    # 25 minutes every 8-12 hours) makes events that size by itself.
    enough = event_count >= MIN_NIGHT_EVENTS
    typical = np.nan_to_num(event_typical)
    reference = np.where(enough, np.minimum(night_peak, BIG_EVENT_FACTOR * typical), night_peak)
    spike = np.maximum(np.maximum(spike_factor * reference, 0.0) + event_margin_kwh, min_event_kwh)
    # Several reheats in a row (a heater with a 2-hour period) add up to a big event of
    # ordinary hours; where the nights show such runs, a longer event is only "big" if one
    # of its hours is bigger than any night hour.
    night_hour_peak = np.max(
        np.where(short & night[None, :], excess, -np.inf), axis=1, initial=-np.inf
    )
    run_peak = _run_max(np.where(active, excess, -np.inf), first, last)
    merges = (night_run >= min_run)[:, None]
    tall = (
        (run_length <= 2) | ~merges | (run_peak > (_floor0(night_hour_peak) + margin_kwh)[:, None])
    )
    with np.errstate(invalid="ignore"):
        odd = (event > spike[:, None]) & tall
    # Hours the size of the unit's own tank reheats (where it has a big appliance at all)
    # are the appliance's: a reheat with a defrost on either side is three active hours
    # but no person, so they do not count towards a sustained run.
    big_appliance = (enough & (typical >= BIG_APPLIANCE_KWH))[:, None]
    reheat_size = np.maximum(REHEAT_MIN_KWH, REHEAT_SHARE * typical)
    reheat_like = big_appliance & active & ~odd & (excess >= reheat_size[:, None])
    core = active & ~reheat_like
    sustained = core & (_run_lengths(core) >= run_needed[:, None])
    # A person at home and awake keeps a little more than standby on for hours (lights, TV,
    # a fan, a computer); no appliance left on by itself does that for LOW_RUN hours running
    # unless it does it at night too.
    low = measured & (excess > low_margin_kwh) & ~reheat_like
    low_run = _run_lengths(low)
    low_starts = low & ~np.pad(low, ((0, 0), (1, 0)))[:, :-1]
    night_low = _night_run(low_starts, night_start, low_run, hour_of_day)
    sustained |= low & (low_run >= np.maximum(night_low + 1, low_run_hours)[:, None])
    human = sustained | (active & odd)
    return HumanActivity(
        human=human,
        active=active,
        excess=excess,
        run_length=run_length,
        baseline_kwh=baseline,
        night_peak_kwh=night_peak,
        night_run_hours=night_run,
        spike_kwh=spike,
        run_hours=run_needed,
    )


def _night_run(
    starts: np.ndarray, night_start: np.ndarray, run_length: np.ndarray, hour_of_day: np.ndarray
) -> np.ndarray:
    """Longest run per unit that starts in the small hours, the appliances' reference.

    A window opens at a local midnight, so a run going at its first column is usually the
    tail of last evening's run cut by the window (heating or air conditioning on from 23:00,
    which on every other night starts before midnight and does not count). Counting the tail
    made one night's use the bar for the whole window and hid every evening: a review found
    a false urgent flag that way. The tail counts only when it outlasts a day, a load that
    never stops, which is not one long person.
    """
    longest = np.where(starts & night_start[None, :], run_length, 0).max(axis=1, initial=0)
    if run_length.shape[1] == 0:
        return longest
    tail = run_length[:, 0]
    return np.maximum(longest, np.where(tail > HOURS_PER_DAY, tail, 0))


def daily_repeat(excess: np.ndarray, hour_of_day: np.ndarray, outlier_days: int = 0) -> np.ndarray:
    """The part of each hour's excess that is identical on every day: a timer's doing.

    For each unit and hour of the day seen on at least ``REPEAT_MIN_DAYS`` measured days: if
    the excess at that hour stays within ``REPEAT_RANGE_KWH`` around its level on all but
    ``outlier_days`` of them (a water heater reheat may fall into a timer's hour on a day or
    two; the level is then the low quartile, else the median), on at least
    ``REPEAT_MIN_CLOSE`` days, the other days at least ``REPEAT_FAR_KWH`` above it, and that
    level is at least ``REPEAT_MIN_KWH``, the level is
    returned for those hours (a lamp on a timer from 18:00 to 23:00 every day); elsewhere 0.
    Smaller repeating loads are left alone: they make no hour active, and a person's few
    steady watts at the same hour every day are not to be taken away.
    """
    n, hours = excess.shape
    hour_of_day = np.asarray(hour_of_day) % 24
    out = np.zeros_like(excess)
    if hours == 0:
        return out
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        for h in range(24):
            cols = np.flatnonzero(hour_of_day == h)
            if cols.size < REPEAT_MIN_DAYS:
                continue
            block = excess[:, cols]
            seen = (~np.isnan(block)).sum(axis=1)
            # Other loads only ever add to a timer's hour, so with outliers allowed the
            # timer's level is the low quartile, not the median.
            level = row_quantile(block, 0.25 if outlier_days else 0.5)
            close = (np.abs(block - level[:, None]) <= REPEAT_RANGE_KWH / 2).sum(axis=1)
            # A day that breaks the repetition must break it clearly (another load on top),
            # not by a little: people vary by a little.
            far = (block > (level + REPEAT_FAR_KWH)[:, None]).sum(axis=1)
            repeat = (
                (seen >= REPEAT_MIN_DAYS)
                & (close >= np.maximum(seen - outlier_days, REPEAT_MIN_CLOSE))
                & (close + far == seen)
                & (level >= REPEAT_MIN_KWH)
            )
            out[:, cols] = np.where(repeat, level, 0.0)[:, None]
    return out


def hours_since_last(mask: np.ndarray) -> np.ndarray:
    """Hours from the end of the last True column to the end of each row; NaN if none."""
    hours = mask.shape[1]
    if hours == 0:
        return np.full(mask.shape[0], np.nan)
    any_true = mask.any(axis=1)
    last = hours - 1 - np.argmax(mask[:, ::-1], axis=1)
    return np.where(any_true, (hours - 1 - last).astype(float), np.nan)


def row_quantile(a: np.ndarray, q: float) -> np.ndarray:
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


def _run_bounds(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last column of the run of True each cell belongs to (per row)."""
    n, hours = mask.shape
    idx = np.broadcast_to(np.arange(hours), (n, hours))
    prev_false = np.maximum.accumulate(np.where(mask, -1, idx), axis=1)
    next_false = np.minimum.accumulate(np.where(mask, hours, idx)[:, ::-1], axis=1)[:, ::-1]
    return prev_false + 1, next_false - 1


def _run_max(values: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Largest value of the run each cell belongs to (runs given by ``first``/``last``)."""
    n, hours = values.shape
    if hours == 0:
        return values
    # Running maximum restarting at each run's first column, read at the run's last column.
    out = values.copy()
    idx = np.arange(hours)
    for h in range(1, hours):
        cont = first[:, h] < h
        out[:, h] = np.where(cont, np.maximum(out[:, h - 1], values[:, h]), values[:, h])
    del idx
    return np.take_along_axis(out, np.clip(last, 0, hours - 1), axis=1)


def _event_energy(
    excess: np.ndarray, active: np.ndarray, first: np.ndarray, last: np.ndarray
) -> np.ndarray:
    """Energy above baseline of each active hour's run plus one quiet hour either side.

    The quiet neighbours catch the part of a short reheat that spilled into the next hour
    without making it active, so a reheat measures the same whether it straddles an hour
    boundary or not. NaN for inactive hours.
    """
    n, hours = excess.shape
    if hours == 0:
        return np.zeros((n, 0))
    positive = np.maximum(np.where(np.isnan(excess), 0.0, excess), 0.0)
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(positive, axis=1)], axis=1)
    lo = np.clip(first - 1, 0, hours - 1)
    hi = np.clip(last + 1, 0, hours - 1)
    total = np.take_along_axis(cum, hi + 1, axis=1) - np.take_along_axis(cum, lo, axis=1)
    return np.where(active, total, np.nan)


def hours_in(hour_of_day: np.ndarray, span: tuple[int, int]) -> np.ndarray:
    """Columns whose local hour is in ``[start, end)``; a span may wrap past midnight."""
    start, end = span
    if start <= end:
        return (hour_of_day >= start) & (hour_of_day < end)
    return (hour_of_day >= start) | (hour_of_day < end)


def _floor0(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), np.maximum(values, 0.0), 0.0)


def _run_lengths(mask: np.ndarray) -> np.ndarray:
    """Length of the run of True each True cell belongs to (0 for False cells), per row."""
    n, hours = mask.shape
    if hours == 0:
        return np.zeros((n, 0), dtype=np.int64)
    m = mask.astype(np.int64)
    idx = np.arange(hours)
    # Index of the latest False at or before each column, and the next False at or after it.
    prev_false = np.where(m == 0, idx[None, :], -1)
    prev_false = np.maximum.accumulate(prev_false, axis=1)
    next_false = np.where(m == 0, idx[None, :], hours)
    next_false = np.minimum.accumulate(next_false[:, ::-1], axis=1)[:, ::-1]
    return np.where(mask, next_false - prev_false - 1, 0)


#: Hourly energy below this (kWh) is "the register did not move" (it counts 0.01 kWh steps).
STILL_KWH = 0.005


def frozen_hours(energy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How long each meter's register has stood still at the end, and whether it ever moved.

    A lived-in or merely empty flat with standby of 20 W or more moves the register by 0.01
    kWh at least every half hour, so a register that moved and then reports the same value
    for many hours is a stuck meter, not a quiet home. A register that never moved at all is
    a flat whose main switch is off.

    Returns
    -------
    frozen : array of shape (n_units,)
        Hours from the end of the last hour in which the register moved to the end of the
        last measured hour; 0 if it never moved or has no measured hour.
    moved : array of bool, shape (n_units,)
        Whether the register moved in any measured hour.
    """
    energy = np.asarray(energy, dtype=float)
    moving = energy > STILL_KWH
    measured = ~np.isnan(energy)
    since_move = hours_since_last(moving)
    since_measured = hours_since_last(measured)
    moved = moving.any(axis=1)
    frozen = np.where(moved, since_move - np.nan_to_num(since_measured), 0.0)
    return np.nan_to_num(frozen), moved
