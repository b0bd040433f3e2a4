"""Hand-built hourly arrays whose answers are known, shared by the detector and flag tests."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from occupancy.timeseries import HourlyWindow

DAYS = 7
HOURS = DAYS * 24
START = datetime(2025, 3, 3, tzinfo=ZoneInfo("Asia/Shanghai"))


def fridge_only(days: int = DAYS) -> np.ndarray:
    """Standby plus a cycling fridge: 0.04-0.06 kWh every hour, no shape to the day."""
    hours = days * 24
    return 0.05 + 0.01 * np.sin(np.arange(hours) * 2.1)


#: People never use exactly the same energy two days running (a timer does): the day's
#: activity is scaled by these factors in turn. They average 1 over a week.
DAY_FACTORS = (0.9, 1.1, 1.0, 0.9, 1.1, 1.0, 1.0)


def evening_active(days: int = DAYS, active_days: range | None = None) -> np.ndarray:
    """The fridge plus breakfast at 07:00 and cooking, TV and lights 18:00-22:59."""
    energy = fridge_only(days)
    for d in active_days if active_days is not None else range(days):
        factor = DAY_FACTORS[d % len(DAY_FACTORS)]
        energy[d * 24 + 7] += 0.4 * factor
        energy[d * 24 + 18 : d * 24 + 23] += 0.5 * factor
    return energy


def timer_lamp(days: int = DAYS, kwh: float = 0.12) -> np.ndarray:
    """The fridge plus a lamp on a timer, 18:00-22:59, identical every day."""
    energy = fridge_only(days)
    for d in range(days):
        energy[d * 24 + 18 : d * 24 + 23] += kwh
    return energy


def lights(days: int = DAYS, lit_nights: int = 0) -> np.ndarray:
    """A sensor read at 18:00-23:00 every evening; lights on the first ``lit_nights`` evenings."""
    out = np.full(days * 24, np.nan)
    for d in range(days):
        out[d * 24 + 18 : d * 24 + 24] = 1.0 if d < lit_nights else 0.0
    return out


def no_lights(days: int = DAYS) -> np.ndarray:
    return np.full(days * 24, np.nan)


def window(
    energy: dict[str, np.ndarray],
    lights_on: dict[str, np.ndarray] | None = None,
    community: str = "toy",
) -> HourlyWindow:
    """A window of the given units (energy NaN = not measured; coverage follows it)."""
    ids = list(energy)
    e = np.vstack([energy[u] for u in ids]).astype(float)
    lights_on = lights_on or {}
    lo = np.vstack([lights_on.get(u, no_lights(e.shape[1] // 24)) for u in ids]).astype(float)
    return HourlyWindow(
        unit_ids=ids,
        communities=[community] * len(ids),
        start=START,
        energy_kwh=e,
        coverage=np.where(np.isnan(e), 0.0, 1.0),
        lights_on=lo,
    )


def matrix(*units: np.ndarray, lights_rows: list[np.ndarray] | None = None) -> np.ndarray:
    """``window_matrix`` layout for the given energy rows (no lights unless given)."""
    e = np.vstack(units)
    lo = np.vstack(lights_rows) if lights_rows else np.full_like(e, np.nan)
    return np.hstack([e, lo])
