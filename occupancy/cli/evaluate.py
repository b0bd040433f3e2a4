"""CLI: ``occupancy evaluate``: judge flags against the simulator's truth.

Two ways in:

* ``--flags F --truth T`` (with ``--scores S`` and ``--days N`` for ROC AUC, calibration and
  the false urgent rate) scores flags someone already raised;
* ``--data DIR`` takes a simulator output directory, runs the detector *and* both reference
  rules on it and prints them side by side, because a number alone does not say whether the
  detector is worth its complexity.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from occupancy.evaluate import Comparison

#: Files ``--data`` needs; lights.csv is read when present.
DATA_FILES = ("readings.csv", "register.csv", "truth.csv", "meta.json")
METHOD_TITLES = {"detector": "detector", "daily_energy": "daily energy", "niom": "NIOM"}


def attach(app: typer.Typer) -> None:
    """Register this module's commands on the main app."""
    app.command("evaluate")(evaluate_command)


def evaluate_command(
    flags: Annotated[
        Path | None,
        typer.Option("--flags", exists=True, dir_okay=False, help="flags.csv (unit_id,kind,...)."),
    ] = None,
    truth: Annotated[
        Path | None,
        typer.Option(
            "--truth",
            exists=True,
            dir_okay=False,
            help="truth.csv from the simulator (unit_id,archetype,occupied,registered,meter_ok"
            "[,vulnerable,silent_hours,faults]).",
        ),
    ] = None,
    scores: Annotated[
        Path | None,
        typer.Option(
            "--scores",
            exists=True,
            dir_okay=False,
            help="P(occupied) per unit (unit_id,probability), as `occupancy detect --scores` "
            "writes it: adds ROC AUC per kind and the reliability table.",
        ),
    ] = None,
    days: Annotated[
        int | None,
        typer.Option(
            "--days", min=1, help="Window length, for false urgent flags per 1,000 unit-days."
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            exists=True,
            file_okay=False,
            help="A simulator output directory: run the detector and both reference rules on "
            "it and compare them.",
        ),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            exists=True,
            dir_okay=False,
            help="skops model for --data; default: the shipped model.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Precision, recall, F1, ROC AUC per flag kind and archetype, urgent flags, calibration.

    Either --flags and --truth (flags raised elsewhere), or --data DIR (detector beside the
    daily-energy threshold and NIOM rules, all on that directory).
    """
    from rich.console import Console

    err = Console(stderr=True)
    if data is not None:
        if flags is not None or truth is not None or scores is not None:
            _fail(err, "--data runs the detector itself; leave out --flags, --truth and --scores")
        comparison = _compare_directory(data, model, err, quiet=as_json)
        if as_json:
            import json

            typer.echo(json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False))
            return
        _print_comparison(comparison)
        return
    if flags is None or truth is None:
        _fail(err, "give --flags FILE and --truth FILE, or --data DIR (a simulator output)")
    if model is not None:
        _fail(err, "--model is used with --data only")
    from occupancy.evaluate import evaluate, load_flags_csv, load_scores_csv, load_truth_csv

    try:
        report = evaluate(
            load_flags_csv(flags, with_urgent=True),
            load_truth_csv(truth),
            scores=load_scores_csv(scores) if scores is not None else None,
            days=days,
        )
    except (ValueError, KeyError) as exc:
        _fail(err, str(exc))
    if as_json:
        typer.echo(report.to_json())
        return
    out = Console()
    for table in report.tables():
        out.print(table)
    if report.unknown_units:
        err.print(f"[yellow]{len(report.unknown_units)} flagged units are not in the truth[/]")


def _compare_directory(path: Path, model_path: Path | None, err: Any, *, quiet: bool) -> Comparison:
    """Load a simulator directory with a progress display and compare all three methods."""
    import json
    from datetime import datetime

    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

    from occupancy.detection.files import (
        FileFormatError,
        read_lights,
        read_readings,
        window_from_arrays,
    )
    from occupancy.detection.run import model_version
    from occupancy.evaluate import compare_methods, load_truth_csv
    from occupancy.models.persistence import ModelLoadError, load_detector
    from occupancy.register import RegisterImportError, load_register_csv

    missing = [name for name in DATA_FILES if not (path / name).is_file()]
    if missing:
        _fail(
            err,
            f"{path} lacks {', '.join(missing)}; --data wants a directory written by "
            "`python -m simulator generate --out DIR`",
        )
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        start = datetime.fromisoformat(meta["start"])
        days = int(meta["days"])
    except (ValueError, KeyError, TypeError) as exc:
        _fail(err, f"{path / 'meta.json'} needs start (ISO time) and days: {exc}")
    try:
        model, metadata = load_detector(model_path)
    except ModelLoadError as exc:
        _fail(err, str(exc))

    lights_path = path / "lights.csv"
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=quiet,
    ) as progress:
        try:
            truth = load_truth_csv(path / "truth.csv")
            register = load_register_csv(path / "register.csv")
            readings_task = progress.add_task(
                "reading readings.csv", total=(path / "readings.csv").stat().st_size
            )
            readings = read_readings(
                path / "readings.csv",
                lambda done, total: progress.update(readings_task, completed=done, total=total),
            )
            lights = None
            if lights_path.is_file():
                lights_task = progress.add_task(
                    "reading lights.csv", total=lights_path.stat().st_size
                )
                lights = read_lights(
                    lights_path,
                    lambda done, total: progress.update(lights_task, completed=done, total=total),
                )
        except RegisterImportError as exc:
            _fail(err, f"{path / 'register.csv'} has errors:\n{exc}")
        except (FileFormatError, ValueError, OSError) as exc:
            _fail(err, str(exc))
        step = progress.add_task("hourly window, detector, reference rules", total=None)
        window = window_from_arrays(
            readings,
            lights,
            start,
            days,
            unit_ids=sorted(set(truth) | set(register)),
            communities={u: e.community for u, e in register.items()},
        )
        comparison = compare_methods(
            window,
            register,
            truth,
            model=model,
            model_version=model_version(metadata),
            days=days,
        )
        progress.update(step, total=1, completed=1)
    return comparison


def _print_comparison(comparison: Comparison) -> None:
    from rich.console import Console

    from occupancy.evaluate import comparison_tables

    out = Console()
    reports = {METHOD_TITLES.get(k, k): v for k, v in comparison.reports.items()}
    first = next(iter(comparison.reports.values()))
    out.print(
        f"{first.units} units, {first.days} days; detector {comparison.model_version}; "
        "reference rules tuned on this truth:"
    )
    energy = comparison.rules.get("daily_energy")
    niom = comparison.rules.get("niom")
    if energy is not None:
        out.print(f"  daily energy: occupied at >= {energy.threshold_:.2f} kWh/day")
    if niom is not None:
        out.print(
            f"  NIOM: a day is active when a daytime hour beats the night maximum by "
            f"> {niom.margin_:.2f} kWh; occupied at >= {niom.threshold_:.0%} of days active"
        )
    for table in comparison_tables(reports):
        out.print(table)


def _fail(err: Any, message: str) -> NoReturn:
    from rich.markup import escape

    err.print(f"[red]error:[/] {escape(message)}")
    raise typer.Exit(2)
