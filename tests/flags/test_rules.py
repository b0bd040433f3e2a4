"""raise_flags on hand-made windows: every rule, each able to fail on its own."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from models import toy  # tests/ is on sys.path (pytest's rootdir-relative package import)

from occupancy.flags.evidence import evidence_text_zh
from occupancy.flags.record import METER_OFFLINE, REGISTERED_SILENT, UNREGISTERED_ACTIVITY
from occupancy.flags.rules import raise_flags
from occupancy.models import RuleBasedDetector
from occupancy.register.entry import RegisterEntry
from occupancy.timeseries import HourlyWindow


class FixedModel:
    """P(occupied) read from the unit's first hour of energy, so tests set it exactly."""

    classes_ = np.array([0, 1])

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = np.clip(X[:, 0], 0.0, 1.0)
        return np.column_stack([1 - p, p])


def entry(unit_id: str, occupants: int, vulnerable: bool = False) -> RegisterEntry:
    return RegisterEntry(unit_id, "toy", occupants, vulnerable=vulnerable)


def with_p(p: float, energy: np.ndarray | None = None) -> np.ndarray:
    energy = (energy if energy is not None else toy.fridge_only()).copy()
    energy[0] = p
    return energy


def by_unit(flags):
    return {f.unit_id: f for f in flags}


def test_the_rules_on_one_hand_made_window():
    offline = toy.evening_active()
    offline[: toy.HOURS * 7 // 10] = np.nan  # 30% of hours measured
    stale = toy.evening_active()
    stale[-24:] = np.nan  # 86% measured, but nothing in the last day
    w = toy.window(
        {
            "offline": offline,
            "stale": stale,
            "busy_unregistered": toy.evening_active(),
            "busy_zero": toy.evening_active(),
            "quiet_registered": toy.fridge_only(),
            "quiet_vulnerable": toy.evening_active(active_days=range(2)),
            "busy_registered": toy.evening_active(),
            "quiet_unregistered": toy.fridge_only(),
        },
        {"busy_unregistered": toy.lights(lit_nights=3)},
    )
    register = {
        "stale": entry("stale", 2),
        "busy_zero": entry("busy_zero", 0),
        "quiet_registered": entry("quiet_registered", 2),
        "quiet_vulnerable": entry("quiet_vulnerable", 1, vulnerable=True),
        "busy_registered": entry("busy_registered", 3),
        "quiet_unregistered": entry("quiet_unregistered", 0),
        "absent": entry("absent", 2, vulnerable=True),
    }
    flags, p = raise_flags(w, register, RuleBasedDetector())
    got = by_unit(flags)

    assert {u: f.kind for u, f in got.items()} == {
        "offline": METER_OFFLINE,
        "stale": METER_OFFLINE,
        "absent": METER_OFFLINE,
        "busy_unregistered": UNREGISTERED_ACTIVITY,
        "busy_zero": UNREGISTERED_ACTIVITY,
        "quiet_registered": REGISTERED_SILENT,
        "quiet_vulnerable": REGISTERED_SILENT,
    }
    assert got["offline"].score == pytest.approx(1 - 51 / 168, abs=1e-3)  # 1 - measured share
    assert got["stale"].score == pytest.approx(1 - 144 / 168, abs=0.01)
    assert got["absent"].score == 1.0 and got["absent"].evidence["in_window"] is False
    assert got["absent"].community == "toy"
    assert [u for u, f in got.items() if f.urgent] == ["quiet_vulnerable"]
    assert flags[0].unit_id == "quiet_vulnerable"  # urgent first
    for unit in ("offline", "stale"):
        assert np.isnan(p[w.index(unit)]) and got[unit].probability is None
    assert np.isfinite(np.delete(p, [w.index("offline"), w.index("stale")])).all()
    assert got["busy_unregistered"].score == pytest.approx(
        p[w.index("busy_unregistered")], abs=1e-4
    )
    assert got["quiet_registered"].score == pytest.approx(
        1 - p[w.index("quiet_registered")], abs=1e-4
    )


def test_evidence_states_the_numbers_in_english_and_chinese():
    w = toy.window({"u": toy.evening_active()}, {"u": toy.lights(lit_nights=3)})
    (flag,), _ = raise_flags(w, {}, RuleBasedDetector())
    e = flag.evidence
    assert e["kind"] == UNREGISTERED_ACTIVITY and e["registered_occupants"] is None
    assert (e["evening_active_days"], e["measured_days"]) == (7, 7)
    assert (e["lights_nights_on"], e["lights_nights_observed"]) == (3, 7)
    assert e["standby_daily_kwh"] == pytest.approx(24 * 0.041, abs=0.1)
    text = flag.evidence_text
    assert "not in the move-in register" in text
    assert "evening activity 7 of 7 days" in text
    assert f"{e['mean_daily_kwh']:.1f} kWh/day against {e['standby_daily_kwh']:.1f} kWh/day" in text
    assert "lights on 3 of 7 nights" in text
    zh = evidence_text_zh(e)
    assert "入住登记表中无此户" in zh and "7 天中有 7 天晚间有用电活动" in zh
    assert "7 晚中 3 晚亮灯" in zh


def test_silent_evidence_says_how_long_the_home_has_been_quiet():
    w = toy.window({"u": toy.evening_active(active_days=range(3))})
    (flag,), _ = raise_flags(w, {"u": entry("u", 1, vulnerable=True)}, RuleBasedDetector())
    assert flag.kind == REGISTERED_SILENT and flag.urgent
    assert flag.evidence["hours_since_activity"] == 97  # 23:00 on day 3 to the end of day 7
    assert "no activity for 97 h (4.0 days, last at Wed 22:00)" in flag.evidence_text
    assert "register lists 1 occupant;" in flag.evidence_text
    assert "no lights sensor" in flag.evidence_text
    zh = evidence_text_zh(flag.evidence)
    assert "已 97 小时无用电活动（4.0 天，最后一次在 周三 22:00）" in zh


def test_threshold_is_inclusive_for_activity_and_exclusive_for_silence():
    w = toy.window({"a": with_p(0.5), "b": with_p(0.49), "c": with_p(0.5), "d": with_p(0.49)})
    register = {"c": entry("c", 2), "d": entry("d", 2)}
    flags, p = raise_flags(w, register, FixedModel(), threshold=0.5)
    assert {f.unit_id: f.kind for f in flags} == {
        "a": UNREGISTERED_ACTIVITY,
        "d": REGISTERED_SILENT,
    }
    np.testing.assert_allclose(p, [0.5, 0.49, 0.5, 0.49])
    flags, _ = raise_flags(w, register, FixedModel(), threshold=0.3)
    assert {f.unit_id for f in flags} == {"a", "b"}


def test_min_coverage_decides_between_a_guess_and_meter_offline():
    half = with_p(0.9)
    half[1:85] = np.nan  # 84 of 168 hours measured
    w = toy.window({"u": half})
    (flag,), _ = raise_flags(w, {}, FixedModel(), min_coverage=0.5)
    assert flag.kind == UNREGISTERED_ACTIVITY
    (flag,), p = raise_flags(w, {}, FixedModel(), min_coverage=0.6)
    assert flag.kind == METER_OFFLINE and flag.score == pytest.approx(0.5)
    assert np.isnan(p[0])
    assert "meter reported 84 of 168 hours (50%)" in flag.evidence_text


def test_empty_window_flags_every_registered_unit_offline():
    w = toy.window({"x": toy.fridge_only()})
    w = type(w)([], [], w.start, np.zeros((0, 168)), np.zeros((0, 168)), np.zeros((0, 168)))
    flags, p = raise_flags(w, {"r": entry("r", 2)}, FixedModel())
    assert p.shape == (0,)
    assert [(f.unit_id, f.kind) for f in flags] == [("r", METER_OFFLINE)]
    assert flags[0].evidence_text == "no meter readings in the 168-hour window"


def test_bad_threshold_is_rejected():
    w = toy.window({"x": toy.fridge_only()})
    with pytest.raises(ValueError, match="threshold"):
        raise_flags(w, {}, FixedModel(), threshold=1.5)


def test_last_activity_is_dated_in_real_hours_across_a_daylight_saving_change():
    """Europe/Berlin springs forward at 02:00 on 29 March 2026; column h is h real hours in.

    168 columns from local midnight on 23 March end at 01:00 on 30 March, not midnight. The
    last use is the kettle in column 151: 08:00 (+02:00) on 29 March, 16 h before the end.
    """
    berlin = ZoneInfo("Europe/Berlin")
    e = with_p(0.2, toy.evening_active())
    e[160:] = toy.fridge_only()[160:]
    start = datetime(2026, 3, 23, tzinfo=berlin)
    n = e.size
    w = HourlyWindow(["u"], ["toy"], start, e[None], np.ones((1, n)), np.full((1, n), np.nan))
    (flag,), _ = raise_flags(w, {"u": entry("u", 2)}, FixedModel())
    assert flag.kind == REGISTERED_SILENT
    assert flag.evidence["hours_since_activity"] == 16
    assert flag.evidence["last_activity_at"] == "2026-03-29T08:00:00+02:00"
