"""Bring a database to the newest schema with the Alembic migrations in ``migrations/``.

Every process that opens the database (``get_engine``) calls ``upgrade_database`` first, so
an upgraded installation needs no separate step; ``occupancy db upgrade`` does the same by
hand. No ``alembic.ini`` is needed: the configuration is built here.

Databases made before migrations existed (``create_all`` made the tables, there is no
``alembic_version``) are stamped at ``0001``; ``0002`` adds what such a file may still lack.

Two processes starting at once (the web service and the ingester, say) must not both
migrate: on PostgreSQL the upgrade holds a transaction-scoped advisory lock, on SQLite it
runs in one ``BEGIN IMMEDIATE`` transaction (SQLite's write lock). The second process waits,
then finds the database already at head and does nothing. Both databases run DDL inside the
transaction, so a failed upgrade leaves the database as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, pool, text
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
#: The revision a database made by ``create_all`` before migrations is stamped at.
LEGACY_REVISION = "0001"
#: Tables every such database has (``create_all`` made them all on first open).
LEGACY_TABLES = ("units", "detection_runs", "flags")
#: Key of the PostgreSQL advisory lock held while migrating (any fixed 64-bit number).
PG_LOCK_KEY = 0x6F63637570616E63  # "occupanc"
#: Seconds a SQLite upgrade waits for another process's write transaction.
SQLITE_WAIT_SECONDS = 120


@dataclass(frozen=True)
class UpgradeResult:
    before: str | None  # revision before (None: empty database or made before migrations)
    after: str | None
    stamped_legacy: bool  # a pre-migrations database was stamped at LEGACY_REVISION

    @property
    def changed(self) -> bool:
        return self.before != self.after or self.stamped_legacy


def alembic_config() -> Config:
    """The Alembic configuration, pointing at the package's own migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest revision (read once per process: the migrations ship with the code)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def upgrade_database(target: Engine | str, revision: str = "head") -> UpgradeResult:
    """Upgrade the database (an engine, or a URL) to ``revision``; returns what changed."""
    with _migration_connection(target) as conn:
        before = MigrationContext.configure(conn).get_current_revision()
        stamped = False
        if before is None and _made_before_migrations(conn):
            log.info("database made before migrations: stamping it at %s", LEGACY_REVISION)
            _command(conn, command.stamp, LEGACY_REVISION)
            before, stamped = LEGACY_REVISION, True
        if revision == "head" and before == head_revision():
            return UpgradeResult(before, before, stamped)
        if before is not None and before not in _known_revisions():
            raise RuntimeError(
                f"the database is at revision {before}, which this version of occupancy does "
                f"not know (its newest is {head_revision()}): it was upgraded by a newer "
                "release; run that release, or restore a backup made before the upgrade"
            )
        _command(conn, command.upgrade, revision)
        after = MigrationContext.configure(conn).get_current_revision()
    if after != before:
        log.info("database upgraded from %s to %s", before or "empty", after)
    return UpgradeResult(before, after, stamped)


@lru_cache(maxsize=1)
def _known_revisions() -> frozenset[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(rev.revision for rev in script.walk_revisions())


def downgrade_database(target: Engine | str, revision: str) -> None:
    """Go back to ``revision`` (``base``: no tables). For tests and for undoing a release."""
    with _migration_connection(target) as conn:
        _command(conn, command.downgrade, revision)


def current_revision(target: Engine | str) -> str | None:
    """The revision the database is at (None: empty, or made before migrations)."""
    engine = _engine(target)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        if engine is not target:
            engine.dispose()


def _command(conn: Connection, run, *args: str) -> None:  # noqa: ANN001
    config = alembic_config()
    config.attributes["connection"] = conn
    run(config, *args)


def _made_before_migrations(conn: Connection) -> bool:
    """Tables there but no ``alembic_version``: a database ``create_all`` made."""
    names = set(inspect(conn).get_table_names())
    return "alembic_version" not in names and any(t in names for t in LEGACY_TABLES)


@contextmanager
def _migration_connection(target: Engine | str) -> Iterator[Connection]:
    """A connection inside a transaction that holds the migration lock; commits on success.

    An engine is used as given, except a file-backed SQLite one: its URL gets an engine of
    its own (no pooled connections, no ``foreign_keys`` pragma, which would make batch mode's
    table copies fail), whose transactions start with ``BEGIN IMMEDIATE``.
    """
    engine = _engine(target)
    try:
        with engine.connect() as conn, conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
            yield conn
    finally:
        if engine is not target:
            engine.dispose()


def _engine(target: Engine | str) -> Engine:
    url = make_url(target) if isinstance(target, str) else target.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return _sqlite_migration_engine(url.render_as_string(hide_password=False))
    if isinstance(target, Engine):
        return target
    return create_engine(url, poolclass=pool.NullPool, hide_parameters=True)


def _sqlite_migration_engine(url: str) -> Engine:
    """SQLite with real transactions: the driver's own implicit BEGIN (which lets DDL run
    outside any transaction) is switched off and ours takes the write lock at once."""
    engine = create_engine(
        url,
        poolclass=pool.NullPool,
        connect_args={"timeout": SQLITE_WAIT_SECONDS},
        hide_parameters=True,  # data copied by a migration stays out of its error messages
    )

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_conn, _record) -> None:  # noqa: ANN001
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
