"""Fixtures for the web service: real SQLite files and the real embedded store in a temp dir.

No mocks of the database or the store: the queries, the store's hourly aggregation and the
templates run as in production, so a test fails when any of them breaks a page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from occupancy.api.deps import get_now
from occupancy.api.main import create_app
from occupancy.config import Settings
from tests.accounts import add_user, bearer, token_for

from .seed import NOW, TZ_NAME, WINDOW_DAYS, Seeded, seed

#: The account ``client`` and ``empty_client`` act as: an admin sees every community, so the
#: tests written before accounts existed keep testing what they were written for. Scoping is
#: tested with other roles in tests/api/routes/test_authz.py.
ADMIN_USER = "admin-tests"


@pytest.fixture
def var_dir(tmp_path: Path) -> Path:
    path = tmp_path / "var"
    path.mkdir()
    return path


@pytest.fixture
def settings(var_dir: Path) -> Settings:
    """Settings pointing at files in the temp dir, ignoring any .env of the developer."""
    return Settings(
        _env_file=None,
        var_dir=var_dir,
        db_url=f"sqlite:///{var_dir / 'occupancy.db'}",
        store_url=f"sqlite:///{var_dir / 'readings.sqlite'}",
        timezone=TZ_NAME,
        window_days=WINDOW_DAYS,
    )


@pytest.fixture
def seeded(settings: Settings) -> Seeded:
    return seed(settings)


def make_client(settings: Settings, *, as_admin: bool = True) -> Iterator[TestClient]:
    """A client of a fresh app with the clock pinned to NOW; ``with`` runs the lifespan, so
    the app's stores are closed at the end. With ``as_admin`` it sends an admin's API token."""
    app = create_app(settings)
    app.dependency_overrides[get_now] = lambda: NOW
    headers = {}
    if as_admin:
        db_url = settings.resolved_db_url
        add_user(db_url, ADMIN_USER, "admin")
        headers = bearer(token_for(db_url, ADMIN_USER))
    with TestClient(app, headers=headers) as client:
        yield client


@pytest.fixture
def client(settings: Settings, seeded: Seeded) -> Iterator[TestClient]:
    """A client over the seeded database and store."""
    yield from make_client(settings)


@pytest.fixture
def empty_client(settings: Settings) -> Iterator[TestClient]:
    """A client over an empty database and store."""
    yield from make_client(settings)
