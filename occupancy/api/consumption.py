"""A unit's recent hourly readings, fetched from whichever store is configured."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

import numpy as np

from occupancy.store.base import ReadingStore
from occupancy.timeseries import local_midnight

#: Decimal places kept in the JSON: a meter's resolution is 0.01 kWh, so more is noise.
KWH_DECIMALS = 4


@dataclass(frozen=True)
class UnitWindow:
    """``days`` whole local days of one unit, the last being ``last_day`` (default: today,
    so a visit planned this morning sees last night). Lists hold None where unobserved."""

    unit_id: str
    community: str
    start: datetime
    hourly_kwh: list[float | None]
    lights_on: list[float | None]

    @property
    def has_data(self) -> bool:
        return any(v is not None for v in self.hourly_kwh) or any(
            v is not None for v in self.lights_on
        )

    @property
    def measured_hours(self) -> int:
        return sum(v is not None for v in self.hourly_kwh)

    @property
    def total_kwh(self) -> float:
        return sum(v for v in self.hourly_kwh if v is not None)


def _none_for_nan(row: np.ndarray, decimals: int | None = None) -> list[float | None]:
    return [
        None if np.isnan(v) else (round(float(v), decimals) if decimals else float(v)) for v in row
    ]


def window_start(days: int, tz: tzinfo, now: datetime, last_day: date | None = None) -> datetime:
    """Local midnight starting the ``days``-day window that ends with ``last_day``."""
    last = last_day or now.astimezone(tz).date()
    first = last - timedelta(days=days - 1)
    return local_midnight(datetime(first.year, first.month, first.day, 12, tzinfo=tz), tz)


def unit_window(
    store: ReadingStore,
    unit_id: str,
    *,
    days: int,
    tz: tzinfo,
    now: datetime,
    last_day: date | None = None,
) -> UnitWindow:
    """Hourly energy and lights of one unit; hours after ``now`` simply come back empty."""
    start = window_start(days, tz, now, last_day)
    window = store.hourly_window(start, days * 24, [unit_id])
    row = window.index(unit_id)
    return UnitWindow(
        unit_id=unit_id,
        community=window.communities[row],
        start=start,
        hourly_kwh=_none_for_nan(window.energy_kwh[row], KWH_DECIMALS),
        lights_on=_none_for_nan(window.lights_on[row]),
    )
