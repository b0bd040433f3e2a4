"""Hourly aggregation from value objects, and where a window of whole local days lies."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from occupancy.readings import IntervalEnergy, LightReading
from occupancy.timeseries import (
    MIN_HOUR_COVERAGE,
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
