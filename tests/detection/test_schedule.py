"""Detection on a schedule: the welfare and nightly jobs against the real embedded store and
real databases (SQLite, and PostgreSQL when it is reachable), with the clock injected so a
day of schedule takes a second.

The community is simulated (``simulator.generate_community``) and written into the store as
meter register readings, as the ingester writes them. Two hand-made vulnerable residents make
the welfare cases exact: ``W-SILENT`` stops using electricity on day -1 at 08:00 and resumes
on day 0 at 11:00; ``W-ACTIVE`` is active throughout.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import simulator
from occupancy.api.main import create_app
from occupancy.config import Settings
from occupancy.db.session import session_scope
from occupancy.db.tables import NIGHTLY_RUN, WELFARE_RUN, DetectionRun, Flag
from occupancy.detection.run import detect_from_store, welfare_from_store
from occupancy.detection.schedule import (
    DetectionScheduler,
    latest_slot,
    next_slot,
)
from occupancy.flags.record import METER_OFFLINE, REGISTERED_SILENT
from occupancy.readings import MeterReading
from occupancy.register.entry import RegisterEntry
from occupancy.register.repository import import_entries
from occupancy.store import open_store
from tests.accounts import add_user, bearer, token_for
from tests.pg import fresh_database

TZ = ZoneInfo("Asia/Shanghai")
#: Day 0: the scheduler starts at 10:00 local on this day.
DAY0 = datetime(2026, 3, 10, tzinfo=TZ)
START = DAY0 + timedelta(hours=10)
COMMUNITY = "sched"
SIM_UNITS = 48
#: Simulated data from 7 days before day 0 until day +2 (readings "from the future" are
#: ignored: every run cuts its window at its own time, as it must).
SIM_START = DAY0 - timedelta(days=7)
SIM_DAYS = 9
SILENT_FROM = DAY0 - timedelta(hours=16)  # day -1, 08:00
RESUMES_AT = DAY0 + timedelta(hours=11)


# -- data ---------------------------------------------------------------------------------
def resident_registers(unit_id: str, silent: tuple[datetime, datetime] | None) -> list:
    """15-minute register readings of an elderly resident: 40 W standby, breakfast (06:00 to
    08:00) and cooking and TV (from 17:00 to 19:00, for 2 to 4 hours), at times and powers
    that vary from day to day as a person's do (an exact daily repeat would be a timer);
    during ``silent`` only the standby runs, and the kettle marks its end."""
    rng = np.random.default_rng(sum(map(ord, unit_id)))
    t0 = SIM_START
    hourly = np.full(SIM_DAYS * 24, 0.04)
    for day in range(SIM_DAYS):
        base = day * 24
        hourly[base + rng.integers(6, 9)] += rng.uniform(0.4, 0.8)
        evening = base + rng.integers(17, 20)
        hourly[evening : evening + rng.integers(2, 5)] += rng.uniform(0.25, 0.5)
    if silent is not None:
        a, b = ((moment - t0).total_seconds() / 3600 for moment in silent)
        hourly[int(a) : int(b)] = 0.04
        hourly[int(b)] += 0.7  # back: the kettle, in the hour the silence ends
    quarters = np.repeat(hourly / 4, 4)
    register = np.round(1000.0 + np.concatenate([[0.0], np.cumsum(quarters)]), 2)
    ts = t0.timestamp() + 900.0 * np.arange(register.size)
    return [
        MeterReading(COMMUNITY, unit_id, float(t), float(k))
        for t, k in zip(ts, register, strict=True)
    ]


def community_registers(community) -> list[MeterReading]:  # noqa: ANN001 - simulator.Community
    """Every register reading the simulated meters sent, faults included."""
    ids = [u.unit_id for u in community.units]
    if hasattr(community, "reading_arrays"):
        unit, ts, kwh = community.reading_arrays()
    else:  # the simulator before reading_arrays(): rebuild the same rows from the register
        tl = community.timeline
        reported = community.readings_reported
        rows, cols = np.nonzero(np.arange(tl.readings)[None, :] < reported[:, None])
        unit = rows
        ts = tl.start.timestamp() + cols * tl.interval * 60.0
        kwh = community.register_centi_kwh[rows, cols] / 100.0
    return [
        MeterReading(community.name, ids[u], float(t), float(k))
        for u, t, k in zip(unit.tolist(), ts.tolist(), kwh.tolist(), strict=True)
    ]


def register_entries(community) -> list[RegisterEntry]:  # noqa: ANN001
    entries = [
        RegisterEntry(u.unit_id, community.name, u.registered_occupants, vulnerable=u.vulnerable)
        for u in community.units
    ]
    entries += [
        RegisterEntry("W-SILENT", COMMUNITY, 1, vulnerable=True),
        RegisterEntry("W-ACTIVE", COMMUNITY, 1, vulnerable=True),
    ]
    return entries


@pytest.fixture(scope="module")
def sim_community():  # noqa: ANN201
    return simulator.generate_community(
        SIM_UNITS, SIM_DAYS, 4242, start=SIM_START, community=COMMUNITY, tz=TZ.key
    )


@pytest.fixture(scope="module")
def readings(sim_community) -> list[MeterReading]:  # noqa: ANN001
    return [
        *community_registers(sim_community),
        *resident_registers("W-SILENT", (SILENT_FROM, RESUMES_AT)),
        *resident_registers("W-ACTIVE", None),
    ]


def make_settings(tmp_path: Path, db_url: str | None = None, **extra: object) -> Settings:
    return Settings(
        _env_file=None,
        var_dir=tmp_path,
        db_url=db_url or f"sqlite:///{tmp_path / 'occupancy.db'}",
        store_url=f"sqlite:///{tmp_path / 'readings.sqlite'}",
        timezone=TZ.key,
        window_days=7,
        **extra,
    )


def fill(settings: Settings, readings: list[MeterReading], sim_community) -> None:  # noqa: ANN001
    store = open_store(settings.resolved_store_url)
    try:
        store.write(registers=readings)
    finally:
        store.close()
    with session_scope(settings.resolved_db_url) as session:
        import_entries(session, register_entries(sim_community))


@pytest.fixture
def settings(tmp_path: Path, readings, sim_community) -> Settings:  # noqa: ANN001
    settings = make_settings(tmp_path)
    fill(settings, readings, sim_community)
    return settings


# -- reading the database back ------------------------------------------------------------
def runs(url: str) -> list[DetectionRun]:
    with session_scope(url) as session:
        return list(session.scalars(select(DetectionRun).order_by(DetectionRun.id)))


def open_flags(url: str, unit_id: str | None = None) -> list[Flag]:
    with session_scope(url) as session:
        query = select(Flag).where(Flag.state.not_in(("withdrawn", "dismissed", "resolved")))
        if unit_id is not None:
            query = query.where(Flag.unit_id == unit_id)
        return list(session.scalars(query))


def flags_of(url: str, unit_id: str) -> list[Flag]:
    with session_scope(url) as session:
        return list(session.scalars(select(Flag).where(Flag.unit_id == unit_id)))


def assert_no_duplicates(url: str) -> None:
    with session_scope(url) as session:
        dupes = session.execute(
            select(Flag.unit_id, Flag.kind, func.count())
            .where(Flag.state.not_in(("withdrawn", "dismissed", "resolved", "closed")))
            .group_by(Flag.unit_id, Flag.kind)
            .having(func.count() > 1)
        ).all()
    assert dupes == []


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def scheduler_for(settings: Settings, now: list[datetime], **options: object):  # noqa: ANN201
    """A scheduler whose clock reads ``now[0]``, so the test moves time."""
    return DetectionScheduler(settings, clock=lambda: now[0], **options)


# -- the schedule itself --------------------------------------------------------------------
def test_slots_are_local_times() -> None:
    at = datetime.strptime("02:30", "%H:%M").time()
    assert latest_slot(DAY0 + timedelta(hours=2), at, TZ) == DAY0 - timedelta(hours=21, minutes=30)
    assert latest_slot(DAY0 + timedelta(hours=2, minutes=30), at, TZ) == DAY0 + timedelta(
        hours=2, minutes=30
    )
    # UTC in, local out: 18:30 UTC on day -1 is 02:30 on day 0 in Shanghai.
    assert next_slot(datetime(2026, 3, 9, 18, 0, tzinfo=UTC), at, TZ) == DAY0 + timedelta(
        hours=2, minutes=30
    )


@pytest.mark.parametrize(
    ("last_nightly", "now", "due"),
    [
        (None, START, [WELFARE_RUN, NIGHTLY_RUN]),  # never ran: catch up soon after start
        (DAY0 + timedelta(hours=2, minutes=31), START, [WELFARE_RUN]),  # ran last night
        (DAY0 - timedelta(hours=21, minutes=29), START, [WELFARE_RUN, NIGHTLY_RUN]),  # missed
        # 01:00, before tonight's slot: yesterday's 02:30 run counts.
        (DAY0 - timedelta(hours=21, minutes=29), DAY0 + timedelta(hours=1), [WELFARE_RUN]),
    ],
)
def test_due_after_a_restart_follows_the_recorded_runs(
    tmp_path: Path, last_nightly: datetime | None, now: datetime, due: list[str]
) -> None:
    settings = make_settings(tmp_path)
    if last_nightly is not None:
        with session_scope(settings.resolved_db_url) as session:
            session.add(
                DetectionRun(
                    kind=NIGHTLY_RUN,
                    started_at=last_nightly.astimezone(UTC),
                    finished_at=last_nightly.astimezone(UTC),
                    window_start=DAY0.astimezone(UTC),
                    window_end=DAY0.astimezone(UTC),
                )
            )
    scheduler = DetectionScheduler(settings)
    scheduler.load_history()
    assert scheduler.due(now) == due


# -- scheduled runs against real data ------------------------------------------------------
def test_welfare_and_nightly_runs_are_recorded_and_flags_never_duplicated(
    settings: Settings,
) -> None:
    url = settings.resolved_db_url
    now = [START]
    scheduler = scheduler_for(settings, now)

    # Start at 10:00 with nothing recorded: the welfare check, then the missed nightly run.
    assert scheduler.run_pending() == [(WELFARE_RUN, True), (NIGHTLY_RUN, True)]
    welfare, nightly = runs(url)
    assert (welfare.kind, nightly.kind) == (WELFARE_RUN, NIGHTLY_RUN)
    assert welfare.error is None and nightly.error is None
    assert utc(welfare.window_end) == START  # up to the last full hour
    assert utc(nightly.window_end) == DAY0  # whole days, up to the last midnight
    assert utc(nightly.window_start) == DAY0 - timedelta(days=7)
    assert 2 <= welfare.units_scored <= vulnerable_units(url)
    assert nightly.units_scored >= SIM_UNITS * 0.9
    assert nightly.flags_created > 0
    # The nightly window ends at midnight; flags the 10:00 welfare check raised from newer data
    # are left as they are (counted as raised, neither created nor updated).
    welfare_flags = [f for f in open_flags(url) if f.run_id == welfare.id]
    assert welfare_flags
    assert all(f.urgent == (f.kind == REGISTERED_SILENT) for f in welfare_flags)
    assert {f.kind for f in welfare_flags} <= {REGISTERED_SILENT, METER_OFFLINE}
    assert len(open_flags(url)) == welfare.flags_created + nightly.flags_created
    assert nightly.flags_updated == 0
    assert welfare.model_version.startswith("welfare")

    # W-SILENT: silent since 08:00 yesterday (26 h): one urgent flag, raised by the welfare run.
    (silent_flag,) = open_flags(url, "W-SILENT")
    assert (silent_flag.kind, silent_flag.urgent) == (REGISTERED_SILENT, True)
    assert silent_flag.evidence["hours_since_activity"] >= 24
    assert open_flags(url, "W-ACTIVE") == []
    assert_no_duplicates(url)

    # 10:30: nothing due yet.
    now[0] = START + timedelta(minutes=30)
    assert scheduler.run_pending() == []

    # 11:00: the next welfare run updates the same flag instead of adding one.
    now[0] = START + timedelta(hours=1)
    assert scheduler.run_pending() == [(WELFARE_RUN, True)]
    second = runs(url)[-1]
    (again,) = flags_of(url, "W-SILENT")
    assert again.id == silent_flag.id and again.state == "new"
    assert again.run_id == second.id
    assert utc(again.last_raised_at) == now[0] and utc(again.first_raised_at) == START
    assert again.evidence["hours_since_activity"] > silent_flag.evidence["hours_since_activity"]
    # Updated: what it raised again, and the urgent flags of the 7-day run whose residents it
    # now sees active (their urgency goes, the quiet-week finding stays for the nightly run).
    downgraded = [
        f
        for f in open_flags(url)
        if f.run_id == second.id and f.kind == REGISTERED_SILENT and not f.urgent
    ]
    assert all(f.probability is not None for f in downgraded)
    assert second.flags_created == 0 and second.flags_raised >= 1
    assert second.flags_updated == second.flags_raised + len(downgraded)
    assert_no_duplicates(url)

    # 12:00: the resident used the kettle at 11:00; the untouched welfare flag is withdrawn.
    now[0] = START + timedelta(hours=2)
    assert scheduler.run_pending() == [(WELFARE_RUN, True)]
    third = runs(url)[-1]
    assert [f.state for f in flags_of(url, "W-SILENT")] == ["withdrawn"]
    assert third.flags_withdrawn >= 1

    # Next night at 02:30: welfare and nightly; the nightly window is the next 7 days.
    now[0] = DAY0 + timedelta(days=1, hours=2, minutes=30)
    assert scheduler.run_pending() == [(WELFARE_RUN, True), (NIGHTLY_RUN, True)]
    last = runs(url)[-1]
    assert last.kind == NIGHTLY_RUN and utc(last.window_end) == DAY0 + timedelta(days=1)
    assert last.flags_updated > 0  # most of yesterday's flags still hold: updated in place
    assert_no_duplicates(url)
    assert len(runs(url)) == 6


def vulnerable_units(url: str) -> int:
    """Units the welfare check looks at: registered and vulnerable."""
    from occupancy.register.repository import load_register

    with session_scope(url) as session:
        entries = load_register(session).values()
    return sum(1 for e in entries if e.vulnerable and e.registered_occupants)


def test_rerunning_the_nightly_window_updates_every_flag(settings: Settings) -> None:
    store = open_store(settings.resolved_store_url)
    try:
        kwargs = {"tz": TZ, "days": 7, "end": DAY0, "kind": NIGHTLY_RUN}
        first = detect_from_store(store, settings.resolved_db_url, **kwargs)
        second = detect_from_store(store, settings.resolved_db_url, **kwargs)
    finally:
        store.close()
    assert first.created == len(first.flags) > 0
    assert (second.created, second.updated, second.withdrawn) == (0, len(first.flags), 0)
    assert len(open_flags(settings.resolved_db_url)) == len(first.flags)


def test_welfare_never_withdraws_a_nightly_flag(settings: Settings) -> None:
    """A quiet but not silent vulnerable resident keeps the 7-day window's flag."""
    url = settings.resolved_db_url
    with session_scope(url) as session:
        run = DetectionRun(
            kind=NIGHTLY_RUN,
            started_at=(DAY0 + timedelta(hours=2, minutes=30)).astimezone(UTC),
            finished_at=(DAY0 + timedelta(hours=2, minutes=31)).astimezone(UTC),
            window_start=(DAY0 - timedelta(days=7)).astimezone(UTC),
            window_end=DAY0.astimezone(UTC),
        )
        session.add(run)
        session.flush()
        session.add(
            Flag(
                unit_id="W-ACTIVE",
                community=COMMUNITY,
                kind=REGISTERED_SILENT,
                state="new",
                urgent=False,
                score=0.6,
                probability=0.4,
                run_id=run.id,
            )
        )
    now = [START]
    scheduler = scheduler_for(settings, now)
    scheduler.load_history()  # the nightly run above counts: only welfare is due
    assert scheduler.run_pending() == [(WELFARE_RUN, True)]
    (kept,) = flags_of(url, "W-ACTIVE")
    assert (kept.state, kept.urgent, kept.run_id) == ("new", False, run.id)


def test_an_ingest_outage_is_not_every_meter_failing(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The store's data ends at midnight on day 2 and nothing arrives for 30 hours: that is
    our ingestion failing, not every vulnerable resident's meter at once. The residents are
    judged as of the newest data (and the log asks whether ingestion runs), instead of
    sending workers to check every meter."""
    data_end = SIM_START + timedelta(days=SIM_DAYS)
    store = open_store(settings.resolved_store_url)
    try:
        result = welfare_from_store(
            store, settings.resolved_db_url, tz=TZ, as_of=data_end + timedelta(hours=30)
        )
    finally:
        store.close()
    assert {"W-ACTIVE", "W-SILENT"}.isdisjoint(f.unit_id for f in result.flags)
    assert "is ingestion running?" in caplog.text
    (run,) = runs(settings.resolved_db_url)
    assert utc(run.window_end) == data_end
    assert utc(run.window_start) == data_end - timedelta(days=6)


def test_a_failing_run_is_recorded_and_the_scheduler_carries_on(
    settings: Settings, tmp_path: Path
) -> None:
    url = settings.resolved_db_url
    broken = settings.model_copy(update={"model_path": tmp_path / "no-such-model.skops"})
    now = [START]
    scheduler = scheduler_for(broken, now)
    assert scheduler.run_pending() == [(WELFARE_RUN, True), (NIGHTLY_RUN, False)]
    failed = runs(url)[-1]
    assert failed.kind == NIGHTLY_RUN and failed.finished_at is not None
    assert "no-such-model.skops" in (failed.error or "")
    assert failed.flags_raised == 0
    nightly_flags = [f for f in open_flags(url) if f.run_id == failed.id]
    assert nightly_flags == []

    now[0] = START + timedelta(minutes=30)  # not retried at once
    assert scheduler.run_pending() == []
    scheduler.settings = settings  # someone fixes the model path
    now[0] = START + timedelta(hours=1)
    assert scheduler.run_pending() == [(WELFARE_RUN, True), (NIGHTLY_RUN, True)]
    assert runs(url)[-1].error is None
    now[0] = START + timedelta(hours=1, minutes=30)
    assert scheduler.run_pending() == []  # done for tonight

    # A secretary sees both nightly runs, the failed one with the first line of its error.
    with TestClient(create_app(settings), headers=secretary(settings)) as client:
        ok, bad = client.get("/api/runs", params={"kind": NIGHTLY_RUN}).json()
    assert (ok["status"], bad["status"]) == ("ok", "failed")
    assert bad["id"] == failed.id and "no-such-model.skops" in bad["error"]
    assert "\n" not in bad["error"] and ok["error"] is None
    assert ok["seconds"] >= 0 and ok["flags_created"] + ok["flags_updated"] <= ok["flags_raised"]


def test_an_unreadable_store_is_a_recorded_failure(settings: Settings, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the store's directory should be")
    broken = settings.model_copy(update={"store_url": f"sqlite:///{blocker / 'readings.sqlite'}"})
    scheduler = scheduler_for(broken, [START])
    assert scheduler.run_pending() == [(WELFARE_RUN, False), (NIGHTLY_RUN, False)]
    failed = runs(broken.resolved_db_url)
    assert [r.kind for r in failed] == [WELFARE_RUN, NIGHTLY_RUN]
    assert all("not-a-dir" in (r.error or "") and r.finished_at for r in failed)


# -- in the service ----------------------------------------------------------------------------
def secretary(settings: Settings) -> dict[str, str]:
    """Headers of a signed-in secretary, who may read the run history."""
    add_user(settings.resolved_db_url, "sec-runs", "secretary", community="any")
    return bearer(token_for(settings.resolved_db_url, "sec-runs"))


class StepClock:
    """A clock the test moves; thread-safe enough for one writer."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def wait_for_runs(url: str, count: int, timeout: float = 60.0) -> list[DetectionRun]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [r for r in runs(url) if r.finished_at is not None]
        if len(done) >= count:
            return done
        time.sleep(0.05)
    raise AssertionError(f"expected {count} finished runs within {timeout} s, got {runs(url)}")


def test_the_service_runs_detection_in_the_background(settings: Settings) -> None:
    url = settings.resolved_db_url
    clock = StepClock(START)
    app = create_app(
        settings,
        schedule=True,
        scheduler_options={"clock": clock, "start_delay_seconds": 0, "max_wait_seconds": 0.02},
    )
    with TestClient(app, headers=secretary(settings)) as client:
        scheduler = app.state.scheduler
        assert scheduler is not None and scheduler.running
        # Pages answer while detection runs in its thread.
        assert client.get("/api/communities").status_code == 200
        first = wait_for_runs(url, 2)
        assert sorted(r.kind for r in first) == [NIGHTLY_RUN, WELFARE_RUN]
        clock.moment = START + timedelta(hours=1)
        third = wait_for_runs(url, 3)[-1]
        assert third.kind == WELFARE_RUN
        time.sleep(0.2)  # a few more ticks at 11:00: nothing else is due
        assert len(runs(url)) == 3
        listed = client.get("/api/runs").json()
        assert [r["id"] for r in listed] == [3, 2, 1]
        assert listed[0]["kind"] == WELFARE_RUN and listed[0]["status"] == "ok"
    assert not scheduler.running
    assert_no_duplicates(url)


def test_the_service_without_schedule_runs_nothing(settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app, headers=secretary(settings)) as client:
        assert app.state.scheduler is None
        assert client.get("/api/runs").json() == []
    assert runs(settings.resolved_db_url) == []


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A fresh database on the local PostgreSQL for this module alone, dropped after."""
    with fresh_database("occupancy_test_schedule") as url:
        yield url


def test_scheduled_runs_on_postgresql(
    postgres_url: str,
    tmp_path: Path,
    readings,
    sim_community,  # noqa: ANN001
) -> None:
    settings = make_settings(tmp_path, db_url=postgres_url)
    fill(settings, readings, sim_community)
    now = [START]
    scheduler = scheduler_for(settings, now)
    assert scheduler.run_pending() == [(WELFARE_RUN, True), (NIGHTLY_RUN, True)]
    now[0] = START + timedelta(hours=1)
    assert scheduler.run_pending() == [(WELFARE_RUN, True)]
    (flag,) = open_flags(postgres_url, "W-SILENT")
    assert flag.urgent and flag.run_id == runs(postgres_url)[-1].id
    assert_no_duplicates(postgres_url)
    # A new process picks up the history from PostgreSQL: nothing is due at 11:30.
    fresh = scheduler_for(settings, [START + timedelta(hours=1, minutes=30)])
    assert fresh.run_pending() == []


def test_runs_never_overlap(settings: Settings) -> None:
    """Two threads asking for runs at once: the second waits for the first."""
    from occupancy.detection import run as run_module

    store = open_store(settings.resolved_store_url)
    spans: list[tuple[float, float]] = []

    def one() -> None:
        began = time.perf_counter()
        detect_from_store(store, settings.resolved_db_url, tz=TZ, days=7, end=DAY0)
        spans.append((began, time.perf_counter()))

    with run_module.RUN_LOCK:  # hold the lock: neither may start
        threads = [threading.Thread(target=one) for _ in range(2)]
        for thread in threads:
            thread.start()
        time.sleep(0.2)
        assert runs(settings.resolved_db_url) == []
    for thread in threads:
        thread.join(60)
    store.close()
    a, b = sorted(runs(settings.resolved_db_url), key=lambda r: r.id)
    assert utc(b.started_at) >= utc(a.finished_at)
    assert_no_duplicates(settings.resolved_db_url)


# -- what a welfare check may take back --------------------------------------------------------
def welfare_at(settings: Settings, moment: datetime):  # noqa: ANN201 - DetectionResult
    store = open_store(settings.resolved_store_url)
    try:
        return welfare_from_store(store, settings.resolved_db_url, tz=TZ, as_of=moment)
    finally:
        store.close()


def test_a_lagging_meter_does_not_call_off_an_urgent_silence(
    tmp_path: Path,
    readings,
    sim_community,  # noqa: ANN001
) -> None:
    """W-SILENT's readings stop arriving at 09:00 (a slow gateway) while everyone else's
    keep coming: at 13:00 the check sees four hours missing, not the resident, and the
    urgent flag stays. When the late readings arrive (the kettle at 11:00) it goes."""
    lag_from = (DAY0 + timedelta(hours=9)).timestamp()
    settings = make_settings(tmp_path)
    lagging = [r.unit_id == "W-SILENT" and r.ts > lag_from for r in readings]
    late = [r for r, lags in zip(readings, lagging, strict=True) if lags]
    fill(
        settings, [r for r, lags in zip(readings, lagging, strict=True) if not lags], sim_community
    )
    url = settings.resolved_db_url

    welfare_at(settings, DAY0 + timedelta(hours=9))
    (flag,) = open_flags(url, "W-SILENT")
    assert (flag.kind, flag.urgent) == (REGISTERED_SILENT, True)
    behind = welfare_at(settings, DAY0 + timedelta(hours=13))
    assert "W-SILENT" not in {f.unit_id for f in behind.flags}  # nothing known either way
    (kept,) = open_flags(url, "W-SILENT")
    assert (kept.id, kept.state, kept.urgent) == (flag.id, "new", True)

    store = open_store(settings.resolved_store_url)
    try:
        store.write(registers=late)
    finally:
        store.close()
    welfare_at(settings, DAY0 + timedelta(hours=14))
    assert [f.state for f in flags_of(url, "W-SILENT")] == ["withdrawn"]


def test_a_single_vulnerable_residents_dead_meter_is_not_an_ingest_outage(
    tmp_path: Path,
) -> None:
    """The only vulnerable resident's meter died 30 hours ago while the neighbour's reports:
    ingestion runs (the whole store says so), so the meter is flagged offline."""
    as_of = DAY0 + timedelta(hours=10)
    died = (as_of - timedelta(hours=30)).timestamp()
    settings = make_settings(tmp_path)
    store = open_store(settings.resolved_store_url)
    try:
        store.write(
            registers=[
                *(r for r in resident_registers("V", None) if r.ts <= died),
                *resident_registers("N", None),
            ]
        )
    finally:
        store.close()
    with session_scope(settings.resolved_db_url) as session:
        import_entries(
            session,
            [RegisterEntry("V", COMMUNITY, 1, vulnerable=True), RegisterEntry("N", COMMUNITY, 2)],
        )
    result = welfare_at(settings, as_of)
    assert [(f.unit_id, f.kind) for f in result.flags] == [("V", METER_OFFLINE)]
    (run,) = runs(settings.resolved_db_url)
    assert utc(run.window_end) == as_of


def test_welfare_takes_only_the_urgency_off_a_quiet_week_the_nightly_run_found(
    settings: Settings,
) -> None:
    """The nightly run found W-SILENT's week quiet (P(occupied) 0.3, not urgent); the 10:00
    welfare check makes it urgent (silent 26 h). The kettle at 11:00 answers the urgency,
    not the week: the flag stays open, not urgent, for the next nightly run to judge, and
    the next active hour does not withdraw it either."""
    url = settings.resolved_db_url
    with session_scope(url) as session:
        nightly = DetectionRun(
            kind=NIGHTLY_RUN,
            started_at=(DAY0 + timedelta(hours=2, minutes=30)).astimezone(UTC),
            finished_at=(DAY0 + timedelta(hours=2, minutes=31)).astimezone(UTC),
            window_start=(DAY0 - timedelta(days=7)).astimezone(UTC),
            window_end=DAY0.astimezone(UTC),
        )
        session.add(nightly)
        session.flush()
        session.add(
            Flag(
                unit_id="W-SILENT",
                community=COMMUNITY,
                kind=REGISTERED_SILENT,
                state="new",
                urgent=False,
                score=0.7,
                probability=0.3,
                evidence_text="quiet week",
                run_id=nightly.id,
            )
        )
    welfare_at(settings, START)
    (flag,) = open_flags(url, "W-SILENT")
    assert (flag.urgent, flag.probability) == (True, 0.3)
    for hours in (2, 3):  # 12:00 and 13:00: active since 11:00
        result = welfare_at(settings, START + timedelta(hours=hours))
        (kept,) = flags_of(url, "W-SILENT")
        assert (kept.id, kept.state, kept.urgent) == (flag.id, "new", False)
        assert kept.probability == 0.3 and kept.evidence["urgent"] is False
        assert "W-SILENT" not in {f.unit_id for f in result.flags}
