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
