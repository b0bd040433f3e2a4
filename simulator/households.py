"""Minute-by-minute electricity use of a block of dwellings, vectorised with numpy.

Why this shape: a community is thousands of units times thousands of minutes, far too many for
a Python loop per minute. Behaviour is therefore drawn per unit and per local day (wake time,
whether they go out, when they cook ...) as small ``(units, days)`` arrays, turned into
rectangular "appliance on from minute a to minute b at W watts" events. Events are never laid
out minute by minute: the energy each has used by a meter tick has a closed form, so all of
them are summed at the ticks at once (``bincount`` + ``cumsum`` over ticks), and so is the
fridge compressor's square wave; that keeps 100,000 units x a week cheap. Appliance powers
are averages over their own on/off cycling: the meter only sees energy per interval, so a
cooker pulsing at 2 kW half the time looks the same as 1 kW steady.

Events made by people are *cut* to the time somebody lives there (``lives_from`` to
``lives_until``, minus an ``away`` block); fittings (fridge, storage water heater,
dehumidifier, timer lamp) and standby are not, which is what makes an empty flat's meter turn.

The result is a cumulative energy register per unit (kWh since the window start), which the
caller offsets by each meter's initial register and quantises.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from simulator.archetypes import (
    DEHUMIDIFIER_OFF_MIN,
    DEHUMIDIFIER_ON_MIN,
    DEHUMIDIFIER_STEADY,
    DEHUMIDIFIER_W,
    LIFESTYLES,
    SHOP_CLOSES,
    SHOP_COOLER_DUTY,
    SHOP_COOLER_W,
    SHOP_LIGHTS_W,
    SHOP_OPENS,
    SHOP_TILL_W,
    TIMER_LAMP_W,
    TIMER_OFF_AT,
    TIMER_ON_AT,
    WATER_HEATER_PERIOD_MIN,
    WATER_HEATER_REHEAT_MIN,
    WATER_HEATER_W,
    Archetype,
    Lifestyle,
)
from simulator.timeline import Timeline

H = 60
#: Chance a lights sensor reads "on" when someone is home and awake after dark, home and awake
#: while it is still light, home asleep, or nobody is there (a reflection, a neighbour's lamp).
LIGHTS_ON_AWAKE = 0.92
LIGHTS_ON_DAYLIGHT = 0.35
LIGHTS_ON_ASLEEP = 0.04
LIGHTS_FALSE_ON = 0.01
#: A lit lamp on a timer or an open shop is seen unless the sensor misses a reading.
LIGHTS_ON_LAMP = 0.98
#: Share of fridges that are frost-free (a defrost heater runs a few times a day).
FROST_FREE = 0.6
#: Dusk and dawn: lights go on this many minutes before sunset and off after sunrise.
TWILIGHT = 20


@dataclass(frozen=True)
class Weather:
    """Per local day of the timeline: mean temperature and daylight (minutes since midnight)."""

    temperature_c: np.ndarray
    sunrise: np.ndarray
    sunset: np.ndarray


@dataclass(frozen=True)
class UnitSpecs:
    """Who lives in each unit and what is plugged in; one entry per unit.

    Moments are minutes from the window start. Nobody lives there before ``lives_from`` or
    from ``lives_until`` on (both 0 for a dwelling nobody lives in), nor during
    ``away_from`` .. ``away_until`` (both the window length when nobody goes away).
    """

    archetype: list[str]
    #: Lifestyle of the occupants; for empty dwellings a placeholder that never acts.
    lifestyle: list[str]
    occupants: np.ndarray
    registered_occupants: np.ndarray
    standby_w: np.ndarray
    #: Share of the standby that stays while nobody lives there.
    standby_kept: np.ndarray
    has_fridge: np.ndarray
    lives_from: np.ndarray
    lives_until: np.ndarray
    away_from: np.ndarray
    away_until: np.ndarray
    water_heater: np.ndarray
    dehumidifier: np.ndarray
    timer_light: np.ndarray
    switched_off: np.ndarray

    def __len__(self) -> int:
        return len(self.archetype)

    def take(self, lo: int, hi: int) -> UnitSpecs:
        """Units ``lo`` .. ``hi - 1`` (a chunk)."""
        return UnitSpecs(**{f.name: getattr(self, f.name)[lo:hi] for f in fields(self)})

    def fittings(self, i: int) -> tuple[str, ...]:
        """Names of the fittings of unit ``i``, for the truth and the tests."""
        have = (self.water_heater[i], self.dehumidifier[i], self.timer_light[i])
        names = ("water_heater", "dehumidifier", "timer_light")
        return tuple(n for n, h in zip(names, have, strict=True) if h)


@dataclass(frozen=True)
class ChunkResult:
    """Cumulative energy (kWh, 0 at the start, one column per meter tick) and lights state."""

    energy_kwh: np.ndarray
    lights_on: np.ndarray


def _away_block(
    days: tuple[int, int], timeline: Timeline, rng: np.random.Generator
) -> tuple[int, int]:
    """A trip of ``days`` whole days (plus some hours), leaving in a morning and back at least
    a day before the window ends; no trip if the window is too short for one."""
    minutes = timeline.minutes
    length = int(rng.integers(days[0], days[1] + 1)) * 1440 + int(rng.integers(0, 10 * H))
    latest_back = minutes - 1440
    leave = timeline.day_start + rng.integers(7 * H, 12 * H, timeline.day_start.size)
    ok = np.flatnonzero((leave >= 0) & (leave + length <= latest_back))
    if ok.size == 0:
        # A short window: the longest trip of whole days that still fits, else none.
        length = (latest_back - 7 * H) // 1440 * 1440
        if length < 1440:
            return minutes, minutes
        ok = np.flatnonzero((leave >= 0) & (leave + length <= latest_back))
        if ok.size == 0:
            return minutes, minutes
    start = int(leave[ok[rng.integers(0, ok.size)]])
    return start, start + length


def draw_units(
    archetypes: list[Archetype], timeline: Timeline, rng: np.random.Generator
) -> UnitSpecs:
    """Draw occupants, fittings and fate for each unit from its archetype."""
    n = len(archetypes)
    minutes = timeline.minutes
    lifestyle: list[str] = []
    for a in archetypes:
        if a.lifestyles:
            names = [name for name, _ in a.lifestyles]
            weights = np.array([w for _, w in a.lifestyles], dtype=float)
            lifestyle.append(str(rng.choice(names, p=weights / weights.sum())))
        else:
            lifestyle.append("family")

    def pairs(attr: str) -> tuple[np.ndarray, np.ndarray]:
        ranges = [getattr(a, attr) for a in archetypes]
        return np.array([r[0] for r in ranges]), np.array([r[1] for r in ranges])

    def int_range(attr: str) -> np.ndarray:
        lo, hi = pairs(attr)
        return rng.integers(lo, hi + 1)

    occupants = int_range("actual_occupants")
    drawn_register = int_range("registered_occupants")
    # Where the register is right about a household it lists the people who really live there.
    same = np.array(
        [a.registered_occupants == a.actual_occupants and a.registered for a in archetypes],
        dtype=bool,
    )
    registered = np.where(same, occupants, drawn_register)

    standby = rng.uniform(*pairs("standby_w"))
    kept = rng.uniform(*pairs("standby_kept"))
    has_fridge = rng.random(n) < np.array([a.fridge for a in archetypes])
    fitted = {
        name: rng.random(n) < np.array([dict(a.fittings).get(name, 0.0) for a in archetypes])
        for name in ("water_heater", "dehumidifier", "timer_light")
    }
    switched_off = rng.random(n) < np.array([a.switched_off for a in archetypes])
    for name in fitted:
        fitted[name] &= ~switched_off
    has_fridge &= ~switched_off
    standby = np.where(switched_off, 0.0, standby)

    lives_from = np.zeros(n, dtype=np.int64)
    lives_until = np.full(n, minutes, dtype=np.int64)
    away_from = np.full(n, minutes, dtype=np.int64)
    away_until = np.full(n, minutes, dtype=np.int64)
    moment = rng.random(n)
    for i, a in enumerate(archetypes):
        if not a.lifestyles:
            lives_until[i] = 0
            continue
        if a.lives_from is not None:
            lo, hi = a.lives_from
            lives_from[i] = int((lo + (hi - lo) * moment[i]) * minutes)
        if a.lives_until is not None:
            lo, hi = a.lives_until
            lives_until[i] = int((lo + (hi - lo) * moment[i]) * minutes)
        if a.away_days is not None:
            away_from[i], away_until[i] = _away_block(a.away_days, timeline, rng)
    return UnitSpecs(
        archetype=[a.name for a in archetypes],
        lifestyle=lifestyle,
        occupants=occupants,
        registered_occupants=registered,
        standby_w=standby,
        standby_kept=kept,
        has_fridge=has_fridge,
        lives_from=lives_from,
        lives_until=lives_until,
        away_from=away_from,
        away_until=away_until,
        water_heater=fitted["water_heater"],
        dehumidifier=fitted["dehumidifier"],
        timer_light=fitted["timer_light"],
        switched_off=switched_off,
    )


class _Events:
    """Rectangular loads ``(unit, from minute, to minute, watts)``, collected then laid out.

    ``cut`` loads are made by people and vanish while nobody lives there; the others
    (fittings, standby) run regardless.
    """

    def __init__(self, units: int, day_start: np.ndarray, households: np.ndarray) -> None:
        self.units = units
        self.rows = np.broadcast_to(np.arange(units)[:, None], (units, day_start.size))
        self.day_start = day_start[None, :]
        self.households = households[:, None]
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]] = []

    def add(
        self,
        start: np.ndarray,
        end: np.ndarray,
        watts: np.ndarray,
        gate: np.ndarray,
        *,
        who: np.ndarray | None = None,
        cut: bool = True,
    ) -> None:
        """A load between local minutes ``start`` and ``end`` of each day where ``gate``.

        ``who`` (per unit) defaults to the households, i.e. not the shop.
        """
        s = np.rint(start).astype(np.int64) + self.day_start
        e = np.rint(end).astype(np.int64) + self.day_start
        mask = self.households if who is None else who[:, None]
        w = np.where(gate & mask & (e > s), watts, 0.0)
        w = np.broadcast_to(w, s.shape)
        self.parts.append((self.rows.ravel(), s.ravel(), e.ravel(), w.ravel(), cut))

    def add_absolute(
        self, rows: np.ndarray, start: np.ndarray, end: np.ndarray, watts: np.ndarray
    ) -> None:
        """Loads at absolute minutes of the window for units ``rows`` (never cut)."""
        rows = np.broadcast_to(np.asarray(rows)[:, None], start.shape)
        w = np.broadcast_to(watts, start.shape)
        s = np.rint(start).astype(np.int64)
        e = np.rint(end).astype(np.int64)
        self.parts.append((rows.ravel(), s.ravel(), e.ravel(), w.ravel(), False))

    def energy(self, specs: UnitSpecs, minutes: int, step: int) -> np.ndarray:
        """Energy (watt-minutes) of all loads per unit and meter interval, people's loads cut
        to when they live there.

        Only the meter ticks are evaluated, never every minute: a load of ``w`` watts from
        ``s`` to ``e`` has used ``w * (min(t, e) - s)`` by a tick ``t > s``, so the energy by
        each tick is ``t * W(t) - M(t)`` with ``W`` the summed watts and ``M`` the summed
        ``w * s`` of loads started before ``t`` (minus the same for loads ended before
        ``t``): two bincounts and two cumulative sums over ticks.
        """
        segments: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        for rows, s, e, w, cut in self.parts:
            if not cut:
                segments.append((rows, s, e, w))
                continue
            s = np.maximum(s, specs.lives_from[rows])
            e = np.minimum(e, specs.lives_until[rows])
            # Split around the away block: before leaving and after coming back.
            segments.append((rows, s, np.minimum(e, specs.away_from[rows]), w))
            segments.append((rows, np.maximum(s, specs.away_until[rows]), e, w))
        rows = np.concatenate([p[0] for p in segments])
        s = np.clip(np.concatenate([p[1] for p in segments]), 0, minutes)
        e = np.clip(np.concatenate([p[2] for p in segments]), 0, minutes)
        w = np.concatenate([p[3] for p in segments]).astype(float)
        keep = (e > s) & (w > 0)
        s, e, w, rows = s[keep], e[keep], w[keep], rows[keep]
        ticks = minutes // step + 1
        width = ticks + 1
        size = self.units * width
        # First tick strictly after the start (end): t = k * step > s  <=>  k >= s // step + 1.
        at_s = rows * width + s // step + 1
        at_e = rows * width + e // step + 1
        watts = np.bincount(at_s, weights=w, minlength=size)
        watts -= np.bincount(at_e, weights=w, minlength=size)
        moments = np.bincount(at_s, weights=w * s, minlength=size)
        moments -= np.bincount(at_e, weights=w * e, minlength=size)
        watts = np.cumsum(watts.reshape(self.units, width), axis=1)[:, :ticks]
        moments = np.cumsum(moments.reshape(self.units, width), axis=1)[:, :ticks]
        used = watts * (np.arange(ticks) * step)[None, :] - moments
        return np.diff(used, axis=1)


def _per_unit(lifestyles: list[Lifestyle], name: str) -> np.ndarray:
    return np.array([getattr(ls, name) for ls in lifestyles], dtype=float)


def _cycles(
    rng: np.random.Generator,
    units: int,
    minutes: int,
    on: tuple[np.ndarray, np.ndarray],
    off: tuple[np.ndarray, np.ndarray],
    shortest: float,
) -> tuple[np.ndarray, np.ndarray]:
    """On/off cycles over the window per unit: start and end minutes of each on-period.

    ``on`` and ``off`` are per-unit ``(low, high)`` ranges each period is drawn from;
    ``shortest`` is the shortest possible on+off cycle, which bounds how many fit.
    """
    cycles = int(minutes / max(shortest, 1.0)) + 2
    on_len = rng.uniform(on[0][:, None], on[1][:, None], (units, cycles))
    off_len = rng.uniform(off[0][:, None], off[1][:, None], (units, cycles))
    period = on_len + off_len
    # A random phase: the first cycle may already be under way at the window start.
    start = np.cumsum(period, axis=1) - period * rng.random((units, 1)) - period[:, :1]
    return start, start + on_len


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
    shop = scalar("business") > 0
    night = (scalar("night_work") > 0)[:, None]

    # --- per unit: habits and appliances -----------------------------------------------
    wake0 = rng_unit("wake")
    sleep0 = rng_unit("sleep")
    works = rng.random(n) < scalar("works_out")
    awake_w = rng_unit("awake_w") * occ_scale
    lights_w = rng_unit("lights_w") * occ_scale
    cook_w = rng_unit("cooking_w")
    tv_w = rng.uniform(80, 150, n)
    kettle_w = rng.uniform(1800, 2200, n)
    heater_w = rng.uniform(*WATER_HEATER_W, n)
    ac_w = rng.uniform(700, 1400, n)
    warm_w = rng.uniform(800, 1600, n)
    laundry_w = rng.uniform(300, 450, n)
    has_wh = (rng.random(n) < scalar("water_heater")) | units.water_heater
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
    midday = np.maximum(13.0 * H, wake + 30)
    leave = np.where(out, wake + rng_day("leave_after_wake"), np.where(outing, o_start, midday))
    back = np.where(out, rng_day("back_home"), np.where(outing, o_end, midday))
    # A night worker goes to bed soon after coming home in the morning.
    sleep = np.where(night & out, back + uni(35, 75), sleep)
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

    ev = _Events(n, timeline.day_start, ~shop)
    yes = np.ones(shape, dtype=bool)
    col = np.ones(shape)
    sunrise = weather.sunrise[None, :].astype(float)
    sunset = weather.sunset[None, :].astype(float)

    # Someone home and awake: chargers, fans, computer, small appliances.
    ev.add(wake, leave, awake_w[:, None] * scale, yes)
    ev.add(back, sleep, awake_w[:, None] * scale, yes)
    # Lights while home and awake in the dark (fewer rooms lit before dawn than at night).
    dark = (
        (sunrise - 1440, sunrise + TWILIGHT, 0.5),
        (sunset - TWILIGHT, sunrise + 1440 + TWILIGHT, 1.0),
    )
    for a, b in ((wake, leave), (back, sleep)):
        for d0, d1, share in dark:
            ev.add(np.maximum(a, d0), np.minimum(b, d1), share * lights_w[:, None] * scale, yes)
    # Kettle, about 2 kW for 3-4 minutes soon after getting up.
    s, e = while_home(wake + uni(5, 25), rng.integers(3, 5, shape).astype(float))
    ev.add(s, e, kettle_w[:, None] * col, chance(scalar("kettle")))
    # Breakfast on the rice cooker or induction hob.
    s, e = while_home(wake + uni(10, 35), uni(10, 25))
    ev.add(s, e, cook_w[:, None] * uni(0.8, 1.0), chance(scalar("breakfast")))
    # Lunch, only if somebody is in at noon.
    s, e = while_home(uni(11 * H, 12 * H), uni(20, 40))
    ev.add(s, e, cook_w[:, None] * uni(0.8, 1.0), chance(scalar("lunch")))
    # Dinner: at the habitual time, or soon after getting home (a night worker cooks before
    # leaving for the shift).
    dinner_at = rng_day("dinner_at")
    before_leaving = (dinner_at >= wake) & (dinner_at + 20 < leave)
    s, e = while_home(
        np.where(before_leaving, dinner_at, np.maximum(dinner_at, back + uni(10, 30))),
        rng_day("dinner_minutes") * np.sqrt(occ_scale)[:, None],
    )
    ev.add(s, e, cook_w[:, None] * uni(0.9, 1.1), chance(scalar("dinner")))
    # A second kettle in the evening (tea, a hot-water bottle).
    s, e = while_home(np.maximum(back, 19 * H) + uni(0, 120), np.full(shape, 3.0))
    ev.add(s, e, kettle_w[:, None] * col, chance(0.5 * scalar("kettle")))
    # Evening TV, and daytime TV for those home all day.
    tv_from = np.maximum(uni(18 * H + 45, 20 * H), back)
    s, e = while_home(tv_from, np.minimum(uni(21 * H + 30, 23 * H), sleep) - tv_from)
    ev.add(s, e, tv_w[:, None] * col, chance(scalar("tv")))
    for start_lo, start_hi in ((9 * H, 10 * H + 30), (14 * H, 15 * H + 30)):
        s, e = while_home(uni(start_lo, start_hi), uni(60, 150))
        ev.add(s, e, tv_w[:, None] * col, chance(scalar("tv_daytime")))
    # Washing machine some days: in the evening on workdays, in the morning otherwise (a night
    # worker after getting up).
    s = np.where(out, back + uni(60, 150), uni(8 * H + 30, 11 * H))
    s = np.where(night, wake + uni(30, 120), s)
    s, e = while_home(s, np.full(shape, 55.0))
    ev.add(s, e, laundry_w[:, None] * col, chance(scalar("laundry") * occ_scale))
    # Electric water heater reheating after the shower(s): in the evening before bed, or
    # after a night shift; runs on after bedtime.
    s = np.where(night & out, back + uni(5, 25), sleep - uni(45, 120))
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

    # --- the small shop: open every day, lights and till all day, a kettle now and then ----
    opens = rng.uniform(*SHOP_OPENS, n)[:, None] + rng.normal(0, 5, shape)
    closes = rng.uniform(*SHOP_CLOSES, n)[:, None] + rng.normal(0, 8, shape)
    shop_w = rng.uniform(*SHOP_LIGHTS_W, n) + rng.uniform(*SHOP_TILL_W, n)
    ev.add(opens, closes, shop_w[:, None] * rng.lognormal(0, 0.05, shape), yes, who=shop)
    for _ in range(3):
        s = opens + 15 + rng.random(shape) * (closes - opens - 30)
        ev.add(s, s + 3, kettle_w[:, None] * col, chance(0.6), who=shop)
    s = uni(12 * H, 13 * H)
    ev.add(s, s + uni(3, 6), uni(900, 1200), chance(0.7), who=shop)
    ev.add(np.maximum(opens, 10 * H + 30), closes, 1.3 * cool_w, has_ac[:, None] & cool, who=shop)
    ev.add(opens, closes, 1.2 * heat_w, heat, who=shop)

    # --- fittings: the timer lamp at the same clock times every day ------------------------
    if units.timer_light.any():
        on_at = rng.choice(np.array(TIMER_ON_AT, dtype=float), n)[:, None] * col
        off_at = rng.choice(np.array(TIMER_OFF_AT, dtype=float), n)[:, None] * col
        lamp_w = rng.uniform(*TIMER_LAMP_W, n)
        ev.add(on_at, off_at, lamp_w[:, None] * col, yes, who=units.timer_light, cut=False)
    else:
        on_at = off_at = np.zeros(shape)
    # Storage water heater kept hot: 5-15 minute reheats every 2-8 hours, day and night.
    rows = np.flatnonzero(units.water_heater)
    if rows.size:
        k = rows.size
        period = rng.uniform(*WATER_HEATER_PERIOD_MIN, k)
        burn = rng.uniform(*WATER_HEATER_REHEAT_MIN, k)
        start, end = _cycles(
            rng,
            k,
            minutes,
            on=(np.maximum(burn - 2, 4), burn + 2),
            off=(0.9 * period - burn, 1.1 * period - burn),
            shortest=0.9 * WATER_HEATER_PERIOD_MIN[0],
        )
        ev.add_absolute(rows, start, end, heater_w[rows][:, None])
    # Dehumidifier on a humidistat: cycles with no daily rhythm, or runs steadily.
    rows = np.flatnonzero(units.dehumidifier)
    if rows.size:
        k = rows.size
        watts = rng.uniform(*DEHUMIDIFIER_W, k)
        dryness = rng.uniform(0.3, 1.5, k)
        start, end = _cycles(
            rng,
            k,
            minutes,
            on=(np.full(k, DEHUMIDIFIER_ON_MIN[0]), np.full(k, DEHUMIDIFIER_ON_MIN[1])),
            off=(DEHUMIDIFIER_OFF_MIN[0] * dryness, DEHUMIDIFIER_OFF_MIN[1] * dryness),
            shortest=DEHUMIDIFIER_ON_MIN[0] + DEHUMIDIFIER_OFF_MIN[0] * 0.5,
        )
        steady = rng.random(k) < DEHUMIDIFIER_STEADY
        end = np.where(steady[:, None], start, end)
        ev.add_absolute(rows, start, end, watts[:, None])
        m = int(steady.sum())
        full = np.zeros((m, 1)), np.full((m, 1), minutes)
        ev.add_absolute(rows[steady], *full, watts[steady][:, None])
    # The part of the standby that belongs to the people (router, set-top box, chargers):
    # gone while nobody lives there.
    everyone = np.arange(n)
    ev.parts.append(
        (
            everyone,
            np.zeros(n, dtype=np.int64),
            np.full(n, minutes, dtype=np.int64),
            units.standby_w * (1 - units.standby_kept),
            True,
        )
    )
    # Fridge (or the shop's display cooler): the compressor cycles with a per-unit period and
    # duty (a little more in warm weather), each cycle +-15 %; frost-free fridges also run a
    # defrost heater for 15-25 minutes every 8-12 hours.
    rows = np.flatnonzero((units.has_fridge | shop) & ~units.switched_off)
    if rows.size:
        k = rows.size
        cooler = shop[rows]
        period = np.where(cooler, rng.uniform(20, 40, k), rng.uniform(30, 60, k))
        season = 1 + 0.01 * (float(weather.temperature_c.mean()) - 20)
        duty = np.where(
            cooler,
            rng.uniform(*SHOP_COOLER_DUTY, k),
            np.clip(rng.uniform(0.25, 0.40, k) * season, 0.2, 0.5),
        )
        run = period * duty
        start, end = _cycles(
            rng,
            k,
            minutes,
            on=(0.85 * run, 1.15 * run),
            off=(0.85 * (period - run), 1.15 * (period - run)),
            shortest=0.85 * 20,
        )
        compressor_w = np.where(cooler, rng.uniform(*SHOP_COOLER_W, k), rng.uniform(80, 150, k))
        ev.add_absolute(rows, start, end, compressor_w[:, None])
        frost_free = rows[(rng.random(k) < FROST_FREE) & ~cooler]
        if frost_free.size:
            m = frost_free.size
            burn = rng.uniform(15, 25, m)
            gap = rng.uniform(8 * H, 12 * H, m)
            start, end = _cycles(
                rng, m, minutes, on=(burn, burn), off=(gap - burn, gap - burn), shortest=8 * H
            )
            ev.add_absolute(frost_free, start, end, rng.uniform(200, 350, m)[:, None])

    step = timeline.interval
    intervals = timeline.intervals
    per_interval = ev.energy(units, minutes, step)

    # --- per meter interval: standby and noise -------------------------------------------
    per_interval += (units.standby_w * units.standby_kept * step)[:, None]
    # Meter noise: a couple of watts per minute, summed over the interval.
    per_interval += rng.normal(0.0, 2.0 * np.sqrt(step), (n, intervals))
    np.maximum(per_interval, 0.0, out=per_interval)
    per_interval[units.switched_off] = 0.0
    energy = np.zeros((n, intervals + 1))
    np.cumsum(per_interval / 60_000.0, axis=1, out=energy[:, 1:])

    # --- lights sensor ---------------------------------------------------------------------
    lm = timeline.light_minute[None, :]
    ld = timeline.light_day
    local = lm - timeline.day_start[ld][None, :]
    there = (
        (lm >= units.lives_from[:, None])
        & (lm < units.lives_until[:, None])
        & ~((lm >= units.away_from[:, None]) & (lm < units.away_until[:, None]))
        & ~shop[:, None]
    )
    awake_home = (
        ((local >= wake[:, ld]) & (local < leave[:, ld]))
        | ((local >= back[:, ld]) & (local < sleep[:, ld]))
    ) & there
    asleep_home = (local >= sleep[:, ld]) & ~away[:, ld] & there
    is_dark = (local >= sunset[:, ld] - TWILIGHT) | (local < sunrise[:, ld] + TWILIGHT)
    p_on = np.where(
        awake_home,
        np.where(is_dark, LIGHTS_ON_AWAKE, LIGHTS_ON_DAYLIGHT),
        np.where(asleep_home, LIGHTS_ON_ASLEEP, LIGHTS_FALSE_ON),
    )
    lamp = units.timer_light[:, None] & (local >= on_at[:, ld]) & (local < off_at[:, ld])
    open_shop = shop[:, None] & (local >= opens[:, ld]) & (local < closes[:, ld])
    p_on = np.where(lamp | open_shop, LIGHTS_ON_LAMP, p_on)
    p_on = np.where(units.switched_off[:, None], 0.0, p_on)
    lights_on = rng.random(p_on.shape) < p_on
    return ChunkResult(energy_kwh=energy, lights_on=lights_on)
