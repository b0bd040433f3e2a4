"""CLI: `occupancy demo`, the whole pipeline on embedded defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from occupancy.cli.output import console, fail

Opt = typer.Option


def demo(
    units: Annotated[int, Opt(min=10, help="Households to simulate.")] = 300,
    days: Annotated[int, Opt(min=2, max=30, help="Days of 15-minute readings.")] = 7,
    seed: Annotated[int, Opt(help="Simulator seed (reproducible community).")] = 42,
    serve: Annotated[bool, Opt("--serve/--no-serve", help="Serve the pages afterwards.")] = True,
    port: Annotated[int, Opt(help="Port for the pages.")] = 8000,
    workdir: Annotated[Path, Opt(help="Fresh working directory (deleted first).")] = Path(
        "var/demo"
    ),
    broker: Annotated[
        str, Opt(help="Embedded broker: mosquitto (if installed, else amqtt) or amqtt.")
    ] = "mosquitto",
) -> None:
    """Simulate a community, publish it over MQTT, ingest, detect, score against the truth.

    Everything is embedded: a broker (Mosquitto if installed, else a Python one), a file
    store and SQLite in --workdir. Then the pages are served on http://127.0.0.1:PORT.
    """
    from occupancy.demo import print_summary, run_demo

    try:
        result = run_demo(
            units=units, days=days, seed=seed, workdir=workdir, console=console, broker_kind=broker
        )
    except (RuntimeError, OSError, TimeoutError) as exc:
        fail(f"the demo stopped: {exc}")
    print_summary(result, console)
    if serve:
        from occupancy.cli.serve import serve_app

        first = result.detection.window.communities[0] if result.detection.window.unit_ids else ""
        console.print(
            f"\npages: http://127.0.0.1:{port}/  (community: http://127.0.0.1:{port}/communities/"
            f"{first}); Ctrl-C to stop"
        )
        serve_app(result.settings, host="127.0.0.1", port=port)


def attach(app: typer.Typer) -> None:
    app.command("demo")(demo)
