"""Recording detection runs: flags are updated, never duplicated, and withdrawn when the
data no longer supports them and nobody has acted on them yet."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from occupancy.db import DetectionRun, Flag, session_scope
from occupancy.detection.run import persist_flags
from occupancy.flags.record import METER_OFFLINE, UNREGISTERED_ACTIVITY, FlagRecord


def record(unit: str, kind: str = METER_OFFLINE, score: float = 0.9) -> FlagRecord:
    return FlagRecord(unit, "c", kind, score, None, f"{unit} {kind}", {"n": 1})


def run_once(url: str, flags: list[FlagRecord], scored: list[str]) -> tuple[int, int, int]:
    with session_scope(url) as session:
        moment = datetime(2026, 3, 1, tzinfo=UTC)
        run = DetectionRun(window_start=moment, window_end=moment)
        session.add(run)
        session.flush()
        return persist_flags(session, flags, run, scored_units=scored)


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
