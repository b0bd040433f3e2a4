"""What the night-count tests check against: a small register, a pinned clock."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from occupancy.lights import SurveyContext
from occupancy.register import RegisterEntry

TZ = ZoneInfo("Asia/Shanghai")
#: The pinned clock: Wednesday 15 May 2024, 10:30 in Shanghai (as in the web tests).
NOW = datetime(2024, 5, 15, 2, 30, tzinfo=UTC)
SUNNY = "阳光花园"
RIVER = "Riverside"

REGISTER: dict[str, RegisterEntry] = {
    e.unit_id: e
    for e in [
        RegisterEntry("YG-3-2-502", SUNNY, 1, building="3", entrance="2", floor="5", room="502"),
        RegisterEntry("YG-3-2-501", SUNNY, 2, building="3", entrance="2", floor="5", room="501"),
        RegisterEntry("YG-3-1-502", SUNNY, 0, building="3", entrance="1", floor="5", room="502"),
        RegisterEntry("YG-1-1-101", SUNNY, 0, building="1", entrance="1", floor="1", room="101"),
        RegisterEntry("RS-A-0801", RIVER, 3, building="A", floor="8", room="0801"),
    ]
}


def context(**overrides: object) -> SurveyContext:
    values: dict[str, object] = {"register": REGISTER, "tz": TZ, "now": NOW, **overrides}
    return SurveyContext(**values)  # type: ignore[arg-type]


def local_ts(text: str) -> float:
    """Unix seconds of a local Shanghai time like ``2024-05-14 21:30``."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ).timestamp()
