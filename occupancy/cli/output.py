"""Shared terminal output: one console, error exits that say how to fix, a flags table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

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
