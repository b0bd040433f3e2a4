"""Minute-by-minute electricity use of a block of dwellings, vectorised with numpy.

Why this shape: a community is thousands of units times thousands of minutes, far too many for
a Python loop per minute. Behaviour is therefore drawn per unit and per local day (wake time,
whether they go out, when they cook ...) as small ``(units, days)`` arrays, turned into
rectangular "appliance on from minute a to minute b at W watts" events, and all events are
laid onto the minute axis at once with a difference array (``bincount`` + ``cumsum``). Only
the fridge compressor and meter noise are computed per minute. Appliance powers are averages
over their own on/off cycling: the meter only sees energy per interval, so a cooker pulsing
at 2 kW half the time looks the same as 1 kW steady.

The result is a cumulative energy register per unit (kWh since the window start), which the
caller offsets by each meter's initial register and quantises.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.archetypes import LIFESTYLES, Archetype, Lifestyle
from simulator.timeline import Timeline

H = 60
#: Chance a lights sensor reads "on" when someone is home and awake, home asleep, or nobody.
LIGHTS_ON_AWAKE = 0.92
LIGHTS_ON_ASLEEP = 0.04
LIGHTS_FALSE_ON = 0.01


@dataclass(frozen=True)
class Weather:
    """Per local day of the timeline: mean temperature and daylight (minutes since midnight)."""

    temperature_c: np.ndarray
    sunrise: np.ndarray
    sunset: np.ndarray


@dataclass(frozen=True)
class UnitSpecs:
    """Who lives in each unit of a chunk and what is plugged in; one entry per unit."""

    archetype: list[str]
    #: Lifestyle of the occupants; for empty dwellings a placeholder that never acts.
    lifestyle: list[str]
    occupants: np.ndarray
    registered_occupants: np.ndarray
    standby_w: np.ndarray
    has_fridge: np.ndarray
    #: Minute (from the window start) until which someone lives there: 0 for an empty
    #: dwelling, the window length for a lived-in one, in between for a home gone silent.
    lives_until: np.ndarray

    def __len__(self) -> int:
        return len(self.archetype)


@dataclass(frozen=True)
class ChunkResult:
    """Cumulative energy (kWh, 0 at the start, one column per meter tick) and lights state."""

    energy_kwh: np.ndarray
    lights_on: np.ndarray


def draw_units(
    archetypes: list[Archetype], timeline: Timeline, rng: np.random.Generator
) -> UnitSpecs:
    """Draw occupants, fittings and fate for each unit from its archetype."""
    n = len(archetypes)
    lifestyle: list[str] = []
    for a in archetypes:
        if a.lifestyles:
            names = [name for name, _ in a.lifestyles]
            weights = np.array([w for _, w in a.lifestyles], dtype=float)
            lifestyle.append(str(rng.choice(names, p=weights / weights.sum())))
        else:
            lifestyle.append("family")

    def int_range(ranges: list[tuple[int, int]]) -> np.ndarray:
        lo = np.array([r[0] for r in ranges])
        hi = np.array([r[1] for r in ranges])
        return rng.integers(lo, hi + 1)

    occupants = int_range([a.actual_occupants for a in archetypes])
    drawn_register = int_range([a.registered_occupants for a in archetypes])
    # Where the register is right about a household it lists the people who really live there.
    same = np.array(
        [a.registered_occupants == a.actual_occupants and a.registered for a in archetypes],
        dtype=bool,
    )
    registered = np.where(same, occupants, drawn_register)

    standby = rng.uniform(
        np.array([a.standby_w[0] for a in archetypes]),
        np.array([a.standby_w[1] for a in archetypes]),
    )
    has_fridge = rng.random(n) < np.array([a.fridge for a in archetypes])

    minutes = timeline.minutes
    lives_until = np.empty(n, dtype=np.int64)
    silent_draw = rng.random(n)
    for i, a in enumerate(archetypes):
        if not a.lifestyles:
            lives_until[i] = 0
        elif a.silent_from is not None:
            lo, hi = a.silent_from
            lives_until[i] = int((lo + (hi - lo) * silent_draw[i]) * minutes)
        else:
            lives_until[i] = minutes
    return UnitSpecs(
        archetype=[a.name for a in archetypes],
        lifestyle=lifestyle,
        occupants=occupants,
        registered_occupants=registered,
        standby_w=standby,
        has_fridge=has_fridge,
        lives_until=lives_until,
    )


class _Events:
    """Rectangular loads ``(unit, from minute, to minute, watts)`` collected per kind."""

    def __init__(self, units: int, day_start: np.ndarray) -> None:
        self.rows = np.broadcast_to(np.arange(units)[:, None], (units, day_start.size))
        self.day_start = day_start[None, :]
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, start: np.ndarray, end: np.ndarray, watts: np.ndarray, gate: np.ndarray) -> None:
        """Add a load between local minutes ``start`` and ``end`` of each day where ``gate``."""
        s = np.rint(start).astype(np.int64) + self.day_start
        e = np.rint(end).astype(np.int64) + self.day_start
        w = np.where(gate & (e > s), watts, 0.0)
        self.parts.append((s, e, np.broadcast_to(w, s.shape)))

    def power(self, lives_until: np.ndarray, minutes: int) -> np.ndarray:
        """Sum of all loads per unit and minute, cut off once nobody lives there."""
        units = self.rows.shape[0]
        s = np.concatenate([p[0].ravel() for p in self.parts])
        e = np.concatenate([p[1].ravel() for p in self.parts])
        w = np.concatenate([p[2].ravel() for p in self.parts])
        rows = np.tile(self.rows.ravel(), len(self.parts))
        e = np.minimum(e, lives_until[rows])
        s = np.clip(s, 0, minutes)
        e = np.clip(e, 0, minutes)
        keep = (e > s) & (w > 0)
        s, e, w, rows = s[keep], e[keep], w[keep], rows[keep]
        width = minutes + 1
        size = units * width
        diff = np.bincount(rows * width + s, weights=w, minlength=size)
        diff -= np.bincount(rows * width + e, weights=w, minlength=size)
        return np.cumsum(diff.reshape(units, width), axis=1)[:, :minutes]


def _per_unit(lifestyles: list[Lifestyle], name: str) -> np.ndarray:
    return np.array([getattr(ls, name) for ls in lifestyles], dtype=float)


def simulate_chunk(
    units: UnitSpecs, timeline: Timeline, weather: Weather, rng: np.random.Generator
) -> ChunkResult:
    """Simulate every minute of the window for a block of units.

    Returns the cumulative energy at each meter tick and, for every lights tick, whether a
    lights sensor in the unit would read "on".
    """
    n = len(units)
    days = len(timeline.dates)
    minutes = timeline.minutes
    shape = (n, days)
    ls = [LIFESTYLES[name] for name in units.lifestyle]

    def scalar(name: str) -> np.ndarray:
        return _per_unit(ls, name)

    def rng_unit(name: str) -> np.ndarray:
        lo = np.array([getattr(x, name)[0] for x in ls], dtype=float)
        hi = np.array([getattr(x, name)[1] for x in ls], dtype=float)
        return rng.uniform(lo, hi)

    def rng_day(name: str) -> np.ndarray:
        lo = np.array([getattr(x, name)[0] for x in ls], dtype=float)[:, None]
        hi = np.array([getattr(x, name)[1] for x in ls], dtype=float)[:, None]
        return rng.uniform(lo, hi, size=shape)

    def uni(lo: float, hi: float) -> np.ndarray:
        return rng.uniform(lo, hi, size=shape)

    def chance(p: np.ndarray | float) -> np.ndarray:
        p = np.asarray(p, dtype=float)
        return rng.random(shape) < (p[:, None] if p.ndim == 1 else p)

    weekend = (timeline.weekday >= 5)[None, :]
    temp = weather.temperature_c[None, :]
    occ_scale = 0.6 + 0.2 * np.clip(units.occupants, 1, 5)

    # --- per unit: habits and fittings -------------------------------------------------
    wake0 = rng_unit("wake")
    sleep0 = rng_unit("sleep")
    works = rng.random(n) < scalar("works_out")
    awake_w = rng_unit("awake_w") * occ_scale
    lights_w = rng_unit("lights_w") * occ_scale
    cook_w = rng_unit("cooking_w")
    tv_w = rng.uniform(80, 150, n)
    kettle_w = rng.uniform(1800, 2200, n)
    heater_w = rng.uniform(2000, 3000, n)
    ac_w = rng.uniform(700, 1400, n)
    warm_w = rng.uniform(800, 1600, n)
    laundry_w = rng.uniform(300, 450, n)
    has_wh = rng.random(n) < scalar("water_heater")
    has_ac = rng.random(n) < scalar("has_ac")
    has_heat = rng.random(n) < scalar("has_heater")

    # --- per unit and day: the day's shape ------------------------------------------------
    lie_in = weekend & works[:, None]
    wake = wake0[:, None] + rng.normal(0, 15, shape) + lie_in * uni(30, 90)
    sleep = sleep0[:, None] + rng.normal(0, 25, shape) + lie_in * uni(0, 60)
    spread = scalar("day_spread")[:, None]
    scale = rng.lognormal(-(spread**2) / 2, spread, shape)
    away = chance(scalar("away_day"))
    out = works[:, None] & ~weekend & ~chance(scalar("home_weekday"))
    outing = ~out & chance(scalar("outing"))
    o_start = np.maximum(rng_day("outing_start"), wake + 30)
    o_end = o_start + rng_day("outing_length")
    midday = np.full(shape, 13.0 * H)
    leave = np.where(out, wake + rng_day("leave_after_wake"), np.where(outing, o_start, midday))
    back = np.where(out, rng_day("back_home"), np.where(outing, o_end, midday))
    back = np.minimum(back, sleep - 30)
    leave = np.clip(leave, wake, back)
    leave = np.where(away, wake, leave)
    back = np.where(away, sleep, back)

    def at_home(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Whether local minute ``s`` falls in the morning or the evening at-home stretch."""
        return (s >= wake) & (s < leave), (s >= back) & (s < sleep)

    def while_home(s: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """An activity starting at ``s`` if someone is home then, ending by the time they go."""
        morning, evening = at_home(s)
        end = np.where(morning, np.minimum(s + length, leave), s)
        end = np.where(evening, np.minimum(s + length, sleep), end)
        return s, end

    ev = _Events(n, timeline.day_start)
    yes = np.ones(shape, dtype=bool)
    col = np.ones(shape)

    # Someone home and awake: chargers, fans, computer, small appliances.
    ev.add(wake, leave, awake_w[:, None] * scale, yes)
    ev.add(back, sleep, awake_w[:, None] * scale, yes)
    # Lights while home and it is dark (fewer rooms lit in the morning).
    sunrise = weather.sunrise[None, :]
    sunset = weather.sunset[None, :]
    ev.add(wake, np.minimum(leave, sunrise + 20), 0.5 * lights_w[:, None] * col, yes)
    ev.add(np.maximum(back, sunset - 20), sleep, lights_w[:, None] * scale, yes)
    # Kettle, about 2 kW for 3-4 minutes soon after getting up.
    s, e = while_home(wake + uni(5, 25), rng.integers(3, 5, shape).astype(float))
    ev.add(s, e, kettle_w[:, None] * col, chance(scalar("kettle")))
    # Breakfast on the rice cooker or induction hob.
    s, e = while_home(wake + uni(10, 35), uni(10, 25))
    ev.add(s, e, cook_w[:, None] * uni(0.8, 1.0), chance(scalar("breakfast")))
    # Lunch, only if somebody is in at noon.
    s, e = while_home(uni(11 * H, 12 * H), uni(20, 40))
    ev.add(s, e, cook_w[:, None] * uni(0.8, 1.0), chance(scalar("lunch")))
    # Dinner: at the habitual time, or soon after getting home.
    s, e = while_home(
        np.maximum(rng_day("dinner_at"), back + uni(10, 30)),
        rng_day("dinner_minutes") * np.sqrt(occ_scale)[:, None],
    )
    ev.add(s, e, cook_w[:, None] * uni(0.9, 1.1), chance(scalar("dinner")))
    # Evening TV, and daytime TV for those home all day.
    tv_from = np.maximum(uni(18 * H + 45, 20 * H), back)
    s, e = while_home(tv_from, np.minimum(uni(21 * H + 30, 23 * H), sleep) - tv_from)
    ev.add(s, e, tv_w[:, None] * col, chance(scalar("tv")))
    for start_lo, start_hi in ((9 * H, 10 * H + 30), (14 * H, 15 * H + 30)):
        s, e = while_home(uni(start_lo, start_hi), uni(60, 150))
        ev.add(s, e, tv_w[:, None] * col, chance(scalar("tv_daytime")))
    # Washing machine some days: in the evening on workdays, in the morning otherwise.
    s = np.where(out, back + uni(60, 150), uni(8 * H + 30, 11 * H))
    s, e = while_home(s, np.full(shape, 55.0))
    ev.add(s, e, laundry_w[:, None] * col, chance(scalar("laundry") * occ_scale))
    # Electric water heater reheating after the evening shower(s); runs on after bedtime.
    s = sleep - uni(45, 120)
    morning, evening = at_home(s)
    length = uni(25, 45) * np.sqrt(occ_scale)[:, None]
    ev.add(
        s,
        s + length,
        heater_w[:, None] * col,
        (morning | evening) & has_wh[:, None] & chance(scalar("shower")),
    )
    # Air conditioning on hot days: evening, part of the night, afternoons if very hot.
    cool = has_ac[:, None] & chance(np.clip((temp - 25) / 4, 0, 1)) & ~away
    cool_w = ac_w[:, None] * np.clip((temp - 23) / 8, 0.25, 1.0)
    ev.add(np.maximum(back, 18 * H), sleep, cool_w, cool)
    ev.add(sleep, sleep + uni(120, 480), 0.6 * cool_w, cool & (temp > 27))
    s, e = while_home(np.full(shape, 13.0 * H), np.full(shape, 4.0 * H))
    ev.add(s, e, cool_w, cool & (temp > 29))
    # Electric heating on cold days, mornings and evenings at home.
    heat = has_heat[:, None] & chance(np.clip((12 - temp) / 6, 0, 1)) & ~away
    heat_w = warm_w[:, None] * np.clip((15 - temp) / 12, 0.3, 1.0)
    ev.add(np.maximum(back, 17 * H + 30), sleep - 15, heat_w, heat)
    ev.add(wake, np.minimum(leave, wake + 60), heat_w, heat)

    power = ev.power(units.lives_until, minutes)

    # --- per minute: fridge compressor cycling, always-on load and meter noise ------------
    t = np.arange(minutes, dtype=np.int64)[None, :]
    period = rng.integers(30, 61, n)
    season = 1 + 0.01 * (float(weather.temperature_c.mean()) - 20)
    duty = np.clip(rng.uniform(0.25, 0.40, n) * season, 0.2, 0.5)
    on_minutes = np.rint(period * duty).astype(np.int64)
    phase = rng.integers(0, 60, n)
    compressor_w = rng.uniform(80, 150, n) * units.has_fridge
    fridge_on = (t + phase[:, None]) % period[:, None] < on_minutes[:, None]
    power += fridge_on * compressor_w[:, None]
    power += units.standby_w[:, None]
    power += rng.normal(0.0, 2.0, (n, minutes))
    np.maximum(power, 0.0, out=power)

    # --- meter ticks: cumulative energy at the end of each interval ------------------------
    step = timeline.interval
    intervals = timeline.intervals
    per_interval = power[:, : intervals * step].reshape(n, intervals, step).sum(axis=2)
    energy = np.zeros((n, intervals + 1))
    np.cumsum(per_interval / 60_000.0, axis=1, out=energy[:, 1:])

    # --- lights sensor: home and awake in the evening -> mostly on --------------------------
    lm = timeline.light_minute[None, :]
    ld = timeline.light_day
    local = lm - timeline.day_start[ld][None, :]
    lived = lm < units.lives_until[:, None]
    awake_home = (
        ((local >= wake[:, ld]) & (local < leave[:, ld]))
        | ((local >= back[:, ld]) & (local < sleep[:, ld]))
    ) & lived
    asleep_home = (local >= sleep[:, ld]) & ~away[:, ld] & lived
    p_on = np.where(
        awake_home, LIGHTS_ON_AWAKE, np.where(asleep_home, LIGHTS_ON_ASLEEP, LIGHTS_FALSE_ON)
    )
    lights_on = rng.random(p_on.shape) < p_on
    return ChunkResult(energy_kwh=energy, lights_on=lights_on)
