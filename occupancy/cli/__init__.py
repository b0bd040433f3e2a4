"""The `occupancy` command. Each command group lives in its own module with an ``attach(app)``;
heavy imports happen inside the commands so ``--help`` stays fast."""

from __future__ import annotations

import typer

from occupancy.cli import (
    accounts,
    db,
    demo,
    detect,
    evaluate,
    ingest,
    labels,
    lights,
    models,
    register,
    serve,
    store,
    users,
)

app = typer.Typer(
    name="occupancy",
    help="Find homes whose meters and lights show signs of life the move-in register doesn't "
    "explain. Settings come from OCCUPANCY_* environment variables (see README).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

for module in (
    register,
    lights,
    ingest,
    detect,
    labels,
    models,
    evaluate,
    serve,
    demo,
    accounts,
    store,
    db,
    users,
):
    module.attach(app)


def main() -> None:
    app()
