"""A real SQLite database per test, with a community, its grid workers and a few units."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from occupancy.db.session import get_engine, session_scope
from occupancy.db.tables import DetectionRun, Flag, Unit, User

NOW = datetime(2026, 3, 10, 8, tzinfo=UTC)


@dataclass(frozen=True)
class Who:
    """Stands in for ``occupancy.auth.principal.Principal`` (the same attributes)."""

    user_id: int | None
    username: str
    role: str
    community: str = ""
    grid: str = ""


SECRETARY = Who(1, "sec", "secretary", "east")


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database brought to the newest schema, copied for each test (migrating a new
    file takes most of a second)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite:///{path}"
    with session_scope(url):
        pass
    get_engine(url).dispose()  # checkpoints the WAL into the file
    return path


@pytest.fixture
def url(tmp_path: Path, migrated: Path) -> str:
    """A fresh database whose first user is ``SECRETARY``."""
    shutil.copyfile(migrated, tmp_path / "x.db")
    url = f"sqlite:///{tmp_path / 'x.db'}"
    sec = add_user(url, SECRETARY.username, SECRETARY.role, community=SECRETARY.community)
    assert sec.id == SECRETARY.user_id
    return url


def add_user(url: str, username: str, role: str = "grid_worker", **kw) -> User:
    with session_scope(url) as session:
        user = User(username=username, password_hash="x", role=role, **kw)
        session.add(user)
        session.flush()
        return user


def worker(user: User) -> Who:
    return Who(user.id, user.username, user.role, user.community, user.grid)


def add_units(url: str, *units: Unit) -> None:
    with session_scope(url) as session:
        session.add_all(units)


def add_run(url: str, **kw) -> int:
    with session_scope(url) as session:
        fields = {"kind": "nightly", "window_start": NOW, "window_end": NOW, **kw}
        run = DetectionRun(**fields)
        session.add(run)
        session.flush()
        return run.id


def add_flag(url: str, unit_id: str = "u1", kind: str = "registered_silent", **kw) -> int:
    with session_scope(url) as session:
        fields = {
            "unit_id": unit_id,
            "community": "east",
            "kind": kind,
            "score": 0.8,
            "probability": 0.2,
            **kw,
        }
        flag = Flag(**fields)
        session.add(flag)
        session.flush()
        return flag.id
