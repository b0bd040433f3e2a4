"""`occupancy lights import` through typer's CliRunner, against a real SQLite register and
the real embedded readings store."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from occupancy.cli import lights as lights_cli
from occupancy.config import get_settings
from occupancy.db.session import session_scope
from occupancy.lights import list_observations
from occupancy.register import import_entries
from occupancy.store.embedded import EmbeddedStore

from .survey_data import REGISTER, RIVER, SUNNY, TZ

#: The CLI reads the real clock: the sheet is dated last night, local time.
LAST_NIGHT: date = datetime.now(TZ).date() - timedelta(days=1)


def sheet_text(*rows: str) -> str:
    return "单元编号,观察时间,亮灯,观察人\n" + "".join(
        row.format(night=LAST_NIGHT.isoformat()) + "\n" for row in rows
    )


GOOD = sheet_text(
    "YG-3-2-502,{night} 21:30,亮,王芳",
    "YG-3-2-501,{night} 21:31,灭,王芳",
    "YG-3-1-502,{night} 21:40,亮,",
    "RS-A-0801,{night} 22:05,亮,",
)


@dataclass(frozen=True)
class Env:
    db_url: str
    store_path: Path


@pytest.fixture
def app() -> typer.Typer:
    """Only this module's commands, so other command groups being written can't break it."""
    app = typer.Typer()
    lights_cli.attach(app)

    @app.callback()
    def _root() -> None:  # keeps `lights` a sub-command even with one group attached
        pass

    return app


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    db_url = f"sqlite:///{tmp_path / 'occupancy.db'}"
    store_path = tmp_path / "readings.sqlite"
    monkeypatch.setenv("OCCUPANCY_DB_URL", db_url)
    monkeypatch.setenv("OCCUPANCY_STORE_URL", f"sqlite:///{store_path}")
    monkeypatch.setenv("OCCUPANCY_TIMEZONE", "Asia/Shanghai")
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps tables at the terminal width
    get_settings.cache_clear()
    with session_scope(db_url) as session:
        import_entries(session, REGISTER.values())
    yield Env(db_url, store_path)
    get_settings.cache_clear()


def stored_lights(env: Env) -> list[tuple[str, float, str, int]]:
    if not env.store_path.exists():
        return []
    store = EmbeddedStore(env.store_path)
    try:
        return store._conn.execute("SELECT * FROM lights ORDER BY unit_id, ts").fetchall()
    finally:
        store.close()


def recorded(env: Env) -> int:
    with session_scope(env.db_url) as session:
        return list_observations(session, since=0)[1]


def run(app: typer.Typer, *args: str) -> Result:
    return CliRunner().invoke(app, ["lights", "import", *args])


def table_row(output: str, *cells: str) -> bool:
    return re.search(r"\s*│\s*".join(re.escape(c) for c in cells), output) is not None


def test_import_stores_summarises_and_is_idempotent(
    app: typer.Typer, env: Env, write_sheet: Callable[..., Path]
) -> None:
    sheet = write_sheet(GOOD)
    result = run(app, str(sheet), "--observer", "李明")
    assert result.exit_code == 0, result.output
    assert table_row(result.output, SUNNY, "3", "2", "1", "3")
    assert table_row(result.output, RIVER, "A", "1", "0", "1")
    assert table_row(result.output, "total", "", "3", "1", "4")
    assert "Stored 4 observations: 4 new, 0 changed, 0 already stored." in result.output
    rows = stored_lights(env)
    assert [(unit, on) for unit, _ts, _c, on in rows] == [
        ("RS-A-0801", 1),
        ("YG-3-1-502", 1),
        ("YG-3-2-501", 0),
        ("YG-3-2-502", 1),
    ]
    night = datetime.combine(LAST_NIGHT, datetime.min.time(), TZ)
    assert rows[3][1] == (night + timedelta(hours=21, minutes=30)).timestamp()
    with session_scope(env.db_url) as session:
        listed, count = list_observations(session, since=0)
    assert count == 4
    observers = {row.unit_id: row.observer for row in listed}
    assert observers == {
        "YG-3-2-502": "王芳",
        "YG-3-2-501": "王芳",
        "YG-3-1-502": "李明",  # --observer fills empty cells
        "RS-A-0801": "李明",
    }
    assert {row.source for row in listed} == {f"sheet:{sheet.name}"}

    again = run(app, str(sheet), "--observer", "李明")
    assert again.exit_code == 0, again.output
    assert "Stored 4 observations: 0 new, 0 changed, 4 already stored." in again.output
    assert stored_lights(env) == rows
    assert recorded(env) == 4


def test_bad_sheet_exits_1_names_every_row_and_writes_nothing(
    app: typer.Typer, env: Env, write_sheet: Callable[..., Path]
) -> None:
    bad = sheet_text(
        "YG-3-2-502,{night} 21:30,亮,王芳",
        "YG-9-9-999,{night} 21:30,亮,王芳",
        "YG-3-2-501,{night} 13:30,亮,王芳",
        "YG-3-1-502,{night} 21:30,[red]maybe[/],王芳",
    )
    result = run(app, str(write_sheet(bad)))
    assert result.exit_code == 1
    assert "3 problems" in result.stderr and "nothing was imported" in result.stderr
    assert "--skip-bad" in result.stderr
    assert table_row(result.stderr, "3", "单元编号", "YG-9-9-999", "is not in the register")
    assert table_row(result.stderr, "4", "观察时间")
    assert "daylight" in result.stderr
    assert "[red]maybe[/]" in result.stderr  # user data printed as text, not markup
    assert stored_lights(env) == []
    assert recorded(env) == 0


def test_skip_bad_imports_the_good_rows_and_lists_the_rest(
    app: typer.Typer, env: Env, write_sheet: Callable[..., Path]
) -> None:
    mixed = sheet_text(
        "YG-3-2-502,{night} 21:30,亮,王芳",
        "YG-9-9-999,{night} 21:30,亮,王芳",
        "YG-3-2-501,{night} 22:30,灭,王芳",
    )
    result = run(app, str(write_sheet(mixed)), "--skip-bad")
    assert result.exit_code == 0, result.output
    assert "Rows skipped (--skip-bad)" in result.stderr
    assert "1 bad row skipped" in result.stderr
    assert "Stored 2 observations: 2 new" in result.output
    assert [unit for unit, *_ in stored_lights(env)] == ["YG-3-2-501", "YG-3-2-502"]


def test_dry_run_checks_and_summarises_but_writes_nothing(
    app: typer.Typer, env: Env, write_sheet: Callable[..., Path]
) -> None:
    result = run(app, str(write_sheet(GOOD)), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Night count (dry run)" in result.output
    assert table_row(result.output, SUNNY, "3", "2", "1", "3")
    assert "Dry run: 4 observations checked; nothing was written." in result.output
    assert stored_lights(env) == []
    assert recorded(env) == 0


def test_community_option_refuses_other_communities(
    app: typer.Typer, env: Env, write_sheet: Callable[..., Path]
) -> None:
    result = run(app, str(write_sheet(GOOD)), "--community", SUNNY)
    assert result.exit_code == 1
    assert table_row(result.stderr, "5", "单元编号", "RS-A-0801")
    assert f"not {SUNNY} (--community)" in result.stderr
    assert stored_lights(env) == []


def test_gb18030_sheet_from_chinese_excel(
    app: typer.Typer, env: Env, write_sheet: Callable[..., Path]
) -> None:
    result = run(app, str(write_sheet(GOOD, encoding="gb18030")))
    assert result.exit_code == 0, result.output
    assert len(stored_lights(env)) == 4


def test_future_rows_use_the_real_clock(
    app: typer.Typer, env: Env, write_sheet: Callable[..., Path]
) -> None:
    tomorrow = (datetime.now(UTC).astimezone(TZ).date() + timedelta(days=2)).isoformat()
    result = run(app, str(write_sheet(f"unit_id,observed_at,lit\nYG-3-2-502,{tomorrow} 21:00,1\n")))
    assert result.exit_code == 1
    assert "in the future" in result.stderr
