"""The embedded readings store: one SQLite file, no server to install.

SQLite because it is in the standard library, transactional (a batch is committed or not),
and its primary keys make rewrites idempotent: the same unit and timestamp written twice is
stored once, so a redelivered MQTT batch is harmless.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import numpy as np

from occupancy.readings import IntervalEnergy, LightReading, MeterReading, meter_key
from occupancy.store.base import ExpiredReadings, StoreError
from occupancy.timeseries import (
    HOUR,
    MAX_STORED_INTERVAL_SECONDS,
    REGISTER_MAX_GAP_SECONDS,
    HourlyWindow,
    aggregate_arrays,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS registers (
    unit_id TEXT NOT NULL, ts REAL NOT NULL, community TEXT NOT NULL, kwh REAL NOT NULL,
    meter_key INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (unit_id, ts)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS energy (
    unit_id TEXT NOT NULL, end_ts REAL NOT NULL, start_ts REAL NOT NULL,
    community TEXT NOT NULL, kwh REAL NOT NULL,
    PRIMARY KEY (unit_id, end_ts)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS energy_by_time ON energy (end_ts);
CREATE TABLE IF NOT EXISTS lights (
    unit_id TEXT NOT NULL, ts REAL NOT NULL, community TEXT NOT NULL, is_on INTEGER NOT NULL,
    PRIMARY KEY (unit_id, ts)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS lights_by_time ON lights (ts);
"""
#: Unit ids per ``IN (...)`` query: far below SQLite's variable limit (32,766 since 3.32).
_IDS_PER_QUERY = 500
#: Raw tables and their time column, as (``ExpiredReadings`` field, table, column).
_RAW_TABLES = (
    ("registers", "registers", "ts"),
    ("energy", "energy", "end_ts"),
    ("lights", "lights", "ts"),
)
#: Units whose old readings one expiry transaction deletes: the lock is let go between
#: blocks, so the ingester's writes and the web's reads carry on during a long expiry.
_UNITS_PER_EXPIRY = 50


class EmbeddedStore:
    """A ``ReadingStore`` in one SQLite file (``sqlite:///path`` or a plain path)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)
            columns = {row[1] for row in self._conn.execute("PRAGMA table_info(registers)")}
            if "meter_key" not in columns:  # a file from before meter serials were kept
                with self._conn:
                    self._conn.execute(
                        "ALTER TABLE registers ADD COLUMN meter_key INTEGER NOT NULL DEFAULT 0"
                    )
                    # Its ingester wrote intervals beside the registers they came from; energy
                    # is now derived from the registers on read, so those would count twice.
                    self._conn.execute("DELETE FROM energy")
        except sqlite3.Error as exc:
            raise StoreError(
                f"cannot open the embedded store at {path}: {exc}; check the directory exists "
                "and is writable, or set OCCUPANCY_STORE_URL"
            ) from exc
        # One connection shared by the ingester's writer and the web's readers.
        self._lock = threading.Lock()

    def write(
        self,
        registers: Sequence[MeterReading] = (),
        energy: Sequence[IntervalEnergy] = (),
        lights: Sequence[LightReading] = (),
    ) -> None:
        with self._lock:
            try:
                with self._conn:
                    self._conn.executemany(
                        "INSERT OR REPLACE INTO registers (unit_id, ts, community, kwh, meter_key) "
                        "VALUES (?, ?, ?, ?, ?)",
                        [
                            (r.unit_id, r.ts, r.community, r.kwh, meter_key(r.meter_id))
                            for r in registers
                        ],
                    )
                    self._conn.executemany(
                        "INSERT OR REPLACE INTO energy VALUES (?, ?, ?, ?, ?)",
                        [(e.unit_id, e.end, e.start, e.community, e.kwh) for e in energy],
                    )
                    self._conn.executemany(
                        "INSERT OR REPLACE INTO lights VALUES (?, ?, ?, ?)",
                        [(x.unit_id, x.ts, x.community, int(x.on)) for x in lights],
                    )
            except sqlite3.Error as exc:
                raise StoreError(f"writing to the store {self.path} failed: {exc}") from exc

    def hourly_window(
        self, start: datetime, hours: int, unit_ids: Sequence[str] | None = None
    ) -> HourlyWindow:
        t0 = start.timestamp()
        t1 = t0 + hours * HOUR
        # A few units (the hourly welfare check's vulnerable residents) are read through the
        # primary key, so their read costs what they hold, not what the whole file holds.
        wanted = None if unit_ids is None else list(dict.fromkeys(unit_ids))
        energy: list[tuple] = []
        lights: list[tuple] = []
        registers: list[tuple] = []
        with self._lock, self._reading():
            for where, ids in self._unit_filters(wanted):
                energy += self._conn.execute(
                    "SELECT unit_id, community, start_ts, end_ts, kwh FROM energy "
                    f"WHERE end_ts > ? AND end_ts <= ?{where}",
                    (t0, t1 + MAX_STORED_INTERVAL_SECONDS, *ids),
                ).fetchall()
                lights += self._conn.execute(
                    "SELECT unit_id, community, ts, is_on FROM lights "
                    f"WHERE ts >= ? AND ts < ?{where}",
                    (t0, t1, *ids),
                ).fetchall()
                # Intervals are derived from consecutive registers on read (see
                # timeseries.register_steps), so look one longest interval either side.
                registers += self._conn.execute(
                    "SELECT unit_id, community, ts, kwh, meter_key FROM registers "
                    f"WHERE ts >= ? AND ts <= ?{where}",
                    (t0 - REGISTER_MAX_GAP_SECONDS, t1 + REGISTER_MAX_GAP_SECONDS, *ids),
                ).fetchall()
        communities: dict[str, str] = {}
        for unit_id, community, ts, *_ in registers:
            if t0 <= ts <= t1:
                communities.setdefault(unit_id, community)
        for unit_id, community, *_ in (*energy, *lights):
            communities.setdefault(unit_id, community)
        ids = list(unit_ids) if unit_ids is not None else sorted(communities)
        e = list(zip(*energy, strict=True)) if energy else [(), (), (), (), ()]
        x = list(zip(*lights, strict=True)) if lights else [(), (), (), ()]
        r = list(zip(*registers, strict=True)) if registers else [(), (), (), (), ()]
        return aggregate_arrays(
            start,
            hours,
            unit_ids=ids,
            communities=communities,
            e_unit=e[0],
            e_start=np.array(e[2], dtype=float),
            e_end=np.array(e[3], dtype=float),
            e_kwh=np.array(e[4], dtype=float),
            l_unit=x[0],
            l_ts=np.array(x[2], dtype=float),
            l_on=np.array(x[3], dtype=float),
            r_unit=r[0],
            r_ts=np.array(r[2], dtype=float),
            r_kwh=np.array(r[3], dtype=float),
            r_meter=np.array(r[4], dtype=float),
        )

    @staticmethod
    def _unit_filters(wanted: list[str] | None) -> Iterator[tuple[str, list[str]]]:
        """SQL to append to a query's WHERE, with its parameters: every unit, or ``wanted``
        in blocks of ``_IDS_PER_QUERY``."""
        if wanted is None:
            yield "", []
            return
        for lo in range(0, len(wanted), _IDS_PER_QUERY):
            block = wanted[lo : lo + _IDS_PER_QUERY]
            yield f" AND unit_id IN ({','.join('?' * len(block))})", block

    def last_registers(self) -> dict[str, MeterReading]:
        with self._lock, self._reading():
            rows = self._conn.execute(
                "SELECT r.unit_id, r.community, r.ts, r.kwh FROM registers r JOIN "
                "(SELECT unit_id, MAX(ts) AS ts FROM registers GROUP BY unit_id) m "
                "ON r.unit_id = m.unit_id AND r.ts = m.ts"
            ).fetchall()
        return {u: MeterReading(community=c, unit_id=u, ts=ts, kwh=k) for u, c, ts, k in rows}

    def expire_before(self, ts: float, *, dry_run: bool = False) -> ExpiredReadings:
        """Delete readings before ``ts``, a few units per transaction.

        By unit because every table's key starts with the unit: ``unit_id IN (..) AND
        ts < ?`` is a range of the key (``registers`` has no time index, and a time-ordered
        ``LIMIT`` would rescan what is left of the table for each chunk). ``secure_delete``
        overwrites the freed pages, and a checkpoint moves them out of the WAL, so the
        readings are gone from the file, not only from the tables.
        """
        counts: dict[str, int] = {}
        try:
            if dry_run:
                with self._lock:
                    for name, table, column in _RAW_TABLES:
                        (counts[name],) = self._conn.execute(
                            f"SELECT COUNT(*) FROM {table} WHERE {column} < ?", (ts,)
                        ).fetchone()
                return ExpiredReadings(**counts)
            with self._lock:
                self._conn.execute("PRAGMA secure_delete=ON")
            try:
                for name, table, column in _RAW_TABLES:
                    counts[name] = self._expire_table(table, column, ts)
            finally:
                with self._lock:
                    self._conn.execute("PRAGMA secure_delete=OFF")
                    if any(counts.values()):
                        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"expiring readings in the store {self.path} failed: {exc}") from exc
        return ExpiredReadings(**counts)

    def _expire_table(self, table: str, column: str, ts: float) -> int:
        with self._lock:
            units = [
                row[0]
                for row in self._conn.execute(
                    f"SELECT DISTINCT unit_id FROM {table} WHERE {column} < ?", (ts,)
                )
            ]
        removed = 0
        for lo in range(0, len(units), _UNITS_PER_EXPIRY):
            block = units[lo : lo + _UNITS_PER_EXPIRY]
            with self._lock, self._conn:
                removed += self._conn.execute(
                    f"DELETE FROM {table} WHERE unit_id IN ({','.join('?' * len(block))}) "
                    f"AND {column} < ?",
                    (*block, ts),
                ).rowcount
        return removed

    def ping(self) -> None:
        """Cheap liveness check for readiness probes."""
        with self._lock, self._reading():
            self._conn.execute("SELECT 1 FROM registers LIMIT 1").fetchall()

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Report a failed read as a ``StoreError`` (the web answers 503, not 500)."""
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(f"reading from the store {self.path} failed: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()
