"""``occupancy db upgrade|current|history`` through typer's CliRunner on a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine
from typer.testing import CliRunner

from occupancy.cli import app
from occupancy.config import get_settings
from occupancy.db.migrate import current_revision, head_revision
from tests.db import legacy


@pytest.fixture
def cli_db(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("OCCUPANCY_DB_URL", sqlite_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield sqlite_url
    get_settings.cache_clear()


def test_upgrade_an_old_database_then_nothing_to_do(cli_db: str) -> None:
    engine = create_engine(cli_db)
    legacy.release_0001().create_all(engine)
    engine.dispose()
    runner = CliRunner()
    result = runner.invoke(app, ["db", "current"])
    assert result.exit_code == 0, result.output
    assert "no revision" in result.output

    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "made before migrations" in result.output
    assert f"upgraded from 0001 to {head_revision()}" in result.output
    assert current_revision(cli_db) == head_revision()

    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0 and "nothing to do" in result.output
    result = runner.invoke(app, ["db", "current"])
    assert f"{head_revision()} (head)" in result.output


def test_upgrade_to_a_revision_and_current_says_what_is_missing(cli_db: str) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["db", "upgrade", "0002"])
    assert result.exit_code == 0, result.output
    assert "upgraded from empty to 0002" in result.output
    result = runner.invoke(app, ["db", "current"])
    assert "0002; head is" in result.output and "occupancy db upgrade" in result.output


def test_a_failed_upgrade_exits_with_an_error(cli_db: str) -> None:
    result = CliRunner().invoke(app, ["db", "upgrade", "9999"])
    assert result.exit_code == 1
    assert "database is unchanged" in result.output
    assert current_revision(cli_db) is None


def test_history_lists_every_revision_oldest_first() -> None:
    result = CliRunner().invoke(app, ["db", "history"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == ["0001", "0002", "0003"]
    assert "audit" in lines[-1]
