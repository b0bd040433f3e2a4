"""The simulated window on the clock: minutes, local days, meter ticks and lights ticks.

Everything inside the simulator counts whole minutes from the window start; only this module
knows about time zones. Local days are found through real UTC instants, so a zone with
daylight saving time would still get its 23- and 25-hour days right (Asia/Shanghai has none).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

#: Local hours at which a lights sensor reports (18:00 to 23:00, six observations a night).
LIGHT_HOURS: tuple[int, ...] = (18, 19, 20, 21, 22, 23)
MAX_INTERVAL = 60


def default_start(days: int, tz: ZoneInfo, now: datetime | None = None) -> datetime:
    """Local midnight ``days`` days before today, so the window ends at today's midnight.

    A live service then sees recent data: the last reading is the most recent midnight, not a
    moment in a different season.
    """
    today = (now or datetime.now(UTC)).astimezone(tz).date()
    return datetime.combine(today - timedelta(days=days), time(0), tzinfo=tz)


def _minutes_between(a: datetime, b: datetime) -> int:
    """Whole minutes from ``a`` to ``b`` measured on the real clock (UTC), not the wall clock."""
    return round((b.timestamp() - a.timestamp()) / 60)


@dataclass(frozen=True)
class Timeline:
    """The window: ``days`` x 1440 minutes from ``start``, read every ``interval`` minutes."""

    start: datetime
    tz: ZoneInfo
    days: int
    interval: int
    #: Local calendar days touching the window, first to last.
    dates: tuple[date, ...]
    #: Minute (from the window start) of each local day's midnight; negative if the window
    #: starts after midnight.
    day_start: np.ndarray
    #: Monday = 0 ... Sunday = 6, per local day.
    weekday: np.ndarray
    #: Minute (from the window start) and local-day index of each lights observation.
    light_minute: np.ndarray
    light_day: np.ndarray
    _reading_iso: tuple[str, ...] = field(repr=False, default=())

    @property
    def minutes(self) -> int:
        """Length of the window in minutes."""
        return self.days * 1440

    @property
    def intervals(self) -> int:
        """Whole meter intervals in the window (a trailing partial interval is not read)."""
        return self.minutes // self.interval

    @property
    def readings(self) -> int:
        """Meter readings per healthy unit: one at the start plus one per interval end."""
        return self.intervals + 1

    def reading_iso(self) -> tuple[str, ...]:
        """ISO 8601 timestamps (with offset) of every meter tick, in order."""
        return self._reading_iso

    def light_iso(self) -> list[str]:
        """ISO 8601 timestamps (with offset) of every lights observation, in order."""
        return [self.iso_at(int(m)) for m in self.light_minute]

    def iso_at(self, minute: int) -> str:
        """ISO 8601 local timestamp of a minute counted from the window start."""
        moment = self.start.astimezone(UTC) + timedelta(minutes=minute)
        return moment.astimezone(self.tz).isoformat()


def build_timeline(start: datetime, days: int, interval: int, tz: ZoneInfo) -> Timeline:
    """Lay the window on the local calendar.

    ``start`` may be naive (then it is local time in ``tz``) or aware (then it is converted to
    ``tz``); seconds are dropped so that every tick falls on a whole minute.
    """
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    if not 1 <= interval <= MAX_INTERVAL:
        raise ValueError(f"interval must be 1..{MAX_INTERVAL} minutes, got {interval}")
    start = start.replace(tzinfo=tz) if start.tzinfo is None else start.astimezone(tz)
    start = start.replace(second=0, microsecond=0)
    minutes = days * 1440
    end = (start.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(tz)

    dates: list[date] = []
    d = start.date()
    while d <= end.date():
        dates.append(d)
        d += timedelta(days=1)
    day_start = np.array(
        [_minutes_between(start, datetime.combine(x, time(0), tzinfo=tz)) for x in dates],
        dtype=np.int64,
    )
    weekday = np.array([x.weekday() for x in dates], dtype=np.int64)

    light_minute: list[int] = []
    light_day: list[int] = []
    for i, x in enumerate(dates):
        for hour in LIGHT_HOURS:
            m = _minutes_between(start, datetime.combine(x, time(hour), tzinfo=tz))
            if 0 <= m < minutes:
                light_minute.append(m)
                light_day.append(i)

    utc0 = start.astimezone(UTC)
    step = timedelta(minutes=interval)
    reading_iso = tuple(
        (utc0 + k * step).astimezone(tz).isoformat() for k in range(minutes // interval + 1)
    )
    return Timeline(
        start=start,
        tz=tz,
        days=days,
        interval=interval,
        dates=tuple(dates),
        day_start=day_start,
        weekday=weekday,
        light_minute=np.array(light_minute, dtype=np.int64),
        light_day=np.array(light_day, dtype=np.int64),
        _reading_iso=reading_iso,
    )
