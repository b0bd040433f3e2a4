"""Cell values of a night count, shared by the survey sheet and the API, so a worker's
"亮" or "2024/5/14 21:30" means the same whichever way it arrives.

Every parser returns ``(value, problem)``: ``problem`` is None or a message saying how to fix
the cell, phrased to follow the cell's value ("... is not a date").
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

#: Night for lights, in local hours: 18:00 up to 06:00. The detector's features
#: (``occupancy.models.features``) count lights only in these hours, so an observation
#: outside them would be stored and never used; a test keeps the two in step.
NIGHT_FROM_HOUR = 18
NIGHT_TO_HOUR = 6
#: Phone and laptop clocks drift; an observation this far ahead of "now" is still accepted.
FUTURE_TOLERANCE = timedelta(minutes=5)

#: Words for "lights on" and "dark" (compared after NFKC and lower-casing).
LIT_WORDS = frozenset(
    {"1", "yes", "y", "true", "on", "lit", "亮", "亮灯", "有灯", "开", "开灯", "是", "有"}
)
DARK_WORDS = frozenset(
    {"0", "no", "n", "false", "off", "dark", "灭", "灭灯", "不亮", "暗", "黑", "关", "关灯"}
    | {"否", "无"}
)
LIT_HINT = "use 亮/灭, 1/0, yes/no or on/off"

_DATE = r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
_TIME = (
    r"(?P<H>\d{1,2})\s*[:点时]\s*(?P<M>\d{1,2})\s*分?"
    r"(?:\s*[:]\s*(?P<S>\d{1,2})(?:\.\d+)?\s*秒?)?"
)
_OFFSET = r"(?P<z>Z|[+-]\d{2}(?::?\d{2})?)"
_DATETIME_RE = re.compile(rf"{_DATE}(?:\s*T\s*|\s+|(?<=日)){_TIME}\s*{_OFFSET}?", re.IGNORECASE)
_DATE_RE = re.compile(_DATE)
_TIME_RE = re.compile(_TIME)
_DATETIME_HINT = "write it like 2024-05-14 21:30 (local time) or 2024-05-14T21:30+08:00"


def _clean(raw: str) -> str:
    # NFKC turns full-width digits and colons typed with a Chinese input method into ASCII.
    return unicodedata.normalize("NFKC", raw).strip()


def parse_lit(raw: object) -> tuple[bool, str | None]:
    """Lights on (True) or dark (False). Empty is a problem, never "dark": a unit nobody
    looked at must not count as a dark night."""
    if isinstance(raw, bool):
        return raw, None
    value = _clean(str(raw)).lower()
    if value in LIT_WORDS:
        return True, None
    if value in DARK_WORDS:
        return False, None
    if not value:
        return False, (
            "is empty; write 亮 (or 1) if the lights were on, 灭 (or 0) if dark, or delete "
            "the row if the unit was not seen"
        )
    return False, f"is not lit or dark; {LIT_HINT}"


def parse_datetime(raw: str, tz: tzinfo) -> tuple[datetime | None, str | None]:
    """A date and time of day; without a UTC offset it is local time in ``tz``."""
    value = _clean(raw)
    if not value:
        return None, f"is empty; {_DATETIME_HINT}"
    match = _DATETIME_RE.fullmatch(value)
    if match is None:
        if _DATE_RE.fullmatch(value):
            return None, f"has no time of day; a night count needs one, {_DATETIME_HINT}"
        return None, f"is not a date and time; {_DATETIME_HINT}"
    try:
        day = date(int(match["y"]), int(match["m"]), int(match["d"]))
        clock = _clock(match)
        zone = _offset(match["z"]) if match["z"] else tz
    except ValueError:
        return None, f"is not a real date and time; {_DATETIME_HINT}"
    return datetime.combine(day, clock, tzinfo=zone), None


def parse_date(raw: str) -> tuple[date | None, str | None]:
    """The date of a date column, e.g. 2024-05-14, 2024/5/14 or 2024年5月14日."""
    value = _clean(raw)
    hint = "write it like 2024-05-14"
    if not value:
        return None, f"is empty; {hint}"
    match = _DATE_RE.fullmatch(value)
    if match is None:
        return None, f"is not a date; {hint}"
    try:
        return date(int(match["y"]), int(match["m"]), int(match["d"])), None
    except ValueError:
        return None, f"is not a real date; {hint}"


def parse_time(raw: str) -> tuple[time | None, str | None]:
    """The local time of day of a time column, e.g. 21:30 or 21:30:15."""
    value = _clean(raw)
    hint = "write the local time like 21:30"
    if not value:
        return None, f"is empty; {hint}"
    match = _TIME_RE.fullmatch(value)
    if match is None:
        return None, f"is not a time of day; {hint}"
    try:
        return _clock(match), None
    except ValueError:
        return None, f"is not a real time of day; {hint}"


def _clock(match: re.Match[str]) -> time:
    return time(int(match["H"]), int(match["M"]), int(match["S"] or 0))


def _offset(text: str) -> tzinfo:
    if text.upper() == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(text)
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if text[0] == "-" else delta)


def aware(moment: datetime, tz: tzinfo) -> datetime:
    """``moment`` with a zone: naive times are local time in ``tz``."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


def time_problem(
    moment: datetime, tz: tzinfo, now: datetime, max_age_days: int | None = None
) -> str | None:
    """Why an observation at ``moment`` cannot be night-time lights evidence, or None.

    Rejected: the future (a wrong date, or a UTC time written without its offset), daylight
    (lights by day say nothing about who sleeps there, and the detector ignores them), and,
    with ``max_age_days``, anything older than the store keeps raw readings (usually a typo
    in the year, which InfluxDB would otherwise drop without a word).
    """
    moment = aware(moment, tz)
    local = moment.astimezone(tz)
    shown = local.strftime("%Y-%m-%d %H:%M")
    if moment - now > FUTURE_TOLERANCE:
        current = now.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        return (
            f"is {shown} local time, in the future (it is now {current}); check the date, "
            "and that a time without an offset is local time"
        )
    if NIGHT_TO_HOUR <= local.hour < NIGHT_FROM_HOUR:
        return (
            f"is {local.strftime('%H:%M')} local time, in daylight; a night count must be "
            f"made between {NIGHT_FROM_HOUR:02d}:00 and {NIGHT_TO_HOUR:02d}:00 (lights by day "
            "say nothing about who lives there)"
        )
    if max_age_days is not None:
        age = now - moment
        if age > timedelta(days=max_age_days):
            return (
                f"is {shown} local time, {age.days} days ago, older than the store keeps raw "
                f"readings ({max_age_days} days); check the year"
            )
    return None
