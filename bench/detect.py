"""Benchmark (run by hand, not a test): meter registers of a whole city district to flags,
stage by stage, with wall time and peak memory, against a bare numpy floor.

    .venv/bin/python bench/detect.py [--units 100000] [--days 7] [--interval 15] [--json]

The input is what a store query hands the detector: cumulative registers as three parallel
arrays (unit, timestamp, kWh) sorted by unit and time, plus lights observations. It comes
from the simulator, generated in chunks of units before the clock starts (reported, never
counted). Then, each stage timed on its own:

- ``window``: registers -> intervals -> hourly window (``occupancy.timeseries.aggregate_arrays``,
  the code both stores run);
- ``features``: window -> feature matrix (``window_matrix`` and the model's features step);
- ``predict``: the model's ``predict_proba`` on every unit (the pipeline's own features step
  included, as in production);
- ``flags``: ``raise_flags`` (features, scoring, the register comparison and evidence for
  every flag; it repeats the two stages above, which are there to show where time goes);
- ``total``: ``window`` + ``flags``, i.e. readings to flags as ``detect_window`` runs it.

The floor is the least any implementation must do with the same array, in the same process:
one numpy pass that differences the registers, bins the steps into unit-hours with
``bincount`` and takes a per-row quantile. ``total / floor`` says how far the detector is from
bare numpy.

Peak memory is the process's resident high-water mark (``VmHWM``), reset before each stage
through ``/proc/self/clear_refs`` (Linux; elsewhere the run's peak so far); it includes the
input arrays, which a real run holds too. ``tracemalloc`` is not used: at this size it slows
numpy-heavy code several times. CPU seconds beside wall seconds show how much of a stage was
spent waiting for a core on a shared machine.

``--unit-ids strings`` hands the units as one Python string per reading (what the stores
pass today) instead of integer positions in the unit list; ``--units 10000`` is a quick run;
``--model`` scores with another model file (e.g. one just trained) instead of the shipped one.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import simulator
from occupancy.flags.record import METER_OFFLINE, REGISTERED_SILENT, UNREGISTERED_ACTIVITY
from occupancy.flags.rules import raise_flags
from occupancy.models.features import HourlyFeatures
from occupancy.models.matrix import window_matrix
from occupancy.models.persistence import load_detector
from occupancy.register.entry import RegisterEntry
from occupancy.timeseries import HOUR, REGISTER_BLOCK, HourlyWindow, aggregate_arrays

#: Issue 4's bar for 100,000 units x 7 days of 15-minute data on the project's 2-core machine.
TARGET_SECONDS = 20.0
TARGET_BYTES = 4 * 1024**3
MIB = 1024**2


@dataclass
class Inputs:
    """What a store query returns for the window, plus the truth to sanity-check flags."""

    start: datetime
    hours: int
    unit_ids: list[str]
    communities: dict[str, str]
    r_unit: np.ndarray
    r_ts: np.ndarray
    r_kwh: np.ndarray
    l_unit: np.ndarray
    l_ts: np.ndarray
    l_on: np.ndarray
    register: dict[str, RegisterEntry]
    occupied: np.ndarray
    registered: np.ndarray
    meter_ok: np.ndarray
    source: str


@dataclass
class Stage:
    name: str
    seconds: float
    #: CPU seconds of this process (all threads): on a shared machine, wall time above
    #: this is time spent waiting for a core.
    cpu_seconds: float
    peak_mib: float
    added_mib: float
    note: str = ""


@dataclass
class Report:
    command: str
    machine: dict[str, Any]
    units: int
    days: int
    interval_minutes: int
    readings: int
    lights: int
    source: str
    unit_ids: str
    generate_seconds: float
    model: str
    stages: list[Stage] = field(default_factory=list)
    flags: dict[str, int] = field(default_factory=dict)
    checks: dict[str, float] = field(default_factory=dict)

    def stage(self, name: str) -> Stage:
        return next(s for s in self.stages if s.name == name)


# --- memory -----------------------------------------------------------------------------


def _status_kib(key: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def _rss_mib() -> float:
    kib = _status_kib("VmRSS")
    return (kib or 0) / 1024


def _peak_mib() -> float:
    kib = _status_kib("VmHWM")
    if kib is None:  # not Linux: ru_maxrss is the peak of the whole run, never reset
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024


@contextmanager
def measured(stages: list[Stage], name: str, note: str = "") -> Iterator[None]:
    """Time a stage and record the process's resident peak during it."""
    gc.collect()
    _reset_peak()
    before = _rss_mib()
    t, cpu = time.perf_counter(), time.process_time()
    yield
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    peak = _peak_mib()
    stages.append(Stage(name, seconds, cpu, peak, max(peak - before, 0.0), note))


# --- input ------------------------------------------------------------------------------


def generate(
    units: int, days: int, interval: int, seed: int, faults: bool, progress: Progress
) -> tuple[Inputs, float]:
    """Stream the community from ``simulator.iter_chunks`` into preallocated arrays, each
    chunk sorted by unit and time as a store query returns it (the simulator emits live-feed
    order). The capacity is an upper bound; pages never written cost no memory."""
    t = time.perf_counter()
    per_unit = days * 24 * 60 // interval + 1
    capacity = int(units * per_unit * 2.1) + 16  # every reading could be sent twice
    r_unit = np.empty(capacity, dtype=np.int64)
    r_ts = np.empty(capacity, dtype=float)
    r_kwh = np.empty(capacity, dtype=float)
    lights: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    ids: list[str] = []
    communities: dict[str, str] = {}
    register: dict[str, RegisterEntry] = {}
    truth: dict[str, list[bool]] = {"occupied": [], "registered": [], "meter_ok": []}
    filled = 0
    start: datetime | None = None
    task = progress.add_task("simulating units", total=units)
    chunks = simulator.iter_chunks(
        units, days, seed, interval_minutes=interval, faults=faults, community="bench"
    )
    for chunk in chunks:
        start = start or chunk.timeline.start
        u, ts, kwh = chunk.reading_arrays()
        order = np.lexsort((ts, u))  # stable: a duplicate stays after its original
        size = len(u)
        r_unit[filled : filled + size] = u[order] + chunk.first
        r_ts[filled : filled + size] = ts[order]
        r_kwh[filled : filled + size] = kwh[order]
        filled += size
        lu, lts, lon = chunk.light_arrays()
        lights.append((lu + chunk.first, lts, lon.astype(float)))
        for unit in chunk.units:
            ids.append(unit.unit_id)
            communities[unit.unit_id] = chunk.name
            register[unit.unit_id] = RegisterEntry(
                unit_id=unit.unit_id,
                community=chunk.name,
                registered_occupants=unit.registered_occupants,
                vulnerable=unit.vulnerable,
            )
            truth["occupied"].append(unit.occupied)
            truth["registered"].append(unit.registered_occupants > 0)
            truth["meter_ok"].append(unit.meter_ok)
        progress.update(task, completed=len(ids))
    assert start is not None, "the simulator returned no units"
    inputs = Inputs(
        start=start,
        hours=days * 24,
        unit_ids=ids,
        communities=communities,
        r_unit=r_unit[:filled],
        r_ts=r_ts[:filled],
        r_kwh=r_kwh[:filled],
        l_unit=np.concatenate([x[0] for x in lights]),
        l_ts=np.concatenate([x[1] for x in lights]),
        l_on=np.concatenate([x[2] for x in lights]),
        register=register,
        occupied=np.array(truth["occupied"]),
        registered=np.array(truth["registered"]),
        meter_ok=np.array(truth["meter_ok"]),
        source=f"simulator.iter_chunks, faults {'on' if faults else 'off'}",
    )
    return inputs, time.perf_counter() - t


# --- stages -----------------------------------------------------------------------------


def floor_pass(inputs: Inputs) -> np.ndarray:
    """The least any detector does with these arrays: register steps -> unit-hour sums ->
    a low quantile per unit (a standby baseline). No validation, no coverage, no lights;
    in cache-sized blocks like the real thing, so the comparison is fair."""
    n, hours = len(inputs.unit_ids), inputs.hours
    t0 = inputs.start.timestamp()
    unit, ts, kwh = inputs.r_unit, inputs.r_ts, inputs.r_kwh
    sums = np.zeros(n * hours)
    for lo in range(0, len(ts) - 1, REGISTER_BLOCK):
        hi = min(lo + REGISTER_BLOCK, len(ts) - 1)
        u = unit[lo : hi + 1]
        hour = ((ts[lo:hi] - t0) // HOUR).astype(np.int64)
        inside = (u[1:] == u[:-1]) & (hour >= 0) & (hour < hours)
        step = np.where(inside, np.diff(kwh[lo : hi + 1]), 0.0)
        base, size = int(u[0]) * hours, (int(u[-1]) - int(u[0]) + 1) * hours
        cell = u[:-1] * hours + np.clip(hour, 0, hours - 1) - base
        sums[base : base + size] += np.bincount(cell, step, size)
    return np.quantile(sums.reshape(n, hours), 0.1, axis=1)


def window_stage(inputs: Inputs, strings: np.ndarray | None) -> HourlyWindow:
    empty = np.zeros(0)
    ids = inputs.unit_ids
    return aggregate_arrays(
        inputs.start,
        inputs.hours,
        unit_ids=ids,
        communities=inputs.communities,
        e_unit=(),
        e_start=empty,
        e_end=empty,
        e_kwh=empty,
        l_unit=inputs.l_unit if strings is None else [ids[i] for i in inputs.l_unit],
        l_ts=inputs.l_ts,
        l_on=inputs.l_on,
        r_unit=inputs.r_unit if strings is None else strings,
        r_ts=inputs.r_ts,
        r_kwh=inputs.r_kwh,
    )


def features_step(model: Any, X: np.ndarray) -> np.ndarray:
    """The model's own features step (a fitted ``HourlyFeatures``), as ``raise_flags`` uses."""
    steps = getattr(model, "named_steps", None)
    step = steps.get("features") if steps is not None else None
    if step is None:
        step = HourlyFeatures(
            margin_kwh=getattr(model, "margin_kwh", 0.1), event_kwh=getattr(model, "event_kwh", 0.3)
        ).fit(X[:0])
    return step.transform(X)


def run(args: argparse.Namespace, console: Console) -> Report:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        inputs, generate_seconds = generate(
            args.units, args.days, args.interval, args.seed, not args.no_faults, progress
        )
    strings = None
    if args.unit_ids == "strings":
        strings = np.asarray(inputs.unit_ids, dtype=object)[inputs.r_unit]
    model, metadata = load_detector(args.model)
    report = Report(
        command=" ".join([".venv/bin/python", "bench/detect.py", *sys.argv[1:]]),
        machine=machine(),
        units=args.units,
        days=args.days,
        interval_minutes=args.interval,
        readings=len(inputs.r_ts),
        lights=len(inputs.l_ts),
        source=inputs.source,
        unit_ids=args.unit_ids,
        generate_seconds=generate_seconds,
        model=str(metadata.get("estimator") or metadata.get("kind") or type(model).__name__)[:60],
    )
    stages = report.stages
    window: HourlyWindow | None = None
    flags: list[Any] = []
    probability = np.zeros(0)
    X = np.zeros((0, 0))

    def do_floor() -> None:
        with measured(stages, "floor", "bare numpy pass"):
            floor_pass(inputs)

    def do_window() -> None:
        nonlocal window
        with measured(stages, "window", "registers -> hourly window"):
            window = window_stage(inputs, strings)

    def do_features() -> None:
        nonlocal X
        assert window is not None
        with measured(stages, "features", "window -> feature matrix"):
            X = window_matrix(window)
            features_step(model, X)

    def do_predict() -> None:
        with measured(stages, "predict", "model.predict_proba"):
            try:
                model.predict_proba(X)
            except ValueError as exc:
                raise SystemExit(
                    f"the model does not fit this checkout's features ({exc}). Retrain it "
                    "(`occupancy train`, docs/detector.md) or pass --model PATH."
                ) from exc

    def do_flags() -> None:
        nonlocal flags, probability
        assert window is not None
        with measured(stages, "flags", "raise_flags, with evidence"):
            flags, probability = raise_flags(window, inputs.register, model)

    steps: list[tuple[str, Callable[[], None]]] = [
        ("floor", do_floor),
        ("window", do_window),
        ("features", do_features),
        ("predict", do_predict),
        ("flags", do_flags),
    ]
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("stages", total=len(steps))
        for name, step in steps:
            progress.update(task, description=f"stage: {name}")
            step()
            progress.advance(task)
    window_s, flags_s = report.stage("window"), report.stage("flags")
    stages.append(
        Stage(
            "total",
            window_s.seconds + flags_s.seconds,
            window_s.cpu_seconds + flags_s.cpu_seconds,
            max(window_s.peak_mib, flags_s.peak_mib),
            max(window_s.added_mib, flags_s.added_mib),
            "window + flags",
        )
    )
    report.flags = {
        kind: sum(f.kind == kind for f in flags)
        for kind in (UNREGISTERED_ACTIVITY, REGISTERED_SILENT, METER_OFFLINE)
    }
    report.flags["urgent"] = sum(bool(f.urgent) for f in flags)
    report.checks = checks(inputs, flags, probability)
    return report


def checks(inputs: Inputs, flags: list[Any], probability: np.ndarray) -> dict[str, float]:
    """Precision and recall of the two occupancy flags against the simulator's truth: not
    what this benchmark is for, but a detector that got fast by getting wrong shows here."""
    row = {u: i for i, u in enumerate(inputs.unit_ids)}
    out: dict[str, float] = {"scored_units": float(np.isfinite(probability).sum())}
    expected = {
        UNREGISTERED_ACTIVITY: inputs.meter_ok & inputs.occupied & ~inputs.registered,
        REGISTERED_SILENT: inputs.meter_ok & ~inputs.occupied & inputs.registered,
    }
    for kind, truth in expected.items():
        got = np.zeros(len(row), dtype=bool)
        got[[row[f.unit_id] for f in flags if f.kind == kind]] = True
        tp = int((got & truth).sum())
        out[f"{kind}_precision"] = round(tp / max(int(got.sum()), 1), 4)
        out[f"{kind}_recall"] = round(tp / max(int(truth.sum()), 1), 4)
    return out


def machine() -> dict[str, Any]:
    mem_kib = 0
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            mem_kib = int(info.readline().split()[1])
    except OSError:
        pass
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="ascii") as info:
            names = [line.split(":", 1)[1].strip() for line in info if "model name" in line]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "ram_gib": round(mem_kib / 1024**2, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def render(report: Report, console: Console) -> None:
    m = report.machine
    console.print(
        f"{report.units:,} units x {report.days} days x {report.interval_minutes} min: "
        f"{report.readings:,} register readings, {report.lights:,} lights observations "
        f"({report.source}, unit ids as {report.unit_ids}); generated in "
        f"{report.generate_seconds:.1f} s (not timed). Model: {report.model}."
    )
    console.print(
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gib']} GiB, Python {m['python']}, "
        f"numpy {m['numpy']}, load average {m['load_average']}, {m['when']}"
    )
    floor = report.stage("floor").seconds
    table = Table()
    for column in ("stage", "seconds", "CPU s", "x floor", "peak RSS MiB", "added MiB", "what"):
        table.add_column(column, justify="left" if column in ("stage", "what") else "right")
    for s in report.stages:
        table.add_row(
            s.name,
            f"{s.seconds:.2f}",
            f"{s.cpu_seconds:.2f}",
            f"{s.seconds / floor:.1f}" if floor > 0 else "-",
            f"{s.peak_mib:,.0f}",
            f"{s.added_mib:,.0f}",
            s.note,
        )
    console.print(table)
    total = report.stage("total")
    ok_time = total.seconds <= TARGET_SECONDS
    ok_mem = total.peak_mib * MIB <= TARGET_BYTES
    console.print(
        f"total {total.seconds:.1f} s (target {TARGET_SECONDS:.0f} s: "
        f"{'met' if ok_time else 'MISSED'}), peak {total.peak_mib / 1024:.2f} GiB (target "
        f"{TARGET_BYTES / 1024**3:.0f} GiB: {'met' if ok_mem else 'MISSED'}); "
        f"flags {report.flags}; checks {report.checks}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Paste the table into docs/benchmarks.md with the command and the machine.",
    )
    parser.add_argument("--units", type=int, default=100_000, help="units (default 100,000)")
    parser.add_argument("--days", type=int, default=7, help="days in the window (default 7)")
    parser.add_argument(
        "--interval", type=int, default=15, help="minutes between register readings (default 15)"
    )
    parser.add_argument("--seed", type=int, default=7, help="simulator seed (default 7)")
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help="model file (default: the shipped model, else the rule-based fallback)",
    )
    parser.add_argument(
        "--unit-ids",
        choices=("codes", "strings"),
        default="codes",
        help="units per reading as integer positions in the unit list (default) or as one "
        "Python string per reading, as the stores pass them today",
    )
    parser.add_argument(
        "--no-faults",
        action="store_true",
        help="clean meters (default: the simulator's faults: gaps, resets, duplicates, clock "
        "skew, stuck and offline meters)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON only")
    args = parser.parse_args()
    if args.units < 1 or args.days < 1 or not 1 <= args.interval <= 60:
        parser.error("need --units >= 1, --days >= 1 and --interval between 1 and 60 minutes")
    console = Console(stderr=args.json, width=None if sys.stdout.isatty() else 120)
    report = run(args, console)
    if args.json:
        print(json.dumps(asdict(report), indent=2))
    else:
        render(report, console)


if __name__ == "__main__":
    main()
