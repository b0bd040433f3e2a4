"""Raw readings expire (``expire_before``, ``occupancy.retention``), on every store: the
embedded one, InfluxDB 1.x on the session's private ``influxd``, and InfluxDB 2.x when one
is configured. Hourly rollups stay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from occupancy.config import Settings, get_settings
from occupancy.db.session import get_engine, session_scope
from occupancy.db.tables import AuditEvent
from occupancy.detection.schedule import DetectionScheduler
from occupancy.lights.record import LightsObservation
from occupancy.readings import IntervalEnergy, LightReading, MeterReading
from occupancy.retention import ExpiryResult, expire_raw_readings
from occupancy.store import ReadingStore, open_store
from occupancy.store.base import ExpiredReadings
from occupancy.timeseries import local_midnight
from tests.store.conftest import STORE_FACTORIES

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime.now(UTC).replace(microsecond=0)
RETENTION = 90
CUTOFF = NOW - timedelta(days=RETENTION)
#: A local day well past the retention, and one well inside it.
OLD_DAY = local_midnight(NOW - timedelta(days=100), TZ)
RECENT_DAY = local_midnight(NOW - timedelta(days=3), TZ)
UNITS = ("A-101", "B-202")


def day_of_readings(day: datetime) -> dict[str, list]:
    """Per unit: registers every 15 minutes, 8-9 o'clock as energy intervals, two lights."""
    t0 = day.timestamp()
    registers, energy, lights = [], [], []
    for n, unit in enumerate(UNITS):
        registers += [
            MeterReading(community="东区", unit_id=unit, ts=t0 + k * 900, kwh=100.0 * n + k * 0.1)
            for k in range(96)
        ]
        energy += [
            IntervalEnergy(
                "东区", unit, t0 + 8 * 3600 + k * 900, t0 + 8 * 3600 + (k + 1) * 900, 0.2
            )
            for k in range(4)
        ]
        lights += [
            LightReading("东区", unit, t0 + 20 * 3600, True),
            LightReading("东区", unit, t0 + 21 * 3600, False),
        ]
    return {"registers": registers, "energy": energy, "lights": lights}


PER_DAY = ExpiredReadings(registers=96 * 2, energy=4 * 2, lights=2 * 2)


@pytest.fixture(params=STORE_FACTORIES)
def filled(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReadingStore]:
    store = request.param(request, tmp_path)
    store.write(**day_of_readings(OLD_DAY))
    store.write(**day_of_readings(RECENT_DAY))
    yield store
    store.close()


def test_expire_before_removes_only_what_is_older(filled: ReadingStore) -> None:
    recent = filled.hourly_window(RECENT_DAY, 24)
    old = filled.hourly_window(OLD_DAY, 24)
    assert np.count_nonzero(old.coverage) > 20 and np.count_nonzero(recent.coverage) > 20

    # A dry run counts and deletes nothing.
    assert filled.expire_before(CUTOFF.timestamp(), dry_run=True) == PER_DAY
    assert np.count_nonzero(filled.hourly_window(OLD_DAY, 24).coverage) > 20

    assert filled.expire_before(CUTOFF.timestamp()) == PER_DAY
    gone = filled.hourly_window(OLD_DAY, 24)
    assert gone.unit_ids == [] and np.count_nonzero(gone.coverage) == 0
    after = filled.hourly_window(RECENT_DAY, 24)
    assert after.unit_ids == recent.unit_ids
    np.testing.assert_array_equal(after.coverage, recent.coverage)
    np.testing.assert_array_equal(after.energy_kwh, recent.energy_kwh)
    np.testing.assert_array_equal(after.lights_on, recent.lights_on)
    assert {u: r.ts for u, r in filled.last_registers().items()} == {
        u: RECENT_DAY.timestamp() + 95 * 900 for u in UNITS
    }
    # Nothing left to expire: the second run is a no-op.
    assert filled.expire_before(CUTOFF.timestamp()) == ExpiredReadings()


def test_the_cutoff_itself_is_kept(filled: ReadingStore) -> None:
    """Strictly older than the cutoff goes, down to the millisecond stores keep."""
    edge = OLD_DAY.timestamp() + 12 * 3600  # a register reading of each unit at noon
    removed = filled.expire_before(edge)
    assert removed.registers == 48 * 2  # 00:00 .. 11:45
    assert removed.energy == 4 * 2 and removed.lights == 0
    assert filled.expire_before(edge + 0.001).registers == 2  # now the noon readings


@pytest.mark.parametrize("factory", [p for p in STORE_FACTORIES if p.id != "embedded"])
def test_influx_rollups_outlive_the_expiry(
    factory, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    store = factory(request, tmp_path)
    try:
        store.write(**day_of_readings(OLD_DAY))
        before = store.hourly_window(OLD_DAY, 24)
        assert store.rollup(OLD_DAY, OLD_DAY + timedelta(days=1)) > 0
        assert store.expire_before(CUTOFF.timestamp()) == PER_DAY
        assert store.last_registers() == {}  # the raw readings are gone ...
        kept = store.hourly_window(OLD_DAY, 24)  # ... the hours are still known
        assert kept.unit_ids == before.unit_ids
        np.testing.assert_array_equal(kept.coverage, before.coverage)
        np.testing.assert_allclose(kept.energy_kwh, before.energy_kwh)
        np.testing.assert_array_equal(kept.lights_on, before.lights_on)
    finally:
        store.close()


# -- expire_raw_readings: the store, the night-count record, the audit log --------------------
@pytest.fixture
def embedded_setup(tmp_path: Path) -> Iterator[tuple[ReadingStore, str]]:
    store = open_store(f"sqlite:///{tmp_path / 'readings.sqlite'}")
    db_url = f"sqlite:///{tmp_path / 'occupancy.db'}"
    store.write(**day_of_readings(OLD_DAY))
    store.write(**day_of_readings(RECENT_DAY))
    with session_scope(db_url) as session:
        for day in (OLD_DAY, RECENT_DAY):
            session.add(
                LightsObservation(
                    unit_id="A-101",
                    ts=day.timestamp() + 20 * 3600,
                    community="东区",
                    lit=True,
                    observer="网格员",
                )
            )
    yield store, db_url
    store.close()
    get_engine(db_url).dispose()


def observations(db_url: str) -> list[float]:
    with session_scope(db_url) as session:
        return list(session.scalars(select(LightsObservation.ts)))


def audit(db_url: str) -> list[AuditEvent]:
    with session_scope(db_url) as session:
        return list(session.scalars(select(AuditEvent)))


def test_expiry_also_clears_the_night_count_record_and_is_audited(
    embedded_setup: tuple[ReadingStore, str],
) -> None:
    store, db_url = embedded_setup
    dry = expire_raw_readings(store, now=NOW, retention_days=RETENTION, db_url=db_url, dry_run=True)
    assert (dry.readings, dry.lights_record, dry.dry_run) == (PER_DAY, 1, True)
    assert "would delete" in dry.summary()
    assert len(observations(db_url)) == 2 and audit(db_url) == []

    result = expire_raw_readings(store, now=NOW, retention_days=RETENTION, db_url=db_url)
    assert result.cutoff == CUTOFF
    assert (result.readings, result.lights_record) == (PER_DAY, 1)
    assert observations(db_url) == [RECENT_DAY.timestamp() + 20 * 3600]
    (event,) = audit(db_url)
    assert (event.username, event.action, event.object_type) == ("retention", "delete", "readings")
    assert "192 registers" in event.detail and "1 night-count records" in event.detail

    # Nothing more to delete: nothing more to audit.
    assert expire_raw_readings(store, now=NOW, retention_days=RETENTION, db_url=db_url).total == 0
    assert len(audit(db_url)) == 1


def test_the_cutoff_needs_an_aware_now(embedded_setup: tuple[ReadingStore, str]) -> None:
    store, _ = embedded_setup
    with pytest.raises(ValueError, match="timezone-aware"):
        expire_raw_readings(store, now=NOW.replace(tzinfo=None), retention_days=RETENTION)


# -- occupancy store expire ---------------------------------------------------------------
@pytest.fixture
def cli_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedded_setup: tuple[ReadingStore, str]
) -> Iterator[str]:
    store, db_url = embedded_setup
    store.close()  # the command opens its own
    monkeypatch.setenv("OCCUPANCY_STORE_URL", f"sqlite:///{tmp_path / 'readings.sqlite'}")
    monkeypatch.setenv("OCCUPANCY_DB_URL", db_url)
    monkeypatch.setenv("OCCUPANCY_RAW_RETENTION_DAYS", str(RETENTION))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def test_store_expire_command(cli_env: str, tmp_path: Path) -> None:
    from occupancy.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["store", "expire", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would delete" in result.output and "192 registers" in result.output
    assert len(observations(cli_env)) == 2

    result = runner.invoke(app, ["store", "expire"])
    assert result.exit_code == 0, result.output
    assert "deleted readings before" in result.output and "192 registers" in result.output
    assert len(observations(cli_env)) == 1

    # --days overrides the setting: 2 days takes the recent day too ... but not below the
    # detector's window, which would blind it.
    result = runner.invoke(app, ["store", "expire", "--days", "2"])
    assert result.exit_code == 1 and "OCCUPANCY_WINDOW_DAYS" in result.output
    result = runner.invoke(app, ["store", "expire", "--days", "7"])
    assert result.exit_code == 0, result.output
    store = open_store(f"sqlite:///{tmp_path / 'readings.sqlite'}")
    try:
        assert store.hourly_window(RECENT_DAY, 24).unit_ids == list(UNITS)  # 3 days old: kept
    finally:
        store.close()


# -- after the nightly run ------------------------------------------------------------------
def scheduler_settings(tmp_path: Path, raw_retention_days: int = RETENTION) -> Settings:
    return Settings(
        _env_file=None,
        var_dir=tmp_path,
        db_url=f"sqlite:///{tmp_path / 'occupancy.db'}",
        store_url=f"sqlite:///{tmp_path / 'readings.sqlite'}",
        timezone=TZ.key,
        raw_retention_days=raw_retention_days,
    )


def test_the_nightly_run_is_followed_by_the_expiry(
    embedded_setup: tuple[ReadingStore, str], tmp_path: Path
) -> None:
    store, db_url = embedded_setup
    scheduler = DetectionScheduler(
        scheduler_settings(tmp_path), clock=lambda: NOW, store_factory=lambda: store
    )
    scheduler._close_store = lambda: None  # the test's store stays open for the checks
    jobs = [kind for kind, _ in scheduler.run_pending(NOW)]
    assert jobs == ["welfare", "nightly"]
    assert isinstance(scheduler.last_expiry, ExpiryResult)
    assert scheduler.last_expiry.readings == PER_DAY
    assert store.hourly_window(OLD_DAY, 24).unit_ids == []
    assert store.hourly_window(RECENT_DAY, 24).unit_ids == list(UNITS)


def test_a_failing_expiry_never_stops_detection(
    embedded_setup: tuple[ReadingStore, str], tmp_path: Path
) -> None:
    """Retention shorter than the detector's window is refused, logged, and detection runs."""
    store, _ = embedded_setup
    settings = scheduler_settings(tmp_path, raw_retention_days=2)
    scheduler = DetectionScheduler(settings, clock=lambda: NOW, store_factory=lambda: store)
    scheduler._close_store = lambda: None
    assert [kind for kind, _ in scheduler.run_pending(NOW)] == ["welfare", "nightly"]
    assert isinstance(scheduler.last_expiry, ValueError)
    assert "OCCUPANCY_WINDOW_DAYS" in str(scheduler.last_expiry)
    assert store.hourly_window(OLD_DAY, 24).unit_ids == list(UNITS)  # nothing deleted
