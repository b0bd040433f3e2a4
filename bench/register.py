"""Benchmark (run by hand, not a test): importing a big register workbook, step by step.

    .venv/bin/python bench/register.py [--rows 20000]
                                       [--postgres postgresql+psycopg://postgres@127.0.0.1:5432]

Writes an .xlsx register of ``--rows`` units the way a community office keeps one (a title
row, Chinese headers, Excel date cells), then times:

- ``read``: openpyxl streaming the sheet's cell values (read-only mode), nothing else;
- ``read + validate``: ``parse_register_file``, the whole check a file gets before import
  (also on the same sheet with inline text, as openpyxl and some other programs write it);
- ``import (new)``: ``import_register_file`` into an empty database (validation included);
- ``import (unchanged)``: the same file again (nothing to write, every unit compared);
- ``import (all changed)``: a file where every unit's head count changed (bulk updates).

Text is stored as Excel stores it (a shared-strings table). Each import runs on a fresh
SQLite file and, with ``--postgres SERVER``, on a database created on that server for the
run and dropped afterwards. The issue's bar is 30 s for
20,000 rows. Paste the table into docs/benchmarks.md with the machine and the command.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import cast

from rich.console import Console
from rich.table import Table

from occupancy.db.session import get_engine
from occupancy.register import ImportSummary, import_register_file, parse_register_file

HEADERS = (
    "单元编号", "区", "街道", "社区", "网格", "楼栋", "单元", "楼层", "房号",
    "登记人数", "独居老人/重点关注", "入住日期", "迁出日期",
)  # fmt: skip


def write_register(
    path: Path, rows: int, occupants_shift: int = 0, *, shared_strings: bool = True
) -> None:
    """An .xlsx register as an office keeps it: title row, blank row, headers, units.

    openpyxl (3.1) writes text inside each cell; ``shared_strings`` then rewrites the file
    the way Excel stores text (see ``to_shared_strings``).
    """
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "入住登记"
    sheet.append(["幸福里社区入住登记表"])
    sheet.append([])
    sheet.append(list(HEADERS))
    first = date(2015, 1, 1)
    for i in range(rows):
        building, rest = divmod(i, 96)
        entrance, rest = divmod(rest, 32)
        floor, room = divmod(rest, 2)
        moved_in = first + timedelta(days=i % 3000)
        sheet.append(
            [
                f"XFL-{building + 1:03d}-{entrance + 1}-{floor + 1:02d}{room + 1:02d}",
                "东城区",
                "和平街道",
                f"幸福里{i // 5000 + 1}",
                f"第{building % 12 + 1}网格",
                f"{building + 1}栋",
                f"{entrance + 1}单元",
                floor + 1,
                f"{floor + 1}{room + 1:02d}",
                (i + occupants_shift) % 5,
                "是" if i % 17 == 0 else "否",
                moved_in,
                moved_in + timedelta(days=400) if i % 23 == 0 else None,
            ]
        )
    workbook.save(path)
    if shared_strings:
        to_shared_strings(path)


_INLINE = re.compile(
    r'<c r="([A-Z]+[0-9]+)"( s="[0-9]+")? t="inlineStr"><is><t>([^<]*)</t></is></c>'
)


def to_shared_strings(path: Path) -> None:
    """Move the text of every cell into a shared-strings table, as Excel saves workbooks.

    openpyxl reads such a file much faster (each distinct text is parsed once), so timing
    both shows the range between Excel's files and those of programs writing inline text.
    """
    strings: dict[str, int] = {}

    def shared(match: re.Match[str]) -> str:
        index = strings.setdefault(match[3], len(strings))
        return f'<c r="{match[1]}"{match[2] or ""} t="s"><v>{index}</v></c>'

    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = _INLINE.sub(shared, parts[sheet].decode()).encode()
    items = "".join(f"<si><t>{text}</t></si>" for text in strings)
    parts["xl/sharedStrings.xml"] = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'
    ).encode()
    rels = "xl/_rels/workbook.xml.rels"
    parts[rels] = parts[rels].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdShared" Target="sharedStrings.xml" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>',
    )
    types = "[Content_Types].xml"
    parts[types] = parts[types].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats'
        b'-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds, and this process's CPU seconds: on a busy machine the CPU time
    shows what the step costs, the wall time what a user would wait."""

    wall: float
    cpu: float


def timed(action: Callable[[], object]) -> tuple[Timing, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu), result


def read_only(path: Path) -> int:
    """Just openpyxl's streaming read, as a floor for what validation adds."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        return sum(1 for _ in sheet.iter_rows(values_only=True))
    finally:
        workbook.close()


@contextmanager
def sqlite_database(folder: Path) -> Iterator[str]:
    url = f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.db'}"
    yield url
    get_engine(url).dispose()


@contextmanager
def postgres_database(server: str) -> Iterator[str]:
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(server)
    name = f"occupancy_bench_register_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(
        host=base.host or "127.0.0.1",
        port=base.port or 5432,
        user=base.username or "postgres",
        password=base.password,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        url = base.set(database=name).render_as_string(hide_password=False)
        try:
            yield url
        finally:
            get_engine(url).dispose()
            get_engine.cache_clear()
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_database(url: str, files: dict[str, Path], rows: int) -> list[tuple[str, Timing, str]]:
    get_engine(url)  # create the schema outside the timings
    results = []
    for label, path in (
        ("import (new)", files["base"]),
        ("import (unchanged)", files["base"]),
        ("import (all changed)", files["changed"]),
    ):
        took, result = timed(lambda path=path: import_register_file(url, path))
        summary = cast(ImportSummary, result)
        assert summary.total == rows, summary
        results.append((label, took, f"{summary.created}/{summary.updated}/{summary.unchanged}"))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument(
        "--postgres",
        metavar="SERVER_URL",
        default=None,
        help="also time PostgreSQL on a throwaway database of this server",
    )
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory(prefix="bench-register-") as tmp:
        folder = Path(tmp)
        files = {
            "base": folder / "register.xlsx",
            "changed": folder / "register-changed.xlsx",
            "inline": folder / "register-inline.xlsx",
        }
        written, _ = timed(lambda: write_register(files["base"], args.rows))
        write_register(files["changed"], args.rows, occupants_shift=1)
        write_register(files["inline"], args.rows, shared_strings=False)
        size = files["base"].stat().st_size
        table = Table(
            title=f"register import, {args.rows:,} rows ({size / 1e6:.1f} MB .xlsx; "
            f"written in {written.wall:.1f} s)",
            title_justify="left",
        )
        for column in ("database", "step", "wall s", "CPU s", "rows/s", "created/upd./unch."):
            right = column in ("wall s", "CPU s", "rows/s")
            table.add_column(column, justify="right" if right else "left")

        def add(database: str, step: str, took: Timing, counts: str = "") -> None:
            rate = f"{args.rows / took.wall:,.0f}"
            table.add_row(database, step, f"{took.wall:.2f}", f"{took.cpu:.2f}", rate, counts)

        add("—", "read (openpyxl only)", timed(lambda: read_only(files["base"]))[0])
        took, parsed = timed(lambda: parse_register_file(files["base"]))
        assert len(parsed.entries) == args.rows  # type: ignore[attr-defined]
        add("—", "read + validate", took)
        took, _ = timed(lambda: parse_register_file(files["inline"]))
        add("—", "read + validate (inline text)", took)
        with sqlite_database(folder) as url:
            for step, took, counts in bench_database(url, files, args.rows):
                add("SQLite", step, took, counts)
        if args.postgres:
            with postgres_database(args.postgres) as url:
                for step, took, counts in bench_database(url, files, args.rows):
                    add("PostgreSQL", step, took, counts)
    console.print(table)
    console.print(
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, load average "
        + " ".join(f"{load:.1f}" for load in os.getloadavg())
    )


if __name__ == "__main__":
    main()
