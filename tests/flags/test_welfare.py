"""The welfare check on hand-made hours: who is urgent, who is not, and why in numbers."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from models import toy  # tests/ is on sys.path (pytest's rootdir-relative package import)

from occupancy.flags.evidence import evidence_text_zh
from occupancy.flags.record import METER_OFFLINE, REGISTERED_SILENT
from occupancy.flags.rules import raise_flags
from occupancy.flags.welfare import WELFARE_SILENT_HOURS, welfare_flags
from occupancy.register.entry import RegisterEntry
from occupancy.timeseries import HourlyWindow


class FixedModel:
    """P(occupied) read from the unit's first hour of energy, so tests set it exactly."""

    classes_ = np.array([0, 1])

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = np.clip(X[:, 0], 0.0, 1.0)
        return np.column_stack([1 - p, p])


def entry(unit_id: str, occupants: int = 1, vulnerable: bool = True) -> RegisterEntry:
    return RegisterEntry(unit_id, "toy", occupants, vulnerable=vulnerable)


def elderly(days: int = 7, active_until: int | None = None) -> np.ndarray:
    """Fridge plus an elderly day: kettle 07:00, lunch 11:00-12:59, TV 19:00-21:59, each a
    little more or less from day to day.

    Nothing after hour ``active_until`` of the window (the resident was taken ill).
    """
    e = toy.fridge_only(days)
    vary = np.random.default_rng(7).uniform(0.8, 1.2, size=(days, 3))  # people vary, timers not
    for d in range(days):
        e[d * 24 + 7] += 0.25 * vary[d, 0]
        e[d * 24 + 11 : d * 24 + 13] += 0.35 * vary[d, 1]
        e[d * 24 + 19 : d * 24 + 22] += 0.15 * vary[d, 2]
    if active_until is not None:
        quiet = toy.fridge_only(days)
        e[active_until:] = quiet[active_until:]
    return e


def water_heater(e: np.ndarray, every: int = 5, kwh: float = 0.35) -> np.ndarray:
    """A storage water heater left on: one reheat every ``every`` hours, day and night."""
    e = e.copy()
    e[::every] += kwh
    return e


def by_unit(flags):
    return {f.unit_id: f for f in flags}


def test_a_vulnerable_resident_silent_for_a_day_is_urgent_with_the_hours_stated():
    # Last activity: TV 21:00-21:59 on day 6 (hour 141); the window ends 27 h later.
    w = toy.window(
        {
            "silent": elderly(active_until=142),
            "fine": elderly(),
            "not_vulnerable": elderly(active_until=142),
            "unregistered": elderly(active_until=142),
        }
    )
    register = {
        "silent": entry("silent"),
        "fine": entry("fine"),
        "not_vulnerable": entry("not_vulnerable", vulnerable=False),
    }
    flags = welfare_flags(w, register)
    assert [(f.unit_id, f.kind, f.urgent) for f in flags] == [("silent", REGISTERED_SILENT, True)]
    e = flags[0].evidence
    assert e["hours_since_activity"] == 26  # 22:00 on day 6 to midnight after day 7
    assert e["last_activity_at"].startswith("2025-03-08T21:00")
    assert "no activity for 26 h (last at Sat 21:00)" in flags[0].evidence_text
    assert "已 26 小时无用电活动（最后一次在 周六 21:00）" in evidence_text_zh(e)
    assert flags[0].probability is None


def test_water_heater_reheats_after_the_resident_fell_silent_do_not_count_as_activity():
    active_until = 7 * 24 - 40
    w = toy.window(
        {
            "heater_silent": water_heater(elderly(active_until=active_until)),
            "heater_fine": water_heater(elderly()),
        }
    )
    register = {"heater_silent": entry("heater_silent"), "heater_fine": entry("heater_fine")}
    got = by_unit(welfare_flags(w, register))
    assert set(got) == {"heater_silent"}
    assert got["heater_silent"].urgent
    # The last proof of a person is Thursday's TV (19:00-21:59, a 3-hour run): Friday's 07:00
    # kettle (0.25 kWh) is smaller than the heater's own night reheats (0.35 kWh), so it
    # cannot be told from one and does not count.
    assert got["heater_silent"].evidence["hours_since_activity"] == 50


def test_as_of_ignores_later_hours_and_a_window_may_end_inside_a_day():
    e = elderly(active_until=4 * 24)  # silent from midnight after day 4
    w = toy.window({"u": e[: 6 * 24 + 10]})  # ends at 10:00 on day 7
    register = {"u": entry("u")}
    (flag,) = welfare_flags(w, register)
    assert flag.evidence["hours_since_activity"] == 2 * 24 + 10 + 2  # since 22:00 on day 4
    # 20 hours after the last TV the resident is not yet overdue.
    assert welfare_flags(w, register, as_of=w.start + timedelta(hours=3 * 24 + 22 + 20)) == []
    flag = welfare_flags(w, register, as_of=w.start + timedelta(hours=4 * 24 + 23))[0]
    assert flag.evidence["hours_since_activity"] == 25
    assert flag.evidence["judged_at"].startswith("2025-03-07T23:00")


def test_a_meter_that_stopped_reporting_or_froze_is_offline_not_urgent():
    stopped = elderly()
    stopped[-30:] = np.nan
    frozen = elderly()
    frozen[-10:] = 0.0  # the register stands still while the meter keeps reporting
    switched_off = np.zeros(toy.HOURS)  # never moved: main switch off, the home is silent
    w = toy.window({"stopped": stopped, "frozen": frozen, "off": switched_off})
    register = {u: entry(u) for u in ("stopped", "frozen", "off", "absent")}
    got = by_unit(welfare_flags(w, register))
    assert {u: (f.kind, f.urgent) for u, f in got.items()} == {
        "stopped": (METER_OFFLINE, False),
        "frozen": (METER_OFFLINE, False),
        "absent": (METER_OFFLINE, False),
        "off": (REGISTERED_SILENT, True),
    }
    assert "register unchanged for 10 h although the meter reports" in got["frozen"].evidence_text
    assert got["absent"].evidence["in_window"] is False
    assert "no activity in the 168 hours looked at" in got["off"].evidence_text


def test_silent_hours_is_a_parameter():
    w = toy.window({"u": elderly(active_until=7 * 24 - 12)})
    assert welfare_flags(w, {"u": entry("u")}) == []
    (flag,) = welfare_flags(w, {"u": entry("u")}, silent_hours=12)
    assert flag.urgent
    with pytest.raises(ValueError, match="silent_hours"):
        welfare_flags(w, {"u": entry("u")}, silent_hours=0)
    assert WELFARE_SILENT_HOURS == 24.0


def test_raise_flags_makes_a_silent_vulnerable_resident_urgent_even_when_likely_occupied():
    silent = elderly(active_until=7 * 24 - 30)
    silent[0] = 0.9  # FixedModel: P(occupied) 0.9, the week as a whole looks lived in
    recent = elderly(active_until=7 * 24 - 10)
    recent[0] = 0.2  # P(occupied) 0.2 but active 10 h ago: silent flag, not urgent
    plain = elderly(active_until=7 * 24 - 30)
    plain[0] = 0.2  # not vulnerable: the welfare rule does not apply
    w = toy.window({"silent": silent, "recent": recent, "plain": plain})
    register = {
        "silent": entry("silent"),
        "recent": entry("recent"),
        "plain": entry("plain", vulnerable=False),
    }
    flags, _ = raise_flags(w, register, FixedModel())
    got = {f.unit_id: (f.kind, f.urgent) for f in flags}
    assert got == {
        "silent": (REGISTERED_SILENT, True),
        "recent": (REGISTERED_SILENT, False),
        "plain": (REGISTERED_SILENT, False),
    }
    assert flags[0].unit_id == "silent"
    assert "URGENT" in flags[0].evidence_text and flags[0].probability == pytest.approx(0.9)


def test_raise_flags_reports_a_stuck_meter_as_offline_instead_of_a_guess():
    stuck = toy.evening_active()
    stuck[-20:] = 0.0
    w = toy.window({"stuck": stuck})
    flags, p = raise_flags(w, {}, FixedModel())
    assert [(f.unit_id, f.kind) for f in flags] == [("stuck", METER_OFFLINE)]
    assert np.isnan(p[0])
    assert "register unchanged for 20 h although the meter reports" in flags[0].evidence_text
    assert "读数已 20 小时未变化" in evidence_text_zh(flags[0].evidence)


def test_a_silence_mostly_unmeasured_is_meter_offline_not_urgent():
    """At most GAP_TOLERANCE_HOURS (6) of the last 24 hours may be unmeasured for an urgent flag.

    The resident was last seen at 22:00 on day 4 (49 h before the end). ``gap29``: the
    gateway was down from 18:00 on day 5 until the last hour, so 1 of the last 24 hours is
    measured and whatever happened after 18:00 is unknown. ``gap6`` / ``gap7``: 6 or 7
    unmeasured hours in the middle of the last day, the meter reporting at the end.
    """
    quiet_from = 4 * 24 + 23
    base = toy.evening_active()
    base[quiet_from:] = toy.fridge_only()[quiet_from:]
    gap29, gap6, gap7 = base.copy(), base.copy(), base.copy()
    gap29[5 * 24 + 18 : toy.HOURS - 1] = np.nan
    gap6[toy.HOURS - 12 : toy.HOURS - 6] = np.nan
    gap7[toy.HOURS - 13 : toy.HOURS - 6] = np.nan
    w = toy.window({"gap29": gap29, "gap6": gap6, "gap7": gap7})
    got = by_unit(welfare_flags(w, {u: entry(u) for u in w.unit_ids}))
    assert {u: (f.kind, f.urgent) for u, f in got.items()} == {
        "gap29": (METER_OFFLINE, False),
        "gap6": (REGISTERED_SILENT, True),
        "gap7": (METER_OFFLINE, False),
    }
    assert got["gap6"].evidence["hours_since_activity"] == 49
    assert got["gap6"].evidence["silence_measured_hours"] == 18
    assert got["gap29"].evidence["silence_measured_hours"] == 1
    # A resident seen in the last 24 hours needs no check, however patchy the meter.
    seen = toy.evening_active()
    seen[toy.HOURS - 16 : toy.HOURS - 1] = np.nan  # last seen at breakfast, 16 h ago
    seen[toy.HOURS - 30 : toy.HOURS - 25] = np.nan
    assert welfare_flags(toy.window({"seen": seen}), {"seen": entry("seen")}) == []


def test_no_activity_seen_counts_only_the_hours_looked_at():
    """Silence is never taken as endless: 20 quiet hours of history are 20 hours, not a day."""
    w = toy.window({"u": toy.fridge_only(1)[:20]})
    assert welfare_flags(w, {"u": entry("u")}) == []
    # Active 18:00-22:59 every evening: judged at 18:00 of the first day, 18 h were looked at.
    evenings = toy.fridge_only()
    for d in range(toy.DAYS):
        evenings[d * 24 + 18 : d * 24 + 23] += 0.5
    w = toy.window({"u": evenings})
    assert welfare_flags(w, {"u": entry("u")}, as_of=w.start + timedelta(hours=18)) == []
    # 30 quiet hours looked at are enough: no activity for at least 30 h.
    w = toy.window({"u": toy.fridge_only(2)[:30]})
    (flag,) = welfare_flags(w, {"u": entry("u")})
    assert (flag.kind, flag.urgent) == (REGISTERED_SILENT, True)
    assert flag.evidence["hours_since_activity"] is None
    assert "no activity in the 30 hours looked at" in flag.evidence_text


def test_as_of_before_the_window_or_without_a_time_zone_is_an_error():
    w = toy.window({"u": elderly()})
    with pytest.raises(ValueError, match="before the window start"):
        welfare_flags(w, {"u": entry("u")}, as_of=w.start - timedelta(hours=5))
    with pytest.raises(ValueError, match="time zone"):
        welfare_flags(w, {"u": entry("u")}, as_of=w.start.replace(tzinfo=None) + timedelta(1))


def test_raise_flags_keeps_the_urgent_flag_when_coverage_is_too_low_to_score():
    """Coverage below min_coverage leaves P(occupied) unknown, not the last day's silence.

    Days 0-3 unmeasured (3 of 7 days measured), active on day 4, silent 48 h since:
    welfare_flags and raise_flags must agree that this is urgent. A stuck meter and a
    resident active yesterday with the same coverage stay meter_offline.
    """
    silent = toy.evening_active(active_days=range(5))
    silent[: 4 * 24] = np.nan
    active = toy.evening_active()
    active[: 4 * 24] = np.nan
    stuck = silent.copy()
    stuck[-10:] = 0.0
    w = toy.window({"silent": silent, "active": active, "stuck": stuck})
    register = {u: entry(u) for u in w.unit_ids}
    flags, p = raise_flags(w, register, FixedModel())
    assert np.isnan(p).all()
    got = {f.unit_id: (f.kind, f.urgent) for f in flags}
    assert got == {
        "silent": (REGISTERED_SILENT, True),
        "active": (METER_OFFLINE, False),
        "stuck": (METER_OFFLINE, False),
    }
    assert flags[0].unit_id == "silent" and flags[0].probability is None
    assert flags[0].evidence["hours_since_activity"] == 49
    assert "URGENT" in flags[0].evidence_text
    welfare = {f.unit_id: (f.kind, f.urgent) for f in welfare_flags(w, register)}
    assert welfare == {"silent": got["silent"], "stuck": got["stuck"]}


def test_hours_are_real_hours_across_a_daylight_saving_change():
    """Europe/Berlin springs forward on 29 March 2026: that local day has 23 hours.

    The window starts at local midnight on 23 March and column h is h real hours later. Judged
    at 12:00 on 30 March (179 real hours, 180 on the wall clock) the 12:00 hour, lunch, must
    not be read: the resident has been silent since the TV at 21:00 on 28 March.
    """
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 3, 23, tzinfo=berlin)
    as_of = datetime(2026, 3, 30, 12, tzinfo=berlin)
    cut = 179
    assert as_of.timestamp() - start.timestamp() == cut * 3600
    e = elderly(days=8)[: cut + 6]
    e[142:cut] = toy.fridge_only(8)[142:cut]  # column 179 is lunch on 30 March
    n = e.size
    w = HourlyWindow(["u"], ["toy"], start, e[None], np.ones((1, n)), np.full((1, n), np.nan))
    (flag,) = welfare_flags(w, {"u": entry("u")}, as_of=as_of)
    assert flag.urgent and flag.evidence["hours_since_activity"] == cut - 142
    assert flag.evidence["judged_at"] == "2026-03-30T12:00:00+02:00"
    assert flag.evidence["last_activity_at"] == "2026-03-28T21:00:00+01:00"
    assert "last at Sat 21:00" in flag.evidence_text
