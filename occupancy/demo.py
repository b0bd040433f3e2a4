"""`occupancy demo`: the whole path on embedded parts, as a newcomer's first run.

simulator -> MQTT (embedded broker) -> ingester -> embedded store -> detector -> flags in
SQLite -> summary against the simulator's truth -> web pages. The simulator publishes from
its own process, as meters would, so the ingester is measured against a real peer.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from occupancy.broker import EmbeddedBroker
from occupancy.config import Settings
from occupancy.demo_accounts import DemoAccount, create_demo_accounts
from occupancy.detection.run import DetectionResult, detect_from_store
from occupancy.evaluate import EvaluationReport, evaluate, load_truth_csv
from occupancy.flags.record import FLAG_KINDS
from occupancy.ingest.ingester import Ingester
from occupancy.ingest.mqtt_source import MqttSource
from occupancy.register.repository import import_register_file
from occupancy.store import open_store

#: The demo deletes its workdir on the next run only if this file says it made it.
MARKER = ".occupancy-demo"
#: Give up waiting for the ingester when nothing new arrived for this long.
STALL_SECONDS = 30.0


@dataclass
class DemoResult:
    workdir: Path
    settings: Settings
    detection: DetectionResult
    report: EvaluationReport
    published: int
    ingest_stats: dict
    timings: dict[str, float]
    accounts: list[DemoAccount]


def count_rows(path: Path) -> int:
    with open(path, encoding="utf-8") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


def run_demo(
    units: int = 300,
    days: int = 7,
    seed: int = 42,
    workdir: Path = Path("var/demo"),
    console: Console | None = None,
    broker_kind: str = "mosquitto",
) -> DemoResult:
    """Run the batch part of the demo in a fresh ``workdir`` and return what it found."""
    from simulator import generate_community, write_community

    console = console or Console()
    timings: dict[str, float] = {}
    if workdir.exists() and any(workdir.iterdir()):
        if not (workdir / MARKER).is_file():
            raise RuntimeError(
                f"{workdir} is not empty and was not made by the demo; choose another --workdir"
            )
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / MARKER).write_text("made by occupancy demo; deleted by the next demo run\n")
    sim_dir = workdir / "simulated"
    settings = Settings(
        var_dir=workdir,
        store_url=f"sqlite:///{workdir / 'readings.sqlite'}",
        db_url=f"sqlite:///{workdir / 'occupancy.db'}",
        mqtt_client_id=f"occupancy-demo-{seed}",
    )
    progress = Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    with progress:
        t = time.perf_counter()
        task = progress.add_task("simulating households", total=units)
        community = generate_community(
            units, days, seed, progress=lambda done, _total: progress.update(task, completed=done)
        )
        write_community(community, sim_dir)
        progress.update(task, completed=units)
        timings["simulate"] = time.perf_counter() - t

        t = time.perf_counter()
        summary = import_register_file(
            settings.resolved_db_url, sim_dir / "register.csv", simulated=True, changed_by="demo"
        )
        timings["register"] = time.perf_counter() - t
        console.print(f"register: {summary.created} units imported")

        expected = count_rows(sim_dir / "readings.csv") + count_rows(sim_dir / "lights.csv")
        with EmbeddedBroker(prefer=broker_kind) as broker:
            console.print(f"broker: embedded {broker.kind} on {broker.url}")
            store = open_store(settings.resolved_store_url)
            ingester = Ingester(store, batch_size=settings.ingest_batch_size)
            source = MqttSource(broker.url, ingester, client_id=settings.mqtt_client_id)
            source.start()
            t = time.perf_counter()
            publisher = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "simulator",
                    "publish",
                    "--broker",
                    broker.url,
                    "--from",
                    str(sim_dir),
                    "--speed",
                    "0",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            task = progress.add_task("MQTT -> ingester -> store", total=expected)
            last_change, last_seen = time.monotonic(), -1
            while ingester.stats.handled < expected:
                handled = ingester.stats.handled
                progress.update(task, completed=handled)
                if handled != last_seen:
                    last_change, last_seen = time.monotonic(), handled
                if publisher.poll() not in (None, 0) or (
                    time.monotonic() - last_change > STALL_SECONDS
                ):
                    break
                time.sleep(0.1)
            publisher.wait(60)
            source.stop()
            progress.update(task, completed=ingester.stats.handled)
            timings["publish+ingest"] = time.perf_counter() - t
            if publisher.returncode != 0:
                err = publisher.stderr.read().decode(errors="replace") if publisher.stderr else ""
                raise RuntimeError(f"the simulator's publisher failed: {err.strip()[-2000:]}")
            if ingester.stats.handled < expected:
                raise RuntimeError(
                    f"only {ingester.stats.handled} of {expected} messages reached the ingester"
                )

        t = time.perf_counter()
        meta = json.loads((sim_dir / "meta.json").read_text(encoding="utf-8"))
        end = datetime.fromisoformat(meta["start"]) + timedelta(days=int(meta["days"]))
        detection = detect_from_store(
            store, settings.resolved_db_url, tz=settings.tz, days=days, end=end
        )
        store.close()
        timings["detect"] = time.perf_counter() - t
    truth = load_truth_csv(sim_dir / "truth.csv")
    report = evaluate([(f.unit_id, f.kind) for f in detection.flags], truth)
    accounts = create_demo_accounts(settings.resolved_db_url, workdir)
    return DemoResult(
        workdir=workdir,
        settings=settings,
        detection=detection,
        report=report,
        published=expected,
        ingest_stats=ingester.stats.as_dict(),
        timings=timings,
        accounts=accounts,
    )


def print_summary(result: DemoResult, console: Console) -> None:
    from occupancy.cli.output import flags_table

    window = result.detection.window
    by_kind = {kind: 0 for kind in FLAG_KINDS}
    for flag in result.detection.flags:
        by_kind[flag.kind] += 1
    overview = Table(title="demo summary", title_justify="left", show_header=False)
    overview.add_row("units", str(len(window.unit_ids)))
    overview.add_row(
        "window", f"{window.start:%Y-%m-%d} to {window.end:%Y-%m-%d} ({window.days} days)"
    )
    overview.add_row("messages published", str(result.published))
    stats = result.ingest_stats
    overview.add_row(
        "accepted / rejected", f"{stats['accepted']} / {sum(stats['rejected'].values())}"
    )
    overview.add_row("model", result.detection.model_version)
    for kind, count in by_kind.items():
        overview.add_row(f"flags: {kind}", str(count))
    overview.add_row(
        "time", ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.timings.items())
    )
    console.print(overview)
    console.print(result.report.table())
    console.print(flags_table(result.detection.flags, limit=10))
    accounts = Table(
        title=f"sign in with (also in {result.workdir / 'accounts.txt'})", title_justify="left"
    )
    for column in ("username", "password", "role", "sees"):
        accounts.add_column(column)
    for account in result.accounts:
        accounts.add_row(account.username, account.password, account.role, account.scope)
    console.print(accounts)
