"""CLI: `occupancy detect`, from the configured store or, offline, from CSV files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from occupancy.cli.output import console, fail, flags_table

Opt = typer.Option


def detect(
    readings: Annotated[
        Path | None, Opt(help="Offline: readings CSV (unit_id,ts,kwh; kwh = cumulative register).")
    ] = None,
    register: Annotated[Path | None, Opt(help="Offline: move-in register CSV.")] = None,
    lights: Annotated[Path | None, Opt(help="Offline: lights CSV (unit_id,ts,on).")] = None,
    out: Annotated[Path | None, Opt(help="Write flags to this CSV.")] = None,
    scores: Annotated[
        Path | None,
        Opt(
            help="Write every unit's P(occupied) to this CSV (unit_id,probability; empty = "
            "not scored), for `occupancy evaluate --scores`."
        ),
    ] = None,
    days: Annotated[int | None, Opt(help="Window length in days (default 7).")] = None,
    end: Annotated[
        str | None,
        Opt(
            help="Window end (a date, e.g. 2026-03-08). Default: offline, the local midnight "
            "at or after most meters' last reading; from the store, the last local midnight."
        ),
    ] = None,
    model: Annotated[Path | None, Opt(help="skops model file; default: the shipped model.")] = None,
    community: Annotated[
        list[str] | None, Opt(help="Only these communities (store mode; repeatable).")
    ] = None,
) -> None:
    """Score each unit's occupancy and flag where it disagrees with the move-in register.

    With --readings (and --register, --out) it works on files and touches no database;
    without, it reads the configured store and register and records the flags there.
    Readings may come every 1 to 60 minutes.
    """
    from occupancy.config import get_settings

    settings = get_settings()
    days = days or settings.window_days
    end_at = _parse_end(end, settings.tz) if end else None
    if readings is not None:
        if register is None or out is None:
            fail("offline detection needs --register FILE and --out FILE as well as --readings")
        result = _offline(readings, register, lights, out, days, end_at, model, settings.tz)
    else:
        from occupancy.detection.run import detect_from_store
        from occupancy.store import open_store

        store = open_store(settings.resolved_store_url)
        try:
            result = detect_from_store(
                store,
                settings.resolved_db_url,
                tz=settings.tz,
                days=days,
                end=end_at,
                communities=community,
                model_path=model or settings.model_path,
                dismissal_days=settings.dismissal_days,
            )
        finally:
            store.close()
        console.print(
            f"run {result.run_id}: {len(result.flags)} flags "
            f"({result.created} new, {result.updated} updated; {result.withdrawn} earlier flags "
            "withdrawn) recorded in the database"
        )
        if out is not None:
            from occupancy.flags.csvfile import write_flags_csv

            write_flags_csv(result.flags, out)
    window = result.window
    if scores is not None:
        from occupancy.flags.csvfile import write_scores_csv

        write_scores_csv(window.unit_ids, result.probability, scores)
    console.print(
        f"window {window.start:%Y-%m-%d %H:%M} to {window.end:%Y-%m-%d %H:%M} "
        f"({window.days} days), {len(window.unit_ids)} units, model {result.model_version}"
    )
    console.print(flags_table(result.flags, limit=15))
    if out is not None:
        console.print(f"flags written to {out}")
    if scores is not None:
        console.print(f"P(occupied) of {len(window.unit_ids)} units written to {scores}")


def _offline(readings, register, lights, out, days, end_at, model, tz):
    from occupancy.detection.files import (
        FileFormatError,
        read_lights,
        read_readings,
        typical_last_reading,
        window_from_arrays,
    )
    from occupancy.detection.run import detect_window
    from occupancy.flags.csvfile import write_flags_csv
    from occupancy.register import RegisterImportError, load_register_csv
    from occupancy.timeseries import window_bounds

    try:
        entries = load_register_csv(register)
        with _file_progress() as progress:
            task = progress.add_task(f"reading {readings.name}", total=readings.stat().st_size)
            data = read_readings(
                readings, lambda done, total: progress.update(task, completed=done, total=total)
            )
            light_data = read_lights(lights) if lights is not None else None
        if end_at is None:
            end_at = datetime.fromtimestamp(typical_last_reading(data), tz)
        start, _stop = window_bounds(end_at, days, tz)
        # Every unit named in `communities` gets a row, so registered units that sent no
        # readings at all are in the window (and flagged meter_offline).
        communities = {u: e.community for u, e in entries.items()}
        window = window_from_arrays(data, light_data, start, days, communities=communities)
    except RegisterImportError as exc:
        fail(f"the register file has errors:\n{exc}")
    except (FileFormatError, OSError) as exc:
        fail(str(exc))
    result = detect_window(window, entries, model)
    write_flags_csv(result.flags, out)
    return result


def _file_progress():
    """A byte progress bar on stderr (reading a week of 1-minute data takes seconds)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from occupancy.cli.output import err_console

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )


def _parse_end(text: str, tz):
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"--end {text!r} is not a date; use e.g. 2026-03-08 or 2026-03-08T00:00+08:00")
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def attach(app: typer.Typer) -> None:
    app.command("detect")(detect)
