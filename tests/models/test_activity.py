"""human_hours and frozen_hours on hand-made hours: people against thermostats and timers."""

from __future__ import annotations

import numpy as np

from occupancy.models.activity import frozen_hours, human_hours

from . import toy

HOD = np.arange(toy.HOURS) % 24


def human(*rows: np.ndarray) -> np.ndarray:
    return human_hours(np.vstack(rows), HOD).human


def test_sustained_evening_use_is_human_and_a_fridge_is_not():
    got = human(toy.evening_active(), toy.fridge_only())
    assert got[0].sum() == 6 * toy.DAYS  # breakfast plus five evening hours, every day
    assert not got[1].any()


def test_reheats_the_size_of_the_night_ones_are_not_human_but_a_bigger_event_is():
    heater = toy.fridge_only()
    heater[2::6] += 0.4  # reheats at 02:00, 08:00, 14:00, 20:00 every day
    cooking = heater.copy()
    cooking[5 * 24 + 11] += 0.6  # Saturday lunch on the hob: bigger than any reheat
    kettle = heater.copy()
    kettle[5 * 24 + 10] += 0.15  # a kettle alone proves nothing: a defrost is that big
    got = human(heater, cooking, kettle)
    assert not got[0].any()
    assert np.flatnonzero(got[1]).tolist() == [5 * 24 + 11]
    assert not got[2].any()


def test_a_reheat_next_to_a_defrost_cycle_is_not_a_person_but_hours_of_low_use_are():
    heater = toy.fridge_only()
    heater[2::6] += 0.4
    heater[3::12] += 0.12  # a frost-free fridge's defrost heater right after every other reheat
    awake = heater.copy()
    awake[5 * 24 + 15 : 5 * 24 + 20] += 0.07  # TV and a lamp, 15:00-19:59, under the margin
    got = human(heater, awake)
    assert not got[0].any()
    assert got[1, 5 * 24 + 15 : 5 * 24 + 20].all()


def test_a_reheat_straddling_two_hours_is_still_one_reheat():
    heater = toy.fridge_only()
    for start in range(1, toy.HOURS - 1, 7):
        heater[start] += 0.25  # the first half of a reheat ...
        heater[start + 1] += 0.2  # ... and the rest in the next hour
    assert not human(heater).any()


def test_a_load_that_never_stops_is_not_one_long_person():
    rng = np.random.default_rng(0)
    dehumidifier = toy.fridge_only() + rng.uniform(0.15, 0.35, toy.HOURS)  # cycling all week
    dehumidifier[rng.random(toy.HOURS) < 0.15] = 0.05  # ... off now and then
    got = human(dehumidifier)
    assert got.mean() < 0.1


def test_a_timer_lamp_is_not_human_but_a_person_with_the_same_habits_is():
    got = human(toy.timer_lamp(kwh=0.2), toy.evening_active())
    assert not got[0].any()
    assert got[1].any()


def test_frozen_register_is_counted_from_the_last_move_and_a_switched_off_one_never_moved():
    stuck = toy.evening_active()
    stuck[-30:] = 0.0
    gap_then_stuck = stuck.copy()
    gap_then_stuck[-5:] = np.nan  # the last hours not reported at all
    frozen, moved = frozen_hours(np.vstack([stuck, gap_then_stuck, np.zeros(toy.HOURS)]))
    assert frozen.tolist() == [30.0, 25.0, 0.0]
    assert moved.tolist() == [True, True, False]
