"""HourlyFeatures on hand-built units whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from occupancy.models.features import FEATURE_NAMES, HourlyFeatures, summarize
from occupancy.models.matrix import split_matrix, window_matrix

from . import toy

COL = {name: i for i, name in enumerate(FEATURE_NAMES)}


def features(X: np.ndarray) -> np.ndarray:
    return HourlyFeatures().fit(X).transform(X)


def test_fridge_only_unit_is_flat_and_inactive_while_evening_unit_is_active_every_day():
    F = features(toy.matrix(toy.fridge_only(), toy.evening_active()))
    flat, busy = F[0], F[1]

    assert flat[COL["evening_human_days_share"]] == 0.0
    assert busy[COL["evening_human_days_share"]] == 1.0
    assert busy[COL["human_days_share"]] == 1.0
    assert busy[COL["human_hours_per_day"]] == pytest.approx(6.0)  # breakfast + 5 evening hours
    assert flat[COL["event_hours_per_day"]] == 0.0
    assert busy[COL["event_hours_per_day"]] == pytest.approx(6.0)
    assert flat[COL["flatness"]] < 0.2 < busy[COL["flatness"]]
    assert busy[COL["regularity"]] > 0.9 > abs(flat[COL["regularity"]])
    assert flat[COL["days_since_human"]] == toy.DAYS  # never active: the whole window
    assert busy[COL["days_since_human"]] == pytest.approx(1 / 24)  # last active 22:00-23:00
    assert busy[COL["evening_excess_kwh"]] == pytest.approx(5 * 0.5 / 6, abs=0.03)
    assert busy[COL["morning_excess_kwh"]] == pytest.approx(0.4 / 5, abs=0.02)
    assert busy[COL["mean_daily_kwh"]] == pytest.approx(24 * 0.05 + 0.4 + 2.5, abs=0.05)
    assert busy[COL["late_human_days_share"]] == 1.0  # 22:00-22:59 every day
    assert busy[COL["night_active_share"]] == 0.0 == flat[COL["night_active_share"]]


def test_water_heater_reheats_are_activity_but_not_human_activity():
    heater = toy.fridge_only()
    heater[1::5] += 0.4  # a 2 kW element for 12 minutes every 5 hours, day and night
    F = features(toy.matrix(heater, toy.evening_active()))
    assert F[0, COL["active_hours_per_day"]] > 4
    assert F[0, COL["human_hours_per_day"]] == 0.0
    assert F[0, COL["days_since_human"]] == toy.DAYS
    assert F[0, COL["isolated_share"]] == 1.0  # every active hour stands alone
    assert F[0, COL["night_peak_kwh"]] == pytest.approx(0.4, abs=0.03)
    assert F[0, COL["night_active_share"]] > 0.1
    assert F[1, COL["isolated_share"]] < 0.2


def test_a_timer_lamp_repeats_to_the_minute_and_is_not_a_person():
    lamp = toy.timer_lamp(kwh=0.15)
    lit = toy.lights(lit_nights=toy.DAYS)
    F = features(toy.matrix(lamp, toy.evening_active(), lights_rows=[lit, lit]))
    assert F[0, COL["human_hours_per_day"]] == 0.0
    assert F[0, COL["repeat_share"]] > 0.8
    assert F[1, COL["repeat_share"]] < 0.1
    assert F[0, COL["lights_with_activity_share"]] == 0.0  # lit, yet nobody uses power
    assert F[1, COL["lights_with_activity_share"]] > 0.8


def test_a_shop_is_busy_all_day_and_dead_at_night():
    shop = toy.fridge_only()
    for d in range(toy.DAYS):
        shop[d * 24 + 9 : d * 24 + 21] += 0.35 * toy.DAY_FACTORS[d]
    F = features(toy.matrix(shop, toy.evening_active()))
    assert F[0, COL["human_span_hours"]] == 12.0
    assert F[0, COL["late_human_days_share"]] == 0.0
    assert F[0, COL["early_human_days_share"]] == 0.0
    assert F[0, COL["plateau_cv"]] < 0.1  # lights and till: the same load all day


def test_baseline_is_a_low_percentile_of_hourly_energy_ignoring_nan():
    rng = np.random.default_rng(3)
    energy = rng.random((5, toy.HOURS))
    energy[rng.random(energy.shape) < 0.3] = np.nan
    energy[4] = np.nan  # a unit without a single measurement
    s = summarize(toy.matrix(*energy), baseline_percentile=10.0)
    expected = [np.nanpercentile(row, 10) for row in energy[:4]]
    np.testing.assert_allclose(s.baseline_kwh[:4], expected)
    assert np.isnan(s.baseline_kwh[4])


def test_unmeasured_hours_are_neither_activity_nor_quiet():
    busy = toy.evening_active()
    half = busy.copy()
    half[::2] = np.nan  # every other hour lost
    nothing = np.full(toy.HOURS, np.nan)
    F = features(toy.matrix(busy, half, nothing))

    assert np.isfinite(F).all()
    assert F[0, COL["measured_share"]] == 1.0
    assert F[1, COL["measured_share"]] == 0.5
    assert F[2, COL["measured_share"]] == 0.0
    # Half the hours gone, but every evening still shows sustained activity.
    assert F[1, COL["evening_human_days_share"]] == 1.0
    assert F[2, COL["human_days_share"]] == 0.0


def test_lights_nights_counted_and_missing_sensor_is_neutral_with_an_indicator():
    X = toy.matrix(
        toy.evening_active(),
        toy.evening_active(),
        lights_rows=[toy.lights(lit_nights=3), toy.no_lights()],
    )
    s = summarize(X)
    assert s.nights_observed.tolist() == [toy.DAYS, 0]
    assert s.nights_lit.tolist() == [3, 0]
    F = features(X)
    assert F[0, COL["lights_observed"]] == 1.0
    assert F[0, COL["lights_nights_lit_share"]] == pytest.approx(3 / 7)
    assert F[0, COL["last_night_lights"]] == 0.0  # the last evening was dark
    assert F[1, COL["lights_observed"]] == 0.0
    for name in ("lights_night_share", "lights_nights_lit_share", "last_night_lights"):
        assert F[1, COL[name]] == 0.5


def test_a_home_gone_quiet_shows_days_since_activity_and_a_silent_last_day():
    quiet = toy.evening_active(active_days=range(3))  # active Mon-Wed, then only the fridge
    F = features(toy.matrix(quiet))
    assert F[0, COL["days_since_human"]] == pytest.approx(4 + 1 / 24)
    assert F[0, COL["last24_human_hours"]] == 0
    assert F[0, COL["last48_human_hours"]] == 0
    assert F[0, COL["human_days_share"]] == pytest.approx(3 / 7)
    assert F[0, COL["human_trend"]] < 0  # busier in the first half than the second


def test_moved_in_mid_week_shows_a_late_first_day_and_a_rising_trend():
    moved_in = toy.evening_active(active_days=range(4, 7))
    F = features(toy.matrix(moved_in))
    assert F[0, COL["first_human_day"]] == pytest.approx(4 + 7 / 24)
    assert F[0, COL["human_trend"]] > 0
    assert F[0, COL["days_since_human"]] == pytest.approx(1 / 24)


def test_a_register_that_never_moves_is_marked():
    F = features(toy.matrix(np.zeros(toy.HOURS), toy.fridge_only()))
    assert F[:, COL["never_moved"]].tolist() == [1.0, 0.0]


def test_feature_names_match_the_columns():
    X = toy.matrix(toy.fridge_only())
    est = HourlyFeatures().fit(X)
    names = est.get_feature_names_out()
    assert list(names) == list(FEATURE_NAMES)
    assert len(set(names)) == len(names) == est.transform(X).shape[1]


def test_other_whole_day_lengths_are_accepted_and_partial_days_rejected():
    est = HourlyFeatures().fit(toy.matrix(toy.fridge_only()))
    assert est.days_ == toy.DAYS
    assert est.transform(toy.matrix(toy.evening_active(days=14))).shape == (1, len(FEATURE_NAMES))
    with pytest.raises(ValueError, match="2 \\* 24 \\* days"):
        est.transform(np.zeros((1, 100)))


def test_invalid_thresholds_are_rejected_at_fit():
    X = toy.matrix(toy.fridge_only())
    with pytest.raises(ValueError, match="margin_kwh"):
        HourlyFeatures(margin_kwh=0.5, event_kwh=0.1).fit(X)
    with pytest.raises(ValueError, match="baseline_percentile"):
        HourlyFeatures(baseline_percentile=150).fit(X)


def test_window_matrix_puts_energy_then_lights_and_drops_a_partial_day():
    w = toy.window(
        {"a": np.r_[toy.evening_active(), np.full(5, 9.0)]},
        {"a": np.r_[toy.lights(lit_nights=1), np.full(5, 1.0)]},
    )
    X = window_matrix(w)
    assert X.shape == (1, 2 * toy.HOURS)
    energy, lights = split_matrix(X)
    np.testing.assert_array_equal(energy.reshape(-1), toy.evening_active())
    np.testing.assert_array_equal(lights.reshape(-1), toy.lights(lit_nights=1))


def test_summarizing_in_blocks_gives_the_same_numbers():
    rng = np.random.default_rng(5)
    rows = [toy.evening_active(), toy.fridge_only(), toy.timer_lamp()]
    rows += [toy.evening_active() * rng.uniform(0.5, 1.5) for _ in range(4)]
    X = toy.matrix(*rows)
    whole = summarize(X)
    blocks = summarize(X, block_units=3)
    for name in FEATURE_NAMES:
        np.testing.assert_allclose(
            whole.columns[name], blocks.columns[name], rtol=1e-12, err_msg=name
        )
    np.testing.assert_array_equal(whole.hours_since_active, blocks.hours_since_active)
    np.testing.assert_array_equal(whole.nights_lit, blocks.nights_lit)
