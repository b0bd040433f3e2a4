"""The schema as released before migrations, frozen: what ``Base.metadata.create_all`` made
in databases that now have to be upgraded in place.

Copied from ``occupancy/db/tables.py`` and ``occupancy/lights/record.py`` of those releases
(git d410141~1 and d410141) as plain Core tables, so later model changes cannot alter them.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)


def _units(md: MetaData) -> Table:
    return Table(
        "units",
        md,
        Column("unit_id", String(64), primary_key=True),
        Column("community", String(64), nullable=False, index=True),
        Column("grid", String(64), nullable=False, index=True),
        Column("building", String(32), nullable=False),
        Column("entrance", String(32), nullable=False),
        Column("floor", String(16), nullable=False),
        Column("room", String(32), nullable=False),
        Column("registered_occupants", Integer, nullable=False),
        Column("vulnerable", Boolean, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )


def _flags(md: MetaData) -> Table:
    return Table(
        "flags",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("unit_id", String(64), nullable=False, index=True),
        Column("community", String(64), nullable=False, index=True),
        Column("kind", String(32), nullable=False, index=True),
        Column("state", String(16), nullable=False, index=True),
        Column("urgent", Boolean, nullable=False),
        Column("score", Float, nullable=False),
        Column("probability", Float),
        Column("evidence_text", Text, nullable=False),
        Column("evidence", JSON, nullable=False),
        Column("run_id", Integer, ForeignKey("detection_runs.id")),
        Column("first_raised_at", DateTime(timezone=True), nullable=False),
        Column("last_raised_at", DateTime(timezone=True), nullable=False),
    )


def _run_columns() -> list[Column]:
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("started_at", DateTime(timezone=True), nullable=False),
        Column("finished_at", DateTime(timezone=True)),
        Column("window_start", DateTime(timezone=True), nullable=False),
        Column("window_end", DateTime(timezone=True), nullable=False),
        Column("model_version", String(128), nullable=False),
        Column("units_scored", Integer, nullable=False),
        Column("flags_raised", Integer, nullable=False),
    ]


def release_0001() -> MetaData:
    """Units, detection runs without kinds, flags (before the scheduled runs)."""
    md = MetaData()
    _units(md)
    Table("detection_runs", md, *_run_columns())
    _flags(md)
    return md


def release_0002(*, lights: bool = True) -> MetaData:
    """Runs with kinds and counts; the night-count table only where a count was imported
    (it was created on first use), hence ``lights``."""
    md = MetaData()
    _units(md)
    Table(
        "detection_runs",
        md,
        *_run_columns(),
        Column("kind", String(16), nullable=False, index=True),
        Column("flags_created", Integer, nullable=False),
        Column("flags_updated", Integer, nullable=False),
        Column("flags_withdrawn", Integer, nullable=False),
        Column("error", Text),
    )
    _flags(md)
    if lights:
        Table(
            "lights_observations",
            md,
            Column("id", Integer, primary_key=True, autoincrement=True),
            Column("unit_id", String(64), nullable=False),
            Column("ts", Float, nullable=False, index=True),
            Column("community", String(64), nullable=False, index=True),
            Column("building", String(32), nullable=False),
            Column("lit", Boolean, nullable=False),
            Column("observer", String(64), nullable=False),
            Column("note", String(200), nullable=False),
            Column("source", String(200), nullable=False),
            Column("recorded_at", DateTime(timezone=True), nullable=False),
            UniqueConstraint("unit_id", "ts", name="uq_lights_observation"),
        )
    return md
