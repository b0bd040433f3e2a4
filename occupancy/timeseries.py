"""Hourly unit x time arrays: the one shape the detector reads, whatever store filled it.

A window starts at a local midnight so that column ``h`` is local hour ``h % 24``; the
detector relies on that instead of carrying time zones into numpy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

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
        return self.start + timedelta(hours=self.hours)

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


def register_intervals(
    unit: Sequence[str] | np.ndarray,
    ts: np.ndarray,
    kwh: np.ndarray,
    *,
    max_gap_seconds: float = REGISTER_MAX_GAP_SECONDS,
    max_power_kw: float = REGISTER_MAX_POWER_KW,
    meter: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Interval energy between consecutive register readings of each unit.

    Stores derive intervals here, on read, rather than trusting whoever wrote them: with
    several ingesters sharing a subscription, or readings arriving out of order, no single
    writer sees a unit's readings in sequence, but the store holds all of them. The rules
    match ``occupancy.ingest.intervals``: a drop (counter reset), a gap, an implausible
    jump or a change of meter (``meter``: ``readings.meter_key`` per reading, 0 or NaN when
    not given) leaves the span unmeasured; nothing is invented. Returns
    ``(unit, start, end, kwh)``.
    """
    units = np.asarray(unit, dtype=object)
    ts = np.asarray(ts, dtype=float)
    kwh = np.asarray(kwh, dtype=float)
    if len(ts) < 2:
        empty = np.array([], dtype=float)
        return np.array([], dtype=object), empty, empty, empty
    codes = np.unique(units.astype(str), return_inverse=True)[1]
    order = np.lexsort((ts, codes))
    codes, units, ts, kwh = codes[order], units[order], ts[order], kwh[order]
    if meter is None:
        meters = np.zeros(len(ts))
    else:
        meters = np.nan_to_num(np.asarray(meter, dtype=float), nan=0.0)[order]
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
        & ((meters[1:] == meters[:-1]) | (meters[1:] == 0) | (meters[:-1] == 0))
    )
    return units[1:][keep], ts[:-1][keep], ts[1:][keep], delta[keep]


def aggregate_arrays(
    start: datetime,
    hours: int,
    *,
    unit_ids: Sequence[str],
    communities: dict[str, str],
    e_unit: Sequence[str],
    e_start: np.ndarray,
    e_end: np.ndarray,
    e_kwh: np.ndarray,
    l_unit: Sequence[str] = (),
    l_ts: np.ndarray | None = None,
    l_on: np.ndarray | None = None,
    r_unit: Sequence[str] = (),
    r_ts: np.ndarray | None = None,
    r_kwh: np.ndarray | None = None,
    r_meter: np.ndarray | None = None,
) -> HourlyWindow:
    """Spread interval energy over the hours it overlaps, in proportion to the overlap.

    Energy comes from stored intervals (``e_*``) and from consecutive register readings
    (``r_*``, see ``register_intervals``); a meter reports one or the other, never both.
    Intervals and observations of other units or outside the window are ignored.
    """
    if len(r_unit) and r_ts is not None and r_kwh is not None:
        d_unit, d_start, d_end, d_kwh = register_intervals(r_unit, r_ts, r_kwh, meter=r_meter)
        e_unit = [*e_unit, *d_unit]
        e_start = np.concatenate([np.asarray(e_start, dtype=float), d_start])
        e_end = np.concatenate([np.asarray(e_end, dtype=float), d_end])
        e_kwh = np.concatenate([np.asarray(e_kwh, dtype=float), d_kwh])
    ids = list(unit_ids)
    row = {unit_id: i for i, unit_id in enumerate(ids)}
    t0 = start.timestamp()
    n = len(ids)
    kwh = np.zeros((n, hours))
    covered = np.zeros((n, hours))
    on_count = np.zeros((n, hours))
    obs_count = np.zeros((n, hours))

    if len(e_unit):
        rows = np.fromiter((row.get(u, -1) for u in e_unit), dtype=np.int64, count=len(e_unit))
        a = (np.asarray(e_start, dtype=float) - t0) / HOUR
        b = (np.asarray(e_end, dtype=float) - t0) / HOUR
        e_kwh = np.asarray(e_kwh, dtype=float)
        keep = (rows >= 0) & (b > a) & (b > 0) & (a < hours)
        rows, a, b, e_kwh = rows[keep], a[keep], b[keep], e_kwh[keep]
        span = b - a
        first = np.floor(a).astype(np.int64)
        last = np.ceil(b).astype(np.int64) - 1
        # Most intervals sit inside one hour: add those in one vectorised step.
        single = (first == last) & (first >= 0) & (first < hours)
        np.add.at(kwh, (rows[single], first[single]), e_kwh[single])
        np.add.at(covered, (rows[single], first[single]), span[single])
        for i in np.flatnonzero(~single):
            for h in range(max(first[i], 0), min(last[i], hours - 1) + 1):
                overlap = min(b[i], h + 1) - max(a[i], h)
                if overlap > 0:
                    kwh[rows[i], h] += e_kwh[i] * overlap / span[i]
                    covered[rows[i], h] += overlap

    if len(l_unit) and l_ts is not None and l_on is not None:
        rows = np.fromiter((row.get(u, -1) for u in l_unit), dtype=np.int64, count=len(l_unit))
        h = np.floor((np.asarray(l_ts, dtype=float) - t0) / HOUR).astype(np.int64)
        keep = (rows >= 0) & (h >= 0) & (h < hours)
        np.add.at(obs_count, (rows[keep], h[keep]), 1.0)
        np.add.at(on_count, (rows[keep], h[keep]), np.asarray(l_on, dtype=float)[keep])

    coverage = np.clip(covered, 0.0, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = np.where(coverage >= MIN_HOUR_COVERAGE, kwh / np.maximum(covered, 1e-12), np.nan)
        lights_on = np.where(obs_count > 0, on_count / obs_count, np.nan)
    return HourlyWindow(
        unit_ids=ids,
        communities=[communities.get(u, "") for u in ids],
        start=start,
        energy_kwh=scaled,
        coverage=coverage,
        lights_on=lights_on,
    )
