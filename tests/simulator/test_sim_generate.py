"""Generated files: format, reproducibility, meter physics and archetype behaviour."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sim_helpers import START, header, read_csv

from simulator import generate_community, write_community
from simulator.archetypes import ARCHETYPES, allocate, default_mix

FILES = ("readings.csv", "lights.csv", "register.csv", "truth.csv", "meta.json")
SHANGHAI = ZoneInfo("Asia/Shanghai")
REPO = Path(__file__).resolve().parents[2]


def _series(directory: Path) -> dict[str, list[tuple[datetime, float]]]:
    out: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    for row in read_csv(directory / "readings.csv"):
        out[row["unit_id"]].append((datetime.fromisoformat(row["ts"]), float(row["kwh"])))
    return out


def _truth(directory: Path) -> dict[str, dict[str, str]]:
    return {row["unit_id"]: row for row in read_csv(directory / "truth.csv")}


def _hourly_kw(series: list[tuple[datetime, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Mean power (kW) per interval and the local hour each interval ends in."""
    ts = [t for t, _ in series]
    kwh = np.array([v for _, v in series])
    hours = np.array([(t - timedelta(minutes=1)).hour for t in ts[1:]])
    step_h = (ts[1] - ts[0]).total_seconds() / 3600
    return np.diff(kwh) / step_h, hours


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    for name in ("a", "b"):
        write_community(generate_community(12, 2, seed=3, start=START), tmp_path / name)
    for f in FILES:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f


def test_different_seed_gives_different_files(tmp_path: Path) -> None:
    write_community(generate_community(12, 2, seed=3, start=START), tmp_path / "a")
    write_community(generate_community(12, 2, seed=4, start=START), tmp_path / "b")
    a, b = tmp_path / "a", tmp_path / "b"
    assert (a / "readings.csv").read_bytes() != (b / "readings.csv").read_bytes()
    assert (a / "truth.csv").read_bytes() != (b / "truth.csv").read_bytes()


def test_headers_are_exactly_as_documented(community_dir: Path) -> None:
    assert header(community_dir / "readings.csv") == "unit_id,ts,kwh"
    assert header(community_dir / "lights.csv") == "unit_id,ts,on"
    assert header(community_dir / "register.csv") == (
        "unit_id,community,grid,building,entrance,floor,room,registered_occupants,vulnerable"
    )
    assert header(community_dir / "truth.csv") == (
        "unit_id,archetype,occupied,registered,meter_ok,vulnerable,silent_hours,faults"
    )
    meta = json.loads((community_dir / "meta.json").read_text(encoding="utf-8"))
    for key in (
        "seed",
        "units",
        "days",
        "start",
        "interval_minutes",
        "community",
        "timezone",
        "counts",
        "fault_rates",
        "fault_counts",
        "readings_order",
    ):
        assert key in meta
    assert meta["units"] == 60 and meta["days"] == 4 and meta["interval_minutes"] == 15
    assert meta["start"] == "2026-03-02T00:00:00+08:00"
    assert meta["timezone"] == "Asia/Shanghai"
    assert sum(meta["counts"].values()) == 60


def test_register_readings_monotonic_quantised_and_plausible(community_dir: Path) -> None:
    pattern = re.compile(r"^\d+\.\d{2}$")
    for row in read_csv(community_dir / "readings.csv"):
        assert pattern.match(row["kwh"]), row
    for unit, series in _series(community_dir).items():
        values = [v for _, v in series]
        assert all(b >= a for a, b in zip(values, values[1:], strict=False)), unit
        assert 1000 <= values[0] <= 20000
        # Nothing a household could draw: at most 15 kW on average over any interval.
        assert max(b - a for a, b in zip(values, values[1:], strict=False)) <= 15 * 0.25


def test_readings_sorted_by_time_then_unit_with_offset(community_dir: Path) -> None:
    rows = read_csv(community_dir / "readings.csv")
    keys = [(datetime.fromisoformat(r["ts"]), r["unit_id"]) for r in rows]
    assert keys == sorted(keys)
    assert all(r["ts"].endswith("+08:00") and "T" in r["ts"] for r in rows)


def test_reading_counts_and_offline_meters(community_dir: Path) -> None:
    truth = _truth(community_dir)
    series = _series(community_dir)
    start = START.replace(tzinfo=SHANGHAI)
    expected = 4 * 24 * 60 // 15 + 1
    offline = [u for u, t in truth.items() if t["meter_ok"] == "0"]
    assert len(offline) == 6  # 10% of 60
    for unit, t in truth.items():
        times = [ts for ts, _ in series[unit]]
        assert times[0] == start, unit
        assert all(b - a == timedelta(minutes=15) for a, b in zip(times, times[1:], strict=False))
        if t["meter_ok"] == "1":
            assert len(times) == expected, unit
        else:
            assert 1 <= len(times) < expected
            assert times[-1] <= start + timedelta(days=2), unit


def test_interval_controls_reading_count(tmp_path: Path) -> None:
    for interval, expected in ((60, 24 + 1), (1, 1440 + 1), (7, 1440 // 7 + 1)):
        c = generate_community(3, 1, seed=1, start=START, interval_minutes=interval, offline_rate=0)
        write_community(c, tmp_path / str(interval))
        for series in _series(tmp_path / str(interval)).values():
            assert len(series) == expected, interval
    with pytest.raises(ValueError, match="interval"):
        generate_community(3, 1, seed=1, interval_minutes=0)
    with pytest.raises(ValueError, match="interval"):
        generate_community(3, 1, seed=1, interval_minutes=61)


def test_truth_consistent_with_register(community_dir: Path) -> None:
    register = {r["unit_id"]: r for r in read_csv(community_dir / "register.csv")}
    truth = _truth(community_dir)
    assert register.keys() == truth.keys()
    assert len(register) == 60
    for unit, t in truth.items():
        reg = register[unit]
        a = ARCHETYPES[t["archetype"]]
        occupants = int(reg["registered_occupants"])
        assert t["registered"] == ("1" if occupants > 0 else "0")
        assert t["occupied"] == ("1" if a.occupied else "0")
        assert a.registered_occupants[0] <= occupants <= a.registered_occupants[1]
        assert reg["vulnerable"] == ("1" if a.vulnerable else "0")
        assert reg["community"] == "demo-community"
        assert re.fullmatch(r"G\d{2}", reg["grid"])
        assert unit == f"{reg['building']}-{reg['entrance']}-{reg['floor']}{reg['room']}"
        assert re.fullmatch(r"B\d{2}-\d-\d{4}", unit)
    meta = json.loads((community_dir / "meta.json").read_text(encoding="utf-8"))
    counted: dict[str, int] = defaultdict(int)
    for t in truth.values():
        counted[t["archetype"]] += 1
    assert {k: v for k, v in meta["counts"].items() if v} == dict(counted)


def test_grids_hold_two_to_four_buildings(tmp_path: Path) -> None:
    c = generate_community(600, 1, seed=2, start=START)
    buildings: dict[str, set[str]] = defaultdict(set)
    for u in c.units:
        buildings[u.grid].add(u.building)
    sizes = [len(b) for b in buildings.values()]
    assert all(2 <= s <= 4 for s in sizes[:-1]) and 1 <= sizes[-1] <= 4


def test_archetype_mix_is_exact_and_sums_to_one() -> None:
    assert abs(sum(default_mix().values()) - 1.0) < 1e-9
    counts = allocate(10, default_mix())
    assert sum(counts.values()) == 10
    assert counts["registered_family"] == 3
    thousand = allocate(1000, default_mix())
    assert thousand["vacant_standby"] == 60 and thousand["small_shop"] == 30
    assert thousand == {name: round(share * 1000) for name, share in default_mix().items()}


def test_mix_argument_picks_archetypes_and_rejects_unknown_names() -> None:
    c = generate_community(
        20, 1, seed=1, start=START, mix={"small_shop": 1, "vacant_switched_off": 3}
    )
    assert c.counts()["small_shop"] == 5 and c.counts()["vacant_switched_off"] == 15
    assert sum(c.counts().values()) == 20
    with pytest.raises(ValueError, match="unknown archetype.*choose from"):
        generate_community(5, 1, seed=1, mix={"haunted_house": 1.0})


def test_vacant_homes_use_far_less_than_families(week_dir: Path) -> None:
    truth = _truth(week_dir)
    daily: dict[str, list[float]] = defaultdict(list)
    for unit, series in _series(week_dir).items():
        if truth[unit]["meter_ok"] == "1":
            daily[truth[unit]["archetype"]].append((series[-1][1] - series[0][1]) / 7)
    family = float(np.mean(daily["registered_family"]))
    assert 4 < family < 20  # kWh/day, a plausible Chinese urban household
    for vacant in ("vacant_standby", "registered_vacant"):
        assert float(np.median(daily[vacant])) < family / 3, vacant
    # At most 40 W standby plus a 150 W fridge running 40% of the time: 2.5 kWh/day.
    assert max(daily["vacant_standby"]) < 3.0
    assert float(np.mean(daily["elderly_alone"])) < family


def test_occupied_homes_busier_in_the_evening_than_at_night(week_dir: Path) -> None:
    truth = _truth(week_dir)
    ratios: dict[str, list[float]] = defaultdict(list)
    for unit, series in _series(week_dir).items():
        if truth[unit]["meter_ok"] != "1":
            continue
        kw, hours = _hourly_kw(series)
        evening = kw[(hours >= 18) & (hours < 23)].mean()
        night = kw[(hours >= 1) & (hours < 5)].mean()
        if night > 0:  # a switched-off flat uses nothing at all
            ratios[truth[unit]["archetype"]].append(evening / night)
    for occupied in ("registered_family", "elderly_alone", "unregistered_occupants"):
        r = np.array(ratios[occupied])
        assert np.median(r) > 2.0, occupied
        assert (r > 1.3).mean() > 0.9, occupied
    for vacant in ("vacant_standby", "registered_vacant"):
        assert np.median(ratios[vacant]) < 1.2, vacant


def test_lights_on_share_separates_occupied_from_vacant(week_dir: Path) -> None:
    truth = _truth(week_dir)
    on: dict[bool, list[int]] = defaultdict(list)
    per_unit: dict[str, int] = defaultdict(int)
    for row in read_csv(week_dir / "lights.csv"):
        ts = datetime.fromisoformat(row["ts"])
        assert 18 <= ts.hour <= 23 and ts.minute == 0
        assert row["on"] in ("0", "1")
        per_unit[row["unit_id"]] += 1
        archetype = truth[row["unit_id"]]["archetype"]
        if archetype in ("registered_family", "unregistered_occupants", "elderly_alone"):
            on[True].append(int(row["on"]))
        elif archetype == "vacant_standby":
            on[False].append(int(row["on"]))
    assert set(per_unit.values()) == {7 * 6}
    assert 0.45 < len(per_unit) / 200 < 0.75  # default coverage 0.6
    assert np.mean(on[True]) > 0.55
    assert np.mean(on[False]) < 0.05


def test_default_start_is_local_midnight_days_ago() -> None:
    c = generate_community(2, 3, seed=0)
    today = datetime.now(SHANGHAI).date()
    start = c.timeline.start
    assert start.utcoffset() == timedelta(hours=8)
    assert (start.hour, start.minute) == (0, 0)
    assert today - start.date() in (timedelta(days=3), timedelta(days=2))  # midnight race


def test_generation_scales(tmp_path: Path) -> None:
    begin = time.perf_counter()
    c = generate_community(300, 7, seed=9, start=START)
    elapsed = time.perf_counter() - begin
    assert len(c.units) == 300
    assert elapsed < 5.0, f"300 units x 7 days took {elapsed:.1f} s"


def test_bad_arguments_say_how_to_fix() -> None:
    with pytest.raises(ValueError, match="units"):
        generate_community(0, 1, seed=1)
    with pytest.raises(ValueError, match="IANA"):
        generate_community(1, 1, seed=1, tz="Mars/Olympus")
    with pytest.raises(ValueError, match="offline_rate"):
        generate_community(1, 1, seed=1, offline_rate=2)
    with pytest.raises(ValueError, match="community"):
        generate_community(1, 1, seed=1, community="a/b")


def test_package_exports_api_and_never_imports_the_detector() -> None:
    # Run from the repository root so the package itself is imported, whatever the install.
    code = (
        "import sys\n"
        "import simulator, simulator.cli\n"
        "from simulator import generate_community, iter_chunks, publish_dir, write_community\n"
        "assert {'generate_community', 'iter_chunks', 'publish_dir', 'write_community',\n"
        "        'write_chunks', 'Community', 'CommunityChunk'} <= set(simulator.__all__)\n"
        "bad = sorted(m for m in sys.modules if m == 'occupancy' or m.startswith('occupancy.'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
