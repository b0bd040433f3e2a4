"""Benchmark (run by hand, not a test): the demo's batch path, stage by stage, per broker.

    .venv/bin/python bench/pipeline.py [--units 300] [--days 7] [--brokers mosquitto,amqtt]

For each embedded broker it runs simulate -> register -> publish (separate process) + ingest
-> detect and prints seconds per stage and messages per second end to end. Paste the table
into docs/benchmarks.md with the machine and the command.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from occupancy.demo import run_demo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--brokers", default="mosquitto,amqtt")
    args = parser.parse_args()
    quiet = Console(quiet=True)
    table = Table(title=f"{args.units} units x {args.days} days, {platform.node()}")
    for column in (
        "broker",
        "messages",
        "simulate s",
        "register s",
        "publish+ingest s",
        "msg/s",
        "detect s",
        "total s",
        "unregistered P/R",
    ):
        table.add_column(column, justify="right")
    for broker in args.brokers.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            result = run_demo(args.units, args.days, args.seed, Path(tmp) / "w", quiet, broker)
        t = result.timings
        ua = result.report["unregistered_activity"]
        table.add_row(
            broker,
            str(result.published),
            f"{t['simulate']:.1f}",
            f"{t['register']:.1f}",
            f"{t['publish+ingest']:.1f}",
            f"{result.published / t['publish+ingest']:.0f}",
            f"{t['detect']:.1f}",
            f"{sum(t.values()):.1f}",
            f"{ua.precision:.2f}/{ua.recall:.2f}",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
