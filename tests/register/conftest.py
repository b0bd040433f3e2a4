"""Fixtures for the register tests: a throwaway SQLite file and a throwaway real PostgreSQL
database, so upserts are checked against both dialects the project supports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from occupancy.db.session import get_engine
from occupancy.db.tables import Unit, utcnow
from tests.pg import emptied_database, fresh_database


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database with a random name on the local PostgreSQL, dropped afterwards."""
    with fresh_database("occupancy_test_register") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A register database of each dialect without units.

    The history (``unit_versions``) is append-only, enforced by the database, so on the
    PostgreSQL database shared by the session it keeps earlier tests' rows: read it with
    ``since`` (the moment the test started).
    """
    with emptied_database(request, tmp_path, Unit) as url:
        yield url


@pytest.fixture
def since() -> datetime:
    """When the test started; history rows written by the test are at or after it."""
    return utcnow()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    """A fresh SQLite register database, for tests whose point is not the dialect."""
    url = f"sqlite:///{tmp_path / 'occupancy.db'}"
    yield url
    get_engine(url).dispose()


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write CSV text to a file, as a spreadsheet would (choose encoding, optional BOM)."""

    def write(text: str, encoding: str = "utf-8", name: str = "register.csv") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write
