"""InfluxDB readings stores: what 1.x and 2.x/3.x share, and ``open_influx`` to pick one.

Both versions are read the same way, with InfluxQL over ``/query`` (native in 1.x, the v1
compatibility API in 2.x and 3.x), so windows, ``last_registers`` and rollups are one piece
of code; only writing and creating the database differ (``influx1.py``, ``influx2.py``).

Windows are built from the same ``aggregate_arrays`` as the embedded store, over the same
ranges, so both return identical windows for identical data. Raw readings expire after
``Settings.raw_retention_days``; ``rollup()`` keeps hourly results in a long-lived
retention policy (1.x) or bucket (2.x/3.x), and ``hourly_window`` takes, for each unit and
hour, whichever of raw and rollup saw more (see ``_merge_rollups``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from occupancy.readings import IntervalEnergy, LightReading, MeterReading
from occupancy.store import influx_schema as schema
from occupancy.store.base import ExpiredReadings, ReadingStore, StoreError
from occupancy.store.influx_http import InfluxHTTP, InfluxTarget, parse_url
from occupancy.timeseries import (
    HOUR,
    MAX_STORED_INTERVAL_SECONDS,
    REGISTER_MAX_GAP_SECONDS,
    HourlyWindow,
    aggregate_arrays,
)

log = logging.getLogger(__name__)

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
#: A query covers at most one day and this many units, and its answer is streamed in
#: chunks, so a 1,000-unit x 7-day window is many small JSON documents, never one huge one.
QUERY_DAYS_MS = DAY_MS
UNITS_PER_QUERY = 500
#: Queries in flight at once for one window.
QUERY_THREADS = 4
#: Lines per write request: InfluxDB's own advice is 5,000-10,000 points per request.
LINES_PER_REQUEST = 10_000


def open_influx(url: str, settings: Any) -> ReadingStore:
    """The store for an ``influxdb*://`` URL (``settings``: ``occupancy.config.Settings``)."""
    scheme = url.split("://", 1)[0].lower()
    if scheme in ("influxdb", "influxdbs"):
        from occupancy.store.influx1 import Influx1Store

        return Influx1Store(parse_url(url), raw_retention_days=settings.raw_retention_days)
    if scheme in ("influxdb2", "influxdb2s"):
        from occupancy.store.influx2 import Influx2Store

        target = parse_url(url, default_database=settings.influx_bucket)
        return Influx2Store(
            target,
            org=settings.influx_org,
            token=settings.influx_token,
            raw_retention_days=settings.raw_retention_days,
        )
    raise StoreError(f"not an InfluxDB URL scheme: {scheme!r}")


@dataclass(frozen=True)
class _Select:
    """One logical query: a measurement's fields in an inclusive time range (ms)."""

    where: tuple[str, str | None]  # database, retention policy
    measurement: str
    fields: tuple[str, ...]
    first_ms: int
    last_ms: int
    unit_ids: Sequence[str] | None

    def statements(self) -> Iterator[str]:
        """A statement per day and per ``UNITS_PER_QUERY`` units."""
        ids = self.unit_ids
        batches: list[Sequence[str] | None] = (
            [None]
            if ids is None
            else [ids[i : i + UNITS_PER_QUERY] for i in range(0, len(ids), UNITS_PER_QUERY)]
        )
        for a in range(self.first_ms, self.last_ms + 1, QUERY_DAYS_MS):
            b = min(a + QUERY_DAYS_MS - 1, self.last_ms)
            for batch in batches:
                yield schema.select(self.measurement, self.fields, a, b, batch)


@dataclass
class _Rows:
    """Query results as columns: one unit and community per row, numeric fields as arrays."""

    units: list[str] = field(default_factory=list)
    #: (unit, community) of each part: one per series chunk, so per-unit work is cheap.
    keys: list[tuple[str, str]] = field(default_factory=list)
    parts: list[np.ndarray] = field(default_factory=list)

    def add(self, unit: str, community: str, values: np.ndarray) -> None:
        self.units.extend([unit] * len(values))
        self.keys.append((unit, community))
        self.parts.append(values)

    def column(self, k: int) -> np.ndarray:
        if not self.parts:
            return np.zeros(0)
        return np.concatenate([p[:, k] for p in self.parts])

    def __len__(self) -> int:
        return len(self.units)


class InfluxQLStore(InfluxHTTP):
    """A ``ReadingStore`` on InfluxDB read through InfluxQL; subclasses write and provision.

    ``raw`` and ``rollups`` are (database, retention policy or None): where raw readings
    and where hourly rollups live.
    """

    def __init__(
        self,
        target: InfluxTarget,
        *,
        raw: tuple[str, str | None],
        rollups: tuple[str, str | None],
        headers: Mapping[str, str],
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
    ) -> None:
        super().__init__(
            target, headers=headers, connect_timeout=connect_timeout, read_timeout=read_timeout
        )
        self.raw = raw
        self.rollups = rollups
        # Made here, not on first use: two threads' first windows must not race to make two.
        self._executor = ThreadPoolExecutor(QUERY_THREADS, thread_name_prefix="influx-query")

    def _fetch(self, queries: Sequence[_Select]) -> list[_Rows]:
        """Rows of each query, as (time ms, *fields), cut into day x unit-batch statements
        that run on a few threads (the server works on one while we parse another).
        Results are put together in statement order, so each unit's rows stay in time order
        and sums come out bit for bit as in the embedded store."""
        self._check_open()
        jobs = [(k, stmt) for k, query in enumerate(queries) for stmt in query.statements()]
        out = [_Rows() for _ in queries]
        if not jobs:
            return out
        results = self._executor.map(lambda job: self._select(queries[job[0]], job[1]), jobs)
        for (k, _), parts in zip(jobs, results, strict=True):
            for unit, community, values in parts:
                out[k].add(unit, community, values)
        return out

    def _select(self, query: _Select, statement: str) -> list[tuple[str, str, np.ndarray]]:
        columns = ["time", *query.fields]
        parts = []
        db, rp = query.where
        action = f"reading {query.measurement}"
        for series in self._series(statement, db, rp, action=action):
            tags = series.get("tags") or {}
            try:
                got = series["columns"]
                values = np.array(series["values"], dtype=float).reshape(-1, len(got))
                if got != columns:  # never seen, but order by name rather than trust it
                    values = values[:, [got.index(c) for c in columns]]
            except (KeyError, ValueError, TypeError) as exc:
                raise self._foreign_data(action, exc) from exc
            parts.append(
                (
                    schema.decode_tag(tags.get(schema.UNIT, "")),
                    schema.decode_tag(tags.get(schema.COMMUNITY, "")),
                    values,
                )
            )
        return parts

    def _foreign_data(self, action: str, exc: Exception) -> StoreError:
        return StoreError(
            f"{action}: {self.product} at {self.target.base_url} holds data this store did not "
            f"write ({type(exc).__name__}: {exc}); another program may be using the same "
            "measurement names in this database (see docs/store.md for the schema)"
        )

    # -- ReadingStore --------------------------------------------------------------------

    def write(
        self,
        registers: Sequence[MeterReading] = (),
        energy: Sequence[IntervalEnergy] = (),
        lights: Sequence[LightReading] = (),
    ) -> None:
        lines = [
            *schema.register_lines(registers),
            *schema.energy_lines(energy),
            *schema.lights_lines(lights),
        ]
        for i in range(0, len(lines), LINES_PER_REQUEST):
            self._write_lines(lines[i : i + LINES_PER_REQUEST], rollup=False)

    def _write_lines(self, lines: Sequence[str], *, rollup: bool) -> None:
        """Commit line-protocol lines (ms precision) to raw or rollup storage, or raise."""
        raise NotImplementedError

    def hourly_window(
        self, start: datetime, hours: int, unit_ids: Sequence[str] | None = None
    ) -> HourlyWindow:
        return self._window(start, hours, unit_ids)[0]

    def _window(
        self, start: datetime, hours: int, unit_ids: Sequence[str] | None
    ) -> tuple[HourlyWindow, np.ndarray]:
        """The window, and how many lights observations each cell rests on."""
        t0 = start.timestamp()
        t1 = t0 + hours * HOUR
        wanted = list(unit_ids) if unit_ids is not None else None
        # The embedded store's ranges exactly: energy ending in (t0, t1 + 24 h], lights in
        # [t0, t1), registers one longest gap either side (intervals are also derived from
        # consecutive registers on read); in whole milliseconds, as stored.
        lo, hi = math.ceil(t0 * 1000), math.ceil(t1 * 1000) - 1
        # (No units asked for: no statements at all.)
        energy, lights, registers, rollups = self._fetch(
            [
                _Select(
                    self.raw,
                    schema.ENERGY,
                    ("kwh", "start"),
                    math.floor(t0 * 1000) + 1,
                    math.floor((t1 + MAX_STORED_INTERVAL_SECONDS) * 1000),
                    wanted,
                ),
                _Select(self.raw, schema.LIGHTS, ("on",), lo, hi, wanted),
                _Select(
                    self.raw,
                    schema.REGISTER,
                    ("kwh", "meter"),
                    math.ceil((t0 - REGISTER_MAX_GAP_SECONDS) * 1000),
                    math.floor((t1 + REGISTER_MAX_GAP_SECONDS) * 1000),
                    wanted,
                ),
                _Select(
                    self.rollups,
                    schema.HOURLY,
                    ("coverage", "kwh", "lights_on", "lights_n"),
                    lo,
                    hi,
                    wanted,
                ),
            ]
        )
        r_ts = registers.column(0) / 1000
        communities: dict[str, str] = {}
        # A unit is known by a register reading inside the window, or any energy, lights
        # or rollup the window uses (first seen wins its community, as in the embedded store).
        for (unit, community), part in zip(registers.keys, registers.parts, strict=True):
            if np.any((part[:, 0] >= t0 * 1000) & (part[:, 0] <= t1 * 1000)):
                communities.setdefault(unit, community)
        for rows in (energy, lights, rollups):
            for unit, community in rows.keys:
                communities.setdefault(unit, community)
        ids = wanted if wanted is not None else sorted(communities)
        l_ts = lights.column(0) / 1000
        window = aggregate_arrays(
            start,
            hours,
            unit_ids=ids,
            communities=communities,
            e_unit=energy.units,
            e_start=energy.column(2),
            e_end=energy.column(0) / 1000,
            e_kwh=energy.column(1),
            l_unit=lights.units,
            l_ts=l_ts,
            l_on=lights.column(1),
            r_unit=registers.units,
            r_ts=r_ts,
            r_kwh=registers.column(1),
            r_meter=registers.column(2) if len(registers) else None,
        )
        counts = _cell_counts(ids, lights.units, l_ts, t0, hours)
        if len(rollups):
            window, counts = _merge_rollups(window, counts, rollups, t0)
        return window, counts

    def last_registers(self) -> dict[str, MeterReading]:
        newest: dict[str, MeterReading] = {}
        db, rp = self.raw
        for series in self._series(
            schema.last_register_query(), db, rp, action="reading the last registers"
        ):
            tags = series.get("tags") or {}
            unit = schema.decode_tag(tags.get(schema.UNIT, ""))
            community = schema.decode_tag(tags.get(schema.COMMUNITY, ""))
            try:
                ms, kwh = series["values"][-1]
                reading = MeterReading(
                    community=community, unit_id=unit, ts=ms / 1000, kwh=float(kwh)
                )
            except (KeyError, IndexError, ValueError, TypeError) as exc:
                raise self._foreign_data("reading the last registers", exc) from exc
            # A unit that moved community is two series; the newest reading wins.
            if unit not in newest or reading.ts > newest[unit].ts:
                newest[unit] = reading
        return newest

    def rollup(self, start: datetime, end: datetime, unit_ids: Sequence[str] | None = None) -> int:
        """Keep the hourly window of [start, end) in rollup storage; returns points written.

        Run it daily for the previous day (and again after late data: it is idempotent). The
        hours must lie on the detector's grid (``start`` a local midnight, or a whole number
        of hours after one), because windows look rollups up by hour. Each hour written is
        the merged view ``hourly_window`` gives, so re-running after raw readings expired
        never replaces a rollup with less than it had.
        """
        t_start, t_end = start.timestamp(), end.timestamp()
        hours_total = (t_end - t_start) / HOUR
        if hours_total < 0 or hours_total != int(hours_total):
            raise ValueError(f"rollup needs whole hours from {start} to {end}")
        written = 0
        day = 0
        while day * 24 < hours_total:
            piece_start = start + timedelta(hours=24 * day)
            hours = int(min(24, hours_total - 24 * day))
            window, counts = self._window(piece_start, hours, unit_ids)
            base_ms = schema.to_ms(piece_start.timestamp())
            lines = []
            for i, h in zip(*np.nonzero((window.coverage > 0) | (counts > 0)), strict=True):
                lines.append(
                    schema.hourly_line(
                        window.unit_ids[i],
                        window.communities[i],
                        base_ms + int(h) * HOUR_MS,
                        float(window.coverage[i, h]),
                        float(window.energy_kwh[i, h]),
                        float(window.lights_on[i, h]),
                        int(counts[i, h]),
                    )
                )
            for i in range(0, len(lines), LINES_PER_REQUEST):
                self._write_lines(lines[i : i + LINES_PER_REQUEST], rollup=True)
            written += len(lines)
            day += 1
        return written

    def expire_before(self, ts: float, *, dry_run: bool = False) -> ExpiredReadings:
        """Count, then delete, raw readings before ``ts``: the retention policy (bucket)
        would drop them too, but only whole shard groups once all of a group is past the
        duration, so days late; this makes the setting hold now. Rollups (the ``hourly``
        measurement, in their own retention policy or bucket) are never touched."""
        # Stored times are whole milliseconds: t < ts exactly when t < ceil(ts in ms).
        cutoff_ms = math.ceil(ts * 1000)
        counts = {
            name: self._count_before(measurement, field_name, cutoff_ms)
            for name, measurement, field_name in schema.RAW_MEASUREMENTS
        }
        if not dry_run:
            for name, measurement, _ in schema.RAW_MEASUREMENTS:
                if counts[name]:
                    self._delete_before(measurement, cutoff_ms)
        return ExpiredReadings(**counts)

    def _count_before(self, measurement: str, field_name: str, cutoff_ms: int) -> int:
        db, rp = self.raw
        action = f"counting {measurement} readings to expire"
        total = 0
        for series in self._statement(
            schema.count_before(measurement, field_name, cutoff_ms), db, rp, action=action
        ):
            try:
                total += sum(int(row[1] or 0) for row in series.get("values") or [])
            except (IndexError, ValueError, TypeError) as exc:
                raise self._foreign_data(action, exc) from exc
        return total

    def _delete_before(self, measurement: str, cutoff_ms: int) -> None:
        """Delete the raw measurement's points stamped before ``cutoff_ms``."""
        raise NotImplementedError

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        super().close()


def _cell_counts(
    ids: Sequence[str], l_unit: Sequence[str], l_ts: np.ndarray, t0: float, hours: int
) -> np.ndarray:
    """Lights observations per unit and hour, bucketed as ``aggregate_arrays`` does."""
    counts = np.zeros((len(ids), hours))
    if len(l_unit):
        row = {u: i for i, u in enumerate(ids)}
        rows = np.fromiter((row.get(u, -1) for u in l_unit), dtype=np.int64, count=len(l_unit))
        h = np.floor((l_ts - t0) / HOUR).astype(np.int64)
        keep = (rows >= 0) & (h >= 0) & (h < hours)
        np.add.at(counts, (rows[keep], h[keep]), 1.0)
    return counts


def _merge_rollups(
    window: HourlyWindow, counts: np.ndarray, rollups: _Rows, t0: float
) -> tuple[HourlyWindow, np.ndarray]:
    """Per unit and hour, use the rollup where it saw more than the raw readings still do.

    Energy and coverage come from the rollup when its coverage is higher, lights when it
    counted more observations; a tie goes to raw. While raw readings are all there they
    tie (the rollup was made from them) or win (late data arrived since), so nothing
    changes; where raw has expired or was deleted, the rollup fills in exactly what the
    window showed when it was made.
    """
    row = {u: i for i, u in enumerate(window.unit_ids)}
    shape = window.coverage.shape
    r_cov = np.zeros(shape)
    r_kwh = np.full(shape, np.nan)
    r_on = np.full(shape, np.nan)
    r_n = np.zeros(shape)
    rows = np.fromiter((row.get(u, -1) for u in rollups.units), dtype=np.int64, count=len(rollups))
    offset = rollups.column(0) - schema.to_ms(t0)
    h = (offset // HOUR_MS).astype(np.int64)
    # Rollups made on another hour grid (another time zone's midnights) do not fit.
    keep = (rows >= 0) & (offset % HOUR_MS == 0) & (h >= 0) & (h < shape[1])
    rows, h = rows[keep], h[keep]
    r_cov[rows, h] = rollups.column(1)[keep]
    r_kwh[rows, h] = rollups.column(2)[keep]
    r_on[rows, h] = rollups.column(3)[keep]
    r_n[rows, h] = rollups.column(4)[keep]
    use_e = r_cov > window.coverage
    use_l = r_n > counts
    merged = HourlyWindow(
        unit_ids=window.unit_ids,
        communities=window.communities,
        start=window.start,
        energy_kwh=np.where(use_e, r_kwh, window.energy_kwh),
        coverage=np.where(use_e, r_cov, window.coverage),
        lights_on=np.where(use_l, r_on, window.lights_on),
    )
    return merged, np.where(use_l, r_n, counts)
