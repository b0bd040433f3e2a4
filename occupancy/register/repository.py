"""The register in the database: upsert ``Unit`` rows and read them back as ``RegisterEntry``.

An import is all-or-nothing: the file is validated completely before the database is touched,
and all writes share one transaction, so a half-imported register can never mislead the
detector into flagging homes whose rows simply did not arrive.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from occupancy.db.session import session_scope
from occupancy.db.tables import Unit, utcnow
from occupancy.register.csvfile import parse_register_csv
from occupancy.register.entry import RegisterEntry

#: Register fields stored on ``Unit`` (every ``RegisterEntry`` field).
_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(RegisterEntry))
#: Keys per ``IN (...)`` query; well under SQLite's and PostgreSQL's bound-parameter limits.
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """How many units an import added, changed and found already up to date."""

    created: int
    updated: int
    unchanged: int
    warnings: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def import_entries(session: Session, entries: Iterable[RegisterEntry]) -> ImportSummary:
    """Insert or update one ``Unit`` per entry inside the caller's transaction (no commit).

    Units missing from ``entries`` are left alone: a register file may cover one community.
    Entries are trusted to be valid (see ``csvfile``); duplicate unit IDs are refused because
    which one should win is a question for a person, not for this function.
    """
    entries = list(entries)
    duplicates = sorted(uid for uid, n in Counter(e.unit_id for e in entries).items() if n > 1)
    if duplicates:
        raise ValueError(f"unit_id appears more than once: {', '.join(duplicates)}")
    existing = _existing_units(session, [entry.unit_id for entry in entries])
    created = updated = unchanged = 0
    for entry in entries:
        unit = existing.get(entry.unit_id)
        if unit is None:
            session.add(Unit(**{name: getattr(entry, name) for name in _FIELDS}))
            created += 1
        elif to_entry(unit) == entry:
            unchanged += 1
        else:
            for name in _FIELDS:
                setattr(unit, name, getattr(entry, name))
            unit.updated_at = utcnow()
            updated += 1
    session.flush()
    return ImportSummary(created=created, updated=updated, unchanged=unchanged)


def import_register_file(db_url: str, path: str | Path) -> ImportSummary:
    """Validate a register CSV, then import it in one transaction; all or nothing.

    Raises ``RegisterImportError`` (before connecting to the database) if any row is bad.
    """
    parsed = parse_register_csv(path)
    with session_scope(db_url) as session:
        summary = import_entries(session, parsed.entries)
    return ImportSummary(
        summary.created, summary.updated, summary.unchanged, warnings=tuple(parsed.warnings)
    )


def load_register(session: Session, community: str | None = None) -> dict[str, RegisterEntry]:
    """The register keyed by unit_id (optionally one community), ordered by unit_id."""
    query = select(Unit).order_by(Unit.unit_id)
    if community is not None:
        query = query.where(Unit.community == community)
    return {unit.unit_id: to_entry(unit) for unit in session.scalars(query)}


def to_entry(unit: Unit) -> RegisterEntry:
    """A database row as the plain value the detector and flags use."""
    return RegisterEntry(**{name: getattr(unit, name) for name in _FIELDS})


def _existing_units(session: Session, unit_ids: list[str]) -> dict[str, Unit]:
    found: dict[str, Unit] = {}
    for start in range(0, len(unit_ids), _CHUNK):
        chunk = unit_ids[start : start + _CHUNK]
        for unit in session.scalars(select(Unit).where(Unit.unit_id.in_(chunk))):
            found[unit.unit_id] = unit
    return found
