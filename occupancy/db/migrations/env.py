"""Alembic environment: how ``alembic upgrade`` reaches the database.

Normally run through ``occupancy.db.migrate.upgrade_database`` (``occupancy db upgrade``, or
any process opening the database), which hands over a connection already inside the
transaction it holds the migration lock in. Run by hand (``alembic -c ...``), it connects to
``sqlalchemy.url`` from the config, else to ``OCCUPANCY_DB_URL``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool


def _target_metadata():  # noqa: ANN202 (only autogenerate needs it; imported late)
    from occupancy.db.models import metadata

    return metadata


def _run(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=_target_metadata(),
        # SQLite alters most things by copying the table; batch mode does that for us.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from occupancy.config import get_settings

        url = get_settings().resolved_db_url
    engine = create_engine(url, poolclass=pool.NullPool, hide_parameters=True)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run them against a database")
run_migrations_online()
