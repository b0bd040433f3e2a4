"""Register readings to interval energy: every kind of misbehaving register stream."""

from __future__ import annotations

import pytest

from occupancy.ingest.intervals import (
    CONFLICTING_DUPLICATE,
    COUNTER_RESET,
    DUPLICATE,
    FIRST,
    GAP,
    IMPLAUSIBLE_JUMP,
    OUT_OF_ORDER,
    IntervalConverter,
    Step,
    to_intervals,
)
from occupancy.readings import IntervalEnergy, MeterReading

T0 = 1772324100.0  # 2026-03-01 08:15 Shanghai
Q = 900.0  # the meters report every 15 minutes


def r(ts: float, kwh: float, unit: str = "3-501") -> MeterReading:
    return MeterReading(community="east", unit_id=unit, ts=ts, kwh=kwh)


def e(start: float, end: float, kwh: float, unit: str = "3-501") -> IntervalEnergy:
    return IntervalEnergy(community="east", unit_id=unit, start=start, end=end, kwh=kwh)


def run(converter: IntervalConverter, readings: list[MeterReading]) -> list[Step]:
    return [converter.step(x) for x in readings]


def test_normal_sequence_gives_deltas_between_consecutive_readings() -> None:
    steps = run(IntervalConverter(), [r(T0, 100.0), r(T0 + Q, 100.25), r(T0 + 2 * Q, 100.75)])
    assert steps[0] == Step(None, FIRST)
    assert [s.energy for s in steps[1:]] == [e(T0, T0 + Q, 0.25), e(T0 + Q, T0 + 2 * Q, 0.5)]
    assert [s.note for s in steps[1:]] == [None, None]
    assert all(s.keep_register for s in steps)


def test_a_flat_register_is_zero_energy_not_a_duplicate() -> None:
    steps = run(IntervalConverter(), [r(T0, 5.0), r(T0 + Q, 5.0)])
    assert steps[1] == Step(e(T0, T0 + Q, 0.0))


def test_counter_reset_gives_no_energy_and_re_anchors() -> None:
    steps = run(IntervalConverter(), [r(T0, 900.0), r(T0 + Q, 0.5), r(T0 + 2 * Q, 0.75)])
    assert steps[1] == Step(None, COUNTER_RESET)
    assert steps[1].keep_register  # the new register value is the new truth
    assert steps[2].energy == e(T0 + Q, T0 + 2 * Q, 0.25)


def test_gap_longer_than_max_interval_gives_no_energy_and_re_anchors() -> None:
    converter = IntervalConverter(max_interval_seconds=2 * 3600)
    steps = run(
        converter, [r(T0, 10.0), r(T0 + 2 * 3600 + 1, 11.0), r(T0 + 2 * 3600 + 1 + Q, 11.5)]
    )
    assert steps[1] == Step(None, GAP)
    assert steps[1].keep_register
    assert steps[2].energy == e(T0 + 2 * 3600 + 1, T0 + 2 * 3600 + 1 + Q, 0.5)


def test_exactly_max_interval_is_still_an_interval() -> None:
    steps = run(IntervalConverter(max_interval_seconds=3600), [r(T0, 10.0), r(T0 + 3600, 10.5)])
    assert steps[1].energy == e(T0, T0 + 3600, 0.5)


def test_duplicate_is_ignored_and_counted() -> None:
    steps = run(IntervalConverter(), [r(T0, 10.0), r(T0, 10.0), r(T0 + Q, 10.5)])
    assert steps[1] == Step(None, DUPLICATE)
    assert not steps[1].keep_register
    assert steps[2].energy == e(T0, T0 + Q, 0.5)


def test_conflicting_duplicate_keeps_the_first_value() -> None:
    steps = run(IntervalConverter(), [r(T0, 10.0), r(T0, 12.0), r(T0 + Q, 10.5)])
    assert steps[1] == Step(None, CONFLICTING_DUPLICATE)
    assert not steps[1].keep_register
    assert steps[2].energy == e(T0, T0 + Q, 0.5)  # measured from 10.0, not 12.0


def test_out_of_order_is_dropped_without_moving_the_anchor() -> None:
    steps = run(
        IntervalConverter(),
        [r(T0, 10.0), r(T0 + 2 * Q, 11.0), r(T0 + Q, 10.5), r(T0 + 3 * Q, 11.25)],
    )
    assert steps[2] == Step(None, OUT_OF_ORDER)
    assert not steps[2].keep_register
    assert steps[3].energy == e(T0 + 2 * Q, T0 + 3 * Q, 0.25)


def test_implausible_jump_gives_no_energy_and_re_anchors() -> None:
    # 20 kWh in 15 minutes is 80 kW: a meter swap or a glitch, not a household.
    converter = IntervalConverter(max_power_kw=50.0)
    steps = run(converter, [r(T0, 10.0), r(T0 + Q, 30.0), r(T0 + 2 * Q, 30.5)])
    assert steps[1] == Step(None, IMPLAUSIBLE_JUMP)
    assert steps[1].keep_register
    assert steps[2].energy == e(T0 + Q, T0 + 2 * Q, 0.5)


def test_power_right_at_the_limit_is_plausible() -> None:
    steps = run(IntervalConverter(max_power_kw=50.0), [r(T0, 0.0), r(T0 + Q, 12.5)])
    assert steps[1].energy == e(T0, T0 + Q, 12.5)


def test_units_are_independent() -> None:
    converter = IntervalConverter()
    steps = run(
        converter, [r(T0, 1.0, "a"), r(T0, 50.0, "b"), r(T0 + Q, 1.5, "a"), r(T0 + Q, 50.1, "b")]
    )
    assert [s.note for s in steps[:2]] == [FIRST, FIRST]
    assert steps[2].energy == e(T0, T0 + Q, 0.5, "a")
    assert steps[3].energy == e(T0, T0 + Q, pytest.approx(0.1), "b")


def test_resumes_from_last_mapping() -> None:
    converter = IntervalConverter(last={"3-501": r(T0, 100.0)})
    steps = run(converter, [r(T0, 100.0), r(T0 + Q, 100.4)])
    assert steps[0] == Step(None, DUPLICATE)  # a redelivery of what the store already has
    assert steps[1].energy == e(T0, T0 + Q, pytest.approx(0.4))


def test_last_mapping_is_copied_not_shared() -> None:
    last = {"3-501": r(T0, 100.0)}
    IntervalConverter(last=last).step(r(T0 + Q, 100.4))
    assert last == {"3-501": r(T0, 100.0)}


def test_to_intervals_sorts_each_unit_by_time() -> None:
    readings = [
        r(T0 + 2 * Q, 3.0, "b"),
        r(T0 + Q, 10.5, "a"),
        r(T0, 1.0, "b"),
        r(T0 + 2 * Q, 11.0, "a"),
        r(T0, 10.0, "a"),
        r(T0 + Q, 2.0, "b"),
        r(T0 + Q, 2.0, "b"),  # duplicate
        r(T0 + 3 * Q, 0.1, "b"),  # meter replaced
    ]
    energy, notes = to_intervals(readings)
    assert energy == [
        e(T0, T0 + Q, 0.5, "a"),
        e(T0 + Q, T0 + 2 * Q, 0.5, "a"),
        e(T0, T0 + Q, 1.0, "b"),
        e(T0 + Q, T0 + 2 * Q, 1.0, "b"),
    ]
    assert notes == {FIRST: 2, DUPLICATE: 1, COUNTER_RESET: 1}


def test_to_intervals_passes_limits_through() -> None:
    energy, notes = to_intervals([r(T0, 0.0), r(T0 + 3600, 1.0)], max_interval_seconds=1800)
    assert energy == []
    assert notes == {FIRST: 1, GAP: 1}
