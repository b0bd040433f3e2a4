"""Alembic migrations on real SQLite and PostgreSQL: a new database reaches exactly the
models' schema, databases made before migrations are upgraded with their data, and
history tables refuse to be rewritten."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, insert, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from occupancy.db.migrate import (
    current_revision,
    downgrade_database,
    head_revision,
    upgrade_database,
)
from occupancy.db.models import metadata
from occupancy.db.session import get_engine, session_scope
from occupancy.db.tables import AuditEvent, DetectionRun, Flag, FlagEvent, Unit, UnitVersion
from occupancy.lights.record import LightsObservation
from tests.db import legacy

T = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def schema_diff(url: str) -> list:
    """What Alembic's autogenerate would change to make the database match the models."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


# -- a new database -------------------------------------------------------------------------
def test_a_new_database_gets_exactly_the_models_schema(db_url: str) -> None:
    result = upgrade_database(db_url)
    assert (result.before, result.after, result.stamped_legacy) == (None, head_revision(), False)
    assert schema_diff(db_url) == []
    assert tables(db_url) == set(metadata.tables) | {"alembic_version"}


def test_the_comparison_sees_a_schema_that_is_behind(db_url: str) -> None:
    """The check above could pass vacuously; one revision short it must not."""
    upgrade_database(db_url, "0002")
    diff = schema_diff(db_url)
    added = {d[1].name for d in diff if d[0] == "add_table"}
    assert {"users", "audit_events", "flag_events", "unit_versions"} <= added
    assert any(d[0] == "add_column" and d[3].name == "assigned_to_id" for d in diff)


def test_upgrading_twice_changes_nothing(db_url: str) -> None:
    upgrade_database(db_url)
    again = upgrade_database(db_url)
    assert again.before == again.after == head_revision()
    assert not again.changed
    assert schema_diff(db_url) == []


def test_get_engine_upgrades_on_open(db_url: str) -> None:
    engine = get_engine(db_url)
    assert current_revision(engine) == head_revision()
    with session_scope(db_url) as session:
        session.add(Unit(unit_id="U-1", community="幸福里", move_in=date(2025, 5, 1)))
    with session_scope(db_url) as session:
        assert session.get(Unit, "U-1").move_in == date(2025, 5, 1)


def test_downgrade_to_base_and_back(db_url: str) -> None:
    upgrade_database(db_url)
    downgrade_database(db_url, "0002")
    assert current_revision(db_url) == "0002"
    assert "audit_events" not in tables(db_url)
    downgrade_database(db_url, "base")
    assert tables(db_url) <= {"alembic_version"}
    upgrade_database(db_url)
    assert schema_diff(db_url) == []


def test_two_processes_upgrading_at_once_both_succeed(db_url: str) -> None:
    """Each thread has its own engine and connection, as two processes would."""
    barrier = threading.Barrier(4)
    results: list[object] = []

    def upgrade() -> None:
        barrier.wait()
        try:
            results.append(upgrade_database(db_url))
        except Exception as exc:  # pragma: no cover - the assertion shows it
            results.append(exc)

    threads = [threading.Thread(target=upgrade) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert all(not isinstance(r, Exception) for r in results), results
    assert sorted(r.before is None for r in results) == [False, False, False, True]
    assert schema_diff(db_url) == []


def test_a_database_from_a_newer_release_is_refused_unchanged(db_url: str) -> None:
    upgrade_database(db_url)
    engine = _engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(RuntimeError, match="revision 0099.*newer release"):
        upgrade_database(db_url)
    assert current_revision(db_url) == "0099"
    engine = _engine(db_url)
    with engine.begin() as conn:  # put it back, so the fixture's teardown can open it
        conn.execute(text(f"UPDATE alembic_version SET version_num = '{head_revision()}'"))
    engine.dispose()


# -- databases made before migrations ------------------------------------------------------
def _engine(url: str) -> Engine:
    return create_engine(url)


def fill_release_0001(url: str) -> None:
    md = legacy.release_0001()
    engine = _engine(url)
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(md.tables["units"]),
            [
                {
                    "unit_id": "XF-1-1-101",
                    "community": "幸福里",
                    "grid": "G1",
                    "building": "1",
                    "entrance": "1",
                    "floor": "1",
                    "room": "101",
                    "registered_occupants": 2,
                    "vulnerable": True,
                    "updated_at": T,
                }
            ],
        )
        conn.execute(
            insert(md.tables["detection_runs"]),
            [
                {
                    "id": 7,
                    "started_at": T,
                    "finished_at": T,
                    "window_start": T,
                    "window_end": T,
                    "model_version": "old-model",
                    "units_scored": 1,
                    "flags_raised": 2,
                }
            ],
        )
        flag = {
            "unit_id": "XF-1-1-101",
            "community": "幸福里",
            "kind": "unregistered_occupancy",
            "urgent": False,
            "score": 0.9,
            "probability": 0.8,
            "evidence_text": "lights on 5 of 7 nights",
            "evidence": {"nights": 5},
            "run_id": 7,
            "first_raised_at": T,
            "last_raised_at": T,
        }
        conn.execute(
            insert(md.tables["flags"]),
            [{**flag, "state": "resolved"}, {**flag, "state": "new", "urgent": True}],
        )
    engine.dispose()


def test_a_release_0001_database_is_upgraded_with_its_data(db_url: str) -> None:
    fill_release_0001(db_url)
    result = upgrade_database(db_url)
    assert result.stamped_legacy and result.after == head_revision()
    assert schema_diff(db_url) == []
    with session_scope(db_url) as session:
        unit = session.get(Unit, "XF-1-1-101")
        assert (unit.community, unit.room, unit.vulnerable) == ("幸福里", "101", True)
        assert (unit.district, unit.simulated, unit.move_in) == ("", False, None)
        run = session.get(DetectionRun, 7)
        assert (run.kind, run.model_version, run.flags_created, run.error) == (
            "manual",
            "old-model",
            0,
            None,
        )
        old, new = session.scalars(select(Flag).order_by(Flag.urgent)).all()
        # ``resolved`` is the old closed state; it is ``closed`` now, closed when last seen.
        assert old.state == "closed" and old.closed_at is not None
        assert (new.state, new.closed_at, new.evidence, new.run_id) == (
            "new",
            None,
            {"nights": 5},
            7,
        )
        assert (new.outcome_note, new.dismiss_reason, new.assigned_to_id) == ("", "", None)
        # New rows work alongside the old ones.
        session.add(Flag(unit_id="XF-1-1-101", community="幸福里", kind="k", score=1.0))
        session.add(LightsObservation(unit_id="XF-1-1-101", ts=1.0, community="幸福里", lit=True))


@pytest.mark.parametrize("lights", [True, False], ids=["with-lights", "without-lights"])
def test_a_release_0002_database_is_upgraded_with_its_data(db_url: str, lights: bool) -> None:
    md = legacy.release_0002(lights=lights)
    engine = _engine(db_url)
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(md.tables["detection_runs"]),
            [
                {
                    "id": 3,
                    "kind": "nightly",
                    "started_at": T,
                    "window_start": T,
                    "window_end": T,
                    "model_version": "m",
                    "units_scored": 10,
                    "flags_raised": 1,
                    "flags_created": 1,
                    "flags_updated": 0,
                    "flags_withdrawn": 0,
                    "error": "store down",
                }
            ],
        )
        if lights:
            conn.execute(
                insert(md.tables["lights_observations"]),
                [
                    {
                        "unit_id": "U-9",
                        "ts": 1772400000.0,
                        "community": "c",
                        "building": "9",
                        "lit": True,
                        "observer": "王",
                        "note": "",
                        "source": "api",
                        "recorded_at": T,
                    }
                ],
            )
    engine.dispose()
    assert upgrade_database(db_url).stamped_legacy
    assert schema_diff(db_url) == []
    with session_scope(db_url) as session:
        run = session.get(DetectionRun, 3)
        assert (run.kind, run.units_scored, run.error) == ("nightly", 10, "store down")
        observations = list(session.scalars(select(LightsObservation)))
        assert [(o.unit_id, o.observer) for o in observations] == (
            [("U-9", "王")] if lights else []
        )


def test_a_failed_upgrade_leaves_the_database_as_it_was(db_url: str) -> None:
    """Everything runs in one transaction: a clash half way (a table of a later revision
    already there) rolls back the stamp and every earlier step."""
    fill_release_0001(db_url)
    engine = _engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE users (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(Exception, match="users"):
        upgrade_database(db_url)
    assert "alembic_version" not in tables(db_url)
    assert "lights_observations" not in tables(db_url)
    engine = _engine(db_url)
    columns = {c["name"] for c in inspect(engine).get_columns("detection_runs")}
    assert "kind" not in columns
    with engine.begin() as conn:  # the clash removed, the same database upgrades
        conn.execute(text("DROP TABLE users"))
    engine.dispose()
    assert upgrade_database(db_url).after == head_revision()


# -- append-only history -------------------------------------------------------------------
@pytest.mark.parametrize("model", [AuditEvent, UnitVersion, FlagEvent])
def test_history_tables_refuse_update_and_delete(db_url: str, model: type) -> None:
    with session_scope(db_url) as session:
        if model is FlagEvent:
            flag = Flag(unit_id="U", community="c", kind="k", score=1.0)
            session.add(flag)
            session.flush()
            row = FlagEvent(flag_id=flag.id, action="raise", to_state="new")
        elif model is UnitVersion:
            row = UnitVersion(unit_id="U", community="c", action="create", values={"a": 1})
        else:
            row = AuditEvent(username="sec", action="view", object_type="unit", object_id="U")
        session.add(row)
    table = model.__tablename__
    engine = get_engine(db_url)
    for statement in (f"UPDATE {table} SET id = id + 100", f"DELETE FROM {table}"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {table} CASCADE"))
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar() == 1
    # Appending still works.
    with session_scope(db_url) as session:
        session.add(AuditEvent(username="sec", action="view", object_type="unit"))


def test_the_orm_cannot_edit_an_audit_event_either(db_url: str) -> None:
    with session_scope(db_url) as session:
        session.add(AuditEvent(username="sec", action="view", object_type="unit", object_id="U"))
    with pytest.raises(DBAPIError, match="append-only"), session_scope(db_url) as session:
        event = session.scalars(select(AuditEvent)).one()
        event.username = "someone else"
    with session_scope(db_url) as session:
        assert session.scalars(select(AuditEvent.username)).all() == ["sec"]


@pytest.mark.parametrize("model", [AuditEvent, UnitVersion, FlagEvent])
def test_history_tables_refuse_replacing_a_row(db_url: str, model: type) -> None:
    """SQLite's ``INSERT OR REPLACE`` deletes the old row without firing DELETE triggers, and
    an upsert's ``DO UPDATE`` is an UPDATE: neither may rewrite history."""
    with session_scope(db_url) as session:
        flag = Flag(unit_id="U", community="c", kind="k", score=1.0)
        session.add(flag)
        session.flush()
        if model is FlagEvent:
            row = FlagEvent(flag_id=flag.id, action="raise", to_state="new")
        elif model is UnitVersion:
            row = UnitVersion(unit_id="U", community="c", action="create", values={"a": 1})
        else:
            row = AuditEvent(username="sec", action="view", object_type="unit", object_id="U")
        session.add(row)
    table = model.__tablename__
    engine = get_engine(db_url)
    quote = engine.dialect.identifier_preparer.quote
    columns = ", ".join(quote(c.name) for c in model.__table__.columns)
    copy = f"SELECT {columns} FROM {table} WHERE id = 1"
    statements = [f"INSERT INTO {table} ({columns}) {copy} ON CONFLICT (id) DO UPDATE SET id = 1"]
    if engine.dialect.name == "sqlite":
        statements += [
            f"INSERT OR REPLACE INTO {table} ({columns}) {copy}",
            f"REPLACE INTO {table} ({columns}) {copy}",
        ]
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar() == 1
    # A new row may still be appended with INSERT OR REPLACE (it replaces nothing).
    if engine.dialect.name == "sqlite":
        new_row = copy.replace(f"SELECT {columns}", f"SELECT {columns.replace('id', '2 AS id', 1)}")
        with engine.begin() as conn:
            conn.execute(text(f"INSERT OR REPLACE INTO {table} ({columns}) {new_row}"))
            assert conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar() == 2
