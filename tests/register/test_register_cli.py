"""`occupancy register import/list` through typer's CliRunner against real databases."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from occupancy.cli import register as register_cli
from occupancy.config import get_settings
from occupancy.db.session import session_scope
from occupancy.db.tables import Unit
from occupancy.register import load_register
from tests.register.workbooks import write_xlsx

GOOD = (
    "unit_id,community,registered_occupants,vulnerable,备注\n"
    "u-101,幸福里,2,是,\n"
    "u-102,幸福里,0,,\n"
    "u-201,阳光苑,3,,\n"
)
BAD = (
    "单元编号,社区,登记人数\n"
    "u-101,幸福里,2\n"
    "u-102,幸福里,abc\n"
    "u-[bold]x/1,幸福里,1\n"
    "u-101,幸福里,1\n"
)


@pytest.fixture
def app() -> typer.Typer:
    """Only this module's commands, so other command groups being written can't break it."""
    app = typer.Typer()
    register_cli.attach(app)

    @app.callback()
    def _root() -> None:  # keeps `register` a sub-command even with one group attached
        pass

    return app


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("OCCUPANCY_DB_URL", db_url)
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps tables at the terminal width
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def test_import_and_list(app: typer.Typer, cli_db: str, write_csv) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["register", "import", str(write_csv(GOOD))])
    assert result.exit_code == 0, result.output
    assert "3 created, 0 updated, 0 unchanged" in result.output
    assert "备注" in result.stderr  # the ignored column is mentioned

    with session_scope(cli_db) as session:
        assert list(load_register(session)) == ["u-101", "u-102", "u-201"]

    again = runner.invoke(app, ["register", "import", str(write_csv(GOOD))])
    assert "0 created, 0 updated, 3 unchanged" in again.output

    listed = runner.invoke(app, ["register", "list"])
    assert listed.exit_code == 0, listed.output
    assert re.search(r"u-101\s*│\s*幸福里.*│\s*2\s*│\s*yes", listed.output)
    assert "u-201" in listed.output

    only = runner.invoke(app, ["register", "list", "--community", "阳光苑"])
    assert "u-201" in only.output
    assert "u-101" not in only.output


def test_bad_file_exits_1_with_rows_and_imports_nothing(
    app: typer.Typer, cli_db: str, write_csv
) -> None:
    result = CliRunner().invoke(app, ["register", "import", str(write_csv(BAD))])
    assert result.exit_code == 1
    output = result.output
    assert re.search(r"│\s*3\s*│\s*C 登记人数\s*│\s*abc\s*│\s*is not a whole number", output)
    assert re.search(r"│\s*5\s*│\s*A 单元编号\s*│\s*u-101\s*│\s*already appears in row 2", output)
    assert "u-[bold]x/1" in output  # cell values are shown literally, not as rich markup
    assert "nothing was imported" in output
    with session_scope(cli_db) as session:
        assert load_register(session) == {}


def test_list_empty(app: typer.Typer, cli_db: str) -> None:
    result = CliRunner().invoke(app, ["register", "list", "-c", "幸福里"])
    assert result.exit_code == 0
    assert "No units registered for community 幸福里" in result.output


def test_missing_file_is_a_usage_error(app: typer.Typer, cli_db: str, tmp_path) -> None:
    result = CliRunner().invoke(app, ["register", "import", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2


def test_wired_into_main_app() -> None:
    from occupancy.cli import app as main_app

    result = CliRunner().invoke(main_app, ["register", "--help"])
    assert result.exit_code == 0
    assert "import" in result.output and "list" in result.output


def test_import_xlsx_with_sheet_and_simulated(
    app: typer.Typer, cli_db: str, tmp_path: Path
) -> None:
    path = write_xlsx(
        tmp_path / "sim.xlsx",
        [["说明"]],
        sheet="说明",
        extra_sheets=[
            ("登记表", [["模拟社区入住登记表"], ["单元编号", "社区", "登记人数", "入住日期"],
                        ["s-1", "模拟", 2, datetime(2023, 4, 1)]]),
        ],
    )  # fmt: skip
    runner = CliRunner()
    result = runner.invoke(
        app, ["register", "import", str(path), "--sheet", "登记表", "--simulated"]
    )
    assert result.exit_code == 0, result.output
    assert "1 created" in result.output
    with session_scope(cli_db) as session:
        unit = session.get(Unit, "s-1")
        assert unit is not None and unit.simulated and unit.move_in == date(2023, 4, 1)

    listed = runner.invoke(app, ["register", "list"])
    assert re.search(r"s-1\s*│\s*模拟.*│\s*2023-04-01", listed.output)


def test_skip_bad_imports_valid_rows_and_lists_skipped(
    app: typer.Typer, cli_db: str, write_csv
) -> None:
    result = CliRunner().invoke(app, ["register", "import", str(write_csv(BAD)), "--skip-bad"])
    assert result.exit_code == 0, result.output
    assert "Rows skipped" in result.output
    assert re.search(r"│\s*3\s*│\s*C 登记人数\s*│\s*abc\s*│", result.output)
    assert "1 created" in result.output
    assert "3 bad rows skipped" in result.output
    with session_scope(cli_db) as session:
        assert list(load_register(session)) == ["u-101"]


def test_bad_file_suggests_skip_bad(app: typer.Typer, cli_db: str, write_csv) -> None:
    result = CliRunner().invoke(app, ["register", "import", str(write_csv(BAD))])
    assert "--skip-bad" in result.output


def test_history(app: typer.Typer, cli_db: str, write_csv) -> None:
    # A unit of its own: the history is append-only, so the shared PostgreSQL database keeps
    # other tests' versions of u-101.
    unit = f"h-{uuid.uuid4().hex[:8]}"
    header = "unit_id,community,registered_occupants\n"
    runner = CliRunner()
    runner.invoke(
        app, ["register", "import", str(write_csv(f"{header}{unit},幸福里,2\n", name="one.csv"))]
    )
    runner.invoke(
        app, ["register", "import", str(write_csv(f"{header}{unit},幸福里,3\n", name="two.csv"))]
    )

    result = runner.invoke(app, ["register", "history", unit])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "import:" in line]
    assert len(lines) == 2
    assert re.search(
        r"create\s*│\s*import:one\.csv\s*│\s*cli\s*│.*registered_occupants: 2", lines[0]
    )
    assert re.search(
        r"update\s*│\s*import:two\.csv\s*│\s*cli\s*│\s*registered_occupants: 2 → 3", lines[1]
    )

    missing = runner.invoke(app, ["register", "history", "nowhere"])
    assert missing.exit_code == 1
    assert "No register history for unit nowhere" in missing.output
