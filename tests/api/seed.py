"""Test data for the web service: what is seeded and the names tests assert against."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from occupancy.api.consumption import window_start
from occupancy.config import Settings
from occupancy.db.session import session_scope
from occupancy.db.tables import Flag, Unit
from occupancy.flags.record import METER_OFFLINE, REGISTERED_SILENT, UNREGISTERED_ACTIVITY
from occupancy.readings import IntervalEnergy, LightReading
from occupancy.store import open_store

#: The pinned clock: Wednesday 15 May 2024, 10:30 in Shanghai. The 7-day window then runs from
#: Thursday 9 May 00:00 to the end of the 15th, and hours after 10:00 today are unmeasured.
NOW = datetime(2024, 5, 15, 2, 30, tzinfo=UTC)
TZ_NAME = "Asia/Shanghai"
WINDOW_DAYS = 7

SUNNY = "阳光花园"
RIVER = "Riverside"
#: Registered, vulnerable, urgently flagged as silent, and the one unit with meter data.
METERED_UNIT = "YG-3-2-502"
#: Flagged but in no register row.
UNREGISTERED_UNIT = "YG-9-9-909"
#: A unit id and evidence written by someone hostile: pages must show them as text.
EVIL_UNIT = '<script>alert("unit")</script>'
EVIL_EVIDENCE = "<img src=x onerror=alert(1)> used 3.2 kWh at night"
#: Evidence of a meter silent for the whole window, in the detector's format.
OFFLINE_EVIDENCE = {"kind": "meter_offline", "in_window": False, "hours_total": 168}
#: Hours (from the window start) with no readings for METERED_UNIT.
GAP_HOURS = range(30, 50)


@dataclass(frozen=True)
class Seeded:
    """Ids and counts the tests assert against."""

    flag_ids: dict[str, int]
    measured_hours: int
    window_start: datetime


def _flag(**fields: object) -> Flag:
    defaults: dict[str, object] = {
        "state": "new",
        "urgent": False,
        "probability": 0.5,
        "evidence": {},
        "first_raised_at": NOW - timedelta(days=2),
        "last_raised_at": NOW - timedelta(hours=3),
    }
    return Flag(**{**defaults, **fields})


def seed_database(settings: Settings) -> dict[str, int]:
    """Two communities; flags of every kind, one urgent (scored below the top non-urgent
    flag, so the ordering is tested), one dismissed, and one hostile unit. Returns flag ids."""
    units = [
        Unit(
            unit_id=METERED_UNIT,
            community=SUNNY,
            grid="G1",
            building="3",
            entrance="2",
            floor="5",
            room="502",
            registered_occupants=1,
            vulnerable=True,
        ),
        Unit(
            unit_id="YG-1-1-101",
            community=SUNNY,
            grid="G1",
            building="1",
            entrance="1",
            floor="1",
            room="101",
            registered_occupants=0,
        ),
        Unit(
            unit_id="YG-1-1-102",
            community=SUNNY,
            grid="G1",
            building="1",
            entrance="1",
            floor="1",
            room="102",
            registered_occupants=2,
        ),
        Unit(
            unit_id="YG-2-1-201",
            community=SUNNY,
            grid="G1",
            building="2",
            entrance="1",
            floor="2",
            room="201",
            registered_occupants=2,
        ),
        Unit(
            unit_id="RS-A-0801",
            community=RIVER,
            grid="R2",
            building="A",
            entrance="",
            floor="8",
            room="0801",
            registered_occupants=3,
        ),
        Unit(unit_id=EVIL_UNIT, community=RIVER, building="<b>B</b>", room="1"),
    ]
    flags = {
        "top_score": _flag(
            unit_id="YG-1-1-101",
            community=SUNNY,
            kind=UNREGISTERED_ACTIVITY,
            score=0.93,
            probability=0.91,
            evidence={"night_kwh": 3.2, "active_days": 6},
            evidence_text="Used 3.2 kWh per night on 6 of 7 days.",
        ),
        "urgent": _flag(
            unit_id=METERED_UNIT,
            community=SUNNY,
            kind=REGISTERED_SILENT,
            score=0.71,
            probability=0.05,
            urgent=True,
            evidence={"daily_kwh": 0.1, "silent_days": 5},
            evidence_text="Almost no use (0.1 kWh a day) for 5 days.",
        ),
        "offline": _flag(
            unit_id="YG-1-1-102",
            community=SUNNY,
            kind=METER_OFFLINE,
            score=0.55,
            probability=None,
            # Shaped like occupancy.flags.evidence writes it, so its zh renderer can run.
            evidence=OFFLINE_EVIDENCE,
            evidence_text="no meter readings in the 168-hour window",
        ),
        "unregistered": _flag(
            unit_id=UNREGISTERED_UNIT,
            community=SUNNY,
            kind=UNREGISTERED_ACTIVITY,
            score=0.62,
            evidence={"evening_lights": 0.8},
            evidence_text="Lights on most evenings.",
        ),
        "dismissed": _flag(
            unit_id="YG-1-1-102",
            community=SUNNY,
            kind=REGISTERED_SILENT,
            score=0.99,
            state="dismissed",
            evidence={"daily_kwh": 0.0},
            evidence_text="Dismissed after a visit.",
        ),
        "river": _flag(
            unit_id="RS-A-0801",
            community=RIVER,
            kind=REGISTERED_SILENT,
            score=0.8,
            evidence={"daily_kwh": 0.05},
            evidence_text="Quiet for a week.",
        ),
        "evil": _flag(
            unit_id=EVIL_UNIT,
            community=RIVER,
            kind=UNREGISTERED_ACTIVITY,
            score=0.4,
            evidence={"night_kwh": 1.0},
            evidence_text=EVIL_EVIDENCE,
        ),
    }
    with session_scope(settings.resolved_db_url) as session:
        session.add_all(units)
        session.add_all(flags.values())
        session.flush()
        return {name: flag.id for name, flag in flags.items()}


def seed_store(settings: Settings, start: datetime) -> int:
    """Hourly intervals for METERED_UNIT from ``start`` until NOW except GAP_HOURS, every
    fourth hour measured at zero; lights observed each evening. Returns the measured hours."""
    t0 = start.timestamp()
    elapsed = int((NOW.timestamp() - t0) // 3600)
    energy = [
        IntervalEnergy(
            SUNNY,
            METERED_UNIT,
            t0 + h * 3600,
            t0 + (h + 1) * 3600,
            0.0 if h % 4 == 0 else 0.05 + 0.01 * (h % 24),
        )
        for h in range(elapsed)
        if h not in GAP_HOURS
    ]
    lights = [
        LightReading(SUNNY, METERED_UNIT, t0 + h * 3600 + 600, on=h % 24 in (19, 20, 21))
        for h in range(elapsed)
        if h % 24 >= 18
    ]
    store = open_store(settings.resolved_store_url)
    try:
        store.write(energy=energy, lights=lights)
    finally:
        store.close()
    return len(energy)


def seed(settings: Settings) -> Seeded:
    start = window_start(WINDOW_DAYS, settings.tz, NOW)
    flag_ids = seed_database(settings)
    return Seeded(flag_ids=flag_ids, measured_hours=seed_store(settings, start), window_start=start)
