"""``occupancy-sim``: generate a community with ground truth, or replay one over MQTT."""

from __future__ import annotations

import time
from collections.abc import Iterator
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
from simulator.files import write_chunks
from simulator.generate import FAULTS, CommunityChunk, fault_rates, iter_chunks
from simulator.publish import DEFAULT_PREFIX, PublishError, publish_replay

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


def _pairs(items: list[str], what: str, names: tuple[str, ...]) -> dict[str, float]:
    """``name=value`` options (``--fault-rate gap=0.05``) as a dict, or a clear error."""
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            if not sep or name not in names:
                raise ValueError
            out[name] = float(value)
        except ValueError as exc:
            raise typer.BadParameter(
                f"{item!r} is not NAME=SHARE with NAME one of {', '.join(names)} "
                f"(e.g. {names[0]}=0.05)",
                param_hint=what,
            ) from exc
    return out


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
    faults: Annotated[
        bool,
        typer.Option(
            "--faults/--no-faults",
            help="Meter faults (gaps, stuck, reset, duplicates, clock skew, offline) at their "
            "default rates, or none at all (--no-faults also sets --offline-rate to 0).",
        ),
    ] = True,
    fault_rate: Annotated[
        list[str] | None,
        typer.Option(
            "--fault-rate",
            metavar="NAME=SHARE",
            help=f"Override one fault's share of meters, NAME=SHARE (repeatable); NAME is one "
            f"of {', '.join(FAULTS)}.",
        ),
    ] = None,
    mix: Annotated[
        list[str] | None,
        typer.Option(
            "--mix",
            metavar="ARCHETYPE=SHARE",
            help="Archetype shares, ARCHETYPE=SHARE (repeatable); only the archetypes given "
            "are generated. Default: the built-in mix.",
        ),
    ] = None,
) -> None:
    """Simulate households and write readings, lights, register, truth and meta into --out.

    Units are simulated and written a chunk at a time, so memory stays flat for any --units.
    """
    begin = time.perf_counter()
    first = _parse_start(start)
    overrides = _pairs(fault_rate or [], "--fault-rate", FAULTS)
    shares = _pairs(mix or [], "--mix", tuple(ARCHETYPES)) or None
    rates: dict[str, float] | bool = (
        {**fault_rates(True, offline_rate), **overrides}
        if faults
        else ({"offline": 0.0, **overrides} if overrides else False)
    )
    tally = {"broken": 0, "sensors": 0}
    try:
        with _progress() as bar:
            task = bar.add_task("simulating and writing", total=units)
            chunks = iter_chunks(
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
                faults=rates,
                mix=shares,
            )

            def keep(chunk_iter: Iterator[CommunityChunk]) -> Iterator[CommunityChunk]:
                for chunk in chunk_iter:
                    tally["broken"] += sum(not u.meter_ok for u in chunk.units)
                    tally["sensors"] += sum(u.has_lights_sensor for u in chunk.units)
                    yield chunk

            meta = write_chunks(keep(chunks), out)
            merging = bar.add_task("merging files by time", total=1)
            bar.update(merging, completed=1)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    elapsed = time.perf_counter() - begin

    table = Table(title=f"{community}: {units} units, {days} days from {meta['start']}")
    table.add_column("archetype")
    table.add_column("units", justify="right")
    table.add_column("occupied", justify="center")
    table.add_column("registered", justify="center")
    counts = meta["counts"]
    assert isinstance(counts, dict)
    for name, count in counts.items():
        a = ARCHETYPES[name]
        table.add_row(
            name, str(count), "yes" if a.occupied else "no", "yes" if a.registered else "no"
        )
    console.print(table)
    broken, sensors = tally["broken"], tally["sensors"]
    fault_counts = meta["fault_counts"]
    assert isinstance(fault_counts, dict)
    listed = ", ".join(f"{n} {c}" for n, c in fault_counts.items() if c) or "none"
    console.print(
        f"meter faults: {listed}; {broken} meters not ok (offline or stuck); "
        f"{sensors} units have a lights sensor; wrote {meta['readings']} readings to {out} "
        f"in {elapsed:.1f} s",
        soft_wrap=True,
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
    garbage_rate: Annotated[
        float,
        typer.Option(
            "--garbage-rate",
            min=0.0,
            max=0.99,
            help="Chance, per reading, of a malformed payload sent first on the same topic "
            "(not JSON, truncated, wrong types, bad time ...); the count is printed so it can "
            "be checked against the ingester's rejected counter.",
        ),
    ] = 0.0,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed for the garbage.")] = 0,
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

            stats = publish_replay(
                broker,
                src,
                speed=speed,
                qos=qos,
                topic_prefix=prefix,
                progress=show,
                garbage_rate=garbage_rate,
                seed=seed,
            )
    except PublishError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    elapsed = time.perf_counter() - begin
    rate = stats.total / elapsed if elapsed > 0 else float("inf")
    console.print(
        f"published {stats.total} messages in {elapsed:.1f} s ({rate:,.0f} msgs/s): "
        f"{stats.readings} readings and {stats.garbage} garbage payloads",
        soft_wrap=True,
    )


def main() -> None:
    """Console-script entry point."""
    app()
