"""Daily weather and daylight for the simulated community.

Air conditioning and electric heating are the biggest swing in a Chinese flat's consumption,
and lights come on at dusk, so the simulator needs a season. One temperature per day is shared
by the whole community (it is the same sky over every building). The profile is a Yangtze
delta climate (Shanghai: about 5 C in January, 29 C in late July); good enough to make summer
and winter evenings differ, not a forecast.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np

#: Annual mean and half-swing of the daily mean temperature, and the warmest day of the year.
MEAN_C = 17.0
SWING_C = 12.0
WARMEST_DAY = 205
#: Day-to-day anomaly: AR(1) with this persistence and stationary spread.
PERSISTENCE = 0.7
ANOMALY_SD_C = 2.5


def seasonal_mean_c(day: date) -> float:
    """Climatological daily mean temperature for a calendar day."""
    doy = day.timetuple().tm_yday
    return MEAN_C + SWING_C * math.cos(2 * math.pi * (doy - WARMEST_DAY) / 365.25)


def daily_temperature_c(
    dates: tuple[date, ...] | list[date], rng: np.random.Generator
) -> np.ndarray:
    """Daily mean temperature per date: seasonal profile plus a persistent random anomaly.

    The anomaly is autocorrelated because weather comes in spells; independent days would make
    air conditioners flick on and off from one day to the next.
    """
    n = len(dates)
    shocks = rng.normal(0.0, ANOMALY_SD_C * math.sqrt(1 - PERSISTENCE**2), n)
    anomaly = np.empty(n)
    level = rng.normal(0.0, ANOMALY_SD_C)
    for i in range(n):
        level = PERSISTENCE * level + shocks[i] if i else level
        anomaly[i] = level
    base = np.array([seasonal_mean_c(d) for d in dates])
    return np.round(base + anomaly, 1)


def daylight_minutes(dates: tuple[date, ...] | list[date]) -> tuple[np.ndarray, np.ndarray]:
    """Local sunrise and sunset (minutes since midnight) per date, Shanghai-like latitude.

    About 04:50-18:55 at midsummer and 06:50-17:00 at midwinter.
    """
    doy = np.array([d.timetuple().tm_yday for d in dates], dtype=float)
    season = np.sin(2 * np.pi * (doy - 80) / 365.25)
    sunrise = np.round(350 - 60 * season).astype(np.int64)
    sunset = np.round(1078 + 58 * season).astype(np.int64)
    return sunrise, sunset
