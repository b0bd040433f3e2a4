"""Shared terminal output: one console, error exits that say how to fix, a flags table, and
the problems found in a spreadsheet (the register, a night-count survey)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn, Protocol

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from occupancy.flags.record import FlagRecord

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def flags_table(flags: Sequence[FlagRecord], limit: int = 10) -> Table:
    """The top flags, urgent first, as a secretary would read them."""
    ordered = sorted(flags, key=lambda f: (not f.urgent, -f.score))[:limit]
    table = Table(title=f"top {len(ordered)} of {len(flags)} flags", title_justify="left")
    for column in ("unit", "kind", "score", "evidence"):
        table.add_column(column, overflow="fold")
    for flag in ordered:
        kind = f"[red]{flag.kind} (urgent)[/]" if flag.urgent else flag.kind
        table.add_row(escape(flag.unit_id), kind, f"{flag.score:.2f}", escape(flag.evidence_text))
    return table


#: Enough to see the pattern of a systematic mistake without scrolling through thousands.
MAX_ERRORS_SHOWN = 200
#: Cell values are shown up to this length so one pasted paragraph can't wreck the table.
MAX_VALUE_SHOWN = 40


class SheetProblem(Protocol):
    """A bad cell of an imported sheet, as both importers report it."""

    row: int
    column: str
    value: str
    message: str


def print_sheet_warnings(out: Console, warnings: Sequence[str]) -> None:
    for warning in warnings:
        out.print(f"[yellow]warning:[/] {escape(warning)}")


def print_sheet_errors(out: Console, errors: Sequence[SheetProblem], title: str) -> None:
    """One table row per problem (row as a spreadsheet shows it, column, value, problem)."""
    from rich.text import Text

    table = Table(title=title, title_justify="left")
    table.add_column("row", justify="right")
    table.add_column("column")
    table.add_column("value")
    table.add_column("problem")
    for error in errors[:MAX_ERRORS_SHOWN]:
        value = error.value
        if len(value) > MAX_VALUE_SHOWN:
            value = value[: MAX_VALUE_SHOWN - 1] + "…"
        # Text() rather than str: cell contents are user data, not rich markup.
        table.add_row(str(error.row), Text(error.column), Text(value), Text(error.message))
    out.print(table)
    if len(errors) > MAX_ERRORS_SHOWN:
        out.print(f"… and {len(errors) - MAX_ERRORS_SHOWN} more problems not shown.")
