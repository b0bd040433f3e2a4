"""Database tables for the register, flags and detection runs (SQLAlchemy 2 ORM).

Pydantic schemas for the API live apart, in ``occupancy/api/schemas.py``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: A flag nobody has acted on yet; detection may withdraw it when its evidence is gone.
NEW_FLAG_STATE = "new"
#: A secretary handed the flag to a grid worker; it is on that worker's door-knock list.
ASSIGNED_FLAG_STATE = "assigned"
#: The worker went to the door and recorded an outcome; the secretary closes it.
VISITED_FLAG_STATE = "visited"
#: A person judged the flag wrong or not worth a visit, with a reason.
DISMISSED_FLAG_STATE = "dismissed"
#: Done: nothing more to do for this flag.
CLOSED_FLAG_STATE = "closed"
#: Set by detection, never by a person: a later run no longer saw what raised the flag.
WITHDRAWN_FLAG_STATE = "withdrawn"
#: Every state a flag can be in, in the order of the review workflow.
FLAG_STATES = (
    NEW_FLAG_STATE,
    ASSIGNED_FLAG_STATE,
    VISITED_FLAG_STATE,
    DISMISSED_FLAG_STATE,
    CLOSED_FLAG_STATE,
    WITHDRAWN_FLAG_STATE,
)
#: Review states after which a flag is no longer open; detection then raises a new one
#: (``resolved`` is the closed state of databases from before the review workflow).
CLOSED_FLAG_STATES = (DISMISSED_FLAG_STATE, CLOSED_FLAG_STATE, WITHDRAWN_FLAG_STATE, "resolved")
#: What a grid worker found at the door.
VISIT_OUTCOMES = (
    "found_registered",  # occupant found and registered on the spot
    "found_needs_help",  # occupant found and needs help
    "vacant",
    "no_answer",
    "refused",
    "other",
)

#: Account roles. An admin sees everything; a secretary one community; a grid worker one grid
#: of one community; a tester only units marked as simulated.
ADMIN = "admin"
SECRETARY = "secretary"
GRID_WORKER = "grid_worker"
TESTER = "tester"
ROLES = (ADMIN, SECRETARY, GRID_WORKER, TESTER)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Unit(Base):
    """One dwelling in the move-in register."""

    __tablename__ = "units"

    unit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    district: Mapped[str] = mapped_column(String(64), default="")
    street: Mapped[str] = mapped_column(String(64), default="")
    community: Mapped[str] = mapped_column(String(64), index=True)
    grid: Mapped[str] = mapped_column(String(64), default="", index=True)
    building: Mapped[str] = mapped_column(String(32), default="")
    entrance: Mapped[str] = mapped_column(String(32), default="")
    floor: Mapped[str] = mapped_column(String(16), default="")
    room: Mapped[str] = mapped_column(String(32), default="")
    registered_occupants: Mapped[int] = mapped_column(Integer, default=0)
    vulnerable: Mapped[bool] = mapped_column(Boolean, default=False)
    #: When the registered household moved in and (if it has) out; local dates.
    move_in: Mapped[date | None] = mapped_column(Date)
    move_out: Mapped[date | None] = mapped_column(Date)
    #: Made by the simulator: the only units a tester account may see.
    simulated: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UnitVersion(Base):
    """The register's history: every change of a unit's entry, appended, never edited.

    ``values`` holds the entry after the change (before it, for a delete), so the register as
    it stood on any day can be read back and a wrong import can be traced to its file.
    """

    __tablename__ = "unit_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    unit_id: Mapped[str] = mapped_column(String(64), index=True)
    community: Mapped[str] = mapped_column(String(64), index=True)
    #: ``create``, ``update`` or ``delete``.
    action: Mapped[str] = mapped_column(String(16))
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: ``import:FILENAME``, ``api`` or ``page``.
    source: Mapped[str] = mapped_column(String(200), default="")
    changed_by: Mapped[str] = mapped_column(String(64), default="")
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


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
    #: The grid worker the flag is on the door-knock list of (state ``assigned``).
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: What the worker found (one of ``VISIT_OUTCOMES``), when, and their note.
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    visited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    visited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Why a person dismissed the flag; its evidence at that moment stays in ``evidence``.
    dismiss_reason: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class FlagEvent(Base):
    """A flag's history, appended: raised, assigned, visited, dismissed, closed, withdrawn."""

    __tablename__ = "flag_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flags.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: A username, or ``detector`` for changes a detection run made.
    actor: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    #: For assignments, the worker's username.
    assignee: Mapped[str | None] = mapped_column(String(64))
    #: The run and P(occupied) the flag showed when this happened: detection keeps updating
    #: a visited flag, so labels must come from what the worker's visit actually judged.
    run_id: Mapped[int | None] = mapped_column(ForeignKey("detection_runs.id"))
    probability: Mapped[float | None] = mapped_column(Float)


class User(Base):
    """A person who signs in. Passwords are kept only as argon2 hashes."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    #: One of ``ROLES``.
    role: Mapped[str] = mapped_column(String(16))
    #: The community a secretary or grid worker serves (empty for admins and testers).
    community: Mapped[str] = mapped_column(String(64), default="", index=True)
    #: The grid a grid worker walks (empty for everyone else).
    grid: Mapped[str] = mapped_column(String(64), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiToken(Base):
    """A bearer token for scripts; only its SHA-256 is stored, so a database leak leaks none."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    """A signed-in browser. The cookie holds a random value; only its SHA-256 is stored, with
    the CSRF token forms must echo."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    """Sign-in attempts, for rate limiting that holds across processes and restarts."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64), default="", index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    success: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditEvent(Base):
    """Who viewed or changed what, and when. Append-only: no code path updates or deletes a
    row, and the migration adds database triggers that refuse to."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64), default="")
    role: Mapped[str] = mapped_column(String(16), default="")
    #: ``view``, ``create``, ``update``, ``delete``, ``import``, ``export``, ``assign``,
    #: ``visit``, ``dismiss``, ``close``, ``login``, ``login_failed``, ``logout``.
    action: Mapped[str] = mapped_column(String(16), index=True)
    #: ``unit``, ``flag``, ``register``, ``worklist``, ``labels``, ``audit``, ``user``, ...
    object_type: Mapped[str] = mapped_column(String(16), index=True)
    object_id: Mapped[str] = mapped_column(String(200), default="", index=True)
    community: Mapped[str] = mapped_column(String(64), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
