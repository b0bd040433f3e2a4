"""A throwaway database on the machine's PostgreSQL, for tests that need the real dialect."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import delete

from occupancy.db.session import get_engine

#: Server used for the PostgreSQL half of the DB tests (override for CI with another host).
PG_SERVER = os.environ.get(
    "OCCUPANCY_TEST_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432"
)


@contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """A new database with a random name (``prefix`` + hex), dropped afterwards; skips the
    test with the reason when psycopg is missing or the server cannot be reached."""
    psycopg = pytest.importorskip("psycopg", reason="psycopg 3 is not installed")
    from sqlalchemy.engine import make_url

    server = make_url(PG_SERVER)
    admin = {
        "host": server.host or "127.0.0.1",
        "port": server.port or 5432,
        "user": server.username or "postgres",
        "password": server.password,
        "dbname": "postgres",
        "autocommit": True,
        "connect_timeout": 3,
    }
    try:
        conn = psycopg.connect(**{k: v for k, v in admin.items() if v is not None})
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {server.host}:{server.port} ({exc})")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        url = server.set(database=name).render_as_string(hide_password=False)
        try:
            yield url
        finally:
            get_engine(url).dispose()
            get_engine.cache_clear()
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def emptied_database(request: pytest.FixtureRequest, tmp_path: Path, table: type) -> Iterator[str]:
    """The URL of a SQLite file (``request.param == "sqlite"``) or of the session's shared
    PostgreSQL database (the ``postgres_url`` fixture), with ``table``'s rows deleted."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'occupancy.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = get_engine(url)
    with engine.begin() as conn:  # the PostgreSQL database is shared by the whole session
        conn.execute(delete(table))
    yield url
    if request.param == "sqlite":
        engine.dispose()
