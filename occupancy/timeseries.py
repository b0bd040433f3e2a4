"""Hourly unit x time arrays: the one shape the detector reads, whatever store filled it.

A window starts at a local midnight so that column ``h`` is local hour ``h % 24``; the
detector relies on that instead of carrying time zones into numpy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

import numpy as np

from occupancy.readings import IntervalEnergy, LightReading

HOUR = 3600.0
#: An hour counts as measured when at least this share of it is covered by readings;
#: its energy is then scaled up to the full hour.
MIN_HOUR_COVERAGE = 0.5
#: The longest stored energy interval: stores look this far past a window for intervals
#: that end after it but began inside it (same range in every store).
MAX_STORED_INTERVAL_SECONDS = 24 * HOUR
#: Two consecutive register readings further apart than this leave the span unmeasured:
#: its energy is real but cannot be placed in hours.
REGISTER_MAX_GAP_SECONDS = 2 * HOUR
#: Above this average power a step is a meter swap or a register glitch, not a household
#: (a 63 A single-phase supply is about 14.5 kW).
REGISTER_MAX_POWER_KW = 50.0


def plus_hours(moment: datetime, hours: float) -> datetime:
    """The moment ``hours`` real hours after ``moment``, in ``moment``'s time zone.

    Python adds a timedelta to an aware datetime on the wall clock, so across a daylight
    saving change ``start + timedelta(hours=h)`` is an hour off from the column that is
    ``h`` hours in (columns are real hours from ``start.timestamp()``). Adding in UTC and
    converting back is exact; in a zone without DST (Asia/Shanghai) it is the same answer.
    """
    if moment.tzinfo is None:
        return moment + timedelta(hours=hours)
    return (moment.astimezone(UTC) + timedelta(hours=hours)).astimezone(moment.tzinfo)


@dataclass(frozen=True)
class HourlyWindow:
    """Energy, coverage and lights per unit and hour.

    ``energy_kwh[i, h]``: energy of unit ``i`` in hour ``h``, scaled to the whole hour, NaN
    where less than ``MIN_HOUR_COVERAGE`` of the hour was measured.
    ``coverage[i, h]``: share of the hour covered by readings, in [0, 1].
    ``lights_on[i, h]``: share of that hour's lights observations that saw lights on, NaN
    where there was no observation.
    """

    unit_ids: list[str]
    communities: list[str]
    start: datetime
    energy_kwh: np.ndarray
    coverage: np.ndarray
    lights_on: np.ndarray

    @property
    def hours(self) -> int:
        return int(self.energy_kwh.shape[1])

    @property
    def days(self) -> int:
        return self.hours // 24

    @property
    def end(self) -> datetime:
        """The end of the last column: ``hours`` real hours after ``start`` (see ``plus_hours``)."""
        return plus_hours(self.start, self.hours)

    def index(self, unit_id: str) -> int:
        return self.unit_ids.index(unit_id)

    def reindex(
        self, unit_ids: Sequence[str], communities: dict[str, str] | None = None
    ) -> HourlyWindow:
        """The same hours for exactly these units, in this order; a unit the window lacks
        gets an unmeasured row (its community from ``communities``)."""
        rows = {unit_id: i for i, unit_id in enumerate(self.unit_ids)}
        shape = (len(unit_ids), self.hours)
        energy = np.full(shape, np.nan)
        coverage = np.zeros(shape)
        lights = np.full(shape, np.nan)
        names: list[str] = []
        for j, unit_id in enumerate(unit_ids):
            i = rows.get(unit_id)
            if i is None:
                names.append((communities or {}).get(unit_id, ""))
                continue
            energy[j], coverage[j], lights[j] = (
                self.energy_kwh[i],
                self.coverage[i],
                self.lights_on[i],
            )
            names.append(self.communities[i])
        return HourlyWindow(list(unit_ids), names, self.start, energy, coverage, lights)


def local_midnight(moment: datetime, tz: tzinfo) -> datetime:
    """The local midnight at or before ``moment`` (aware, in ``tz``)."""
    local = moment.astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def window_bounds(end: datetime | None, days: int, tz: tzinfo) -> tuple[datetime, datetime]:
    """``days`` whole local days ending at a local midnight.

    Without ``end``, the midnight at or before now (today, still partial, is left out). An
    explicit ``end`` inside a day rounds up to the next midnight, so the day holding ``end``
    (say, the last reading's time) is included.
    """
    stop = local_midnight(end or datetime.now(tz), tz)
    if end is not None and end.astimezone(tz) != stop:
        stop = stop + timedelta(days=1)
    return stop - timedelta(days=days), stop


def aggregate_hourly(
    energy: Iterable[IntervalEnergy],
    lights: Iterable[LightReading],
    start: datetime,
    hours: int,
    unit_ids: Sequence[str] | None = None,
    communities: dict[str, str] | None = None,
) -> HourlyWindow:
    """Build a window from value objects (files, tests); stores use ``aggregate_arrays``."""
    energy = list(energy)
    lights = list(lights)
    seen: dict[str, str] = dict(communities or {})
    for item in (*energy, *lights):
        seen.setdefault(item.unit_id, item.community)
    return aggregate_arrays(
        start,
        hours,
        unit_ids=list(unit_ids) if unit_ids is not None else sorted(seen),
        communities=seen,
        e_unit=[e.unit_id for e in energy],
        e_start=np.array([e.start for e in energy], dtype=float),
        e_end=np.array([e.end for e in energy], dtype=float),
        e_kwh=np.array([e.kwh for e in energy], dtype=float),
        l_unit=[x.unit_id for x in lights],
        l_ts=np.array([x.ts for x in lights], dtype=float),
        l_on=np.array([x.on for x in lights], dtype=float),
    )


def register_steps(
    codes: np.ndarray,
    ts: np.ndarray,
    kwh: np.ndarray,
    meter: np.ndarray | None,
    max_gap_seconds: float,
    max_power_kw: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Which consecutive pairs of register readings (sorted by unit, then time) are a
    measured interval, and their energy: the one place the register rules live.

    Stores derive intervals here, on read, rather than trusting whoever wrote them: with
    several ingesters sharing a subscription, or readings arriving out of order, no single
    writer sees a unit's readings in sequence, but the store holds all of them. The rules
    match ``occupancy.ingest.intervals``: a drop (counter reset), a gap, an implausible
    jump or a change of meter (``meter``: ``readings.meter_key`` per reading, 0 or NaN when
    not given) leaves the span unmeasured; nothing is invented.
    """
    dt = np.diff(ts)
    delta = np.diff(kwh)
    with np.errstate(divide="ignore", invalid="ignore"):
        power = delta / (dt / HOUR)
    keep = (
        (codes[1:] == codes[:-1])
        & (dt > 0)
        & (dt <= max_gap_seconds)
        & (delta >= 0)
        & (power <= max_power_kw)
    )
    if meter is not None:
        meters = np.nan_to_num(meter, nan=0.0)
        keep &= (meters[1:] == meters[:-1]) | (meters[1:] == 0) | (meters[:-1] == 0)
    return keep, delta


#: Register readings handled per block in ``aggregate_arrays``. Small enough that a block's
#: temporaries (a few dozen arrays of this length) stay in the CPU cache, which halves the
#: time against blocks of millions; large enough that Python's per-block overhead is noise.
REGISTER_BLOCK = 1 << 17


def _unit_rows(units: Sequence[str] | np.ndarray, row: dict[str, int], n: int) -> np.ndarray:
    """Window row of each entry of ``units``, -1 for a unit the window does not hold.

    ``units`` holds unit ids, or is an integer array of positions in the window's
    ``unit_ids`` (what a columnar query or the simulator has anyway; no Python string per
    reading). Ids are looked up once per run of equal neighbours, because store queries
    return each unit's readings together.
    """
    if isinstance(units, np.ndarray) and units.dtype.kind in "iu":
        rows = units.astype(np.int64, copy=False)
        if len(rows) and (rows.min() < 0 or rows.max() >= n):
            rows = np.where((rows >= 0) & (rows < n), rows, -1)
        return rows
    values = units if isinstance(units, np.ndarray) else np.asarray(units, dtype=object)
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    values = values.ravel()
    change = np.ones(len(values), dtype=bool)
    np.not_equal(values[1:], values[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    del change
    firsts = values[starts].tolist()
    run_rows = np.fromiter((row.get(u, -1) for u in firsts), dtype=np.int64, count=len(firsts))
    return np.repeat(run_rows, np.diff(np.append(starts, len(values))))


def _sorted_by_unit_and_time(rows: np.ndarray, ts: np.ndarray) -> bool:
    """True when readings are already in (row, time) order, ties in any order; checked in
    blocks so the check allocates little."""
    for lo in range(0, len(ts) - 1, REGISTER_BLOCK):
        hi = min(lo + REGISTER_BLOCK + 1, len(ts))
        d_row = np.diff(rows[lo:hi])
        if not ((d_row > 0) | ((d_row == 0) & (np.diff(ts[lo:hi]) >= 0))).all():
            return False
    return True


class _Hours:
    """Flat (unit x hour) accumulators in the summation order of the original per-interval
    loop, so every cell gets bit-for-bit the same float sums whichever path filled it.

    Intervals inside one hour are added first (in input order), then intervals spanning
    hours (in input order). A cell's single-hour intervals are summed with ``bincount``
    when no other block can touch that cell, else with ``np.add.at``; both add in input
    order starting from zero, which is what the original did.
    """

    def __init__(self, n: int, hours: int, t0: float) -> None:
        self.n, self.hours, self.t0 = n, hours, t0
        self.kwh = np.zeros(n * hours)
        self.covered = np.zeros(n * hours)
        #: Cells that already hold a sum another block may add to (stored intervals).
        self.shared: np.ndarray | None = None
        self.spanning: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def offsets(self, ts: np.ndarray) -> np.ndarray:
        """Hours from the window start (the one formula every path uses)."""
        return (np.asarray(ts, dtype=float) - self.t0) / HOUR

    def add(
        self,
        rows: np.ndarray,
        a: np.ndarray,
        b: np.ndarray,
        kwh: np.ndarray,
        keep: np.ndarray | None = None,
        edge_rows: tuple[int, ...] = (),
        mark_shared: bool = False,
    ) -> None:
        """Add intervals ``[a, b)`` (``offsets``) of one block, those in ``keep`` if given.

        ``edge_rows`` may also have intervals in other blocks, so their cells are summed in
        order with ``np.add.at``. Masks are combined before anything is compressed: one
        pass of fancy indexing per array instead of one per filter.
        """
        hours = self.hours
        kwh = np.asarray(kwh, dtype=float)
        ok = (rows >= 0) & (b > a) & (b > 0) & (a < hours)
        if keep is not None:
            ok &= keep
        with np.errstate(invalid="ignore"):  # NaN or huge offsets are dropped by ``ok``
            first = np.floor(a).astype(np.int64)
            last = np.ceil(b).astype(np.int64) - 1
        single = (first == last) & (first >= 0) & (first < hours)
        single &= ok
        multi = ok & ~single
        if multi.any():
            self.spanning.append((rows[multi], a[multi], b[multi], kwh[multi]))
        if not single.any():
            return
        rows, kwh = rows[single], kwh[single]
        span = b[single] - a[single]
        cell = rows * hours + first[single]
        if mark_shared:
            if self.shared is None:
                self.shared = np.zeros(self.n * hours, dtype=bool)
            self.shared[cell] = True
        sequential = None
        for r in edge_rows:
            sequential = rows == r if sequential is None else sequential | (rows == r)
        if self.shared is not None and not mark_shared:
            hit = self.shared[cell]
            sequential = hit if sequential is None else sequential | hit
        if sequential is not None and sequential.any():
            np.add.at(self.kwh, cell[sequential], kwh[sequential])
            np.add.at(self.covered, cell[sequential], span[sequential])
            fresh = ~sequential
            cell, kwh, span = cell[fresh], kwh[fresh], span[fresh]
        if len(cell):
            base = int(cell.min())
            size = int(cell.max()) - base + 1
            self.kwh[base : base + size] += np.bincount(cell - base, kwh, size)
            self.covered[base : base + size] += np.bincount(cell - base, span, size)

    def finish_spanning(self) -> None:
        """Spread the intervals that cross an hour boundary, in the order they were added."""
        if not self.spanning:
            return
        rows, a, b, kwh = (np.concatenate(parts) for parts in zip(*self.spanning, strict=True))
        self.spanning = []
        hours = self.hours
        span = b - a
        lo = np.maximum(np.floor(a).astype(np.int64), 0)
        hi = np.minimum(np.ceil(b).astype(np.int64) - 1, hours - 1)
        count = np.maximum(hi - lo + 1, 0)
        which = np.repeat(np.arange(len(count)), count)
        h = lo[which] + np.arange(len(which)) - np.repeat(np.cumsum(count) - count, count)
        overlap = np.minimum(b[which], h + 1) - np.maximum(a[which], h)
        ok = overlap > 0
        which, h, overlap = which[ok], h[ok], overlap[ok]
        cell = rows[which] * hours + h
        np.add.at(self.kwh, cell, kwh[which] * overlap / span[which])
        np.add.at(self.covered, cell, overlap)


def _add_registers(
    acc: _Hours,
    rows: np.ndarray,
    ts: np.ndarray,
    kwh: np.ndarray,
    meter: np.ndarray | None,
) -> None:
    """Derive intervals from register readings (``register_steps``' rules) block by
    block and add them, without materialising the whole window's intervals."""
    ts = np.asarray(ts, dtype=float)
    kwh = np.asarray(kwh, dtype=float)
    meters = None if meter is None else np.asarray(meter, dtype=float)
    count = len(ts)
    if count < 2:
        return
    # Stable (row, time) order, as ``register_steps`` needs; a store query usually
    # returns exactly that order already, and then nothing is copied.
    order = None if _sorted_by_unit_and_time(rows, ts) else np.lexsort((ts, rows))
    lo, starts_unit = 0, True
    while lo < count - 1:
        hi = min(lo + REGISTER_BLOCK, count - 1)  # readings lo..hi: pairs lo..hi-1
        ends_unit = hi == count - 1
        if order is None and not ends_unit:
            # End at the first reading of a unit, so no unit (and no cell) spans two blocks
            # and every cell can be summed with bincount.
            cut = int(np.searchsorted(rows, rows[hi], side="left"))
            if cut > lo:
                hi, ends_unit = cut, True
        take = slice(lo, hi + 1) if order is None else order[lo : hi + 1]
        r, t, k = rows[take], ts[take], kwh[take]
        m = None if meters is None else meters[take]
        keep, delta = register_steps(r, t, k, m, REGISTER_MAX_GAP_SECONDS, REGISTER_MAX_POWER_KW)
        at = acc.offsets(t)
        edges = (() if starts_unit else (int(r[0]),)) + (() if ends_unit else (int(r[-1]),))
        acc.add(r[1:], at[:-1], at[1:], delta, keep=keep, edge_rows=edges)
        lo, starts_unit = hi, ends_unit


def aggregate_arrays(
    start: datetime,
    hours: int,
    *,
    unit_ids: Sequence[str],
    communities: dict[str, str],
    e_unit: Sequence[str] | np.ndarray,
    e_start: np.ndarray,
    e_end: np.ndarray,
    e_kwh: np.ndarray,
    l_unit: Sequence[str] | np.ndarray = (),
    l_ts: np.ndarray | None = None,
    l_on: np.ndarray | None = None,
    r_unit: Sequence[str] | np.ndarray = (),
    r_ts: np.ndarray | None = None,
    r_kwh: np.ndarray | None = None,
    r_meter: np.ndarray | None = None,
) -> HourlyWindow:
    """Spread interval energy over the hours it overlaps, in proportion to the overlap.

    Energy comes from stored intervals (``e_*``) and from consecutive register readings
    (``r_*``, see ``register_steps``); a meter reports one or the other, never both.
    Intervals and observations of other units or outside the window are ignored.

    ``e_unit``, ``l_unit`` and ``r_unit`` hold unit ids, or integer arrays of positions in
    ``unit_ids`` (faster for large windows; negative or too large means "not in the
    window"). Registers are processed in blocks of ``REGISTER_BLOCK`` readings, so 100,000
    units x 7 days of 15-minute readings need little memory beyond the input arrays.
    """
    ids = list(unit_ids)
    row = {unit_id: i for i, unit_id in enumerate(ids)}
    n = len(ids)
    acc = _Hours(n, hours, start.timestamp())

    if len(e_unit):
        # Stored intervals go first, as they always did; cells they fill are summed in
        # order with whatever registers add to them later.
        rows = _unit_rows(e_unit, row, n)
        a, b = acc.offsets(e_start), acc.offsets(e_end)
        acc.add(rows, a, b, e_kwh, mark_shared=True)
    if len(r_unit) and r_ts is not None and r_kwh is not None:
        _add_registers(acc, _unit_rows(r_unit, row, n), r_ts, r_kwh, r_meter)
    acc.finish_spanning()

    if len(l_unit) and l_ts is not None and l_on is not None:
        rows = _unit_rows(l_unit, row, n)
        with np.errstate(invalid="ignore"):
            h = np.floor((np.asarray(l_ts, dtype=float) - acc.t0) / HOUR).astype(np.int64)
        keep = (rows >= 0) & (h >= 0) & (h < hours)
        cell = rows[keep] * hours + h[keep]
        # Float weights make bincount return float64 directly (no integer copy to convert).
        obs_count = np.bincount(cell, np.ones(len(cell)), n * hours)
        on_count = np.bincount(cell, np.asarray(l_on, dtype=float)[keep], n * hours)
    else:
        on_count, obs_count = np.zeros(n * hours), np.zeros(n * hours)

    # Results are computed in place: at 100,000 units each of these arrays is 134 MB, and
    # a fresh one costs more in page faults than the arithmetic on it. ``covered`` is never
    # negative, so for a threshold in (0, 1] "clipped coverage >= threshold" is "covered >=
    # threshold", and there ``max(covered, 1e-12)`` is ``covered`` itself.
    kwh, covered = acc.kwh, acc.covered
    measured = covered >= MIN_HOUR_COVERAGE
    np.divide(kwh, covered, out=kwh, where=measured)
    np.copyto(kwh, np.nan, where=~measured)
    coverage = np.clip(covered, 0.0, 1.0, out=covered)
    observed = obs_count > 0
    np.divide(on_count, obs_count, out=on_count, where=observed)
    np.copyto(on_count, np.nan, where=~observed)
    shape = (n, hours)
    return HourlyWindow(
        unit_ids=ids,
        communities=[communities.get(u, "") for u in ids],
        start=start,
        energy_kwh=kwh.reshape(shape),
        coverage=coverage.reshape(shape),
        lights_on=on_count.reshape(shape),
    )
