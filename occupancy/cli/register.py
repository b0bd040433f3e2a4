"""CLI: ``occupancy register import FILE``, ``occupancy register list`` and
``occupancy register history UNIT_ID``.

Imports of the database and rich happen inside the commands so ``occupancy --help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from occupancy.cli.output import print_sheet_errors, print_sheet_warnings

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from occupancy.db.tables import UnitVersion
    from occupancy.register import ImportSummary, RegisterEntry, RegisterRowError

#: Files above this size get progress bars; smaller ones import before a bar could be read.
PROGRESS_ABOVE_BYTES = 200_000


def attach(app: typer.Typer) -> None:
    """Register this module's commands on the main app."""
    register_app = typer.Typer(
        name="register",
        help="The move-in register (入住登记表): import it from CSV or XLSX, list it, "
        "show a unit's history.",
        no_args_is_help=True,
    )
    register_app.command("import")(import_command)
    register_app.command("list")(list_command)
    register_app.command("history")(history_command)
    app.add_typer(register_app, name="register")


def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="Register .xlsx workbook or CSV (UTF-8 or GB18030); English or Chinese headers.",
        ),
    ],
    skip_bad: Annotated[
        bool,
        typer.Option(
            "--skip-bad",
            help="Import the valid rows of a file with bad ones; the bad rows are listed.",
        ),
    ] = False,
    sheet: Annotated[
        str | None,
        typer.Option("--sheet", help="Worksheet of an .xlsx file to read (default: the first)."),
    ] = None,
    simulated: Annotated[
        bool,
        typer.Option(
            "--simulated", help="Mark the units as simulated (the only units testers see)."
        ),
    ] = False,
) -> None:
    """Import a register file into the database. Any bad row means nothing is imported,
    unless --skip-bad is given."""
    from rich.console import Console
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from occupancy.config import get_settings
    from occupancy.register import RegisterImportError, import_register_file

    out, err = Console(), Console(stderr=True)
    db_url = get_settings().resolved_db_url
    big = file.stat().st_size > PROGRESS_ABOVE_BYTES
    try:
        with _progress(err, enabled=big) as (read_progress, write_progress):
            summary = import_register_file(
                db_url,
                file,
                sheet=sheet,
                skip_bad=skip_bad,
                simulated=simulated,
                changed_by="cli",
                read_progress=read_progress,
                write_progress=write_progress,
            )
    except RegisterImportError as exc:
        print_sheet_warnings(err, exc.warnings)
        print_sheet_errors(err, _shown(exc.errors), "Problems in the register file")
        count = len(exc.errors)
        hint = "Fix the cells listed above and import the file again"
        if not skip_bad and any(error.letter for error in exc.errors):
            hint += ", or import only the valid rows with --skip-bad"
        err.print(
            f"[bold red]{count} problem{'s' if count != 1 else ''} in {_escape(str(file))}; "
            f"nothing was imported.[/] {hint}."
        )
        raise typer.Exit(1) from None
    except SQLAlchemyError as exc:
        where = make_url(db_url).render_as_string(hide_password=True)
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        err.print(
            f"[bold red]Database error at {_escape(where)}; nothing was imported.[/] "
            f"{_escape(detail)}"
        )
        raise typer.Exit(1) from None
    _report(out, err, file, summary)


def _report(out: Console, err: Console, file: Path, summary: ImportSummary) -> None:
    print_sheet_warnings(err, list(summary.warnings))
    if summary.skipped:
        print_sheet_errors(err, _shown(summary.skipped), "Rows skipped (not imported)")
    out.print(
        f"Imported {_escape(str(file))}: [bold]{summary.created}[/] created, "
        f"[bold]{summary.updated}[/] updated, [bold]{summary.unchanged}[/] unchanged."
    )
    if summary.skipped:
        rows = summary.skipped_rows
        out.print(
            f"[bold yellow]{rows} bad row{'s' if rows != 1 else ''} skipped[/] "
            "(listed above); fix them and import the file again to add them."
        )


def list_command(
    community: Annotated[
        str | None, typer.Option("--community", "-c", help="Only units of this community.")
    ] = None,
) -> None:
    """List the registered units stored in the database."""
    from rich.console import Console

    from occupancy.config import get_settings
    from occupancy.db.session import session_scope
    from occupancy.register import load_register

    with session_scope(get_settings().resolved_db_url) as session:
        entries = load_register(session, community)
    out = Console()
    if not entries:
        scope = f" for community {_escape(community)}" if community is not None else ""
        out.print(f"No units registered{scope}. Add some with: occupancy register import FILE")
        return
    out.print(_units_table(list(entries.values())))


def history_command(
    unit_id: Annotated[str, typer.Argument(help="The unit whose register history to show.")],
) -> None:
    """Show every recorded change of a unit's register entry, oldest first."""
    from rich.console import Console

    from occupancy.config import get_settings
    from occupancy.db.session import session_scope
    from occupancy.register import unit_history

    with session_scope(get_settings().resolved_db_url) as session:
        versions = unit_history(session, unit_id)
        table = _history_table(unit_id, versions) if versions else None
    out = Console()
    if table is None:
        out.print(f"No register history for unit {_escape(unit_id)}.")
        raise typer.Exit(1)
    out.print(table)


def _units_table(entries: list[RegisterEntry]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(caption=f"{len(entries)} units")
    for name in ("unit_id", "community", "grid", "building", "entrance", "floor", "room"):
        table.add_column(name)
    table.add_column("registered", justify="right")
    table.add_column("vulnerable")
    table.add_column("move in")
    table.add_column("move out")
    for e in entries:
        texts = (e.unit_id, e.community, e.grid, e.building, e.entrance, e.floor, e.room)
        table.add_row(
            *(Text(t) for t in texts),
            str(e.registered_occupants),
            "yes" if e.vulnerable else "",
            e.move_in.isoformat() if e.move_in else "",
            e.move_out.isoformat() if e.move_out else "",
        )
    return table


def _history_table(unit_id: str, versions: Sequence[UnitVersion]) -> Table:
    """One row per version: when, what, from where, by whom, and which values changed."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Register history of {_escape(unit_id)}", title_justify="left")
    for name in ("changed at", "action", "source", "by", "values"):
        table.add_column(name, overflow="fold")
    before: dict[str, Any] = {}
    for version in versions:
        after = dict(version.values or {})
        table.add_row(
            version.changed_at.strftime("%Y-%m-%d %H:%M:%S"),
            version.action,
            Text(version.source),
            Text(version.changed_by),
            Text(_changes(before, after)),
        )
        before = after if version.action != "delete" else {}
    return table


def _changes(before: dict[str, Any], after: dict[str, Any]) -> str:
    """``name: old → new`` for each changed value (all set values for a new entry)."""
    parts = []
    for name, value in after.items():
        if name == "unit_id":
            continue
        if not before:
            if value not in ("", None, False):
                parts.append(f"{name}: {value}")
        elif before.get(name) != value:
            parts.append(f"{name}: {_value(before.get(name))} → {_value(value)}")
    return "; ".join(parts)


def _value(value: Any) -> str:
    return "—" if value in ("", None) else str(value)


@dataclass(frozen=True, slots=True)
class _ShownProblem:
    """A problem as the error table shows it: the column as its letter and header text."""

    row: int
    column: str
    value: str
    message: str


def _shown(errors: Sequence[RegisterRowError]) -> list[_ShownProblem]:
    return [
        _ShownProblem(
            e.row, f"{e.letter} {e.column}".strip() if e.letter else e.column, e.value, e.message
        )
        for e in errors
    ]


@contextmanager
def _progress(err: Console, *, enabled: bool) -> Iterator[tuple[Any, Any]]:
    """Progress bars on stderr for reading and writing a big file; callbacks that do nothing
    for a small one."""
    if not enabled:
        yield None, None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        reading = progress.add_task("checking rows", total=None)
        writing = progress.add_task("writing units", total=None, visible=False)

        def on_read(done: int, total: int | None) -> None:
            progress.update(reading, completed=done, total=total)

        def on_write(done: int, total: int) -> None:
            progress.update(reading, visible=False)
            progress.update(writing, completed=done, total=total, visible=True)

        yield on_read, on_write


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
