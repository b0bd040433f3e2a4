"""Recording detection runs: flags are updated, never duplicated, and withdrawn when the
data no longer supports them and nobody has acted on them yet."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from occupancy.db import DetectionRun, Flag, session_scope
from occupancy.detection.run import WithdrawRule, persist_flags, welfare_may_withdraw
from occupancy.flags.record import (
    METER_OFFLINE,
    REGISTERED_SILENT,
    UNREGISTERED_ACTIVITY,
    FlagRecord,
)


def record(unit: str, kind: str = METER_OFFLINE, score: float = 0.9) -> FlagRecord:
    return FlagRecord(unit, "c", kind, score, None, f"{unit} {kind}", {"n": 1})


def run_once(
    url: str,
    flags: list[FlagRecord],
    scored: list[str],
    *,
    kind: str = "manual",
    end: datetime = datetime(2026, 3, 1, tzinfo=UTC),
    may_withdraw: WithdrawRule | None = None,
) -> tuple[int, int, int]:
    with session_scope(url) as session:
        run = DetectionRun(kind=kind, window_start=end, window_end=end)
        session.add(run)
        session.flush()
        return persist_flags(session, flags, run, scored_units=scored, may_withdraw=may_withdraw)


def states(url: str) -> dict[tuple[str, str], str]:
    with session_scope(url) as session:
        return {(f.unit_id, f.kind): f.state for f in session.scalars(select(Flag))}


def test_rerun_updates_and_withdraws_only_untouched_flags(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    units = ["a", "b", "c", "d"]
    first = [record("a"), record("b"), record("c"), record("d", UNREGISTERED_ACTIVITY)]
    assert run_once(url, first, units) == (4, 0, 0)
    with session_scope(url) as session:  # a person took up c's flag
        session.scalars(select(Flag).where(Flag.unit_id == "c")).one().state = "assigned"
    # Second run: a still offline; b and c back; d not in this run's window at all.
    assert run_once(url, [record("a", score=0.95)], ["a", "b", "c"]) == (0, 1, 1)
    assert states(url) == {
        ("a", METER_OFFLINE): "new",
        ("b", METER_OFFLINE): "withdrawn",
        ("c", METER_OFFLINE): "assigned",
        ("d", UNREGISTERED_ACTIVITY): "new",
    }
    # b offline again later: a fresh flag, the withdrawn one stays as history.
    assert run_once(url, [record("a"), record("b")], ["a", "b"]) == (1, 1, 0)
    with session_scope(url) as session:
        b_flags = session.scalars(select(Flag.state).where(Flag.unit_id == "b")).all()
    assert sorted(b_flags) == ["new", "withdrawn"]


def test_run_window_is_stored_in_utc(tmp_path: Path) -> None:
    """SQLite drops zones; a Shanghai midnight must not read back as 08:00."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from occupancy.detection.run import detect_from_store
    from occupancy.store import open_store

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    store = open_store(f"sqlite:///{tmp_path / 'readings.sqlite'}")
    tz = ZoneInfo("Asia/Shanghai")
    end = datetime(2026, 3, 8, tzinfo=tz)
    result = detect_from_store(store, url, tz=tz, days=1, end=end)
    store.close()
    with session_scope(url) as session:
        run = session.get(DetectionRun, result.run_id)
        start = run.window_start.replace(tzinfo=run.window_start.tzinfo or UTC)
    assert start == end - timedelta(days=1)


def test_registered_units_that_never_reported_are_flagged_offline(tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    from occupancy.detection.run import detect_from_store
    from occupancy.readings import IntervalEnergy
    from occupancy.register.entry import RegisterEntry
    from occupancy.register.repository import import_entries
    from occupancy.store import open_store

    tz = ZoneInfo("Asia/Shanghai")
    end = datetime(2026, 3, 8, tzinfo=tz)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with session_scope(url) as session:
        import_entries(
            session,
            [
                RegisterEntry("seen", "east", 2),
                RegisterEntry("silent", "east", 1),
                RegisterEntry("elsewhere", "west", 1),
            ],
        )
    store = open_store(f"sqlite:///{tmp_path / 'readings.sqlite'}")
    t0 = end.timestamp() - 7 * 86400
    store.write(
        energy=[
            IntervalEnergy("east", "seen", t0 + 900 * k, t0 + 900 * (k + 1), 0.2)
            for k in range(7 * 96)
        ]
    )
    result = detect_from_store(store, url, tz=tz, days=7, end=end, communities=["east"])
    store.close()
    assert result.window.unit_ids == ["seen", "silent"]
    assert result.window.communities == ["east", "east"]
    offline = {f.unit_id for f in result.flags if f.kind == "meter_offline"}
    assert offline == {"silent"}


def test_a_run_never_overrides_a_flag_raised_from_newer_data(tmp_path: Path) -> None:
    """The 02:30 night run (data to midnight) must not downgrade or withdraw what the 01:00
    welfare check (data to 01:00) raised; a later run with newer data may."""
    from datetime import timedelta

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    midnight = datetime(2026, 3, 1, 16, tzinfo=UTC)  # 00:00 in Shanghai
    urgent = FlagRecord("v", "c", REGISTERED_SILENT, 0.9, None, "silent 25 h", {}, urgent=True)
    calm = FlagRecord("v", "c", REGISTERED_SILENT, 0.6, 0.4, "quiet week", {}, urgent=False)
    one_am = midnight + timedelta(hours=1)
    assert run_once(url, [urgent], ["v"], kind="welfare", end=one_am) == (1, 0, 0)
    assert run_once(url, [calm], ["v"], kind="nightly", end=midnight) == (0, 0, 0)
    assert run_once(url, [], ["v"], kind="nightly", end=midnight) == (0, 0, 0)
    with session_scope(url) as session:
        flag = session.scalars(select(Flag)).one()
        assert (flag.state, flag.urgent, flag.evidence_text) == ("new", True, "silent 25 h")
    # The next night's data is newer: it may update the flag.
    next_night = midnight + timedelta(days=1)
    assert run_once(url, [calm], ["v"], kind="nightly", end=next_night) == (0, 1, 0)
    with session_scope(url) as session:
        assert session.scalars(select(Flag.urgent)).one() is False


def test_the_welfare_check_withdraws_only_what_the_welfare_rule_raised(tmp_path: Path) -> None:
    """A quiet week (non-urgent registered_silent) and a patchy meter stay; the welfare
    check's own flags and any urgent silence (the welfare rule) go when activity returns."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    silent_24h = FlagRecord("u", "c", REGISTERED_SILENT, 0.9, None, "silent", {}, urgent=True)
    nightly = [record("a", REGISTERED_SILENT), record("b", METER_OFFLINE), silent_24h]
    assert run_once(url, nightly, ["a", "b", "u"], kind="nightly") == (3, 0, 0)
    assert run_once(url, [record("c")], ["c"], kind="welfare") == (1, 0, 0)
    everyone = ["a", "b", "c", "u"]
    rule = welfare_may_withdraw
    assert run_once(url, [], everyone, kind="welfare", may_withdraw=rule) == (0, 0, 2)
    assert states(url) == {
        ("a", REGISTERED_SILENT): "new",
        ("b", METER_OFFLINE): "new",
        ("c", METER_OFFLINE): "withdrawn",
        ("u", REGISTERED_SILENT): "withdrawn",
    }


def test_newer_data_that_withdrew_a_flag_keeps_older_runs_from_raising_it_again(
    tmp_path: Path,
) -> None:
    """02:30: the nightly run (data to midnight) must not bring back the urgent flag that
    the 01:00 welfare check (data to 01:00) withdrew, nor may ``occupancy detect --end`` with
    a past end; the next night's data, newer than the withdrawal, may."""
    from datetime import timedelta

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    midnight = datetime(2026, 3, 1, 16, tzinfo=UTC)  # 00:00 in Shanghai
    urgent = FlagRecord("a", "c", REGISTERED_SILENT, 0.9, None, "silent 24 h", {}, urgent=True)
    rule = welfare_may_withdraw
    assert run_once(url, [urgent], ["a"], kind="welfare", end=midnight, may_withdraw=rule) == (
        1,
        0,
        0,
    )
    one_am = midnight + timedelta(hours=1)
    assert run_once(url, [], ["a"], kind="welfare", end=one_am, may_withdraw=rule) == (0, 0, 1)
    with session_scope(url) as session:
        withdrawing = session.scalars(select(DetectionRun).order_by(DetectionRun.id.desc())).first()
        flag = session.scalars(select(Flag)).one()
        assert (flag.state, flag.run_id) == ("withdrawn", withdrawing.id)
    assert run_once(url, [urgent], ["a"], kind="nightly", end=midnight) == (0, 0, 0)
    past = midnight - timedelta(days=2)
    assert run_once(url, [urgent], ["a"], kind="manual", end=past) == (0, 0, 0)
    assert states(url) == {("a", REGISTERED_SILENT): "withdrawn"}
    # The next night's window ends after the withdrawal: its finding stands.
    next_night = midnight + timedelta(days=1)
    assert run_once(url, [urgent], ["a"], kind="nightly", end=next_night) == (1, 0, 0)


def test_the_newest_data_hour_is_counted_in_real_hours_across_dst() -> None:
    """Berlin moves its clocks forward on 29 March 2026: a window from 23 March to 30 March
    12:00 holds 179 hours, not 180, and its newest hour ends at 12:00, not 11:00."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    import numpy as np

    from occupancy.detection.run import newest_data_hour
    from occupancy.timeseries import HourlyWindow

    tz = ZoneInfo("Europe/Berlin")
    start, stop = datetime(2026, 3, 23, tzinfo=tz), datetime(2026, 3, 30, 12, tzinfo=tz)
    hours = round((stop - start.astimezone(UTC)).total_seconds() / 3600)
    assert hours == 179
    full = np.ones((1, hours))
    window = HourlyWindow(["a"], ["c"], start, full, full, np.full((1, hours), np.nan))
    assert newest_data_hour(window, stop).astimezone(UTC) == stop.astimezone(UTC)
    # Three hours missing at the end: judged as of 09:00 local, three real hours before.
    coverage = full.copy()
    coverage[:, -3:] = 0.0
    lagging = HourlyWindow(["a"], ["c"], start, full, coverage, np.full((1, hours), np.nan))
    assert newest_data_hour(lagging, stop).astimezone(UTC) == (
        stop - timedelta(hours=3)
    ).astimezone(UTC)


def test_detection_counts_the_register_as_of_the_windows_last_day(tmp_path: Path) -> None:
    """A household that moved out before the window ended, or moves in after it, is not
    registered for detection: a silent flat there is no welfare or offline concern."""
    from datetime import date
    from zoneinfo import ZoneInfo

    from occupancy.detection.run import detect_from_store
    from occupancy.readings import IntervalEnergy
    from occupancy.register.entry import RegisterEntry
    from occupancy.register.repository import import_entries
    from occupancy.store import open_store

    tz = ZoneInfo("Asia/Shanghai")
    end = datetime(2026, 3, 8, tzinfo=tz)  # last day of the window: 7 March
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with session_scope(url) as session:
        import_entries(
            session,
            [
                RegisterEntry("home", "east", 1, move_in=date(2020, 1, 1)),
                RegisterEntry(
                    "gone", "east", 1, move_in=date(2020, 1, 1), move_out=date(2026, 3, 7)
                ),
                RegisterEntry("soon", "east", 1, move_in=date(2026, 3, 8)),
            ],
        )
    store = open_store(f"sqlite:///{tmp_path / 'readings.sqlite'}")
    t0 = end.timestamp() - 7 * 86400
    store.write(  # standby only, all week: nobody is living in any of them
        energy=[
            IntervalEnergy("east", unit, t0 + 900 * k, t0 + 900 * (k + 1), 0.005)
            for unit in ("home", "gone", "soon")
            for k in range(7 * 96)
        ]
    )
    result = detect_from_store(store, url, tz=tz, days=7, end=end, communities=["east"])
    store.close()
    flagged = {f.unit_id: f.kind for f in result.flags}
    assert flagged == {"home": REGISTERED_SILENT}
