"""Household archetypes and lifestyles, as plain data.

The detector is judged against these, so they are kept as data the tests and the report can
read, not buried in simulation code. An *archetype* says what the register claims and what is
really true of a dwelling (the ground truth); a *lifestyle* says how the people who live there
use electricity. Several archetypes share a lifestyle: an unregistered tenant cooks like a
registered one, which is exactly why the register has to be compared with the meter.

``occupied`` in the ground truth means *someone lives there at the end of the window*. Living
there is not the same as being at home: an occupied family may be out all day or away for a
night, and a home that went silent part-way through the window (``elderly_silent``) is not
occupied at the end even though it was at the start.

A *fitting* is something left running whether or not anybody is home: a storage water heater
that reheats its tank every few hours, a dehumidifier on a humidistat, a lamp on a plug-in
timer. Fittings are why an empty flat's meter keeps turning, and the detector has to tell
them from people.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Minutes since local midnight, written as hours for readability below.
H = 60


@dataclass(frozen=True)
class Lifestyle:
    """How one kind of household uses electricity (ranges are drawn per unit or per day).

    Times are minutes since local midnight; powers are watts (averaged over appliance duty
    cycles, since the meter only sees energy per interval). Probabilities are per day unless
    the name says otherwise.
    """

    name: str
    #: Per-unit habitual wake-up and go-to-sleep times; each day jitters around them.
    wake: tuple[int, int]
    sleep: tuple[int, int]
    #: Share of households where nobody stays in during weekday working hours.
    works_out: float
    #: For working households: chance of a weekday at home anyway (sick, working from home).
    home_weekday: float
    #: Weekday time to leave after waking, and time back home.
    leave_after_wake: tuple[int, int]
    back_home: tuple[int, int]
    #: Chance of a weekend outing, its start and length.
    outing: float
    outing_start: tuple[int, int]
    outing_length: tuple[int, int]
    #: Chance of a whole day and night away (visiting relatives, a trip).
    away_day: float
    #: Baseline load while someone is home and awake (phones, fan, computer), per unit.
    awake_w: tuple[float, float]
    lights_w: tuple[float, float]
    kettle: float
    breakfast: float
    lunch: float
    dinner: float
    #: Habitual dinner time (cooking starts then, or soon after getting home) and its length.
    dinner_at: tuple[int, int]
    dinner_minutes: tuple[int, int]
    cooking_w: tuple[float, float]
    tv: float
    tv_daytime: float
    laundry: float
    #: Share of units with an electric water heater, and chance of a heated shower per day.
    water_heater: float
    shower: float
    #: Share of units with an air conditioner / electric heater they actually use.
    has_ac: float
    has_heater: float
    #: Per-day lognormal spread of overall activity, so no two days are alike.
    day_spread: float
    #: Works nights: on workdays leaves in the evening (``wake`` + ``leave_after_wake``),
    #: is back the next morning (``back_home`` > 24 h) and sleeps through the day.
    night_work: bool = False
    #: Not a household at all but a business (the small shop): simulated by its opening
    #: hours, not by the fields above, which are then placeholders.
    business: bool = False


FAMILY = Lifestyle(
    name="family",
    wake=(6 * H + 15, 7 * H + 15),
    sleep=(22 * H + 30, 23 * H + 45),
    works_out=0.6,
    home_weekday=0.1,
    leave_after_wake=(30, 70),
    back_home=(17 * H + 30, 19 * H + 30),
    outing=0.45,
    outing_start=(9 * H + 30, 14 * H),
    outing_length=(2 * H, 6 * H),
    away_day=0.02,
    awake_w=(60.0, 180.0),
    lights_w=(80.0, 200.0),
    kettle=0.8,
    breakfast=0.6,
    lunch=0.7,
    dinner=0.95,
    dinner_at=(17 * H + 30, 18 * H + 45),
    dinner_minutes=(35, 60),
    cooking_w=(1000.0, 1500.0),
    tv=0.85,
    tv_daytime=0.2,
    laundry=0.35,
    water_heater=0.55,
    shower=0.9,
    has_ac=0.9,
    has_heater=0.6,
    day_spread=0.2,
)

SINGLE_WORKER = Lifestyle(
    name="single_worker",
    wake=(6 * H + 30, 7 * H + 45),
    sleep=(23 * H, 24 * H + 45),
    works_out=0.85,
    home_weekday=0.1,
    leave_after_wake=(25, 60),
    back_home=(18 * H, 20 * H + 30),
    outing=0.6,
    outing_start=(10 * H, 15 * H),
    outing_length=(2 * H, 7 * H),
    away_day=0.04,
    awake_w=(40.0, 140.0),
    lights_w=(50.0, 120.0),
    kettle=0.7,
    breakfast=0.3,
    lunch=0.4,
    dinner=0.7,
    dinner_at=(18 * H + 30, 20 * H),
    dinner_minutes=(15, 40),
    cooking_w=(900.0, 1300.0),
    tv=0.6,
    tv_daytime=0.1,
    laundry=0.2,
    water_heater=0.5,
    shower=0.85,
    has_ac=0.85,
    has_heater=0.5,
    day_spread=0.25,
)

ELDERLY = Lifestyle(
    name="elderly",
    wake=(5 * H + 15, 6 * H + 15),
    sleep=(20 * H + 30, 21 * H + 30),
    works_out=0.0,
    home_weekday=1.0,
    leave_after_wake=(60, 120),
    back_home=(10 * H, 11 * H),
    outing=0.15,
    outing_start=(8 * H, 10 * H),
    outing_length=(1 * H, 2 * H),
    away_day=0.0,
    awake_w=(20.0, 60.0),
    lights_w=(40.0, 90.0),
    kettle=0.6,
    breakfast=0.5,
    lunch=0.85,
    dinner=0.85,
    dinner_at=(16 * H + 45, 17 * H + 45),
    dinner_minutes=(20, 35),
    cooking_w=(700.0, 1000.0),
    tv=0.9,
    tv_daytime=0.7,
    laundry=0.1,
    water_heater=0.4,
    shower=0.4,
    has_ac=0.6,
    has_heater=0.5,
    day_spread=0.12,
)

NIGHT_SHIFT = Lifestyle(
    name="night_shift",
    # Gets up in the early afternoon; on workdays leaves for a night shift and is back the
    # next morning, then sleeps; on nights off stays up late at home.
    wake=(13 * H + 30, 15 * H),
    sleep=(24 * H + 30, 26 * H + 30),
    works_out=1.0,
    home_weekday=0.08,
    leave_after_wake=(6 * H, 8 * H),
    back_home=(30 * H + 30, 32 * H),
    outing=0.4,
    outing_start=(15 * H + 30, 17 * H),
    outing_length=(1 * H + 30, 3 * H + 30),
    away_day=0.02,
    awake_w=(40.0, 150.0),
    lights_w=(60.0, 150.0),
    kettle=0.8,
    breakfast=0.6,
    lunch=0.1,
    dinner=0.8,
    dinner_at=(18 * H, 19 * H + 30),
    dinner_minutes=(20, 45),
    cooking_w=(900.0, 1400.0),
    tv=0.5,
    tv_daytime=0.4,
    laundry=0.25,
    water_heater=0.5,
    shower=0.85,
    has_ac=0.85,
    has_heater=0.5,
    day_spread=0.22,
    night_work=True,
)

OUT_ALL_DAY = Lifestyle(
    name="out_all_day",
    # A student or single worker out from about 08:00 to 20:00 (weekends too, often), who
    # rarely cooks: a laptop, phone chargers, lights, a shower and a kettle in the evening.
    wake=(6 * H + 45, 7 * H + 30),
    sleep=(23 * H + 15, 25 * H),
    works_out=1.0,
    home_weekday=0.05,
    leave_after_wake=(20, 45),
    back_home=(19 * H + 30, 21 * H + 30),
    outing=0.7,
    outing_start=(9 * H + 30, 13 * H),
    outing_length=(4 * H, 9 * H),
    away_day=0.05,
    awake_w=(30.0, 100.0),
    lights_w=(30.0, 80.0),
    kettle=0.6,
    breakfast=0.1,
    lunch=0.1,
    dinner=0.25,
    dinner_at=(20 * H, 21 * H + 30),
    dinner_minutes=(8, 20),
    cooking_w=(800.0, 1200.0),
    tv=0.3,
    tv_daytime=0.05,
    laundry=0.15,
    water_heater=0.5,
    shower=0.85,
    has_ac=0.8,
    has_heater=0.45,
    day_spread=0.25,
)

SHOP = Lifestyle(
    name="shop",
    wake=(9 * H, 9 * H),
    sleep=(21 * H, 21 * H),
    works_out=0.0,
    home_weekday=1.0,
    leave_after_wake=(0, 0),
    back_home=(21 * H, 21 * H),
    outing=0.0,
    outing_start=(0, 0),
    outing_length=(0, 0),
    away_day=0.0,
    awake_w=(0.0, 0.0),
    lights_w=(0.0, 0.0),
    kettle=0.0,
    breakfast=0.0,
    lunch=0.0,
    dinner=0.0,
    dinner_at=(0, 0),
    dinner_minutes=(0, 0),
    cooking_w=(0.0, 0.0),
    tv=0.0,
    tv_daytime=0.0,
    laundry=0.0,
    water_heater=0.0,
    shower=0.0,
    has_ac=0.9,
    has_heater=0.6,
    day_spread=0.15,
    business=True,
)

LIFESTYLES: dict[str, Lifestyle] = {
    ls.name: ls for ls in (FAMILY, SINGLE_WORKER, ELDERLY, NIGHT_SHIFT, OUT_ALL_DAY, SHOP)
}

#: Small shop (``business`` lifestyle): opening hours, loads while open (watts), the display
#: cooler's compressor and how often the kettle and microwave run. Open every day.
SHOP_OPENS = (8 * H + 30, 9 * H + 30)
SHOP_CLOSES = (20 * H + 30, 21 * H + 30)
SHOP_LIGHTS_W = (150.0, 400.0)
SHOP_TILL_W = (40.0, 120.0)
SHOP_COOLER_W = (350.0, 550.0)
SHOP_COOLER_DUTY = (0.55, 0.75)

#: Fittings left running whether or not anyone is home.
#: Storage water heater (60-80 l tank kept hot): reheats from standby heat loss.
WATER_HEATER_W = (1800.0, 2500.0)
WATER_HEATER_PERIOD_MIN = (2 * H, 8 * H)
WATER_HEATER_REHEAT_MIN = (5, 15)
#: Dehumidifier / humidistat load: cycles on and off with the humidity, or runs steadily.
DEHUMIDIFIER_W = (150.0, 400.0)
DEHUMIDIFIER_STEADY = 0.25
DEHUMIDIFIER_ON_MIN = (15, 60)
DEHUMIDIFIER_OFF_MIN = (10, 90)
#: Timer lamp: a plug-in timer switching one lamp at the same clock times every day.
TIMER_LAMP_W = (15.0, 100.0)
TIMER_ON_AT = (17 * H + 30, 18 * H, 18 * H + 30)
TIMER_OFF_AT = (22 * H + 30, 23 * H, 23 * H + 30)

FITTINGS: tuple[str, ...] = ("water_heater", "dehumidifier", "timer_light")


@dataclass(frozen=True)
class Archetype:
    """What the register says about a dwelling and what is really true of it."""

    name: str
    #: Default share of a community (the default mix sums to 1).
    share: float
    #: Ground truth: someone lives there at the end of the window.
    occupied: bool
    #: Occupants the move-in register lists (inclusive range; (0, 0) = not registered).
    registered_occupants: tuple[int, int]
    #: People actually living there (inclusive range; (0, 0) = nobody).
    actual_occupants: tuple[int, int]
    #: Flagged in the register as needing checks (elderly living alone).
    vulnerable: bool
    #: Lifestyles of the people living there, with weights (empty = nobody lives there).
    lifestyles: tuple[tuple[str, float], ...]
    #: Always-on load of the dwelling: router, TV and set-top box standby, chargers.
    standby_w: tuple[float, float]
    #: Chance that the dwelling has a running fridge.
    fridge: float
    #: Chance of each fitting (``FITTINGS``) left running day and night, lived in or not.
    fittings: tuple[tuple[str, float], ...] = ()
    #: Chance that the main switch is off: no load at all, the register never moves.
    switched_off: float = 0.0
    #: People live there only from a moment drawn uniformly in this fraction of the window
    #: (moved in); before it the dwelling is empty.
    lives_from: tuple[float, float] | None = None
    #: People live there only until a moment drawn uniformly in this fraction of the window
    #: (an elderly resident taken ill, a household that moved out); after it only standby,
    #: the fridge and fittings remain.
    lives_until: tuple[float, float] | None = None
    #: Whole days the household is away (inclusive range), back at least a day before the end.
    away_days: tuple[int, int] | None = None
    #: Share of the standby load that stays when nobody lives there (movers unplug things).
    standby_kept: tuple[float, float] = (1.0, 1.0)
    description: str = ""

    @property
    def registered(self) -> bool:
        """Whether the register lists anyone at all."""
        return self.registered_occupants[1] > 0

    @property
    def residents(self) -> bool:
        """Whether anybody lives there at any time of the window (a shop has no residents)."""
        return self.actual_occupants[1] > 0


#: Occupied homes: some keep their storage water heater on day and night.
_LIVED_IN_FITTINGS = (("water_heater", 0.3),)

ARCHETYPES: dict[str, Archetype] = {
    a.name: a
    for a in (
        Archetype(
            name="registered_family",
            share=0.28,
            occupied=True,
            registered_occupants=(2, 5),
            actual_occupants=(2, 5),
            vulnerable=False,
            lifestyles=(("family", 1.0),),
            standby_w=(25.0, 80.0),
            fridge=1.0,
            fittings=_LIVED_IN_FITTINGS,
            description="Registered household of 2-5 that lives there as registered.",
        ),
        Archetype(
            name="elderly_alone",
            share=0.10,
            occupied=True,
            registered_occupants=(1, 1),
            actual_occupants=(1, 1),
            vulnerable=True,
            lifestyles=(("elderly", 1.0),),
            standby_w=(15.0, 40.0),
            fridge=0.95,
            fittings=(("water_heater", 0.25),),
            description="One elderly resident: home all day, small regular use, early to bed.",
        ),
        Archetype(
            name="night_shift",
            share=0.04,
            occupied=True,
            registered_occupants=(1, 3),
            actual_occupants=(1, 3),
            vulnerable=False,
            lifestyles=(("night_shift", 1.0),),
            standby_w=(20.0, 60.0),
            fridge=1.0,
            fittings=_LIVED_IN_FITTINGS,
            description="Registered night-shift worker: out at night, asleep by day.",
        ),
        Archetype(
            name="single_out_all_day",
            share=0.07,
            occupied=True,
            registered_occupants=(1, 2),
            actual_occupants=(1, 2),
            vulnerable=False,
            lifestyles=(("out_all_day", 1.0),),
            standby_w=(15.0, 50.0),
            fridge=0.85,
            fittings=_LIVED_IN_FITTINGS,
            description="Registered student or single worker, out 08-20, cooks little.",
        ),
        Archetype(
            name="family_away",
            share=0.05,
            occupied=True,
            registered_occupants=(2, 5),
            actual_occupants=(2, 5),
            vulnerable=False,
            lifestyles=(("family", 1.0),),
            standby_w=(25.0, 80.0),
            fridge=1.0,
            fittings=_LIVED_IN_FITTINGS,
            away_days=(2, 4),
            description="Registered family away 2-4 whole days, back a day before the end.",
        ),
        Archetype(
            name="unregistered_occupants",
            share=0.08,
            occupied=True,
            registered_occupants=(0, 0),
            actual_occupants=(1, 4),
            vulnerable=False,
            lifestyles=(("family", 0.5), ("single_worker", 0.35), ("night_shift", 0.15)),
            standby_w=(20.0, 70.0),
            fridge=0.9,
            fittings=_LIVED_IN_FITTINGS,
            description="Nobody in the register, yet a family or worker lives there.",
        ),
        Archetype(
            name="moved_in",
            share=0.03,
            occupied=True,
            registered_occupants=(0, 0),
            actual_occupants=(1, 4),
            vulnerable=False,
            lifestyles=(("family", 0.6), ("single_worker", 0.4)),
            standby_w=(20.0, 70.0),
            fridge=0.8,
            lives_from=(0.30, 0.85),
            standby_kept=(0.0, 0.3),
            description="Empty, then lived in (not registered) from 30-85 % of the window.",
        ),
        Archetype(
            name="vacant_standby",
            share=0.06,
            occupied=False,
            registered_occupants=(0, 0),
            actual_occupants=(0, 0),
            vulnerable=False,
            lifestyles=(),
            standby_w=(8.0, 40.0),
            fridge=0.6,
            description="Empty and unregistered: only standby and perhaps a fridge.",
        ),
        Archetype(
            name="vacant_water_heater",
            share=0.04,
            occupied=False,
            registered_occupants=(0, 0),
            actual_occupants=(0, 0),
            vulnerable=False,
            lifestyles=(),
            standby_w=(8.0, 40.0),
            fridge=0.5,
            fittings=(("water_heater", 1.0),),
            description="Empty; storage water heater left on: 2 kW reheats every few hours.",
        ),
        Archetype(
            name="vacant_dehumidifier",
            share=0.03,
            occupied=False,
            registered_occupants=(0, 0),
            actual_occupants=(0, 0),
            vulnerable=False,
            lifestyles=(),
            standby_w=(8.0, 40.0),
            fridge=0.5,
            fittings=(("dehumidifier", 1.0),),
            description="Empty; dehumidifier or another 150-400 W load on a humidistat.",
        ),
        Archetype(
            name="vacant_timer_light",
            share=0.03,
            occupied=False,
            registered_occupants=(0, 0),
            actual_occupants=(0, 0),
            vulnerable=False,
            lifestyles=(),
            standby_w=(8.0, 40.0),
            fridge=0.5,
            fittings=(("timer_light", 1.0),),
            description="Empty; a lamp on a timer at the same hours every evening.",
        ),
        Archetype(
            name="vacant_switched_off",
            share=0.03,
            occupied=False,
            registered_occupants=(0, 0),
            actual_occupants=(0, 0),
            vulnerable=False,
            lifestyles=(),
            standby_w=(0.0, 0.0),
            fridge=0.0,
            switched_off=1.0,
            description="Empty with the main switch off: the register never moves.",
        ),
        Archetype(
            name="registered_vacant",
            share=0.06,
            occupied=False,
            registered_occupants=(1, 4),
            actual_occupants=(0, 0),
            vulnerable=False,
            lifestyles=(),
            standby_w=(8.0, 45.0),
            fridge=0.5,
            fittings=(("water_heater", 0.2), ("dehumidifier", 0.1), ("timer_light", 0.1)),
            switched_off=0.15,
            description="Register lists 1-4 people but nobody lives there (moved away).",
        ),
        Archetype(
            name="elderly_silent",
            share=0.04,
            occupied=False,
            registered_occupants=(1, 1),
            actual_occupants=(1, 1),
            vulnerable=True,
            lifestyles=(("elderly", 1.0),),
            standby_w=(15.0, 40.0),
            fridge=1.0,
            fittings=(("water_heater", 0.35),),
            lives_until=(0.15, 0.85),
            description="Elderly resident, active at first, then silent (standby, fridge, "
            "heater left on) from 15-85 % of the window.",
        ),
        Archetype(
            name="moved_out",
            share=0.03,
            occupied=False,
            registered_occupants=(1, 4),
            actual_occupants=(1, 4),
            vulnerable=False,
            lifestyles=(("family", 0.6), ("single_worker", 0.4)),
            standby_w=(20.0, 70.0),
            fridge=0.5,
            lives_until=(0.30, 0.80),
            standby_kept=(0.0, 0.4),
            description="Registered household that moves out at 30-80 % of the window.",
        ),
        Archetype(
            name="small_shop",
            share=0.03,
            occupied=False,
            registered_occupants=(0, 0),
            actual_occupants=(0, 0),
            vulnerable=False,
            lifestyles=(("shop", 1.0),),
            standby_w=(20.0, 50.0),
            fridge=0.0,
            description="Ground-floor shop open ~09-21 daily: display cooler, lights, till, "
            "kettle; nobody sleeps there.",
        ),
    )
}


def default_mix() -> dict[str, float]:
    """Archetype name -> share of a community; the shares sum to 1."""
    return {name: a.share for name, a in ARCHETYPES.items()}


def check_mix(mix: dict[str, float]) -> dict[str, float]:
    """Validate a mix (archetype name -> share) and say how to fix a bad one."""
    unknown = sorted(set(mix) - set(ARCHETYPES))
    if unknown:
        raise ValueError(
            f"unknown archetype(s) {', '.join(unknown)}; choose from {', '.join(ARCHETYPES)}"
        )
    if sum(mix.values()) <= 0 or any(v < 0 for v in mix.values()):
        raise ValueError("archetype shares must be non-negative and not all zero")
    return dict(mix)


def allocate(units: int, mix: dict[str, float]) -> dict[str, int]:
    """Exact unit counts per archetype by largest remainder.

    Exact counts (not a random draw per unit) keep small communities representative: twenty
    units still get a vacant flat and a silent one, so a demo always has something to find.
    """
    total = sum(mix.values())
    if total <= 0 or any(v < 0 for v in mix.values()):
        raise ValueError("archetype shares must be non-negative and not all zero")
    exact = {name: units * share / total for name, share in mix.items()}
    counts = {name: int(v) for name, v in exact.items()}
    leftover = units - sum(counts.values())
    by_remainder = sorted(mix, key=lambda n: (-(exact[n] - counts[n]), list(mix).index(n)))
    for name in by_remainder[:leftover]:
        counts[name] += 1
    return counts
