"""The register in the database: upsert ``Unit`` rows, keep their history, read them back.

An import is all-or-nothing: the file is validated completely before the database is touched,
and all writes share one transaction, so a half-imported register can never mislead the
detector into flagging homes whose rows simply did not arrive. Every unit created or changed
also gets a ``UnitVersion`` row saying what it became, from which file or screen, and who did
it, so a wrong entry can be traced back.

Writes are bulk statements (one executemany per kind of change, not an ORM object per row):
a city register of tens of thousands of units imports in seconds on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from occupancy.db.session import session_scope
from occupancy.db.tables import (
    ASSIGNED_FLAG_STATE,
    CLOSED_FLAG_STATES,
    Flag,
    Unit,
    UnitVersion,
    User,
    utcnow,
)
from occupancy.register.entry import RegisterEntry
from occupancy.register.errors import RegisterRowError
from occupancy.register.files import parse_register_file
from occupancy.register.validate import Progress

#: Register fields stored on ``Unit`` (every ``RegisterEntry`` field).
_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(RegisterEntry))
_TEXT_FIELDS = tuple(f.name for f in fields(RegisterEntry) if f.type in ("str", str))
#: Keys per ``IN (...)`` query; well under SQLite's and PostgreSQL's bound-parameter limits.
_CHUNK = 500
#: Rows per executemany, so progress moves while a big file is written.
_WRITE_BATCH = 2000
#: Imports at least this big refresh PostgreSQL's table statistics first (see
#: ``_refresh_statistics``).
_ANALYZE_ABOVE = 1000
#: ``UnitVersion.action`` values.
CREATE, UPDATE, DELETE = "create", "update", "delete"

#: Told (units written so far, units to write) during an import.
WriteProgress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """How many units an import added, changed and found already up to date.

    ``skipped`` holds the problems of rows left out when the valid rows of a file with bad
    ones were imported on request.
    """

    created: int
    updated: int
    unchanged: int
    warnings: tuple[str, ...] = ()
    skipped: tuple[RegisterRowError, ...] = ()

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def skipped_rows(self) -> int:
        return len({error.row for error in self.skipped})


def import_entries(
    session: Session,
    entries: Iterable[RegisterEntry],
    *,
    source: str = "",
    changed_by: str = "",
    simulated: bool | None = False,
    progress: WriteProgress | None = None,
) -> ImportSummary:
    """Insert or update one ``Unit`` per entry inside the caller's transaction (no commit),
    recording a ``UnitVersion`` (``source``, ``changed_by``) for each unit that changed.

    Units missing from ``entries`` are left alone: a register file may cover one community.
    Entries are trusted to be valid (see ``validate``); duplicate unit IDs are refused because
    which one should win is a question for a person, not for this function. ``simulated``
    marks the units as the simulator's (a tester sees only those); it is part of what makes
    a unit changed. ``None`` keeps each stored unit's mark (new units get False): an import by
    someone who may not set it must not clear it either.
    """
    entries = list(entries)
    duplicates = sorted(uid for uid, n in Counter(e.unit_id for e in entries).items() if n > 1)
    if duplicates:
        raise ValueError(f"unit_id appears more than once: {', '.join(duplicates)}")
    session.flush()  # the caller's pending changes go first; the bulk writes bypass the ORM
    if len(entries) >= _ANALYZE_ABOVE:
        _refresh_statistics(session)
    stored = _stored_values(session, [entry.unit_id for entry in entries])
    now = utcnow()
    creates: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    for entry in entries:
        values = {name: getattr(entry, name) for name in _FIELDS}
        before = stored.get(entry.unit_id)
        mark = bool(before and before["simulated"]) if simulated is None else simulated
        values["simulated"] = mark
        if before == values:
            continue
        action = CREATE if before is None else UPDATE
        (creates if before is None else updates).append({**values, "updated_at": now})
        versions.append(_version(entry, mark, action, source, changed_by, now))
    total = len(creates) + len(updates)
    done = 0
    # executemany per batch: the drivers send rows fast (psycopg pipelines them), while a
    # multi-row VALUES statement would cost SQLAlchemy seconds to compile per batch.
    for statement, rows in ((insert(Unit), creates), (update(Unit), updates)):
        for start in range(0, len(rows), _WRITE_BATCH):
            batch = rows[start : start + _WRITE_BATCH]
            session.execute(statement, batch)  # ORM bulk INSERT / UPDATE by primary key
            done += len(batch)
            if progress is not None:
                progress(done, total)
    for start in range(0, len(versions), _WRITE_BATCH):
        session.execute(insert(UnitVersion), versions[start : start + _WRITE_BATCH])
    _move_open_flags(
        session,
        {
            row["unit_id"]: row["community"]
            for row in updates
            if stored[row["unit_id"]]["community"] != row["community"]
        },
        changed_by,
    )
    _expire_loaded(session, {row["unit_id"] for row in updates})
    return ImportSummary(created=len(creates), updated=len(updates), unchanged=len(entries) - total)


def import_register_file(
    db_url: str,
    path: str | Path,
    *,
    sheet: str | None = None,
    skip_bad: bool = False,
    simulated: bool = False,
    changed_by: str = "cli",
    read_progress: Progress | None = None,
    write_progress: WriteProgress | None = None,
) -> ImportSummary:
    """Validate a register CSV or XLSX file, then import it in one transaction.

    Raises ``RegisterImportError`` (before connecting to the database) if any row is bad,
    unless ``skip_bad``: then the valid rows are imported and the bad ones' problems come
    back in the summary's ``skipped``. History rows name the file as ``import:NAME``.
    """
    path = Path(path)
    parsed = parse_register_file(path, sheet=sheet, skip_bad=skip_bad, progress=read_progress)
    with session_scope(db_url) as session:
        summary = import_entries(
            session,
            parsed.entries,
            source=f"import:{path.name}",
            changed_by=changed_by,
            simulated=simulated,
            progress=write_progress,
        )
    return ImportSummary(
        summary.created,
        summary.updated,
        summary.unchanged,
        warnings=tuple(parsed.warnings),
        skipped=tuple(parsed.skipped),
    )


def load_register(
    session: Session, community: str | None = None, *, as_of: date | None = None
) -> dict[str, RegisterEntry]:
    """The register keyed by unit_id (optionally one community), ordered by unit_id.

    With ``as_of``, each entry is as detection should judge it on that day: a household that
    had not moved in yet or had moved out by then counts nobody registered and nobody
    vulnerable (the unit stays in the register: it is still a dwelling to watch).
    """
    query = select(Unit).order_by(Unit.unit_id)
    if community is not None:
        query = query.where(Unit.community == community)
    entries = (to_entry(unit) for unit in session.scalars(query))
    if as_of is None:
        return {entry.unit_id: entry for entry in entries}
    return {entry.unit_id: entry.as_of(as_of) for entry in entries}


def unit_history(session: Session, unit_id: str) -> list[UnitVersion]:
    """Every recorded version of a unit's entry, oldest first."""
    query = (
        select(UnitVersion)
        .where(UnitVersion.unit_id == unit_id)
        .order_by(UnitVersion.changed_at, UnitVersion.id)
    )
    return list(session.scalars(query))


def delete_unit(
    session: Session, unit_id: str, *, source: str = "", changed_by: str = ""
) -> Unit | None:
    """Remove a unit from the register inside the caller's transaction (no commit); returns
    the removed row, or None when there was none.

    A ``delete`` ``UnitVersion`` keeps the entry as it was, so the register of any earlier day
    can still be read back. The unit's flags stay: they are the history of what detection saw
    there, and an open one is still a prompt for a visit (the flat did not stop existing
    because its register row went).
    """
    unit = session.get(Unit, unit_id)
    if unit is None:
        return None
    entry = to_entry(unit)
    session.add(
        UnitVersion(**_version(entry, bool(unit.simulated), DELETE, source, changed_by, utcnow()))
    )
    session.delete(unit)
    session.flush()
    return unit


def _move_open_flags(session: Session, moves: dict[str, str], changed_by: str) -> None:
    """Open flags follow their unit to its new community, so the new community's secretary
    sees them on their dashboard and the old one's no longer does. A flag on the list of a
    worker of the old community goes back to ``new``: that worker may no longer see the unit,
    and the new community's secretary decides who visits."""
    if moves:
        _unassign_moved(session, moves, changed_by)
    by_community: dict[str, list[str]] = {}
    for unit_id, community in moves.items():
        by_community.setdefault(community, []).append(unit_id)
    for community, unit_ids in by_community.items():
        for start in range(0, len(unit_ids), _CHUNK):
            session.execute(
                update(Flag)
                .where(
                    Flag.unit_id.in_(unit_ids[start : start + _CHUNK]),
                    Flag.state.not_in(CLOSED_FLAG_STATES),
                )
                .values(community=community)
                .execution_options(synchronize_session=False)
            )


def _unassign_moved(session: Session, moves: dict[str, str], changed_by: str) -> None:
    from occupancy.workflow.actions import unassign

    actor = _Actor(changed_by or "register")
    unit_ids = list(moves)
    for start in range(0, len(unit_ids), _CHUNK):
        rows = session.execute(
            select(Flag, User.community)
            .join(User, User.id == Flag.assigned_to_id)
            .where(
                Flag.unit_id.in_(unit_ids[start : start + _CHUNK]),
                Flag.state == ASSIGNED_FLAG_STATE,
            )
        ).all()
        for flag, worker_community in rows:
            if worker_community != moves[flag.unit_id]:
                unassign(session, flag, by=actor, note="the unit moved to another community")


@dataclass(frozen=True)
class _Actor:
    """Who the flag history names for changes a register update makes."""

    username: str
    user_id: int | None = None
    role: str = "secretary"


def to_entry(unit: Unit) -> RegisterEntry:
    """A database row as the plain value the detector and flags use."""
    values = {name: getattr(unit, name) for name in _FIELDS}
    for name in _TEXT_FIELDS:  # rows from before a column existed may hold NULL
        if values[name] is None:
            values[name] = ""
    return RegisterEntry(**values)


def _version(
    entry: RegisterEntry, simulated: bool, action: str, source: str, changed_by: str, now: Any
) -> dict[str, Any]:
    return {
        "unit_id": entry.unit_id,
        "community": entry.community,
        "action": action,
        "values": {**entry.to_json(), "simulated": simulated},
        "source": source,
        "changed_by": changed_by,
        "changed_at": now,
    }


def _refresh_statistics(session: Session) -> None:
    """ANALYZE the units table on PostgreSQL before a big import, as its manual advises after
    bulk loading. Without statistics (a register imported moments ago, before autovacuum
    came by) the planner takes the table for empty and scans it whole for each of the
    import's thousands of key lookups and updates once psycopg prepares the statements:
    minutes instead of seconds for 20,000 rows.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE units"))


def _stored_values(session: Session, unit_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The stored register values of these units, as plain dicts (no ORM objects to track)."""
    columns = [getattr(Unit, name) for name in (*_FIELDS, "simulated")]
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(unit_ids), _CHUNK):
        chunk = unit_ids[start : start + _CHUNK]
        for row in session.execute(select(*columns).where(Unit.unit_id.in_(chunk))):
            found[row.unit_id] = row._asdict()
    return found


def _expire_loaded(session: Session, unit_ids: set[str]) -> None:
    """Units the caller already loaded would show their old values: bulk updates by primary
    key do not touch the session's objects."""
    if not unit_ids:
        return
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Unit) and obj.unit_id in unit_ids:
            session.expire(obj)
