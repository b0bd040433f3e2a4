"""What only the embedded SQLite store does: URLs, files, and how it reports failures."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from occupancy.readings import IntervalEnergy, MeterReading, meter_key
from occupancy.store import StoreError, open_store
from occupancy.store.embedded import EmbeddedStore

DAY = datetime(2026, 3, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
T0 = DAY.timestamp()


def reg(ts: float, kwh: float, unit: str = "3-501") -> MeterReading:
    return MeterReading(community="east", unit_id=unit, ts=ts, kwh=kwh)


@pytest.mark.parametrize("form", ["sqlite:///{}", "{}"], ids=["url", "plain-path"])
def test_open_store_by_url_or_path(tmp_path: Path, form: str) -> None:
    path = tmp_path / "new" / "dir" / "readings.sqlite"
    store = open_store(form.format(path))
    try:
        assert isinstance(store, EmbeddedStore)
        store.write(registers=[reg(T0, 1.0)])
    finally:
        store.close()
    assert path.is_file()  # parents were made


@pytest.mark.parametrize("url", ["influxdb3://db:8181/x", "postgresql://h/db"])
def test_open_store_refuses_other_schemes_saying_what_works(url: str) -> None:
    scheme = url.split("://")[0]
    with pytest.raises(StoreError, match=f"unsupported store URL scheme '{scheme}'.*sqlite:///"):
        open_store(url)


def test_a_file_that_is_not_a_store_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_bytes(b"these are not the readings you are looking for" * 100)
    with pytest.raises(StoreError, match="cannot open the embedded store.*notes.sqlite"):
        EmbeddedStore(path)


def test_a_directory_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open the embedded store"):
        EmbeddedStore(tmp_path)


def test_two_stores_on_one_file_see_each_others_writes(tmp_path: Path) -> None:
    """The ingester and the web service each open the file; WAL lets them share it."""
    writer = EmbeddedStore(tmp_path / "readings.sqlite")
    reader = EmbeddedStore(tmp_path / "readings.sqlite")
    try:
        writer.write(
            registers=[reg(T0 + 9 * 3600, 101.0)],
            energy=[IntervalEnergy("east", "3-501", T0 + 8 * 3600, T0 + 9 * 3600, 1.0)],
        )
        assert reader.last_registers()["3-501"].kwh == 101.0
        assert reader.hourly_window(DAY, 24).energy_kwh[0, 8] == pytest.approx(1.0)
    finally:
        writer.close()
        reader.close()


def test_writes_and_reads_from_threads_share_one_store(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "readings.sqlite")
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for k in range(200):
                store.write(registers=[reg(T0 + k * 900, float(k))])
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    while thread.is_alive():
        store.hourly_window(DAY, 24)
        store.last_registers()
    thread.join()
    try:
        assert errors == []
        assert store.last_registers()["3-501"].kwh == 199.0
    finally:
        store.close()


@pytest.fixture
def broken(tmp_path: Path):
    """A store whose tables another process renamed away under it."""
    path = tmp_path / "readings.sqlite"
    store = EmbeddedStore(path)
    with sqlite3.connect(path) as other:
        for table in ("registers", "energy", "lights"):
            other.execute(f"ALTER TABLE {table} RENAME TO {table}_moved")
    yield store
    store.close()


def test_a_failed_write_is_a_store_error_naming_the_file(broken: EmbeddedStore) -> None:
    with pytest.raises(StoreError, match=r"writing to the store .*readings.sqlite failed"):
        broken.write(registers=[reg(T0, 1.0)])


def test_failed_reads_are_store_errors_too(broken: EmbeddedStore) -> None:
    """The web maps StoreError to 503 and the ingest command reports it; a bare
    sqlite3.Error would be a 500 and a traceback."""
    with pytest.raises(StoreError, match=r"readings.sqlite.*no such table"):
        broken.hourly_window(DAY, 24)
    with pytest.raises(StoreError, match=r"readings.sqlite.*no such table"):
        broken.last_registers()


def test_a_closed_store_raises_store_errors(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "readings.sqlite")
    store.close()
    with pytest.raises(StoreError):
        store.write(registers=[reg(T0, 1.0)])
    with pytest.raises(StoreError):
        store.hourly_window(DAY, 24)
    with pytest.raises(StoreError):
        store.last_registers()


def test_a_file_from_before_meter_serials_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE registers (unit_id TEXT NOT NULL, ts REAL NOT NULL, "
            "community TEXT NOT NULL, kwh REAL NOT NULL, PRIMARY KEY (unit_id, ts)) WITHOUT ROWID"
        )
        old.execute("INSERT INTO registers VALUES ('3-501', 1772323200.0, 'east', 10.0)")
        # Its ingester also wrote the intervals it derived; they would now count twice.
        old.execute(
            "CREATE TABLE energy (unit_id TEXT NOT NULL, end_ts REAL NOT NULL, "
            "start_ts REAL NOT NULL, community TEXT NOT NULL, kwh REAL NOT NULL, "
            "PRIMARY KEY (unit_id, end_ts)) WITHOUT ROWID"
        )
        old.execute("INSERT INTO energy VALUES ('3-501', 1772324100.0, 1772323200.0, 'east', 0.5)")
    store = EmbeddedStore(path)
    try:
        store.write(registers=[MeterReading("east", "3-501", 1772324100.0, 10.5, "M-1")])
        assert store.last_registers()["3-501"].kwh == 10.5
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT ts, meter_key FROM registers ORDER BY ts").fetchall()
    assert rows == [(1772323200.0, 0), (1772324100.0, meter_key("M-1"))]
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM energy").fetchone() == (0,)
    assert meter_key("M-1") != 0 and meter_key(None) == 0
