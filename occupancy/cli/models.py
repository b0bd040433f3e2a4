"""CLI: ``occupancy train``: fit the detector on simulator output and save it.

Training reads simulator *output files* only (readings.csv, lights.csv, register.csv,
truth.csv, meta.json), never the simulator itself, so the detector is trained on exactly what
a deployment would see. Heavy imports happen inside the commands so ``--help`` stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from occupancy.evaluate import TruthRow
    from occupancy.timeseries import HourlyWindow

DATA_FILES = ("readings.csv", "truth.csv", "meta.json")


def attach(app: typer.Typer) -> None:
    """Register this module's commands on the main app."""
    app.command("train")(train_command)


@dataclass(frozen=True)
class _SimDir:
    path: Path
    meta: dict[str, Any]
    window: HourlyWindow
    truth: dict[str, TruthRow]


def train_command(
    data: Annotated[
        list[Path],
        typer.Option(
            "--data",
            exists=True,
            file_okay=False,
            help="Simulator output directory (readings.csv, lights.csv, truth.csv, meta.json); "
            "repeat for several. All must have the same number of days.",
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", dir_okay=False, help="Model file to write (.skops).")
    ],
    holdout: Annotated[
        list[Path] | None,
        typer.Option(
            "--holdout",
            exists=True,
            file_okay=False,
            help="Simulator directory NOT used for training (also needs register.csv): flags "
            "are raised on it and scored against its truth. Repeatable.",
        ),
    ] = None,
    classifier: Annotated[
        str, typer.Option("--classifier", help="trees (default, shipped) or logistic.")
    ] = "trees",
    random_state: Annotated[int, typer.Option("--random-state", help="Seed of the fit.")] = 0,
) -> None:
    """Train the occupancy detector on simulator output and save it with skops + metadata."""
    import time
    from collections import Counter

    import numpy as np
    from rich.console import Console
    from rich.progress import track

    from occupancy.evaluate import evaluate
    from occupancy.flags.rules import raise_flags, trainable
    from occupancy.models.matrix import window_matrix
    from occupancy.models.persistence import save_model
    from occupancy.models.training import fit_detector
    from occupancy.register import load_register_csv

    out_console, err = Console(), Console(stderr=True)
    if classifier not in ("logistic", "trees"):
        err.print(f"[red]error:[/] --classifier must be trees or logistic, not {classifier!r}")
        raise typer.Exit(2)
    # Seeds are checked before anything is read or fitted: a mistake here would otherwise
    # cost the whole fit. The same seed at another interval or season holds the same
    # households, so its rows would sit on both sides of every cross-validation fold.
    seeds = [_seed_of(path, err) for path in data]
    repeated = sorted({s for s in seeds if s is not None and seeds.count(s) > 1})
    if repeated:
        err.print(
            f"[red]error:[/] training directories share seed(s) {repeated}: the same "
            "households would be scored on both sides of each cross-validation fold; "
            "generate each directory with its own seed"
        )
        raise typer.Exit(2)
    for path in holdout or []:
        seed = _seed_of(path, err)
        if seed is not None and seed in seeds:
            err.print(
                f"[red]error:[/] holdout {_escape(str(path))} uses training seed {seed}; "
                f"generate it with a seed not in {seeds}"
            )
            raise typer.Exit(2)
    train_dirs = [_read_dir(path, err) for path in data]
    days = {d.window.days for d in train_dirs}
    if len(days) > 1:
        err.print(f"[red]error:[/] training directories differ in days: {sorted(days)}")
        raise typer.Exit(2)

    xs, ys, archetypes, sources = [], [], [], []
    for d in track(train_dirs, description="Reading windows", console=err):
        X = window_matrix(d.window)
        truth = [d.truth[u] for u in d.window.unit_ids]
        meter_ok = np.array([t.meter_ok for t in truth])
        keep = meter_ok & trainable(X)
        xs.append(X[keep])
        ys.append(np.array([t.occupied for t in truth], dtype=int)[keep])
        archetypes.extend(t.archetype for t, k in zip(truth, keep, strict=True) if k)
        sources.append(
            {
                "dir": d.path.name,
                "seed": d.meta.get("seed"),
                "units": len(truth),
                "used": int(keep.sum()),
                "days": d.window.days,
                "interval_minutes": d.meta.get("interval_minutes"),
                "start": d.meta.get("start"),
            }
        )
    X, y = np.vstack(xs), np.concatenate(ys)
    out_console.print(f"Training on {len(y)} units ({int(y.sum())} occupied) from {len(data)} dirs")
    started = time.perf_counter()
    with err.status("Fitting the detector (5-fold out-of-fold metrics, then all units)"):
        pipeline, cv = fit_detector(X, y, classifier=classifier, random_state=random_state)
    fit_seconds = round(time.perf_counter() - started, 1)
    out_console.print(_cv_table(cv))

    train_seeds = [s["seed"] for s in sources]
    holdout_metrics: dict[str, Any] = {}
    names = [path.name for path in holdout or []]
    for path in holdout or []:
        h = _read_dir(path, err, need_register=True)
        register = load_register_csv(path / "register.csv")
        flags, probability = raise_flags(h.window, register, pipeline)
        scores = {
            u: float(p) for u, p in zip(h.window.unit_ids, probability, strict=True) if p == p
        }
        report = evaluate(flags, h.truth, scores=scores, days=h.window.days)
        out_console.print(f"Held out: {_escape(str(path))} (seed {h.meta.get('seed')})")
        for table in report.tables():
            out_console.print(table)
        # Keyed by directory name, or by the whole path where two names are alike.
        key = path.name if names.count(path.name) == 1 else str(path)
        holdout_metrics[key] = {
            "seed": h.meta.get("seed"),
            "interval_minutes": h.meta.get("interval_minutes"),
            "start": h.meta.get("start"),
            **report.to_dict(),
        }

    metadata = {
        "training_seeds": train_seeds,
        "training_data": sources,
        "units": int(len(y)),
        "archetypes": dict(sorted(Counter(archetypes).items())),
        "window_days": days.pop(),
        "classifier": classifier,
        "random_state": random_state,
        "fit_seconds": fit_seconds,
        "metrics": {"cross_validation": cv, "holdout": holdout_metrics},
    }
    sidecar = save_model(pipeline, out, metadata)
    size = out.stat().st_size / 1024
    out_console.print(f"Saved {out} ({size:.0f} KiB) and {sidecar.name}")


def _seed_of(path: Path, err: Console) -> Any:
    """The simulator seed in a directory's meta.json; None without one (reading the
    directory then names every missing file); exit if it cannot be read."""
    import json

    if not (path / "meta.json").is_file():
        return None
    try:
        return json.loads((path / "meta.json").read_text(encoding="utf-8"))["seed"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        err.print(
            f"[red]error:[/] cannot read the seed of {_escape(str(path))} from meta.json: "
            f"{_escape(str(exc))}"
        )
        raise typer.Exit(2) from None


def _read_dir(path: Path, err: Console, *, need_register: bool = False) -> _SimDir:
    """A simulator output directory as a window and its truth, or exit with what is missing."""
    import json
    from datetime import datetime

    from occupancy.detection.files import window_from_files
    from occupancy.evaluate import load_truth_csv

    needed = (*DATA_FILES, "register.csv") if need_register else DATA_FILES
    missing = [name for name in needed if not (path / name).is_file()]
    if missing:
        err.print(f"[red]error:[/] {_escape(str(path))} lacks {', '.join(missing)}")
        raise typer.Exit(2)
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        start = datetime.fromisoformat(meta["start"])
        days = int(meta["days"])
        truth = load_truth_csv(path / "truth.csv")
    except (ValueError, KeyError, TypeError) as exc:
        err.print(f"[red]error:[/] cannot read {_escape(str(path))}: {_escape(str(exc))}")
        raise typer.Exit(2) from None
    lights = path / "lights.csv"
    window = window_from_files(
        path / "readings.csv",
        lights if lights.is_file() else None,
        start,
        days,
        unit_ids=list(truth),
    )
    return _SimDir(path=path, meta=meta, window=window, truth=truth)


def _cv_table(cv: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title=f"P(occupied), {cv.get('cv_folds', 0)}-fold out-of-fold")
    for name in ("units", "occupied", "accuracy", "roc_auc", "brier", "log_loss"):
        table.add_column(name, justify="right")
    table.add_row(
        *(str(cv.get(k, "")) for k in ("units", "occupied", "accuracy", "roc_auc")),
        str(cv.get("brier", "")),
        str(cv.get("log_loss", "")),
    )
    return table


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
