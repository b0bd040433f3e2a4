"""Hourly aggregation from value objects, and where a window of whole local days lies."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from occupancy import timeseries
from occupancy.readings import IntervalEnergy, LightReading
from occupancy.timeseries import (
    MIN_HOUR_COVERAGE,
    HourlyWindow,
    aggregate_arrays,
    aggregate_hourly,
    local_midnight,
    window_bounds,
)

TZ = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 3, 1, tzinfo=TZ)
T0 = DAY.timestamp()
H = 3600.0


def e(start_h: float, end_h: float, kwh: float, unit: str = "a") -> IntervalEnergy:
    return IntervalEnergy("east", unit, T0 + start_h * H, T0 + end_h * H, kwh)


def lit(hour: float, on: bool, unit: str = "a") -> LightReading:
    return LightReading("east", unit, T0 + hour * H, on)


def test_full_coverage_is_the_energy_itself() -> None:
    window = aggregate_hourly([e(8, 8.25, 0.1), e(8.25, 9, 0.5)], [], DAY, 24)
    assert window.coverage[0, 8] == 1.0
    assert window.energy_kwh[0, 8] == pytest.approx(0.6)


def test_partial_coverage_is_scaled_to_the_hour() -> None:
    window = aggregate_hourly([e(8, 8.75, 0.3)], [], DAY, 24)
    assert window.coverage[0, 8] == 0.75
    assert window.energy_kwh[0, 8] == pytest.approx(0.4)


def test_coverage_threshold_is_inclusive() -> None:
    assert MIN_HOUR_COVERAGE == 0.5
    at_threshold = aggregate_hourly([e(8, 8.5, 0.2)], [], DAY, 24)
    assert at_threshold.energy_kwh[0, 8] == pytest.approx(0.4)
    below = aggregate_hourly([e(8, 8.49, 0.2)], [], DAY, 24)
    assert below.coverage[0, 8] == pytest.approx(0.49)
    assert math.isnan(below.energy_kwh[0, 8])


def test_gaps_inside_an_hour_add_up() -> None:
    # Two separate quarters: half the hour is measured, 0.3 kWh in it.
    window = aggregate_hourly([e(8, 8.25, 0.1), e(8.5, 8.75, 0.2)], [], DAY, 24)
    assert window.coverage[0, 8] == 0.5
    assert window.energy_kwh[0, 8] == pytest.approx(0.6)


def test_a_long_interval_is_spread_evenly() -> None:
    window = aggregate_hourly([e(7.5, 10.5, 3.0)], [], DAY, 24)
    assert window.coverage[0, 7:11].tolist() == [0.5, 1.0, 1.0, 0.5]
    assert window.energy_kwh[0, 7:11] == pytest.approx([1.0, 1.0, 1.0, 1.0])


def test_intervals_outside_the_window_or_empty_are_ignored() -> None:
    window = aggregate_hourly(
        [e(-2, -1, 5.0), e(24, 25, 5.0), e(8, 8, 5.0), e(9, 8, 5.0), e(-0.5, 0.5, 2.0)],
        [],
        DAY,
        24,
    )
    assert np.flatnonzero(window.coverage[0]).tolist() == [0]
    assert window.energy_kwh[0, 0] == pytest.approx(2.0)


def test_unit_ids_default_sorted_or_as_given() -> None:
    energy = [e(8, 9, 1.0, "b"), e(8, 9, 2.0, "a")]
    assert aggregate_hourly(energy, [lit(1, True, "c")], DAY, 24).unit_ids == ["a", "b", "c"]
    chosen = aggregate_hourly(energy, [], DAY, 24, unit_ids=["b", "z"], communities={"z": "w"})
    assert chosen.unit_ids == ["b", "z"]
    assert chosen.communities == ["east", "w"]
    assert chosen.energy_kwh[:, 8] == pytest.approx([1.0, math.nan], nan_ok=True)


def test_lights_share_per_hour() -> None:
    window = aggregate_hourly(
        [], [lit(20, True), lit(20.5, False), lit(20.9, True), lit(21, False)], DAY, 24
    )
    assert window.lights_on[0, 20] == pytest.approx(2 / 3)
    assert window.lights_on[0, 21] == 0.0
    assert np.count_nonzero(~np.isnan(window.lights_on)) == 2
    assert np.isnan(window.energy_kwh).all() and (window.coverage == 0).all()


def test_empty_input() -> None:
    window = aggregate_hourly([], [], DAY, 48)
    assert window.unit_ids == []
    assert window.energy_kwh.shape == (0, 48)
    assert window.days == 2 and window.end == DAY + timedelta(days=2)


def test_window_end_counts_real_hours_across_daylight_saving_changes() -> None:
    """Column h is h real hours after the start, so the end is too (not the wall clock)."""
    berlin = ZoneInfo("Europe/Berlin")

    def window(start: datetime, hours: int) -> HourlyWindow:
        z = np.zeros((1, hours))
        return HourlyWindow(["a"], ["c"], start, z, z, z)

    spring = window(datetime(2026, 3, 23, tzinfo=berlin), 179)  # 29 March has 23 hours
    assert spring.end == datetime(2026, 3, 30, 12, tzinfo=berlin)
    assert spring.end.isoformat() == "2026-03-30T12:00:00+02:00"
    autumn = window(datetime(2026, 10, 19, tzinfo=berlin), 168)  # 25 October has 25 hours
    assert autumn.end.isoformat() == "2026-10-25T23:00:00+01:00"
    assert window(DAY, 48).end == datetime(2026, 3, 3, tzinfo=TZ)


def test_local_midnight_in_shanghai() -> None:
    # 2026-03-01 17:00 UTC is 01:00 on 2 March in Shanghai.
    moment = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
    assert local_midnight(moment, TZ) == datetime(2026, 3, 2, tzinfo=TZ)


def test_window_bounds_ending_at_a_local_midnight() -> None:
    end = datetime(2026, 3, 8, tzinfo=TZ)
    assert window_bounds(end, 7, TZ) == (datetime(2026, 3, 1, tzinfo=TZ), end)
    # The same moment given in UTC (16:00 the day before) is the same window.
    start, stop = window_bounds(datetime(2026, 3, 7, 16, tzinfo=UTC), 7, TZ)
    assert (start, stop) == (datetime(2026, 3, 1, tzinfo=TZ), end)
    assert stop.utcoffset() == timedelta(hours=8)


def test_window_bounds_with_an_end_inside_a_day_include_that_day() -> None:
    """An explicit end (e.g. the last reading's time) rounds up to the next local midnight."""
    end = datetime(2026, 3, 7, 23, 45, tzinfo=TZ)
    assert window_bounds(end, 7, TZ) == (
        datetime(2026, 3, 1, tzinfo=TZ),
        datetime(2026, 3, 8, tzinfo=TZ),
    )
    # 2026-03-07 17:00 UTC is 01:00 on 8 March in Shanghai: 8 March is included, in local days.
    start, stop = window_bounds(datetime(2026, 3, 7, 17, tzinfo=UTC), 2, TZ)
    assert (start, stop) == (datetime(2026, 3, 7, tzinfo=TZ), datetime(2026, 3, 9, tzinfo=TZ))


def test_window_bounds_default_end_drops_today() -> None:
    before = datetime.now(TZ)
    start, stop = window_bounds(None, 7, TZ)
    after = datetime.now(TZ)
    assert (stop.hour, stop.minute, stop.second, stop.microsecond) == (0, 0, 0, 0)
    assert stop <= after and stop > before - timedelta(days=1)
    assert stop - start == timedelta(days=7)


def test_reindex_keeps_rows_and_adds_unmeasured_ones() -> None:
    import numpy as np

    from occupancy.readings import IntervalEnergy
    from occupancy.timeseries import aggregate_hourly

    start = datetime(2026, 3, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
    t0 = start.timestamp()
    window = aggregate_hourly(
        [
            IntervalEnergy("c1", "a", t0, t0 + 3600, 1.0),
            IntervalEnergy("c2", "b", t0, t0 + 3600, 2.0),
        ],
        [],
        start,
        2,
    )
    out = window.reindex(["b", "new", "a"], {"new": "c3", "a": "ignored"})
    assert out.unit_ids == ["b", "new", "a"]
    assert out.communities == ["c2", "c3", "c1"]
    assert out.energy_kwh[0, 0] == 2.0 and out.energy_kwh[2, 0] == 1.0
    assert np.isnan(out.energy_kwh[1]).all() and (out.coverage[1] == 0).all()
    assert np.isnan(out.lights_on[1]).all()
    assert out.start == window.start and out.hours == 2


# --- the blockwise register path against the original per-interval code ------------------
#
# ``aggregate_arrays`` derives intervals from registers in blocks, sums cells with
# ``bincount`` where it can and accepts integer unit positions. It must give exactly the
# bits the straightforward version gave; that version is kept here as the oracle.


def _reference_register_intervals(
    unit: object, ts: np.ndarray, kwh: np.ndarray, meter: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    units = np.asarray(unit, dtype=object)
    ts = np.asarray(ts, dtype=float)
    kwh = np.asarray(kwh, dtype=float)
    if len(ts) < 2:
        empty = np.array([], dtype=float)
        return np.array([], dtype=object), empty, empty, empty
    codes = np.unique(units.astype(str), return_inverse=True)[1]
    order = np.lexsort((ts, codes))
    codes, units, ts, kwh = codes[order], units[order], ts[order], kwh[order]
    if meter is None:
        meters = np.zeros(len(ts))
    else:
        meters = np.nan_to_num(np.asarray(meter, dtype=float), nan=0.0)[order]
    dt = np.diff(ts)
    delta = np.diff(kwh)
    with np.errstate(divide="ignore", invalid="ignore"):
        power = delta / (dt / H)
    keep = (
        (codes[1:] == codes[:-1])
        & (dt > 0)
        & (dt <= 2 * H)
        & (delta >= 0)
        & (power <= 50.0)
        & ((meters[1:] == meters[:-1]) | (meters[1:] == 0) | (meters[:-1] == 0))
    )
    return units[1:][keep], ts[:-1][keep], ts[1:][keep], delta[keep]


def _reference_aggregate(start: datetime, hours: int, **kw: object) -> HourlyWindow:
    """``aggregate_arrays`` as it was before the blockwise path (unit ids as strings)."""
    e_unit, e_start, e_end, e_kwh = kw["e_unit"], kw["e_start"], kw["e_end"], kw["e_kwh"]
    if len(kw.get("r_unit", ())):
        d_unit, d_start, d_end, d_kwh = _reference_register_intervals(
            kw["r_unit"], kw["r_ts"], kw["r_kwh"], kw.get("r_meter")
        )
        e_unit = [*e_unit, *d_unit]
        e_start = np.concatenate([np.asarray(e_start, dtype=float), d_start])
        e_end = np.concatenate([np.asarray(e_end, dtype=float), d_end])
        e_kwh = np.concatenate([np.asarray(e_kwh, dtype=float), d_kwh])
    ids = list(kw["unit_ids"])
    row = {unit_id: i for i, unit_id in enumerate(ids)}
    t0 = start.timestamp()
    n = len(ids)
    kwh = np.zeros((n, hours))
    covered = np.zeros((n, hours))
    on_count = np.zeros((n, hours))
    obs_count = np.zeros((n, hours))
    if len(e_unit):
        rows = np.fromiter((row.get(u, -1) for u in e_unit), dtype=np.int64, count=len(e_unit))
        a = (np.asarray(e_start, dtype=float) - t0) / H
        b = (np.asarray(e_end, dtype=float) - t0) / H
        e_kwh = np.asarray(e_kwh, dtype=float)
        keep = (rows >= 0) & (b > a) & (b > 0) & (a < hours)
        rows, a, b, e_kwh = rows[keep], a[keep], b[keep], e_kwh[keep]
        span = b - a
        first = np.floor(a).astype(np.int64)
        last = np.ceil(b).astype(np.int64) - 1
        single = (first == last) & (first >= 0) & (first < hours)
        np.add.at(kwh, (rows[single], first[single]), e_kwh[single])
        np.add.at(covered, (rows[single], first[single]), span[single])
        for i in np.flatnonzero(~single):
            for h in range(max(first[i], 0), min(last[i], hours - 1) + 1):
                overlap = min(b[i], h + 1) - max(a[i], h)
                if overlap > 0:
                    kwh[rows[i], h] += e_kwh[i] * overlap / span[i]
                    covered[rows[i], h] += overlap
    l_unit = kw.get("l_unit", ())
    if len(l_unit):
        rows = np.fromiter((row.get(u, -1) for u in l_unit), dtype=np.int64, count=len(l_unit))
        h = np.floor((np.asarray(kw["l_ts"], dtype=float) - t0) / H).astype(np.int64)
        keep = (rows >= 0) & (h >= 0) & (h < hours)
        np.add.at(obs_count, (rows[keep], h[keep]), 1.0)
        np.add.at(on_count, (rows[keep], h[keep]), np.asarray(kw["l_on"], dtype=float)[keep])
    coverage = np.clip(covered, 0.0, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = np.where(coverage >= MIN_HOUR_COVERAGE, kwh / np.maximum(covered, 1e-12), np.nan)
        lights_on = np.where(obs_count > 0, on_count / obs_count, np.nan)
    communities = kw["communities"]
    return HourlyWindow(
        ids, [communities.get(u, "") for u in ids], start, scaled, coverage, lights_on
    )


def _awkward(seed: int, *, with_energy: bool = True, shuffle: bool = True) -> dict[str, object]:
    """Registers with everything a store sees: 15-minute, 7-minute and 1-hour meters, gaps
    past the 2-hour limit, counter resets, meter swaps (``meter`` keys, some unknown),
    jumps too fast to be a household, exact and conflicting duplicates, readings before and
    after the window, units the window does not hold, stored intervals on the same cells,
    and (``shuffle``) everything out of order.

    Registers near zero (new meters, frequent resets) and sub-second clock jitter make the
    float sums depend on the order of addition; large registers alone would not show a
    changed order, because their differences are exact and telescope."""
    rng = np.random.default_rng(seed)
    ids = [f"u{k}" for k in range(7)]
    hours = 30
    units, ts, kwh, meter = [], [], [], []
    for name in [*ids[:6], "stranger", "other"]:
        step = rng.choice([420.0, 900.0, 3600.0, 1234.5])
        t = T0 - rng.uniform(0, 3) * H
        level = rng.uniform(100, 5000) if rng.random() < 0.3 else rng.uniform(0, 0.01)
        key = float(rng.choice([0.0, 11.0]))
        while t < T0 + (hours + 3) * H:
            units.append(name)
            ts.append(t)
            kwh.append(level)
            meter.append(key if rng.random() > 0.02 else np.nan)
            roll = rng.random()
            if roll < 0.06:
                level = rng.uniform(0, 0.5)  # counter reset
            elif roll < 0.08:
                level += rng.uniform(0, 5)
                key = 22.0 if key != 22.0 else 33.0  # meter swap
            elif roll < 0.09:
                level += 200.0  # implausible jump
            else:
                level += rng.exponential(0.08) * step / 900
            if rng.random() < 0.03:  # duplicate, sometimes with another value
                units.append(name)
                ts.append(t)
                kwh.append(level if rng.random() < 0.5 else level + 0.01)
                meter.append(key)
            t += step * (rng.integers(3, 12) if rng.random() < 0.03 else 1)  # gaps
            t += rng.normal(0, 20) if rng.random() < 0.1 else rng.uniform(0, 1)  # jitter
    order = rng.permutation(len(ts)) if shuffle else np.arange(len(ts))
    if not shuffle:  # sorted by unit then time, as store queries return them
        order = np.lexsort((np.array(ts), np.array(units)))
    r_unit = np.array(units, dtype=object)[order]
    e_unit: list[str] = []
    e_start: list[float] = []
    e_end: list[float] = []
    e_kwh: list[float] = []
    if with_energy:
        for _ in range(40):
            e_unit.append(str(rng.choice([*ids, "stranger"])))
            a = T0 + rng.uniform(-2, hours + 1) * H
            e_start.append(a)
            e_end.append(a + rng.choice([900.0, 1800.0, 5400.0, -60.0]))
            e_kwh.append(rng.uniform(0, 2))
    l_unit = [str(rng.choice([*ids, "stranger"])) for _ in range(300)]
    return {
        "unit_ids": ids,
        "communities": {u: "east" for u in ids},
        "e_unit": e_unit,
        "e_start": np.array(e_start, dtype=float),
        "e_end": np.array(e_end, dtype=float),
        "e_kwh": np.array(e_kwh, dtype=float),
        "l_unit": l_unit,
        "l_ts": T0 + rng.uniform(-2, hours + 2, 300) * H,
        "l_on": (rng.random(300) < 0.4).astype(float),
        "r_unit": r_unit.tolist(),
        "r_ts": np.array(ts)[order],
        "r_kwh": np.array(kwh)[order],
        "r_meter": np.array(meter)[order],
    }


def _bits(window: HourlyWindow) -> list[bytes]:
    return [window.energy_kwh.tobytes(), window.coverage.tobytes(), window.lights_on.tobytes()]


def _as_positions(kw: dict[str, object]) -> dict[str, object]:
    """The same input with unit ids replaced by integer positions in ``unit_ids`` (-1, or a
    position past the end, for units the window does not hold)."""
    pos = {u: i for i, u in enumerate(kw["unit_ids"])}
    out = dict(kw)
    for key in ("e_unit", "l_unit", "r_unit"):
        out[key] = np.array([pos.get(u, -1 if len(u) % 2 else 99) for u in kw[key]], np.int64)
    return out


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("block", [3, 50, 1 << 21])
def test_blockwise_path_is_bit_identical_to_the_original(
    seed: int, block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timeseries, "REGISTER_BLOCK", block)
    kw = _awkward(seed, shuffle=seed % 2 == 0, with_energy=seed % 3 != 0)
    expected = _reference_aggregate(DAY, 30, **kw)
    assert np.isfinite(expected.energy_kwh).sum() > 20  # the data does reach the hours
    assert np.isnan(expected.energy_kwh).sum() > 0  # ... and leaves some unmeasured
    got = aggregate_arrays(DAY, 30, **kw)
    assert _bits(got) == _bits(expected)
    assert got.unit_ids == expected.unit_ids and got.communities == expected.communities
    # Integer positions and a numpy string array mean the same units.
    assert _bits(aggregate_arrays(DAY, 30, **_as_positions(kw))) == _bits(expected)
    as_numpy = {**kw, "r_unit": np.array(kw["r_unit"], dtype=str)}
    assert _bits(aggregate_arrays(DAY, 30, **as_numpy)) == _bits(expected)


def test_a_unit_spread_over_many_blocks_sums_like_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Minute readings with a reset every 7 minutes and jittered clocks: a changed order of
    addition shows in the bits."""
    rng = np.random.default_rng(1)
    ts = T0 + np.arange(5 * 60 + 1) * 60.0 + rng.uniform(0, 1, 5 * 60 + 1)
    kwh = (np.arange(len(ts)) % 7) * 0.1 + np.sort(rng.uniform(0, 0.05, len(ts)))
    kw = {
        "unit_ids": ["a"],
        "communities": {"a": "east"},
        "e_unit": ["a"],
        "e_start": np.array([T0 + 0.5 * H]),
        "e_end": np.array([T0 + 0.75 * H]),
        "e_kwh": np.array([0.123456789]),
        "r_unit": ["a"] * len(ts),
        "r_ts": ts,
        "r_kwh": kwh,
    }
    expected = _reference_aggregate(DAY, 5, **kw)
    for block in (3, 7, 1 << 21):
        monkeypatch.setattr(timeseries, "REGISTER_BLOCK", block)
        assert _bits(aggregate_arrays(DAY, 5, **kw)) == _bits(expected)


def test_stored_intervals_and_registers_on_one_hour_add_in_the_original_order() -> None:
    """A unit that sent both stored intervals and registers (it should not, but a store
    may hold both): its hours get the stored energy first, then the registers', one by one."""
    rng = np.random.default_rng(2)
    ts = T0 + np.arange(5 * 60 + 1) * 60.0 + rng.uniform(0, 1, 5 * 60 + 1)
    kwh = (np.arange(len(ts)) % 7) * 0.1 + np.sort(rng.uniform(0, 0.05, len(ts)))
    starts = T0 + np.arange(5) * H + 0.3 * H
    kw = {
        "unit_ids": ["a", "b", "c"],
        "communities": {},
        "e_unit": ["b"] * 5,
        "e_start": starts,
        "e_end": starts + 0.2 * H,
        "e_kwh": rng.uniform(0, 1, 5),
        "r_unit": ["a"] * 3 + ["b"] * len(ts) + ["c"] * 3,
        "r_ts": np.concatenate([ts[:3], ts, ts[:3]]),
        "r_kwh": np.concatenate([kwh[:3], kwh, kwh[:3]]),
    }
    assert _bits(aggregate_arrays(DAY, 5, **kw)) == _bits(_reference_aggregate(DAY, 5, **kw))


def test_integer_positions_outside_the_units_are_ignored() -> None:
    ts = T0 + np.arange(5) * 900.0
    kwh = np.array([1.0, 1.1, 1.2, 1.3, 1.4])
    window = aggregate_arrays(
        DAY,
        2,
        unit_ids=["a", "b"],
        communities={},
        e_unit=np.array([2, -1]),
        e_start=np.array([T0, T0]),
        e_end=np.array([T0 + H, T0 + H]),
        e_kwh=np.array([9.0, 9.0]),
        r_unit=np.array([1, 1, 1, 1, 1]),
        r_ts=ts,
        r_kwh=kwh,
    )
    assert np.isnan(window.energy_kwh[0]).all()
    assert window.energy_kwh[1, 0] == pytest.approx(0.4)
    assert window.coverage[1].tolist() == [1.0, 0.0]
