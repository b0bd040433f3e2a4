"""The record of night counts in the database: who saw which unit lit or dark, and when.

The readings store holds the evidence the detector uses (a ``LightReading`` per
observation), but it cannot answer "what did the counts find this week": its protocol only
returns hourly shares, merged with the sensors' readings, without the observer or building.
So every saved observation is also kept here, keyed like the store (unit and moment), and
``GET /api/lights/surveys`` lists this record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Boolean,
    ColumnElement,
    DateTime,
    Float,
    Integer,
    String,
    UniqueConstraint,
    func,
    insert,
    select,
    tuple_,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from occupancy.db.tables import Base, utcnow
from occupancy.lights.observation import SurveyObservation

#: Keys per ``IN (...)`` query; well under SQLite's and PostgreSQL's bound-parameter limits.
_CHUNK = 400


class LightsObservation(Base):
    """One unit seen lit or dark at one moment by a grid worker (night count).

    The table is made by the migrations (``occupancy/db/migrations``, revision 0002), like
    every other table, and its rows expire with the raw readings (``occupancy.retention``).
    """

    __tablename__ = "lights_observations"
    __table_args__ = (UniqueConstraint("unit_id", "ts", name="uq_lights_observation"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    unit_id: Mapped[str] = mapped_column(String(64))
    #: Unix seconds (UTC), as in the readings store: zone-free on every database.
    ts: Mapped[float] = mapped_column(Float, index=True)
    community: Mapped[str] = mapped_column(String(64), index=True)
    building: Mapped[str] = mapped_column(String(32), default="")
    lit: Mapped[bool] = mapped_column(Boolean)
    observer: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(String(200), default="")
    #: ``api`` or ``sheet:FILENAME``.
    source: Mapped[str] = mapped_column(String(200), default="")
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


@dataclass(frozen=True, slots=True)
class RecordSummary:
    """How many observations were new, changed (lit, observer or note) or already recorded."""

    new: int
    changed: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.new + self.changed + self.unchanged


def record_observations(
    session: Session, observations: Sequence[SurveyObservation], *, source: str
) -> RecordSummary:
    """Insert or update one row per observation inside the caller's transaction (no commit).

    The same unit and moment again updates the row (as the store replaces its reading), so
    importing a sheet twice records nothing new.
    """
    existing = _existing(session, [(o.unit_id, o.ts) for o in observations])
    inserts: dict[tuple[str, float], dict[str, object]] = {}
    changed = unchanged = 0
    now = utcnow()
    for o in observations:
        key = (o.unit_id, o.ts)
        values: dict[str, object] = {
            "community": o.community,
            "building": o.building,
            "lit": o.lit,
            "observer": o.observer,
            "note": o.note,
        }
        row = existing.get(key)
        if row is None:
            # A key twice in one batch (callers check sheets for this): the last one wins.
            inserts[key] = {
                "unit_id": o.unit_id,
                "ts": o.ts,
                "source": source,
                "recorded_at": now,
                **values,
            }
        elif all(getattr(row, name) == value for name, value in values.items()):
            unchanged += 1
        else:
            for name, value in values.items():
                setattr(row, name, value)
            row.source = source
            row.recorded_at = now
            changed += 1
    if inserts:
        # One executemany instead of an ORM object per row: a 5,000-unit estate in a second.
        session.execute(insert(LightsObservation), list(inserts.values()))
    session.flush()
    return RecordSummary(new=len(inserts), changed=changed, unchanged=unchanged)


def list_observations(
    session: Session,
    *,
    community: str | None = None,
    building: str | None = None,
    since: float | None = None,
    limit: int = 100,
    offset: int = 0,
    where: ColumnElement[bool] | None = None,
) -> tuple[list[LightsObservation], int]:
    """Recorded observations, newest first, and how many match in total (for paging);
    ``where`` narrows them to what the reader may see."""
    query = select(LightsObservation)
    if where is not None:
        query = query.where(where)
    if community is not None:
        query = query.where(LightsObservation.community == community)
    if building is not None:
        query = query.where(LightsObservation.building == building)
    if since is not None:
        query = query.where(LightsObservation.ts >= since)
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(LightsObservation.ts.desc(), LightsObservation.unit_id)
    return list(session.scalars(ordered.limit(limit).offset(offset))), count


def _existing(
    session: Session, keys: Iterable[tuple[str, float]]
) -> dict[tuple[str, float], LightsObservation]:
    keys = list(dict.fromkeys(keys))
    found: dict[tuple[str, float], LightsObservation] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        query = select(LightsObservation).where(
            tuple_(LightsObservation.unit_id, LightsObservation.ts).in_(chunk)
        )
        for row in session.scalars(query):
            found[(row.unit_id, row.ts)] = row
    return found
