"""`occupancy labels export` through typer's CliRunner against a real database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import typer
from typer.testing import CliRunner

from occupancy.cli import labels as labels_cli
from occupancy.config import get_settings
from occupancy.db.session import session_scope
from occupancy.db.tables import Flag
from occupancy.workflow.actions import record_visit
from tests.workflow.conftest import NOW, SECRETARY, add_flag, add_run


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    labels_cli.attach(app)

    @app.callback()
    def _root() -> None:
        pass

    return app


@pytest.fixture
def cli_db(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("OCCUPANCY_DB_URL", url)
    monkeypatch.setenv("OCCUPANCY_TIMEZONE", "Asia/Shanghai")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_export_writes_the_labels_and_filters_by_local_date(app, cli_db: str, tmp_path) -> None:
    run = add_run(cli_db)
    with session_scope(cli_db) as session:
        for unit, at in (("old", NOW - timedelta(days=2)), ("new", NOW)):
            flag = session.get(Flag, add_flag(cli_db, unit_id=unit, run_id=run))
            record_visit(session, flag, "vacant", by=SECRETARY, now=at)
    out = tmp_path / "labels.csv"
    result = CliRunner().invoke(app, ["labels", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 labels written" in result.output
    assert out.read_text(encoding="utf-8").count("\n") == 3
    # NOW is 16:00 in Shanghai on 10 March: --since 2026-03-10 keeps it, drops the 8th.
    result = CliRunner().invoke(app, ["labels", "export", "--since", "2026-03-10"])
    assert result.exit_code == 0, result.output
    assert "new,east" in result.stdout
    assert "old,east" not in result.stdout
    assert "1 label written" in result.output


def test_a_bad_date_is_refused(app, cli_db: str) -> None:
    result = CliRunner().invoke(app, ["labels", "export", "--since", "10/03/2026"])
    assert result.exit_code == 1
    assert "not a date" in result.output
