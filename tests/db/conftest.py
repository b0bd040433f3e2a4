"""Databases for the migration tests: a new SQLite file, and a new database on the local
PostgreSQL server (``tests/pg.py``) for each test, since migrations change the schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from occupancy.db.session import get_engine
from tests.pg import fresh_database


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'occupancy.db'}"
    yield url
    get_engine.cache_clear()


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_database("occupancy_test_migrations") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database of each dialect the project supports."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
