"""Fixtures for the register tests: a throwaway SQLite file and a throwaway real PostgreSQL
database, so upserts are checked against both dialects the project supports."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete

from occupancy.db.session import get_engine
from occupancy.db.tables import Unit

#: Server used for the PostgreSQL half of the DB tests (override for CI with another host).
PG_SERVER = os.environ.get(
    "OCCUPANCY_TEST_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432"
)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database with a random name on the local PostgreSQL, dropped afterwards."""
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
    name = f"occupancy_test_register_{uuid.uuid4().hex[:12]}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        url = server.set(database=name).render_as_string(hide_password=False)
        try:
            yield url
        finally:
            get_engine(url).dispose()
            get_engine.cache_clear()
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty register database of each dialect."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'occupancy.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = get_engine(url)
    with engine.begin() as conn:  # the PostgreSQL database is shared by the whole session
        conn.execute(delete(Unit))
    yield url
    if request.param == "sqlite":
        engine.dispose()


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write CSV text to a file, as a spreadsheet would (choose encoding, optional BOM)."""

    def write(text: str, encoding: str = "utf-8", name: str = "register.csv") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write
