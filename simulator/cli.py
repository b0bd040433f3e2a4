"""``occupancy-sim``: generate a community with ground truth, or replay one over MQTT."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from simulator.archetypes import ARCHETYPES
from simulator.generate import generate_community, write_community
from simulator.publish import DEFAULT_PREFIX, PublishError, publish_dir

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help=(
        "Simulated households for testing the occupancy detector: smart-meter registers and "
        "lights sensors with ground truth, written to files and replayed over MQTT."
    ),
)
console = Console()
err = Console(stderr=True)


def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _parse_start(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.combine(date.fromisoformat(text), datetime.min.time())
    except ValueError as exc:
        raise typer.BadParameter(
            f"{text!r} is not an ISO date or time; use e.g. 2026-03-01 or 2026-03-01T00:00+08:00"
        ) from exc


@app.command()
def generate(
    units: Annotated[int, typer.Option("--units", min=1, help="Number of dwellings.")] = 300,
    days: Annotated[int, typer.Option("--days", min=1, help="Length of the window in days.")] = 7,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Same seed, same files.")] = 1,
    out: Annotated[
        Path, typer.Option("--out", help="Directory to write the files into (created if missing).")
    ] = Path("var/sim"),
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            help="First reading, ISO date or time (local to --tz if no offset). "
            "Default: midnight --days days ago, so the data ends at the latest midnight.",
        ),
    ] = None,
    interval: Annotated[
        int, typer.Option("--interval", min=1, max=60, help="Minutes between meter readings.")
    ] = 15,
    community: Annotated[
        str, typer.Option("--community", help="Community name (an MQTT topic level).")
    ] = "demo-community",
    offline_rate: Annotated[
        float,
        typer.Option(
            "--offline-rate",
            min=0.0,
            max=1.0,
            help="Share of meters that stop reporting in the first half of the window.",
        ),
    ] = 0.02,
    lights_coverage: Annotated[
        float,
        typer.Option(
            "--lights-coverage",
            min=0.0,
            max=1.0,
            help="Share of units with a lights sensor (hourly 18:00-23:00 reports).",
        ),
    ] = 0.6,
    tz: Annotated[str, typer.Option("--tz", help="IANA time zone of the community.")] = (
        "Asia/Shanghai"
    ),
) -> None:
    """Simulate households and write readings, lights, register, truth and meta into --out."""
    begin = time.perf_counter()
    first = _parse_start(start)
    try:
        with _progress() as bar:
            task = bar.add_task("simulating units", total=units)
            result = generate_community(
                units=units,
                days=days,
                seed=seed,
                start=first,
                interval_minutes=interval,
                community=community,
                offline_rate=offline_rate,
                lights_coverage=lights_coverage,
                tz=tz,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
            writing = bar.add_task("writing files", total=1)
            write_community(result, out)
            bar.update(writing, completed=1)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    elapsed = time.perf_counter() - begin

    table = Table(title=f"{community}: {units} units, {days} days from {result.timeline.start}")
    table.add_column("archetype")
    table.add_column("units", justify="right")
    table.add_column("occupied", justify="center")
    table.add_column("registered", justify="center")
    for name, count in result.counts().items():
        a = ARCHETYPES[name]
        table.add_row(
            name, str(count), "yes" if a.occupied else "no", "yes" if a.registered else "no"
        )
    console.print(table)
    offline = sum(not u.meter_ok for u in result.units)
    sensors = sum(u.has_lights_sensor for u in result.units)
    console.print(
        f"{offline} meters go offline, {sensors} units have a lights sensor; "
        f"wrote {out} in {elapsed:.1f} s"
    )


@app.command()
def publish(
    src: Annotated[
        Path,
        typer.Option("--from", help="Directory written by `occupancy-sim generate`."),
    ] = Path("var/sim"),
    broker: Annotated[
        str, typer.Option("--broker", help="mqtt://[user:pass@]host:port")
    ] = "mqtt://127.0.0.1:1883",
    speed: Annotated[
        float,
        typer.Option(
            "--speed",
            min=0.0,
            help="Simulated seconds per real second (3600 = an hour a second); 0 = flat out.",
        ),
    ] = 0.0,
    qos: Annotated[int, typer.Option("--qos", min=0, max=2, help="MQTT QoS.")] = 1,
    prefix: Annotated[str, typer.Option("--prefix", help="Topic prefix.")] = DEFAULT_PREFIX,
) -> None:
    """Replay a generated directory over MQTT in time order."""
    begin = time.perf_counter()
    try:
        with _progress() as bar:
            tasks: list[TaskID] = []

            def show(done: int, total: int) -> None:
                # The bar appears with the first progress report, i.e. once connected.
                if not tasks:
                    tasks.append(bar.add_task("publishing", total=total))
                bar.update(tasks[0], completed=done, total=total)

            count = publish_dir(
                broker, src, speed=speed, qos=qos, topic_prefix=prefix, progress=show
            )
    except PublishError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    elapsed = time.perf_counter() - begin
    rate = count / elapsed if elapsed > 0 else float("inf")
    console.print(f"published {count} messages in {elapsed:.1f} s ({rate:,.0f} msgs/s)")


def main() -> None:
    """Console-script entry point."""
    app()
