"""CLI: ``occupancy labels export``: visit outcomes as training labels (CSV).

Imports of the database and the workflow happen inside the command so ``--help`` stays fast.
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from occupancy.cli.output import err_console, fail


def attach(app: typer.Typer) -> None:
    """Register this module's commands on the main app."""
    labels_app = typer.Typer(
        name="labels",
        help="Visit outcomes as labels for retraining the detector.",
        no_args_is_help=True,
    )
    labels_app.command("export")(export_command)
    app.add_typer(labels_app, name="labels")


def export_command(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", dir_okay=False, help="CSV file to write; standard output if omitted."
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only visits on or after this local date (YYYY-MM-DD)."),
    ] = None,
    community: Annotated[
        str | None, typer.Option("--community", "-c", help="Only this community's flags.")
    ] = None,
) -> None:
    """Write one row per visited flag: unit, community, kind, the detection window it was
    raised on, when it was visited, the outcome, occupied (1, 0, or empty when the door told
    nothing), P(occupied) and the model version. No notes, names or addresses."""
    from sqlalchemy.exc import SQLAlchemyError

    from occupancy.config import get_settings
    from occupancy.db.session import session_scope
    from occupancy.workflow.labels import export_labels

    settings = get_settings()
    start = None
    if since is not None:
        try:
            day = date.fromisoformat(since)
        except ValueError:
            fail(f"--since {since!r} is not a date like 2026-03-01")
        start = datetime(day.year, day.month, day.day, tzinfo=settings.tz)
    try:
        with session_scope(settings.resolved_db_url) as session:
            count = export_labels(
                session, out if out is not None else sys.stdout, since=start, community=community
            )
    except SQLAlchemyError as exc:
        fail(f"could not read the database: {exc}")
    except OSError as exc:
        fail(f"could not write {out}: {exc}")
    where = f" to {out}" if out is not None else ""
    err_console.print(f"{count} label{'s' if count != 1 else ''} written{where}.")
