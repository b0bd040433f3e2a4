"""Generate a whole community with ground truth, and write it as CSV + JSON files.

The files are the simulator's only contract with the rest of the project (besides MQTT): the
detector under test never sees the truth, and the simulator never imports the detector.
Units are simulated in chunks so memory stays flat however large the community is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from simulator.archetypes import ARCHETYPES, allocate, default_mix
from simulator.households import UnitSpecs, Weather, draw_units, simulate_chunk
from simulator.timeline import Timeline, build_timeline, default_start
from simulator.weather import daily_temperature_c, daylight_minutes

#: Building layout: floors x entrances (stairwells) x rooms per floor and entrance.
FLOORS = 6
ENTRANCES = 2
ROOMS = 4
#: Buildings per grid (a grid worker's patch), drawn in this inclusive range.
GRID_BUILDINGS = (2, 4)
#: Minute cells simulated at once (units x minutes); bounds memory at roughly 100 MB.
CHUNK_CELLS = 2_600_000
#: Initial meter register range (kWh): meters have been running for years.
INITIAL_KWH = (1000.0, 20000.0)

READINGS_HEADER = "unit_id,ts,kwh"
LIGHTS_HEADER = "unit_id,ts,on"
REGISTER_HEADER = (
    "unit_id,community,grid,building,entrance,floor,room,registered_occupants,vulnerable"
)
TRUTH_HEADER = "unit_id,archetype,occupied,registered,meter_ok"

# Independent random streams, so e.g. changing the lights coverage does not reshuffle homes.
_STREAM_LAYOUT, _STREAM_WEATHER, _STREAM_FAULTS, _STREAM_UNITS, _STREAM_CHUNK = range(5)


@dataclass(frozen=True)
class Unit:
    """One dwelling: where it is, what the register says, and the truth about it."""

    unit_id: str
    grid: str
    building: str
    entrance: int
    floor: int
    room: int
    archetype: str
    lifestyle: str
    #: People actually living there (0 for an empty dwelling).
    occupants: int
    registered_occupants: int
    vulnerable: bool
    #: Truth: someone lives there at the end of the window.
    occupied: bool
    #: Truth: the meter kept reporting to the end of the window.
    meter_ok: bool
    has_lights_sensor: bool

    @property
    def registered(self) -> bool:
        return self.registered_occupants > 0


@dataclass(frozen=True)
class Community:
    """A generated community: units, their meter registers, lights observations and truth."""

    name: str
    seed: int
    timeline: Timeline
    units: list[Unit]
    #: Meter register in hundredths of a kWh, shape (units, readings); integer so that the
    #: 0.01 kWh quantisation of a real meter is exact and monotonic.
    register_centi_kwh: np.ndarray
    #: Number of readings each meter reported (fewer than ``timeline.readings`` if it failed).
    readings_reported: np.ndarray
    #: Lights sensor says "on", shape (units, lights ticks); ignore rows without a sensor.
    lights_on: np.ndarray
    daily_temperature_c: np.ndarray
    offline_rate: float
    lights_coverage: float

    @property
    def timezone(self) -> str:
        return self.timeline.tz.key

    def counts(self) -> dict[str, int]:
        """Units per archetype, in the order of the archetype table."""
        counts = dict.fromkeys(ARCHETYPES, 0)
        for u in self.units:
            counts[u.archetype] += 1
        return counts


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, *stream]))


def _layout(units: int, rng: np.random.Generator) -> list[tuple[str, str, str, int, int, int]]:
    """Unit ids and positions, building by building: ``B03-2-0501`` is building 03, entrance
    2, floor 05, room 01. Consecutive buildings are grouped into grids ``G01``, ``G02``..."""
    per_building = FLOORS * ENTRANCES * ROOMS
    buildings = -(-units // per_building)
    width = max(2, len(str(buildings)))
    grid_of: list[str] = []
    grid = 0
    while len(grid_of) < buildings:
        grid += 1
        size = int(rng.integers(GRID_BUILDINGS[0], GRID_BUILDINGS[1] + 1))
        grid_of.extend([f"G{grid:02d}"] * size)
    out: list[tuple[str, str, str, int, int, int]] = []
    for b in range(buildings):
        building = f"B{b + 1:0{width}d}"
        for entrance in range(1, ENTRANCES + 1):
            for floor in range(1, FLOORS + 1):
                for room in range(1, ROOMS + 1):
                    if len(out) == units:
                        return out
                    unit_id = f"{building}-{entrance}-{floor:02d}{room:02d}"
                    out.append((unit_id, grid_of[b], building, entrance, floor, room))
    return out


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz!r}; use an IANA name like Asia/Shanghai") from exc


def generate_community(
    units: int,
    days: int,
    seed: int,
    start: datetime | None = None,
    interval_minutes: int = 15,
    community: str = "demo-community",
    offline_rate: float = 0.02,
    lights_coverage: float = 0.6,
    tz: str = "Asia/Shanghai",
    progress: Callable[[int, int], None] | None = None,
) -> Community:
    """Simulate ``units`` dwellings for ``days`` days from ``start`` (default: local midnight
    ``days`` days before today in ``tz``, so the window ends at the latest midnight).

    The same arguments always give the same community. ``progress(done, total)`` is called
    with units simulated so far.
    """
    if units < 1:
        raise ValueError(f"units must be at least 1, got {units}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    if not 0.0 <= offline_rate <= 1.0:
        raise ValueError(f"offline_rate must be between 0 and 1, got {offline_rate}")
    if not 0.0 <= lights_coverage <= 1.0:
        raise ValueError(f"lights_coverage must be between 0 and 1, got {lights_coverage}")
    if not community or any(c in community for c in "/+#,\n"):
        raise ValueError(f"community {community!r} must be non-empty without / + # or commas")
    zone = _zone(tz)
    timeline = build_timeline(start or default_start(days, zone), days, interval_minutes, zone)

    layout_rng = _rng(seed, _STREAM_LAYOUT)
    layout = _layout(units, layout_rng)
    counts = allocate(units, default_mix())
    names = [name for name, c in counts.items() for _ in range(c)]
    archetypes = [ARCHETYPES[names[i]] for i in layout_rng.permutation(units)]

    weather_rng = _rng(seed, _STREAM_WEATHER)
    temps = daily_temperature_c(timeline.dates, weather_rng)
    sunrise, sunset = daylight_minutes(timeline.dates)
    weather = Weather(temperature_c=temps, sunrise=sunrise, sunset=sunset)

    fault_rng = _rng(seed, _STREAM_FAULTS)
    readings = timeline.readings
    reported = np.full(units, readings, dtype=np.int64)
    offline = fault_rng.permutation(units)[: round(offline_rate * units)]
    half = max(1, timeline.intervals // 2)
    # The meter goes quiet at a random moment in the first half: its last reading is the
    # last tick before that moment (at least the start reading).
    reported[offline] = fault_rng.integers(1, half + 1, offline.size)
    has_sensor = fault_rng.random(units) < lights_coverage
    initial = np.floor(fault_rng.uniform(*INITIAL_KWH, units) * 100).astype(np.int64)

    specs = draw_units(archetypes, timeline, _rng(seed, _STREAM_UNITS))
    chunk = max(1, CHUNK_CELLS // timeline.minutes)
    register = np.empty((units, readings), dtype=np.int64)
    lights = np.zeros((units, timeline.light_minute.size), dtype=bool)
    for index, lo in enumerate(range(0, units, chunk)):
        hi = min(units, lo + chunk)
        part = UnitSpecs(
            archetype=specs.archetype[lo:hi],
            lifestyle=specs.lifestyle[lo:hi],
            occupants=specs.occupants[lo:hi],
            registered_occupants=specs.registered_occupants[lo:hi],
            standby_w=specs.standby_w[lo:hi],
            has_fridge=specs.has_fridge[lo:hi],
            lives_until=specs.lives_until[lo:hi],
        )
        result = simulate_chunk(part, timeline, weather, _rng(seed, _STREAM_CHUNK, index))
        # A real meter shows the register truncated to 0.01 kWh; truncation keeps it monotonic.
        register[lo:hi] = initial[lo:hi, None] + np.floor(result.energy_kwh * 100).astype(np.int64)
        lights[lo:hi] = result.lights_on
        if progress is not None:
            progress(hi, units)

    unit_rows = [
        Unit(
            unit_id=unit_id,
            grid=grid,
            building=building,
            entrance=entrance,
            floor=floor,
            room=room,
            archetype=a.name,
            lifestyle=specs.lifestyle[i] if a.lifestyles else "",
            occupants=int(specs.occupants[i]),
            registered_occupants=int(specs.registered_occupants[i]),
            vulnerable=a.vulnerable,
            occupied=a.occupied,
            meter_ok=bool(reported[i] == readings),
            has_lights_sensor=bool(has_sensor[i]),
        )
        for i, ((unit_id, grid, building, entrance, floor, room), a) in enumerate(
            zip(layout, archetypes, strict=True)
        )
    ]
    return Community(
        name=community,
        seed=seed,
        timeline=timeline,
        units=unit_rows,
        register_centi_kwh=register,
        readings_reported=reported,
        lights_on=lights,
        daily_temperature_c=temps,
        offline_rate=offline_rate,
        lights_coverage=lights_coverage,
    )


def _flag(value: bool) -> str:
    return "1" if value else "0"


def write_community(community: Community, out_dir: Path) -> None:
    """Write readings.csv, lights.csv, register.csv, truth.csv and meta.json into ``out_dir``.

    Readings and lights are sorted by time, then unit, i.e. in the order a live feed would
    deliver them.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    units = community.units
    ids = [u.unit_id for u in units]
    tl = community.timeline

    with open(out_dir / "readings.csv", "w", encoding="utf-8", newline="") as f:
        f.write(READINGS_HEADER + "\n")
        reg = community.register_centi_kwh
        reported = community.readings_reported
        for k, ts in enumerate(tl.reading_iso()):
            rows = np.flatnonzero(reported > k)
            kwh = (reg[rows, k] / 100).tolist()
            pairs = zip(rows.tolist(), kwh, strict=True)
            f.write("".join([f"{ids[r]},{ts},{v:.2f}\n" for r, v in pairs]))

    with open(out_dir / "lights.csv", "w", encoding="utf-8", newline="") as f:
        f.write(LIGHTS_HEADER + "\n")
        sensors = [i for i, u in enumerate(units) if u.has_lights_sensor]
        on = community.lights_on
        for j, ts in enumerate(tl.light_iso()):
            f.write("".join(f"{ids[i]},{ts},{'1' if on[i, j] else '0'}\n" for i in sensors))

    with open(out_dir / "register.csv", "w", encoding="utf-8", newline="") as f:
        f.write(REGISTER_HEADER + "\n")
        for u in units:
            f.write(
                f"{u.unit_id},{community.name},{u.grid},{u.building},{u.entrance},"
                f"{u.floor:02d},{u.room:02d},{u.registered_occupants},{_flag(u.vulnerable)}\n"
            )

    with open(out_dir / "truth.csv", "w", encoding="utf-8", newline="") as f:
        f.write(TRUTH_HEADER + "\n")
        for u in units:
            f.write(
                f"{u.unit_id},{u.archetype},{_flag(u.occupied)},{_flag(u.registered)},"
                f"{_flag(u.meter_ok)}\n"
            )

    meta = {
        "seed": community.seed,
        "units": len(units),
        "days": tl.days,
        "start": tl.start.isoformat(),
        "interval_minutes": tl.interval,
        "community": community.name,
        "timezone": community.timezone,
        "counts": community.counts(),
        "offline_rate": community.offline_rate,
        "lights_coverage": community.lights_coverage,
        "occupied_means": "someone lives in the unit at the end of the window",
        "daily_mean_temperature_c": {
            d.isoformat(): float(t)
            for d, t in zip(tl.dates, community.daily_temperature_c, strict=True)
        },
    }
    (out_dir / "meta.json").write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
