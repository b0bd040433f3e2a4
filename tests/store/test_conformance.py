"""What every ``ReadingStore`` must do, whatever it keeps its readings in.

All times are in Asia/Shanghai, the deployment's zone, so a store that confuses UTC and
local hours puts energy in the wrong column and fails.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from occupancy.readings import IntervalEnergy, LightReading, MeterReading
from occupancy.store import ReadingStore
from occupancy.timeseries import HourlyWindow

TZ = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 3, 1, tzinfo=TZ)
T0 = DAY.timestamp()
H = 3600.0
Q = 900.0
UNIT = "3-501"
COMMUNITY = "east"


def at(hour: float) -> float:
    """Unix seconds of a local hour of DAY (may be negative or past 24)."""
    return T0 + hour * H


def reg(ts: float, kwh: float, unit: str = UNIT, community: str = COMMUNITY) -> MeterReading:
    return MeterReading(community=community, unit_id=unit, ts=ts, kwh=kwh)


def energy(
    start: float, end: float, kwh: float, unit: str = UNIT, community: str = COMMUNITY
) -> IntervalEnergy:
    return IntervalEnergy(community=community, unit_id=unit, start=start, end=end, kwh=kwh)


def light(ts: float, on: bool, unit: str = UNIT, community: str = COMMUNITY) -> LightReading:
    return LightReading(community=community, unit_id=unit, ts=ts, on=on)


def quarters(first_hour: float, kwh: list[float], unit: str = UNIT) -> list[IntervalEnergy]:
    """Consecutive 15-minute intervals from a local hour."""
    return [
        energy(at(first_hour) + k * Q, at(first_hour) + (k + 1) * Q, x, unit)
        for k, x in enumerate(kwh)
    ]


def test_is_a_reading_store(store: ReadingStore) -> None:
    assert isinstance(store, ReadingStore)


def test_round_trip(store: ReadingStore) -> None:
    store.write(
        registers=[reg(at(8), 100.0), reg(at(9), 101.0), reg(at(8), 5.0, "3-502", "west")],
        energy=quarters(8, [0.1, 0.2, 0.3, 0.4]) + quarters(8, [0.05] * 4, "3-502"),
        lights=[light(at(20.5), True)],
    )
    window = store.hourly_window(DAY, 24)
    assert isinstance(window, HourlyWindow)
    assert window.unit_ids == ["3-501", "3-502"]
    assert window.communities == ["east", "west"]
    assert window.start == DAY and window.hours == 24 and window.days == 1
    assert window.energy_kwh.shape == window.coverage.shape == window.lights_on.shape == (2, 24)
    assert window.energy_kwh[0, 8] == pytest.approx(1.0)
    assert window.energy_kwh[1, 8] == pytest.approx(0.2)
    assert window.coverage[:, 8].tolist() == [1.0, 1.0]
    assert window.lights_on[0, 20] == 1.0
    # Nothing anywhere else.
    others = np.delete(window.energy_kwh, 8, axis=1)
    assert np.isnan(others).all()
    assert np.count_nonzero(window.coverage) == 2
    assert np.count_nonzero(~np.isnan(window.lights_on)) == 1
    assert store.last_registers() == {
        "3-501": reg(at(9), 101.0),
        "3-502": reg(at(8), 5.0, "3-502", "west"),
    }


def test_rewriting_the_same_batch_is_harmless(store: ReadingStore) -> None:
    batch = {
        "registers": [reg(at(8), 100.0), reg(at(9), 101.0)],
        "energy": quarters(8, [0.25] * 4),
        "lights": [light(at(8.1), True), light(at(8.2), False)],
    }
    store.write(**batch)
    store.write(**batch)
    window = store.hourly_window(DAY, 24)
    assert window.energy_kwh[0, 8] == pytest.approx(1.0)
    assert window.coverage[0, 8] == 1.0
    assert window.lights_on[0, 8] == 0.5


def test_rewriting_a_timestamp_replaces_the_value(store: ReadingStore) -> None:
    store.write(registers=[reg(at(9), 101.0)], energy=[energy(at(8), at(9), 1.0)])
    store.write(registers=[reg(at(9), 102.0)], energy=[energy(at(8), at(9), 2.0)])
    assert store.last_registers()[UNIT].kwh == 102.0
    assert store.hourly_window(DAY, 24).energy_kwh[0, 8] == pytest.approx(2.0)


def test_columns_are_local_hours_across_a_day_boundary(store: ReadingStore) -> None:
    store.write(
        energy=[
            energy(at(8), at(9), 0.8),  # 08:00-09:00 Shanghai is 00:00-01:00 UTC
            energy(at(23.5), at(24.5), 1.0),  # across local midnight into the second day
            energy(at(24 + 8), at(24 + 9), 0.6),
        ]
    )
    window = store.hourly_window(DAY, 48)
    assert window.days == 2
    assert window.end == DAY + timedelta(days=2)
    assert window.energy_kwh[0, 8] == pytest.approx(0.8)
    assert window.energy_kwh[0, 32] == pytest.approx(0.6)
    # Half of the hour each side of midnight, each scaled to a whole hour.
    assert window.coverage[0, 23] == window.coverage[0, 24] == 0.5
    assert window.energy_kwh[0, 23] == pytest.approx(1.0)
    assert window.energy_kwh[0, 24] == pytest.approx(1.0)
    measured = np.flatnonzero(window.coverage[0])
    assert measured.tolist() == [8, 23, 24, 32]

    second_day = store.hourly_window(DAY + timedelta(days=1), 24)
    assert second_day.coverage[0, 0] == 0.5  # the interval begun before the window
    assert second_day.energy_kwh[0, 8] == pytest.approx(0.6)


def test_an_interval_straddling_hours_is_split_in_proportion(store: ReadingStore) -> None:
    store.write(
        energy=[
            energy(at(8), at(8) + 40 * 60, 0.4),
            energy(at(8) + 40 * 60, at(9) + 20 * 60, 0.8),  # 20 minutes each side
            energy(at(9) + 20 * 60, at(10), 0.2),
        ]
    )
    window = store.hourly_window(DAY, 24)
    assert window.energy_kwh[0, 8] == pytest.approx(0.4 + 0.4)
    assert window.energy_kwh[0, 9] == pytest.approx(0.4 + 0.2)
    assert window.coverage[0, 8:10] == pytest.approx([1.0, 1.0])


def test_intervals_crossing_the_window_edges_count_only_inside(store: ReadingStore) -> None:
    store.write(
        energy=[energy(at(-0.5), at(0.5), 2.0), energy(at(23.5), at(24.5), 2.0)]
        + quarters(-2, [1.0] * 4)  # before the window
        + quarters(25, [1.0] * 4)  # after it
    )
    window = store.hourly_window(DAY, 24)
    assert window.coverage[0, 0] == window.coverage[0, 23] == 0.5
    assert window.energy_kwh[0, [0, 23]] == pytest.approx([2.0, 2.0])
    assert np.count_nonzero(window.coverage) == 2


def test_an_empty_store_gives_an_empty_window(store: ReadingStore) -> None:
    window = store.hourly_window(DAY, 24)
    assert window.unit_ids == [] and window.communities == []
    assert window.energy_kwh.shape == window.coverage.shape == window.lights_on.shape == (0, 24)
    assert store.last_registers() == {}


def test_requested_units_without_readings_are_all_missing(store: ReadingStore) -> None:
    window = store.hourly_window(DAY, 24, ["3-501", "3-502"])
    assert window.unit_ids == ["3-501", "3-502"]
    assert window.energy_kwh.shape == (2, 24)
    assert np.isnan(window.energy_kwh).all()  # NaN: not measured
    assert (window.coverage == 0.0).all()
    assert np.isnan(window.lights_on).all()  # NaN: not observed


def test_unit_selection_keeps_the_requested_order(store: ReadingStore) -> None:
    store.write(
        energy=quarters(8, [0.25] * 4, "a") + quarters(8, [0.5] * 4, "b"),
        lights=[light(at(8), True, "c")],
    )
    window = store.hourly_window(DAY, 24, ["b", "ghost", "a"])
    assert window.unit_ids == ["b", "ghost", "a"]
    assert window.communities[0] == window.communities[2] == COMMUNITY
    assert window.energy_kwh[:, 8] == pytest.approx([2.0, math.nan, 1.0], nan_ok=True)
    assert np.isnan(window.energy_kwh[1]).all() and (window.coverage[1] == 0).all()
    assert np.isnan(window.lights_on).all()  # "c" was not asked for


def test_selected_units_equal_their_rows_of_the_whole_window(store: ReadingStore) -> None:
    """Asking for some units (more than one query's worth) changes nothing in their rows."""
    units = [f"u{i:04d}" for i in range(1200)]
    store.write(
        registers=[
            reg(at(h), 100.0 + 0.1 * h * (i % 7), u)
            for i, u in enumerate(units)
            for h in (8, 9, 10)
        ],
        lights=[light(at(21), i % 2 == 0, u) for i, u in enumerate(units[::3])],
    )
    whole = store.hourly_window(DAY, 24)
    wanted = units[::2][::-1]  # 600 units, reversed, so the order has to be honoured
    part = store.hourly_window(DAY, 24, wanted)
    rows = [whole.unit_ids.index(u) for u in wanted]
    assert part.unit_ids == wanted
    np.testing.assert_array_equal(part.energy_kwh, whole.energy_kwh[rows])
    np.testing.assert_array_equal(part.lights_on, whole.lights_on[rows])
    assert part.communities == [whole.communities[r] for r in rows]
    assert np.isfinite(part.energy_kwh[:, 8:10]).all()


def test_unicode_unit_ids_and_communities(store: ReadingStore) -> None:
    unit, community = "3栋-2单元-501", "东湖社区"
    store.write(
        registers=[reg(at(9), 42.0, unit, community)],
        energy=quarters(8, [0.1] * 4, unit),
        lights=[light(at(8.5), True, unit, community)],
    )
    window = store.hourly_window(DAY, 24)
    assert window.unit_ids == [unit]
    assert window.communities == [community]
    assert window.energy_kwh[0, 8] == pytest.approx(0.4)
    assert window.lights_on[0, 8] == 1.0
    assert store.last_registers() == {unit: reg(at(9), 42.0, unit, community)}
    assert store.hourly_window(DAY, 24, [unit]).index(unit) == 0


def test_last_registers_is_the_newest_per_unit(store: ReadingStore) -> None:
    store.write(registers=[reg(at(8), 100.0), reg(at(10), 102.0, "b")])
    store.write(registers=[reg(at(9), 101.0), reg(at(9), 101.5, "b")])  # b: an older one
    store.write(registers=[reg(at(7), 99.0)])  # a late arrival does not win either
    assert store.last_registers() == {UNIT: reg(at(9), 101.0), "b": reg(at(10), 102.0, "b")}


def test_lights_are_the_share_of_observations_on(store: ReadingStore) -> None:
    store.write(
        lights=[
            light(at(20), True),
            light(at(20.25), False),
            light(at(20.5), True),
            light(at(21), False),  # on the hour: belongs to 21:00
            light(at(24), True),  # the next day: outside
            light(at(-0.01), True),  # the day before: outside
        ]
    )
    window = store.hourly_window(DAY, 24)
    assert window.unit_ids == [UNIT]  # a unit seen only by its lights is in the window
    assert window.lights_on[0, 20] == pytest.approx(2 / 3)
    assert window.lights_on[0, 21] == 0.0
    assert np.count_nonzero(~np.isnan(window.lights_on)) == 2
    assert np.isnan(window.energy_kwh).all()  # lights are not energy


def test_an_empty_write_is_allowed(store: ReadingStore) -> None:
    store.write()
    store.write([], [], [])
    assert store.last_registers() == {}


# Unit ids arrive from MQTT topic levels: anything but "/", "+" and "#". Every character a
# store's own syntax gives meaning to (line protocol, InfluxQL, regexes, SQL) is here.
AWKWARD_UNITS = [
    "东区-3-501",
    "A栋 2单元 501",
    "a,b",
    "k=v",
    "it's",
    'say "hi"',
    "back\\slash",
    "trailing\\",
    "100%",
    ".*",
    "x' OR '1'='1",
]


def test_awkward_unit_ids_and_communities_round_trip(store: ReadingStore) -> None:
    communities = {u: f"社区 {i},={i}" for i, u in enumerate(AWKWARD_UNITS)}
    store.write(
        registers=[
            reg(at(9) + i, 10.0 + i, u, communities[u]) for i, u in enumerate(AWKWARD_UNITS)
        ],
        energy=[
            energy(at(8), at(9), 1.0 + i, u, communities[u]) for i, u in enumerate(AWKWARD_UNITS)
        ],
        lights=[light(at(8.5), True, u, communities[u]) for u in AWKWARD_UNITS],
    )
    window = store.hourly_window(DAY, 24)
    assert window.unit_ids == sorted(AWKWARD_UNITS)
    assert window.communities == [communities[u] for u in window.unit_ids]
    for u in AWKWARD_UNITS:
        i = window.index(u)
        assert window.energy_kwh[i, 8] == pytest.approx(1.0 + AWKWARD_UNITS.index(u))
        assert window.lights_on[i, 8] == 1.0
    assert store.last_registers() == {
        u: reg(at(9) + i, 10.0 + i, u, communities[u]) for i, u in enumerate(AWKWARD_UNITS)
    }
    # Selecting units that look like patterns or clauses selects exactly those units.
    chosen = [".*", "x' OR '1'='1", "trailing\\", "nobody"]
    picked = store.hourly_window(DAY, 24, chosen)
    assert picked.unit_ids == chosen
    expected = [1.0 + AWKWARD_UNITS.index(u) for u in chosen[:3]] + [math.nan]
    assert picked.energy_kwh[:, 8] == pytest.approx(expected, nan_ok=True)
    assert np.count_nonzero(picked.coverage) == 3


def test_a_window_without_readings_is_empty_even_when_others_have_them(
    store: ReadingStore,
) -> None:
    store.write(registers=[reg(at(9), 100.0)], energy=quarters(8, [0.25] * 4))
    later = store.hourly_window(DAY + timedelta(days=5), 24)
    assert later.unit_ids == [] and later.energy_kwh.shape == (0, 24)
    earlier = store.hourly_window(DAY - timedelta(days=5), 48)
    assert earlier.unit_ids == [] and earlier.coverage.shape == (0, 48)
    none_asked = store.hourly_window(DAY, 24, [])
    assert none_asked.unit_ids == [] and none_asked.lights_on.shape == (0, 24)


def test_energy_from_registers_lands_in_local_hours_across_midnights(
    store: ReadingStore,
) -> None:
    """Registers every 15 minutes around each local midnight of three days; 00:00 Shanghai
    is 16:00 UTC the day before, so a UTC-minded store would put it in column 16."""
    readings = []
    kwh = 0.0
    for day in range(3):
        for k in range(-2, 3):  # 23:30 .. 00:30
            kwh += 0.1
            readings.append(reg(at(24 * day + k * 0.25), round(kwh, 3)))
    store.write(registers=readings)
    window = store.hourly_window(DAY, 72)
    measured = np.flatnonzero(window.coverage[0]).tolist()
    assert measured == [0, 23, 24, 47, 48]
    assert window.coverage[0, 0] == 0.5  # 00:00-00:30 of the first day
    assert window.coverage[0, 23] == window.coverage[0, 24] == 0.5
    assert window.energy_kwh[0, 24] == pytest.approx(0.4)  # 0.2 kWh in half an hour
    day_two = store.hourly_window(DAY + timedelta(days=1), 24)
    assert np.flatnonzero(day_two.coverage[0]).tolist() == [0, 23]
    np.testing.assert_array_equal(day_two.energy_kwh, window.energy_kwh[:, 24:48])


def test_rewriting_registers_does_not_double_their_energy(store: ReadingStore) -> None:
    batch = [reg(at(8) + k * Q, 100.0 + 0.25 * k) for k in range(5)]
    store.write(registers=batch)
    store.write(registers=batch[::-1])  # again, and out of order
    window = store.hourly_window(DAY, 24)
    assert window.coverage[0, 8] == 1.0
    assert window.energy_kwh[0, 8] == pytest.approx(1.0)


@pytest.mark.parametrize("offset", [0.0, 1.0, 0.5, 0.001, 0.123, 59.999])
def test_whole_second_and_millisecond_stamps_round_trip_exactly(
    store: ReadingStore, offset: float
) -> None:
    reading = reg(T0 + offset, 12.345)
    store.write(registers=[reading])
    assert store.last_registers() == {UNIT: reading}


def test_a_meter_swap_is_not_consumption(store: ReadingStore) -> None:
    """A new meter whose register happens to sit a little above the old one's: the step
    between them is not energy anyone used, however plausible it looks."""
    q = [at(8) + k * Q for k in range(5)]
    store.write(
        registers=[
            MeterReading(COMMUNITY, UNIT, q[0], 100.0, "OLD-1"),
            MeterReading(COMMUNITY, UNIT, q[1], 100.5, "OLD-1"),
            MeterReading(COMMUNITY, UNIT, q[2], 100.8, "NEW-2"),  # swapped: +0.3 is not use
            MeterReading(COMMUNITY, UNIT, q[3], 101.0, "NEW-2"),
            MeterReading(COMMUNITY, UNIT, q[4], 101.2, "NEW-2"),
            # Another unit without serials: every step counts, as before.
            MeterReading(COMMUNITY, "3-502", q[0], 5.0),
            MeterReading(COMMUNITY, "3-502", q[4], 6.0),
        ]
    )
    window = store.hourly_window(DAY, 24)
    assert window.unit_ids == ["3-501", "3-502"]
    assert window.coverage[0, 8] == 0.75
    assert window.energy_kwh[0, 8] == pytest.approx((0.5 + 0.2 + 0.2) / 0.75)
    assert window.energy_kwh[1, 8] == pytest.approx(1.0)
