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
    METER_REPLACED,
    OUT_OF_ORDER,
    IntervalConverter,
    Step,
    to_intervals,
)
from occupancy.readings import IntervalEnergy, MeterReading

T0 = 1772324100.0  # 2026-03-01 08:15 Shanghai
Q = 900.0  # the meters report every 15 minutes


def r(ts: float, kwh: float, unit: str = "3-501", meter: str | None = None) -> MeterReading:
    return MeterReading(community="east", unit_id=unit, ts=ts, kwh=kwh, meter_id=meter)


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


def test_out_of_order_is_kept_but_derives_no_energy_and_does_not_move_the_anchor() -> None:
    steps = run(
        IntervalConverter(),
        [r(T0, 10.0), r(T0 + 2 * Q, 11.0), r(T0 + Q, 10.5), r(T0 + 3 * Q, 11.25)],
    )
    # (T0, T0+2Q] was already derived from its neighbours: 1.0 kWh. The late reading splits
    # it, but deriving from it again would count that energy twice.
    assert [s.energy for s in steps] == [
        None,
        e(T0, T0 + 2 * Q, 1.0),
        None,
        e(T0 + 2 * Q, T0 + 3 * Q, 0.25),
    ]
    assert steps[2] == Step(None, OUT_OF_ORDER)
    assert steps[2].keep_register  # a real register value: the store places it on read
    assert sum(s.energy.kwh for s in steps if s.energy) == 1.25  # 11.25 - 10.0, no more


def test_out_of_order_older_than_any_known_reading() -> None:
    steps = run(IntervalConverter(), [r(T0, 10.0), r(T0 - Q, 9.0), r(T0 + Q, 10.5)])
    assert steps[1] == Step(None, OUT_OF_ORDER)
    assert steps[1].keep_register
    assert steps[2].energy == e(T0, T0 + Q, 0.5)


def test_out_of_order_reading_of_another_meter_is_not_a_replacement() -> None:
    """A late reading from the old meter must neither re-anchor nor change the serial."""
    steps = run(
        IntervalConverter(),
        [r(T0, 5.0, meter="B"), r(T0 - Q, 900.0, meter="A"), r(T0 + Q, 5.5, meter="B")],
    )
    assert [s.note for s in steps] == [FIRST, OUT_OF_ORDER, None]
    assert steps[2].energy == e(T0, T0 + Q, 0.5)


def test_meter_replaced_by_one_with_a_lower_register() -> None:
    steps = run(
        IntervalConverter(),
        [
            r(T0, 900.0, meter="A"),
            r(T0 + Q, 900.5, meter="A"),
            r(T0 + 2 * Q, 0.25, meter="B"),
            r(T0 + 3 * Q, 0.75, meter="B"),
        ],
    )
    assert [s.note for s in steps] == [FIRST, None, METER_REPLACED, None]
    assert [s.energy for s in steps] == [
        None,
        e(T0, T0 + Q, 0.5),
        None,
        e(T0 + 2 * Q, T0 + 3 * Q, 0.5),
    ]
    assert steps[2].keep_register


def test_meter_replaced_by_one_with_a_higher_register_derives_nothing_across_the_swap() -> None:
    # 900.0 -> 900.1 would pass every plausibility check as 0.1 kWh; it is two meters.
    steps = run(
        IntervalConverter(),
        [r(T0, 900.0, meter="A"), r(T0 + Q, 900.1, meter="B"), r(T0 + 2 * Q, 900.3, meter="B")],
    )
    assert steps[1] == Step(None, METER_REPLACED)
    assert steps[1].keep_register
    assert steps[2] == Step(e(T0 + Q, T0 + 2 * Q, pytest.approx(0.2)))


def test_meter_replaced_far_higher_is_not_an_implausible_jump() -> None:
    steps = run(IntervalConverter(), [r(T0, 1.0, meter="A"), r(T0 + Q, 50_000.0, meter="B")])
    assert steps[1] == Step(None, METER_REPLACED)


def test_a_reading_without_serial_neither_replaces_nor_forgets_the_meter() -> None:
    steps = run(
        IntervalConverter(),
        [
            r(T0, 10.0, meter="A"),
            r(T0 + Q, 10.5),  # e.g. a sender that names the meter only sometimes
            r(T0 + 2 * Q, 11.0, meter="A"),
            r(T0 + 3 * Q, 11.5, meter="B"),
        ],
    )
    assert [s.note for s in steps] == [FIRST, None, None, METER_REPLACED]
    assert [s.energy for s in steps[:3]] == [
        None,
        e(T0, T0 + Q, 0.5),
        e(T0 + Q, T0 + 2 * Q, 0.5),
    ]


def test_first_serial_after_a_resume_is_not_a_replacement() -> None:
    """The store's resume point carries no serial: the first one seen is learnt, not a swap."""
    converter = IntervalConverter(last={"3-501": r(T0, 100.0)})
    steps = run(converter, [r(T0 + Q, 100.5, meter="A"), r(T0 + 2 * Q, 0.5, meter="B")])
    assert steps[0] == Step(e(T0, T0 + Q, 0.5))
    assert steps[1] == Step(None, METER_REPLACED)


def test_serial_from_the_resume_point_is_used() -> None:
    converter = IntervalConverter(last={"3-501": r(T0, 100.0, meter="A")})
    assert converter.step(r(T0 + Q, 100.5, meter="B")) == Step(None, METER_REPLACED)


def test_same_time_from_the_new_meter_is_a_conflicting_duplicate_first_kept() -> None:
    """A swap read at the very moment of the old meter's last reading: first value wins, and
    the next reading of the new meter is the replacement."""
    steps = run(
        IntervalConverter(),
        [r(T0, 900.0, meter="A"), r(T0, 0.0, meter="B"), r(T0 + Q, 0.5, meter="B")],
    )
    assert [s.note for s in steps] == [FIRST, CONFLICTING_DUPLICATE, METER_REPLACED]
    assert all(s.energy is None for s in steps)


def test_units_keep_their_own_serials() -> None:
    steps = run(
        IntervalConverter(),
        [r(T0, 1.0, "a", "A"), r(T0, 2.0, "b", "B"), r(T0 + Q, 1.5, "a", "A")],
    )
    assert steps[2].energy == e(T0, T0 + Q, 0.5, "a")


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
        r(T0 + 3 * Q, 0.1, "b"),  # register went down, no serial: a reset
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


def test_every_case_in_one_stream_gives_exactly_the_energy_used() -> None:
    """One unit's day of trouble, through the streaming converter in arrival order."""
    arrivals = [
        r(T0, 100.0, meter="A"),  # first
        r(T0 + Q, 100.25, meter="A"),  # 0.25
        r(T0 + Q, 100.25, meter="A"),  # duplicate
        r(T0 + Q, 100.9, meter="A"),  # conflicting duplicate, first kept
        r(T0 + 3 * Q, 100.75, meter="A"),  # 0.5 over two quarters
        r(T0 + 2 * Q, 100.5, meter="A"),  # out of order, kept, no energy
        r(T0 + 4 * Q, 3.0, meter="A"),  # counter reset
        r(T0 + 5 * Q, 3.5, meter="A"),  # 0.5
        r(T0 + 6 * Q, 3.75, meter="B"),  # meter replaced, higher
        r(T0 + 7 * Q, 4.0, meter="B"),  # 0.25
        r(T0 + 7 * Q + 3 * 3600, 6.0, meter="B"),  # gap
        r(T0 + 8 * Q + 3 * 3600, 26.0, meter="B"),  # 20 kWh in 15 min: implausible
        r(T0 + 9 * Q + 3 * 3600, 26.5, meter="B"),  # 0.5
        r(T0 + 10 * Q + 3 * 3600, 0.5, meter="C"),  # meter replaced, lower
        r(T0 + 11 * Q + 3 * 3600, 1.0, meter="C"),  # 0.5
    ]
    converter = IntervalConverter(max_interval_seconds=2 * 3600, max_power_kw=50.0)
    steps = run(converter, arrivals)
    notes: dict[str, int] = {}
    for step in steps:
        if step.note:
            notes[step.note] = notes.get(step.note, 0) + 1
    assert notes == {
        FIRST: 1,
        DUPLICATE: 1,
        CONFLICTING_DUPLICATE: 1,
        OUT_OF_ORDER: 1,
        COUNTER_RESET: 1,
        METER_REPLACED: 2,
        GAP: 1,
        IMPLAUSIBLE_JUMP: 1,
    }
    energy = [s.energy.kwh for s in steps if s.energy]
    assert energy == pytest.approx([0.25, 0.5, 0.5, 0.25, 0.5, 0.5])
    kept = [x for x, s in zip(arrivals, steps, strict=True) if s.keep_register]
    assert len(kept) == len(arrivals) - 2  # all but the duplicate and the conflict
    assert r(T0 + 2 * Q, 100.5, meter="A") in kept
