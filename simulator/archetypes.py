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

LIFESTYLES: dict[str, Lifestyle] = {ls.name: ls for ls in (FAMILY, SINGLE_WORKER, ELDERLY)}


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
    #: If set, the home goes silent (only standby and fridge) from a moment drawn uniformly in
    #: this fraction of the window, e.g. an elderly resident taken ill or away to hospital.
    silent_from: tuple[float, float] | None = None
    description: str = ""

    @property
    def registered(self) -> bool:
        """Whether the register lists anyone at all."""
        return self.registered_occupants[1] > 0


ARCHETYPES: dict[str, Archetype] = {
    a.name: a
    for a in (
        Archetype(
            name="registered_family",
            share=0.50,
            occupied=True,
            registered_occupants=(2, 5),
            actual_occupants=(2, 5),
            vulnerable=False,
            lifestyles=(("family", 1.0),),
            standby_w=(25.0, 80.0),
            fridge=1.0,
            description="Registered household of 2-5 that lives there as registered.",
        ),
        Archetype(
            name="elderly_alone",
            share=0.12,
            occupied=True,
            registered_occupants=(1, 1),
            actual_occupants=(1, 1),
            vulnerable=True,
            lifestyles=(("elderly", 1.0),),
            standby_w=(20.0, 45.0),
            fridge=0.95,
            description="One elderly resident: home all day, small regular use, early to bed.",
        ),
        Archetype(
            name="unregistered_occupants",
            share=0.10,
            occupied=True,
            registered_occupants=(0, 0),
            actual_occupants=(1, 4),
            vulnerable=False,
            lifestyles=(("family", 0.5), ("single_worker", 0.5)),
            standby_w=(20.0, 70.0),
            fridge=0.9,
            description="Nobody in the register, yet a family or worker lives there.",
        ),
        Archetype(
            name="vacant_standby",
            share=0.13,
            occupied=False,
            registered_occupants=(0, 0),
            actual_occupants=(0, 0),
            vulnerable=False,
            lifestyles=(),
            standby_w=(20.0, 45.0),
            fridge=0.7,
            description="Empty and unregistered: only standby and perhaps a fridge.",
        ),
        Archetype(
            name="registered_vacant",
            share=0.10,
            occupied=False,
            registered_occupants=(1, 4),
            actual_occupants=(0, 0),
            vulnerable=False,
            lifestyles=(),
            standby_w=(20.0, 45.0),
            fridge=0.6,
            description="Register lists 1-4 people but nobody lives there (moved away).",
        ),
        Archetype(
            name="elderly_silent",
            share=0.05,
            occupied=False,
            registered_occupants=(1, 1),
            actual_occupants=(1, 1),
            vulnerable=True,
            lifestyles=(("elderly", 1.0),),
            standby_w=(20.0, 45.0),
            fridge=1.0,
            silent_from=(0.15, 0.6),
            description="Elderly resident, active at first, then only standby from some moment.",
        ),
    )
}


def default_mix() -> dict[str, float]:
    """Archetype name -> share of a community; the shares sum to 1."""
    return {name: a.share for name, a in ARCHETYPES.items()}


def allocate(units: int, mix: dict[str, float]) -> dict[str, int]:
    """Exact unit counts per archetype by largest remainder.

    Exact counts (not a random draw per unit) keep small communities representative: ten units
    still get a vacant flat and a silent one, so a demo always has something to find.
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
