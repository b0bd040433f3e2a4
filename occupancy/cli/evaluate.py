"""CLI: ``occupancy evaluate``: score flags against the simulator's truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def attach(app: typer.Typer) -> None:
    """Register this module's commands on the main app."""
    app.command("evaluate")(evaluate_command)


def evaluate_command(
    flags: Annotated[
        Path,
        typer.Option("--flags", exists=True, dir_okay=False, help="flags.csv (unit_id,kind,...)."),
    ],
    truth: Annotated[
        Path,
        typer.Option(
            "--truth",
            exists=True,
            dir_okay=False,
            help="truth.csv from the simulator (unit_id,archetype,occupied,registered,meter_ok).",
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Precision, recall and F1 of flags per kind against the simulator's truth."""
    from rich.console import Console

    from occupancy.evaluate import evaluate, load_flags_csv, load_truth_csv

    err = Console(stderr=True)
    try:
        report = evaluate(load_flags_csv(flags), load_truth_csv(truth))
    except (ValueError, KeyError) as exc:
        err.print(f"[red]error:[/] {_escape(str(exc))}")
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(report.to_json())
        return
    Console().print(report.table())
    if report.unknown_units:
        err.print(f"[yellow]{len(report.unknown_units)} flagged units are not in the truth[/]")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
