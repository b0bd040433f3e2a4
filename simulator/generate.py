"""Generate a community with ground truth and meter faults, in chunks or all at once.

The files are the simulator's only contract with the rest of the project (besides MQTT): the
detector under test never sees the truth, and the simulator never imports the detector.

Why chunks: 100,000 units x 7 days at one minute is a billion power values. Everything
per unit that is cheap (layout, archetype, fittings, fate, faults) is drawn up front; the
minute-by-minute simulation runs a *block* of units at a time, each block with its own random
stream, so memory stays flat and the data do not depend on how the blocks are grouped into
chunks: streamed or all in memory, the same seed gives the same community.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from simulator.archetypes import ARCHETYPES, Archetype, allocate, check_mix, default_mix
from simulator.households import UnitSpecs, Weather, draw_units, simulate_chunk
from simulator.timeline import Timeline, build_timeline, default_start
from simulator.weather import daily_temperature_c, daylight_minutes

#: Building layout: floors x entrances (stairwells) x rooms per floor and entrance.
FLOORS = 6
ENTRANCES = 2
ROOMS = 4
#: Buildings per grid (a grid worker's patch), drawn in this inclusive range.
GRID_BUILDINGS = (2, 4)
#: Minute cells simulated at once (units x minutes); bounds memory at roughly 100-200 MB.
CHUNK_CELLS = 2_600_000
#: Initial meter register range (kWh): meters have been running for years.
INITIAL_KWH = (1000.0, 20000.0)

#: Meter faults, in the order truth.csv lists them.
FAULTS: tuple[str, ...] = ("gap", "stuck", "reset", "duplicate", "clock_skew", "offline")
#: Default share of meters with each fault (``offline`` comes from ``offline_rate``). A meter
#: has at most one of gap / stuck / reset / offline; duplicates and clock skew come on top.
DEFAULT_FAULT_RATES: dict[str, float] = {
    "gap": 0.03,
    "stuck": 0.01,
    "reset": 0.01,
    "duplicate": 0.02,
    "clock_skew": 0.02,
}
#: Gap: the meter is silent this many hours (1-2 gaps per faulty meter), then catches up.
GAP_HOURS = (1.0, 6.0)
#: Clock skew: a constant offset of this many seconds, either sign.
SKEW_SECONDS = (60, 420)
#: Duplicate: share of a faulty meter's readings sent twice.
DUPLICATE_SHARE = (0.01, 0.05)
#: Reset: the register restarts from this many hundredths of a kWh.
RESET_TO_CENTI = (0, 50)
#: Where in the window (fraction) a meter sticks, resets or goes offline.
STUCK_AT = (0.10, 0.75)
RESET_AT = (0.10, 0.90)

READINGS_HEADER = "unit_id,ts,kwh"
LIGHTS_HEADER = "unit_id,ts,on"
REGISTER_HEADER = (
    "unit_id,community,grid,building,entrance,floor,room,registered_occupants,vulnerable"
)
TRUTH_HEADER = "unit_id,archetype,occupied,registered,meter_ok,vulnerable,silent_hours,faults"

# Independent random streams, so e.g. changing the lights coverage does not reshuffle homes.
_STREAM_LAYOUT, _STREAM_WEATHER, _STREAM_FAULTS, _STREAM_UNITS, _STREAM_CHUNK = range(5)
_STREAM_FAULT_BLOCK = 5


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
    #: Truth: the meter reported a moving register to the end of the window (not offline,
    #: not stuck).
    meter_ok: bool
    has_lights_sensor: bool
    #: Hours from the moment the home was last lived in to the window end: 0 if still lived
    #: in, the whole window if nobody lived there at all.
    silent_hours: float = 0.0
    #: Meter faults applied (names from ``FAULTS``).
    faults: tuple[str, ...] = ()
    #: Fittings left running (``water_heater``, ``dehumidifier``, ``timer_light``).
    fittings: tuple[str, ...] = ()
    #: Minutes from the window start: somebody lives there from ``lives_from`` until
    #: ``lives_until`` (both 0 if nobody does), except ``away`` (start, end) if not empty.
    lives_from: int = 0
    lives_until: int = 0
    away: tuple[int, int] = (0, 0)
    switched_off: bool = False
    has_fridge: bool = False

    @property
    def registered(self) -> bool:
        return self.registered_occupants > 0


@dataclass(frozen=True)
class CommunityChunk:
    """A consecutive block of a community's units with their meter and lights data.

    Arrays have one row per unit of ``units``; unit indices returned by ``reading_arrays``
    and ``light_arrays`` index ``units`` (add ``first`` for the index in the community).
    """

    name: str
    seed: int
    timeline: Timeline
    units: list[Unit]
    #: Index of ``units[0]`` in the whole community.
    first: int
    #: Register each meter shows at each tick, in hundredths of a kWh (stuck and reset faults
    #: applied), shape (units, readings); integer so the 0.01 kWh quantisation is exact.
    register_centi_kwh: np.ndarray
    #: Whether the meter sent the tick's reading (False in gaps and after going offline).
    reported: np.ndarray
    #: Whether the tick's reading was sent twice.
    duplicated: np.ndarray
    #: Constant clock error of each meter's timestamps, seconds.
    skew_seconds: np.ndarray
    #: Lights sensor says "on", shape (units, lights ticks); ignore rows without a sensor.
    lights_on: np.ndarray
    daily_temperature_c: np.ndarray
    offline_rate: float
    lights_coverage: float
    fault_rates: dict[str, float] = field(default_factory=dict)

    @property
    def timezone(self) -> str:
        return self.timeline.tz.key

    @property
    def readings_reported(self) -> np.ndarray:
        """Readings each meter sent (not counting duplicates)."""
        return self.reported.sum(axis=1)

    def counts(self) -> dict[str, int]:
        """Units per archetype, in the order of the archetype table."""
        counts = dict.fromkeys(ARCHETYPES, 0)
        for u in self.units:
            counts[u.archetype] += 1
        return counts

    def reading_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(unit index, tick, register in 0.01 kWh) of every reading sent, duplicates included,
        ordered by tick then unit (a duplicate right after its original): the live-feed order."""
        ticks, unit = np.nonzero(self.reported.T)
        times = 1 + self.duplicated[unit, ticks].astype(np.int64)
        unit = np.repeat(unit, times)
        ticks = np.repeat(ticks, times)
        return unit, ticks, self.register_centi_kwh[unit, ticks]

    def reading_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(unit index int64, timestamp epoch seconds float64, register kWh float64) of every
        reading readings.csv holds for these units, with every fault applied."""
        unit, ticks, centi = self.reading_rows()
        t0 = self.timeline.start.timestamp()
        ts = t0 + ticks * (self.timeline.interval * 60.0) + self.skew_seconds[unit]
        return unit.astype(np.int64), ts.astype(np.float64), centi / 100.0

    def light_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(unit index int64, timestamp epoch seconds float64, on bool) for units with a
        lights sensor, ordered by time then unit, as lights.csv holds them."""
        sensors = np.array([u.has_lights_sensor for u in self.units], dtype=bool)
        ticks, unit = np.nonzero(np.broadcast_to(sensors, (self.lights_on.shape[1], sensors.size)))
        ts = self.timeline.start.timestamp() + self.timeline.light_minute[ticks] * 60.0
        return unit.astype(np.int64), ts.astype(np.float64), self.lights_on[unit, ticks]


@dataclass(frozen=True)
class Community(CommunityChunk):
    """A whole generated community (a chunk holding every unit)."""


@dataclass(frozen=True)
class _Faults:
    """Per-unit fault plan, drawn once for the community (ticks; -1 = no such fault)."""

    offline_at: np.ndarray
    stuck_at: np.ndarray
    reset_at: np.ndarray
    reset_to: np.ndarray
    gap_at: np.ndarray
    gap_ticks: np.ndarray
    skew: np.ndarray
    duplicate_share: np.ndarray


@dataclass(frozen=True)
class _Plan:
    """Everything about a community that is drawn per unit, before any minute is simulated."""

    name: str
    seed: int
    timeline: Timeline
    weather: Weather
    layout: list[tuple[str, str, str, int, int, int]]
    archetypes: list[Archetype]
    specs: UnitSpecs
    has_sensor: np.ndarray
    initial_centi: np.ndarray
    faults: _Faults
    rates: dict[str, float]
    offline_rate: float
    lights_coverage: float
    block: int


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


def fault_rates(
    faults: bool | Mapping[str, float] | None, offline_rate: float = 0.02
) -> dict[str, float]:
    """Share of meters per fault: ``True`` = defaults, ``False``/``None`` = no faults at all
    (not even offline), or a mapping of fault name -> share (missing faults get 0, except
    ``offline``, which defaults to ``offline_rate``)."""
    if faults is True:
        rates = {**DEFAULT_FAULT_RATES, "offline": offline_rate}
    elif faults is False or faults is None:
        rates = dict.fromkeys(FAULTS, 0.0)
    else:
        unknown = sorted(set(faults) - set(FAULTS))
        if unknown:
            raise ValueError(
                f"unknown fault(s) {', '.join(unknown)}; choose from {', '.join(FAULTS)}"
            )
        rates = {name: float(faults.get(name, 0.0)) for name in FAULTS}
        rates["offline"] = float(faults.get("offline", offline_rate))
    for name, rate in rates.items():
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate {name}={rate} must be between 0 and 1")
    exclusive = sum(rates.get(n, 0.0) for n in ("gap", "stuck", "reset", "offline"))
    if exclusive > 1.0:
        raise ValueError(
            f"gap + stuck + reset + offline rates add up to {exclusive:.2f}; a meter has at "
            "most one of them, so they must add up to at most 1"
        )
    return {name: rates.get(name, 0.0) for name in FAULTS}


def _draw_faults(
    rates: dict[str, float], timeline: Timeline, specs: UnitSpecs, rng: np.random.Generator
) -> _Faults:
    """Which meters fail how, with exact counts so small communities still have each fault."""
    n = len(specs)
    intervals = timeline.intervals
    none = np.full(n, -1, dtype=np.int64)
    offline_at, stuck_at, reset_at = none.copy(), none.copy(), none.copy()
    gap_at = np.full((n, 2), -1, dtype=np.int64)
    gap_ticks = np.zeros((n, 2), dtype=np.int64)
    order = rng.permutation(n)
    taken = np.zeros(n, dtype=bool)

    def pick(name: str, eligible: np.ndarray | None = None) -> np.ndarray:
        ok = ~taken if eligible is None else ~taken & eligible
        chosen = order[ok[order]][: round(rates[name] * n)]
        taken[chosen] = True
        return chosen

    # The meter goes quiet at a random moment in the first half: its last reading is the
    # last tick before that moment (at least the start reading).
    half = max(1, intervals // 2)
    chosen = pick("offline")
    offline_at[chosen] = rng.integers(1, half + 1, chosen.size)
    # A meter stuck on a register that never moved anyway would be invisible: skip those.
    chosen = pick("stuck", ~specs.switched_off)
    lo, hi = (max(1, int(f * intervals)) for f in STUCK_AT)
    stuck_at[chosen] = rng.integers(lo, max(lo, hi) + 1, chosen.size)
    chosen = pick("reset")
    lo, hi = (max(1, int(f * intervals)) for f in RESET_AT)
    reset_at[chosen] = rng.integers(lo, max(lo, hi) + 1, chosen.size)
    reset_to = rng.integers(RESET_TO_CENTI[0], RESET_TO_CENTI[1] + 1, n)
    chosen = pick("gap")
    per_hour = 60 / timeline.interval
    for j in range(2):
        hours = rng.uniform(*GAP_HOURS, chosen.size)
        ticks = np.maximum(1, np.ceil(hours * per_hour)).astype(np.int64)
        # The second gap only on some meters, in the other half of the window.
        use = np.ones(chosen.size, dtype=bool) if j == 0 else rng.random(chosen.size) < 0.4
        lo = 1 + j * (intervals // 2)
        hi = np.maximum(lo, lo + intervals // 2 - ticks - 1)
        at = rng.integers(lo, hi + 1)
        gap_at[chosen[use], j] = at[use]
        gap_ticks[chosen[use], j] = np.minimum(ticks, intervals - at)[use]
    skew = np.zeros(n, dtype=np.int64)
    chosen = rng.permutation(n)[: round(rates["clock_skew"] * n)]
    sign = rng.choice(np.array([-1, 1]), chosen.size)
    skew[chosen] = sign * rng.integers(SKEW_SECONDS[0], SKEW_SECONDS[1] + 1, chosen.size)
    duplicate_share = np.zeros(n)
    chosen = rng.permutation(n)[: round(rates["duplicate"] * n)]
    duplicate_share[chosen] = rng.uniform(*DUPLICATE_SHARE, chosen.size)
    return _Faults(
        offline_at=offline_at,
        stuck_at=stuck_at,
        reset_at=reset_at,
        reset_to=reset_to,
        gap_at=gap_at,
        gap_ticks=gap_ticks,
        skew=skew,
        duplicate_share=duplicate_share,
    )


def block_units(timeline: Timeline) -> int:
    """Units simulated together with one random stream: a power of two near ``CHUNK_CELLS``
    minute cells. Fixed by the window alone, so chunking never changes the data."""
    fit = max(1, CHUNK_CELLS // timeline.minutes)
    return 1 << min(12, fit.bit_length() - 1)


def _plan(
    units: int,
    days: int,
    seed: int,
    start: datetime | None,
    interval_minutes: int,
    community: str,
    offline_rate: float,
    lights_coverage: float,
    tz: str,
    faults: bool | Mapping[str, float] | None,
    mix: Mapping[str, float] | None,
) -> _Plan:
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
    rates = fault_rates(faults, offline_rate)
    shares = check_mix(dict(mix)) if mix is not None else default_mix()
    zone = _zone(tz)
    timeline = build_timeline(start or default_start(days, zone), days, interval_minutes, zone)

    layout_rng = _rng(seed, _STREAM_LAYOUT)
    layout = _layout(units, layout_rng)
    counts = allocate(units, shares)
    names = [name for name, c in counts.items() for _ in range(c)]
    archetypes = [ARCHETYPES[names[i]] for i in layout_rng.permutation(units)]

    weather_rng = _rng(seed, _STREAM_WEATHER)
    temps = daily_temperature_c(timeline.dates, weather_rng)
    sunrise, sunset = daylight_minutes(timeline.dates)
    weather = Weather(temperature_c=temps, sunrise=sunrise, sunset=sunset)

    specs = draw_units(archetypes, timeline, _rng(seed, _STREAM_UNITS))
    fault_rng = _rng(seed, _STREAM_FAULTS)
    has_sensor = fault_rng.random(units) < lights_coverage
    initial = np.floor(fault_rng.uniform(*INITIAL_KWH, units) * 100).astype(np.int64)
    return _Plan(
        name=community,
        seed=seed,
        timeline=timeline,
        weather=weather,
        layout=layout,
        archetypes=archetypes,
        specs=specs,
        has_sensor=has_sensor,
        initial_centi=initial,
        faults=_draw_faults(rates, timeline, specs, fault_rng),
        rates=rates,
        offline_rate=rates["offline"],
        lights_coverage=lights_coverage,
        block=block_units(timeline),
    )


def _block(plan: _Plan, lo: int, hi: int) -> CommunityChunk:
    """Simulate units ``lo`` .. ``hi - 1`` (one random block) and apply their faults."""
    tl = plan.timeline
    index = lo // plan.block
    specs = plan.specs.take(lo, hi)
    result = simulate_chunk(specs, tl, plan.weather, _rng(plan.seed, _STREAM_CHUNK, index))
    n = hi - lo
    readings = tl.readings
    # A real meter shows the register truncated to 0.01 kWh; truncation keeps it monotonic.
    register = plan.initial_centi[lo:hi, None] + np.floor(result.energy_kwh * 100).astype(np.int64)
    f = plan.faults
    k = np.arange(readings)[None, :]
    stuck = f.stuck_at[lo:hi, None]
    frozen = register[np.arange(n), np.maximum(stuck[:, 0], 0)][:, None]
    register = np.where((stuck >= 0) & (k >= stuck), frozen, register)
    reset = f.reset_at[lo:hi, None]
    base = register[np.arange(n), np.maximum(reset[:, 0], 0)][:, None]
    restarted = register - base + f.reset_to[lo:hi, None]
    register = np.where((reset >= 0) & (k >= reset), restarted, register)
    reported = np.ones((n, readings), dtype=bool)
    off = f.offline_at[lo:hi, None]
    reported &= ~((off >= 0) & (k >= off))
    for j in range(2):
        at = f.gap_at[lo:hi, j][:, None]
        reported &= ~((at >= 0) & (k >= at) & (k < at + f.gap_ticks[lo:hi, j][:, None]))
    dup_rng = _rng(plan.seed, _STREAM_FAULT_BLOCK, index)
    duplicated = reported & (dup_rng.random((n, readings)) < f.duplicate_share[lo:hi, None])

    minutes = tl.minutes
    units: list[Unit] = []
    for j in range(n):
        i = lo + j
        a = plan.archetypes[i]
        unit_id, grid, building, entrance, floor, room = plan.layout[i]
        faults = tuple(
            name
            for name, on in (
                ("gap", f.gap_at[i, 0] >= 0),
                ("stuck", f.stuck_at[i] >= 0),
                ("reset", f.reset_at[i] >= 0),
                ("duplicate", bool(duplicated[j].any())),
                ("clock_skew", f.skew[i] != 0),
                ("offline", f.offline_at[i] >= 0),
            )
            if on
        )
        until = int(specs.lives_until[j])
        silent = tl.days * 24.0 if not a.residents else (minutes - until) / 60.0
        away = (int(specs.away_from[j]), int(specs.away_until[j]))
        units.append(
            Unit(
                unit_id=unit_id,
                grid=grid,
                building=building,
                entrance=entrance,
                floor=floor,
                room=room,
                archetype=a.name,
                lifestyle=specs.lifestyle[j] if a.lifestyles else "",
                occupants=int(specs.occupants[j]),
                registered_occupants=int(specs.registered_occupants[j]),
                vulnerable=a.vulnerable,
                occupied=a.occupied,
                meter_ok=bool(f.offline_at[i] < 0 and f.stuck_at[i] < 0),
                has_lights_sensor=bool(plan.has_sensor[i]),
                silent_hours=round(silent, 1),
                faults=faults,
                fittings=specs.fittings(j),
                lives_from=int(specs.lives_from[j]) if a.residents else 0,
                lives_until=until if a.residents else 0,
                away=away if away[0] < away[1] else (0, 0),
                switched_off=bool(specs.switched_off[j]),
                has_fridge=bool(specs.has_fridge[j]),
            )
        )
    return CommunityChunk(
        name=plan.name,
        seed=plan.seed,
        timeline=tl,
        units=units,
        first=lo,
        register_centi_kwh=register,
        reported=reported,
        duplicated=duplicated,
        skew_seconds=f.skew[lo:hi].copy(),
        lights_on=result.lights_on,
        daily_temperature_c=plan.weather.temperature_c,
        offline_rate=plan.offline_rate,
        lights_coverage=plan.lights_coverage,
        fault_rates=plan.rates,
    )


def _concat(parts: list[CommunityChunk], cls: type[CommunityChunk]) -> CommunityChunk:
    head = parts[0]
    return cls(
        name=head.name,
        seed=head.seed,
        timeline=head.timeline,
        units=[u for p in parts for u in p.units],
        first=head.first,
        register_centi_kwh=np.concatenate([p.register_centi_kwh for p in parts]),
        reported=np.concatenate([p.reported for p in parts]),
        duplicated=np.concatenate([p.duplicated for p in parts]),
        skew_seconds=np.concatenate([p.skew_seconds for p in parts]),
        lights_on=np.concatenate([p.lights_on for p in parts]),
        daily_temperature_c=head.daily_temperature_c,
        offline_rate=head.offline_rate,
        lights_coverage=head.lights_coverage,
        fault_rates=head.fault_rates,
    )


def iter_chunks(
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
    faults: bool | Mapping[str, float] | None = True,
    mix: Mapping[str, float] | None = None,
    chunk_units: int | None = None,
) -> Iterator[CommunityChunk]:
    """Simulate a community a block of units at a time; same arguments as
    ``generate_community``. ``chunk_units`` (rounded up to whole blocks of
    ``block_units``) sets how many units each chunk holds; the data do not depend on it.
    Memory stays flat: only the chunk being yielded holds minute data.
    """
    plan = _plan(
        units, days, seed, start, interval_minutes, community, offline_rate,
        lights_coverage, tz, faults, mix,
    )  # fmt: skip
    per_chunk = plan.block * max(1, -(-(chunk_units or plan.block) // plan.block))
    for lo in range(0, units, per_chunk):
        hi = min(units, lo + per_chunk)
        parts = [_block(plan, b, min(hi, b + plan.block)) for b in range(lo, hi, plan.block)]
        chunk = parts[0] if len(parts) == 1 else _concat(parts, CommunityChunk)
        if progress is not None:
            progress(hi, units)
        yield chunk


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
    faults: bool | Mapping[str, float] | None = True,
    mix: Mapping[str, float] | None = None,
) -> Community:
    """Simulate ``units`` dwellings for ``days`` days from ``start`` (default: local midnight
    ``days`` days before today in ``tz``, so the window ends at the latest midnight).

    ``faults``: ``True`` for the default fault rates (``DEFAULT_FAULT_RATES`` plus
    ``offline_rate``), ``False`` for none at all, or a mapping fault -> share of meters.
    ``mix``: archetype -> share (default ``default_mix()``). The same arguments always give
    the same community, whether built here or streamed with ``iter_chunks``.
    ``progress(done, total)`` is called with units simulated so far.
    """
    parts = list(
        iter_chunks(
            units, days, seed, start, interval_minutes, community, offline_rate,
            lights_coverage, tz, progress, faults, mix,
        )
    )  # fmt: skip
    out = _concat(parts, Community)
    assert isinstance(out, Community)
    return out


def iso_at(timeline: Timeline, seconds: float) -> str:
    """ISO 8601 local time (with offset) of an epoch second, whole seconds."""
    moment = datetime.fromtimestamp(round(seconds), UTC).astimezone(timeline.tz)
    return moment.isoformat()


def write_community(community: CommunityChunk, out_dir: Path) -> dict[str, object]:
    """Write a community as files (kept here for older imports; see ``simulator.files``)."""
    from simulator.files import write_community as write

    return write(community, out_dir)
