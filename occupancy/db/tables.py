"""Database tables for the register, flags and detection runs (SQLAlchemy 2 ORM).

Pydantic schemas for the API live apart, in ``occupancy/api/schemas.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: Review states after which a flag is no longer open; detection then raises a new one.
CLOSED_FLAG_STATES = ("resolved", "dismissed", "closed", "withdrawn")
#: A flag nobody has acted on yet; detection may withdraw it when its evidence is gone.
NEW_FLAG_STATE = "new"
#: Set by detection, never by a person: a later run no longer saw what raised the flag.
WITHDRAWN_FLAG_STATE = "withdrawn"


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Unit(Base):
    """One dwelling in the move-in register."""

    __tablename__ = "units"

    unit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    community: Mapped[str] = mapped_column(String(64), index=True)
    grid: Mapped[str] = mapped_column(String(64), default="", index=True)
    building: Mapped[str] = mapped_column(String(32), default="")
    entrance: Mapped[str] = mapped_column(String(32), default="")
    floor: Mapped[str] = mapped_column(String(16), default="")
    room: Mapped[str] = mapped_column(String(32), default="")
    registered_occupants: Mapped[int] = mapped_column(Integer, default=0)
    vulnerable: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


#: A detection run started by the scheduler every hour: vulnerable residents only.
WELFARE_RUN = "welfare"
#: A detection run started by the scheduler each night over the last whole days.
NIGHTLY_RUN = "nightly"
#: A detection run started by a person (``occupancy detect``).
MANUAL_RUN = "manual"
RUN_KINDS = (NIGHTLY_RUN, WELFARE_RUN, MANUAL_RUN)


class DetectionRun(Base):
    """One pass of the detector, so every flag can say which run and model raised it, and a
    secretary can see when detection last ran and whether it failed.

    A run is recorded when it starts (``finished_at`` empty while it runs, or forever if the
    process died); a failed run keeps its ``error`` and flags nothing.
    """

    __tablename__ = "detection_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), default=MANUAL_RUN, index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    window_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    model_version: Mapped[str] = mapped_column(String(128), default="")
    units_scored: Mapped[int] = mapped_column(Integer, default=0)
    flags_raised: Mapped[int] = mapped_column(Integer, default=0)
    flags_created: Mapped[int] = mapped_column(Integer, default=0)
    flags_updated: Mapped[int] = mapped_column(Integer, default=0)
    flags_withdrawn: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class Flag(Base):
    """A prompt for a visit. Re-running detection updates the open flag of a unit and kind
    instead of adding another."""

    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    unit_id: Mapped[str] = mapped_column(String(64), index=True)
    community: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    state: Mapped[str] = mapped_column(String(16), default="new", index=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[float] = mapped_column(Float)
    probability: Mapped[float | None] = mapped_column(Float)
    evidence_text: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("detection_runs.id"))
    first_raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
