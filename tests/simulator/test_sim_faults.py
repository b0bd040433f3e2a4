"""Meter faults: each one visible in ``reading_arrays`` and in readings.csv, and in the truth."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from sim_helpers import START, read_csv

from simulator import generate_community
from simulator.generate import DEFAULT_FAULT_RATES, FAULTS, Community, fault_rates

STEP = 15 * 60.0


def _per_unit(community: Community) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    unit, ts, kwh = community.reading_arrays()
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for i in range(len(community.units)):
        mine = unit == i
        out[i] = ts[mine], kwh[mine]
    return out


def _with(community: Community, fault: str) -> list[int]:
    rows = [i for i, u in enumerate(community.units) if fault in u.faults]
    assert rows, f"no meter with {fault}"
    return rows


def test_truth_lists_faults_and_meter_ok_follows_the_rule(faulty: Community) -> None:
    counts = Counter(f for u in faulty.units for f in u.faults)
    assert set(counts) == set(FAULTS)
    for u in faulty.units:
        assert u.meter_ok == ("offline" not in u.faults and "stuck" not in u.faults)
        assert sum(f in u.faults for f in ("gap", "stuck", "reset", "offline")) <= 1
        assert list(u.faults) == [f for f in FAULTS if f in u.faults]  # documented order
    assert counts["offline"] == 10 and counts["stuck"] == 10  # exact shares of 200


def test_gap_is_silent_for_hours_then_catches_up(faulty: Community) -> None:
    per = _per_unit(faulty)
    t0 = faulty.timeline.start.timestamp()
    for i in _with(faulty, "gap"):
        ts, kwh = per[i]
        steps = np.diff(ts)
        holes = steps[steps > STEP]
        assert holes.size in (1, 2), steps
        assert ((holes >= 2 * STEP) & (holes <= 6 * 3600 + STEP)).all(), holes
        assert ts[0] == t0 and ts[-1] == t0 + faulty.timeline.intervals * STEP
        # The register after the gap has carried on counting: the energy is not lost.
        assert (np.diff(kwh) >= 0).all()


def test_stuck_register_freezes_while_the_meter_keeps_reporting(faulty: Community) -> None:
    per = _per_unit(faulty)
    tl = faulty.timeline
    for i in _with(faulty, "stuck"):
        ts, kwh = per[i]
        assert np.unique(ts).size == tl.readings and not faulty.units[i].meter_ok
        moving = np.flatnonzero(np.diff(kwh) != 0)
        last_move = moving[-1] + 1 if moving.size else 0
        # Frozen for at least the last quarter of the window, moving before that.
        assert last_move <= 0.76 * tl.intervals, last_move
        assert moving.size > 3


def test_reset_drops_the_register_once_and_counts_on(faulty: Community) -> None:
    per = _per_unit(faulty)
    for i in _with(faulty, "reset"):
        _, kwh = per[i]
        drops = np.flatnonzero(np.diff(kwh) < 0)
        assert drops.size == 1, drops
        assert kwh[drops[0] + 1] < 1.0 and kwh[drops[0]] > 1000
        assert (np.diff(kwh[drops[0] + 1 :]) >= 0).all()
        assert faulty.units[i].meter_ok


def test_duplicates_repeat_a_reading_exactly(faulty: Community) -> None:
    unit, ts, kwh = faulty.reading_arrays()
    rows = Counter(zip(unit.tolist(), ts.tolist(), kwh.tolist(), strict=True))
    twice = {key[0] for key, n in rows.items() if n == 2}
    assert twice == set(_with(faulty, "duplicate"))
    assert max(rows.values()) == 2


def test_clock_skew_is_a_constant_offset_of_a_few_minutes(faulty: Community) -> None:
    per = _per_unit(faulty)
    t0 = faulty.timeline.start.timestamp()
    skewed = set(_with(faulty, "clock_skew"))
    for i, (ts, _) in per.items():
        if not ts.size:
            continue
        offset = (ts - t0 + STEP / 2) % STEP - STEP / 2
        assert np.ptp(offset) == 0
        if i in skewed:
            assert 60 <= abs(offset[0]) <= 420, offset[0]
        else:
            assert offset[0] == 0


def test_offline_meter_stops_in_the_first_half(faulty: Community) -> None:
    per = _per_unit(faulty)
    tl = faulty.timeline
    for i in _with(faulty, "offline"):
        ts, _ = per[i]
        assert 1 <= np.unique(ts).size <= tl.intervals // 2
        assert np.all(np.diff(np.unique(ts)) == STEP)  # no gap before it stops


def test_files_hold_exactly_the_reading_arrays(faulty: Community, faulty_dir: Path) -> None:
    ids = [u.unit_id for u in faulty.units]
    unit, ts, kwh = faulty.reading_arrays()
    expected = Counter(
        (ids[u], round(t), f"{k:.2f}") for u, t, k in zip(unit, ts, kwh, strict=True)
    )
    rows = read_csv(faulty_dir / "readings.csv")
    seconds = {t: round(datetime.fromisoformat(t).timestamp()) for t in {r["ts"] for r in rows}}
    got = Counter((r["unit_id"], seconds[r["ts"]], r["kwh"]) for r in rows)
    assert got == expected
    truth = {r["unit_id"]: r for r in read_csv(faulty_dir / "truth.csv")}
    for u in faulty.units:
        t = truth[u.unit_id]
        assert t["faults"] == ";".join(u.faults)
        assert t["meter_ok"] == ("1" if u.meter_ok else "0")
        assert float(t["silent_hours"]) == u.silent_hours
        assert t["vulnerable"] == ("1" if u.vulnerable else "0")
    stamps: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        stamps[r["unit_id"]].append(r["ts"])
    skewed = next(u for u in faulty.units if "clock_skew" in u.faults)
    assert not stamps[skewed.unit_id][0].endswith(":00:00+08:00")


def test_lights_arrays_match_the_sensor_units(faulty: Community) -> None:
    unit, ts, on = faulty.light_arrays()
    sensors = {i for i, u in enumerate(faulty.units) if u.has_lights_sensor}
    assert set(unit.tolist()) == sensors
    assert unit.size == len(sensors) * faulty.timeline.light_minute.size
    assert on.dtype == bool and ts.dtype == np.float64
    assert (np.diff(ts) >= 0).all()


def test_faults_switch_off_entirely() -> None:
    c = generate_community(100, 2, seed=4, start=START, faults=False)
    unit, ts, _ = c.reading_arrays()
    assert unit.size == 100 * c.timeline.readings
    assert all(u.faults == () and u.meter_ok for u in c.units)
    assert ((ts - c.timeline.start.timestamp()) % STEP == 0).all()


def test_fault_rates_default_and_validation() -> None:
    assert fault_rates(True, 0.02) == {**DEFAULT_FAULT_RATES, "offline": 0.02}
    assert set(fault_rates(False).values()) == {0.0}
    assert fault_rates({"gap": 0.5}, 0.1) == {
        **dict.fromkeys(FAULTS, 0.0),
        "gap": 0.5,
        "offline": 0.1,
    }
    with pytest.raises(ValueError, match="unknown fault.*choose from"):
        fault_rates({"lightning": 0.1})
    with pytest.raises(ValueError, match="at most 1"):
        fault_rates({"gap": 0.6, "stuck": 0.6})
    with pytest.raises(ValueError, match="between 0 and 1"):
        generate_community(5, 1, seed=1, faults={"duplicate": 1.5})


def test_faults_apply_to_every_resolution() -> None:
    c = generate_community(40, 2, seed=6, start=START, interval_minutes=60, faults=MANY)
    unit, ts, kwh = c.reading_arrays()
    assert unit.size > 0
    for i in _with(c, "gap"):
        steps = np.diff(np.unique(ts[unit == i]))
        assert steps.max() >= 2 * 3600


MANY = {"gap": 0.2, "stuck": 0.1, "reset": 0.1, "duplicate": 0.2, "clock_skew": 0.2}
