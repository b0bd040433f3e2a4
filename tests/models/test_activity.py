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


def test_a_run_already_going_sets_the_night_reference_only_if_it_outlasts_a_day():
    """A steady load running when the window opens and for days after is the appliances'
    reference (its hours need a longer run to count as a person); the same load cut to
    less than a day is most likely last evening's use and sets nothing."""
    rng = np.random.default_rng(0)
    steady = toy.fridge_only()
    steady[: toy.HOURS - 30] += rng.uniform(0.25, 0.35, toy.HOURS - 30)
    long_run = toy.HOURS - 30
    found = human_hours(steady[None, :], np.arange(toy.HOURS) % 24)
    assert found.night_run_hours[0] == long_run
    assert found.run_hours[0] == long_run + 1
    found = human_hours(steady[None, :20], np.arange(20) % 24)
    assert found.night_run_hours[0] == 0


def test_last_evenings_use_cut_by_the_windows_midnight_does_not_raise_the_bar():
    """A window opens at a local midnight, so heating on from 23:00 to 06:00 every night is,
    on the first morning only, a run "already going". It must not make the unit's evenings
    look like an appliance's (review finding: a false urgent flag on a 14-day window)."""
    rng = np.random.default_rng(1)
    days = 7
    hours = days * 24
    energy = np.full((2, hours), 0.05) + rng.random((2, hours)) * 0.01
    for d in range(days):
        b = d * 24
        energy[:, b + 18 : b + 22] += rng.uniform(0.25, 0.6, (2, 4))  # evening at home
        energy[:, b + 23] += rng.uniform(0.5, 0.7, 2)  # heating on at 23:00 ...
        if d < days - 1:
            energy[:, b + 24 : b + 30] += rng.uniform(0.5, 0.7, (2, 6))  # ... until 06:00
    energy[0, 0:6] += rng.uniform(0.5, 0.7, 6)  # unit 0: the window opens while it is on
    found = human_hours(energy, np.arange(hours) % 24)
    assert found.run_hours.tolist() == [3, 3]
    evenings = found.human.reshape(2, days, 24)[:, :, 18:22].any(axis=2).sum(axis=1)
    assert evenings.tolist() == [days, days]


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
