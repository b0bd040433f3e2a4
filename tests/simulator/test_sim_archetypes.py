"""Each archetype's ground truth and the signature it leaves in the meter and lights data."""

from __future__ import annotations

import numpy as np
import pytest
from sim_helpers import START, by_archetype, interval_kw

from simulator import generate_community
from simulator.archetypes import ARCHETYPES, check_mix
from simulator.generate import Community

#: The plan's table (name -> registered, occupied at the end, vulnerable): a contract with
#: the detector, its evaluation and the docs.
PLAN = {
    "registered_family": (True, True, False),
    "elderly_alone": (True, True, True),
    "night_shift": (True, True, False),
    "single_out_all_day": (True, True, False),
    "family_away": (True, True, False),
    "unregistered_occupants": (False, True, False),
    "moved_in": (False, True, False),
    "vacant_standby": (False, False, False),
    "vacant_water_heater": (False, False, False),
    "vacant_dehumidifier": (False, False, False),
    "vacant_timer_light": (False, False, False),
    "vacant_switched_off": (False, False, False),
    "registered_vacant": (True, False, False),
    "elderly_silent": (True, False, True),
    "moved_out": (True, False, False),
    "small_shop": (False, False, False),
}
DAY = 1440


def test_archetype_table_is_the_plans() -> None:
    assert list(ARCHETYPES) == list(PLAN)
    for name, (registered, occupied, vulnerable) in PLAN.items():
        a = ARCHETYPES[name]
        assert (a.registered, a.occupied, a.vulnerable) == (registered, occupied, vulnerable)
    check_mix({name: a.share for name, a in ARCHETYPES.items()})


def test_truth_of_every_unit(clean_week: Community) -> None:
    days = clean_week.timeline.days
    seen = set()
    for u in clean_week.units:
        registered, occupied, vulnerable = PLAN[u.archetype]
        assert (u.registered, u.occupied, u.vulnerable) == (registered, occupied, vulnerable)
        assert u.meter_ok and u.faults == ()
        if u.archetype == "elderly_silent":
            # Silent from 15-85 % of the window: about 25 hours to 6 days.
            assert 0.15 * days * 24 - 0.1 <= u.silent_hours <= 0.85 * days * 24 + 0.1
        elif u.archetype == "moved_out":
            assert 0.2 * days * 24 - 0.1 <= u.silent_hours <= 0.7 * days * 24 + 0.1
        elif not ARCHETYPES[u.archetype].residents:
            assert u.silent_hours == days * 24
        else:
            assert u.silent_hours == 0.0
        seen.add(u.archetype)
    assert seen == set(PLAN)
    silent = [u.silent_hours for u in clean_week.units if u.archetype == "elderly_silent"]
    # The spread matters for the welfare rule: some just past a day, some most of the week.
    assert min(silent) < 48 and max(silent) > 110


def test_switched_off_register_never_moves_and_lights_stay_dark(clean_week: Community) -> None:
    rows = by_archetype(clean_week)["vacant_switched_off"]
    reg = clean_week.register_centi_kwh[rows]
    assert (reg == reg[:, :1]).all()
    assert not clean_week.lights_on[rows].any()
    # A standby-only flat is never that still: the register moves every couple of hours.
    standby = clean_week.register_centi_kwh[by_archetype(clean_week)["vacant_standby"]]
    assert (np.diff(standby, axis=1) > 0).mean(axis=1).min() > 0.2


def test_water_heater_reheats_day_and_night_in_an_empty_flat(clean_week: Community) -> None:
    kw, day, hour = interval_kw(clean_week)
    for i in by_archetype(clean_week)["vacant_water_heater"]:
        # A 2 kW element for 5-15 minutes lifts a 15-minute interval well above the ~0.2 kW
        # that standby and a fridge can reach.
        burst = kw[i] > 0.5
        assert burst[(hour >= 0) & (hour < 6)].sum() >= 2, i
        assert burst[(hour >= 9) & (hour < 17)].sum() >= 2, i
        per_day = np.bincount(day[burst], minlength=7)
        assert (per_day >= 1).all() and per_day.max() <= 20, per_day
        assert kw[i].max() < 3.0
        assert clean_week.units[i].fittings == ("water_heater",)


def test_dehumidifier_runs_without_a_daily_rhythm(clean_week: Community) -> None:
    kw, _, hour = interval_kw(clean_week)
    standby = np.median(kw[by_archetype(clean_week)["vacant_standby"]].mean(axis=1))
    for i in by_archetype(clean_week)["vacant_dehumidifier"]:
        night = kw[i][(hour >= 1) & (hour < 5)].mean()
        evening = kw[i][(hour >= 18) & (hour < 23)].mean()
        assert 0.6 < evening / night < 1.6, i
        assert kw[i].mean() > standby + 0.03


def test_timer_lamp_is_identical_every_day_and_seen_by_the_lights_sensor(
    clean_week: Community,
) -> None:
    tl = clean_week.timeline
    kw, _, hour = interval_kw(clean_week)
    hours = (tl.light_minute % DAY) // 60
    sensed = steady = 0
    for i in by_archetype(clean_week)["vacant_timer_light"]:
        u = clean_week.units[i]
        # The lamp is on from 18:30 at the latest to 22:30 at the earliest, every evening.
        lamp = kw[i][(hour >= 19) & (hour < 22)].reshape(7, -1).mean(axis=1)
        base = kw[i][(hour >= 1) & (hour < 5)].reshape(7, -1).mean(axis=1)
        assert lamp.mean() > base.mean() + 0.01
        if not u.has_fridge:
            # Nothing else cycles: the evening's extra energy is the same every day, to the
            # meter's 0.01 kWh resolution.
            evening = kw[i][hour >= 17].reshape(7, -1).sum(axis=1) / 4
            night = kw[i][(hour >= 1) & (hour < 8)].reshape(7, -1).sum(axis=1) / 4
            lift = evening - night
            assert lift.min() > 0.05 and np.ptp(lift) <= 0.03, lift
            steady += 1
        if u.has_lights_sensor:
            sensed += 1
            on = clean_week.lights_on[i].reshape(7, 6)
            by_hour = on.mean(axis=0)
            assert (by_hour[(hours[:6] >= 19) & (hours[:6] <= 22)] >= 6 / 7).all(), on
            # Same clock times every day: each hour is lit on (nearly) all days or on none.
            assert ((by_hour <= 1 / 7) | (by_hour >= 6 / 7)).all(), on
    assert sensed >= 5 and steady >= 5


def test_moved_in_is_empty_before_its_moment(clean_week: Community) -> None:
    tl = clean_week.timeline
    kw, _, hour = interval_kw(clean_week)
    minutes = tl.minutes
    starts = np.arange(kw.shape[1]) * tl.interval
    for i in by_archetype(clean_week)["moved_in"]:
        u = clean_week.units[i]
        assert 0.3 * minutes <= u.lives_from <= 0.85 * minutes
        assert u.lives_until == minutes and u.occupied
        before = starts + tl.interval <= u.lives_from
        # Before the move: a near-empty flat with nothing beyond standby and a fridge (whose
        # defrost heater may add up to 350 W).
        assert kw[i][before].max() < 0.6, u.lives_from
        after = ~before & (hour >= 18) & (hour < 22)
        assert kw[i][after].mean() > 2 * kw[i][before].mean()
        lights_before = clean_week.lights_on[i][tl.light_minute < u.lives_from]
        assert lights_before.mean() < 0.1


def test_family_away_leaves_for_whole_days_and_is_back_a_day_before_the_end(
    clean_week: Community,
) -> None:
    tl = clean_week.timeline
    kw, _, hour = interval_kw(clean_week)
    starts = np.arange(kw.shape[1]) * tl.interval
    for i in by_archetype(clean_week)["family_away"]:
        u = clean_week.units[i]
        leave, back = u.away
        assert 2 * DAY <= back - leave <= 5 * DAY, u.away
        assert leave >= 0 and back <= tl.minutes - DAY, u.away
        away = (starts >= leave) & (starts < back)
        home = ~away & (starts >= DAY)
        evening = (hour >= 18) & (hour < 22)
        assert kw[i][away & evening].mean() < 0.5 * kw[i][home & evening].mean()
        assert u.occupied and u.silent_hours == 0


def test_shop_is_busy_by_day_and_quiet_at_night(clean_week: Community) -> None:
    tl = clean_week.timeline
    kw, _, hour = interval_kw(clean_week)
    hours = (tl.light_minute % DAY) // 60
    for i in by_archetype(clean_week)["small_shop"]:
        night = kw[i][(hour >= 1) & (hour < 6)]
        day = kw[i][(hour >= 10) & (hour < 20)]
        # Only the display cooler at night: 200-400 W on average, no human activity.
        assert 0.1 < night.mean() < 0.5 and night.max() < 0.8
        assert day.mean() > night.mean() + 0.15
        # Open every day, weekend included.
        daily = kw[i][(hour >= 10) & (hour < 20)].reshape(7, -1).mean(axis=1)
        assert daily.min() > night.mean() + 0.1
        on = clean_week.lights_on[i]
        assert on[hours == 19].mean() > 0.7 and on[hours >= 22].mean() < 0.2
        assert not clean_week.units[i].occupied


def test_elderly_silent_stops_at_its_moment(clean_week: Community) -> None:
    tl = clean_week.timeline
    kw, _, _ = interval_kw(clean_week)
    starts = np.arange(kw.shape[1]) * tl.interval
    heaters = 0
    for i in by_archetype(clean_week)["elderly_silent"]:
        u = clean_week.units[i]
        after = starts >= u.lives_until + tl.interval
        before = starts < u.lives_until
        assert u.silent_hours == pytest.approx((tl.minutes - u.lives_until) / 60, abs=0.05)
        if "water_heater" in u.fittings:
            heaters += 1
            continue
        # Afterwards only standby and the fridge: nothing like a kettle or a cooker.
        assert kw[i][after].max() < 0.6, i
        assert kw[i][before].max() > 0.8, i
    assert heaters >= 1


def test_elderly_alone_uses_little_but_is_active_most_days(clean_week: Community) -> None:
    kw, day, _ = interval_kw(clean_week)
    rows = by_archetype(clean_week)["elderly_alone"]
    family = by_archetype(clean_week)["registered_family"]
    assert np.median(kw[rows].mean(axis=1)) < 0.6 * np.median(kw[family].mean(axis=1))
    active_days = []
    for i in rows:
        base = np.percentile(kw[i], 10)
        busy = np.bincount(day[kw[i] > base + 0.4], minlength=7)
        active_days.append((busy > 0).sum())
    # Cooking, boiling water or TV nearly every day for nearly everyone.
    assert np.mean(np.array(active_days) >= 6) > 0.9


def test_night_shift_is_out_at_night_and_home_in_the_afternoon(clean_week: Community) -> None:
    tl = clean_week.timeline
    kw, day, hour = interval_kw(clean_week)
    weekday = tl.weekday[day] < 5
    hours = (tl.light_minute % DAY) // 60
    light_weekday = tl.weekday[tl.light_day] < 5
    rows = by_archetype(clean_week)["night_shift"]
    family = by_archetype(clean_week)["registered_family"]
    afternoon = weekday & (hour >= 15) & (hour < 20)
    small_hours = weekday & (hour >= 0) & (hour < 5)
    for i in rows:
        assert kw[i][afternoon].mean() > kw[i][small_hours].mean(), i
    late = light_weekday & (hours == 23)
    assert clean_week.lights_on[rows][:, late].mean() < 0.2
    assert clean_week.lights_on[family][:, late].mean() > 0.3


def test_single_out_all_day_is_out_on_weekdays(clean_week: Community) -> None:
    tl = clean_week.timeline
    kw, day, hour = interval_kw(clean_week)
    weekday = tl.weekday[day] < 5
    rows = by_archetype(clean_week)["single_out_all_day"]
    daytime = kw[rows][:, weekday & (hour >= 10) & (hour < 17)].mean(axis=1)
    evening = kw[rows][:, weekday & (hour >= 20) & (hour < 23)].mean(axis=1)
    assert np.median(evening / daytime) > 1.5
    family = by_archetype(clean_week)["registered_family"]
    assert np.median(kw[rows].mean(axis=1)) < np.median(kw[family].mean(axis=1))


def test_summer_evenings_use_more_than_spring_evenings() -> None:
    spring = generate_community(150, 2, seed=3, start=START, faults=False)
    summer = generate_community(150, 2, seed=3, start=START.replace(month=7, day=27), faults=False)
    rows = by_archetype(spring)["registered_family"]
    assert rows == by_archetype(summer)["registered_family"]
    use = [np.diff(c.register_centi_kwh[rows], axis=1).sum() for c in (spring, summer)]
    assert use[1] > 1.3 * use[0]
