"""Benchmark (run by hand, not a test): readings per second stored, end to end, through a
real Mosquitto, against the ceiling of a bare paho subscriber in the same run.

    .venv/bin/python bench/ingest.py [--readings 200000] [--units 200] [--batch 100]
                                     [--stores embedded,influxdb]

Separate publisher processes (``mosquitto_pub -l``, one per meter) send the readings at
QoS 1 as fast as the broker takes them; the consumer under test was subscribed first (a
fresh persistent session each time), and the clock runs from its first message to its last
commit (or, for the bare subscriber, its last message). Scenarios, each on its own fresh broker:

- ``bare``: paho QoS 1 subscriber (TCP_NODELAY, MQTT 5, auto-ack) that only counts.
- ``single -> <store>``: one reading per message through MqttSource + Ingester.
- ``batch -> <store>``: ``--batch`` readings of one meter per message (JSON array).

Paste the table into docs/benchmarks.md with the machine and the command.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from rich.console import Console
from rich.table import Table

from occupancy.broker import EmbeddedBroker
from occupancy.ingest.const import meter_topic
from occupancy.ingest.ingester import Ingester
from occupancy.ingest.mqtt_source import BrokerAddress, MqttSource, set_nodelay
from occupancy.store import open_store

STEP = 60.0  # seconds between one meter's readings: 200k readings stay inside MAX_AGE


def write_lines(folder: Path, readings: int, units: int, batch: int) -> list[tuple[str, Path]]:
    """One file per meter, one message per line (``mosquitto_pub -l`` sends each line)."""
    per_unit = readings // units
    start = time.time() - (per_unit + 10) * STEP
    files = []
    for u in range(units):
        path = folder / f"u{u:05d}-{batch}.txt"
        with path.open("w") as out:
            for first in range(0, per_unit, batch):
                rows = [
                    {"ts": start + k * STEP, "kwh": round(1000.0 + u + 0.01 * k, 3)}
                    for k in range(first, min(first + batch, per_unit))
                ]
                out.write(json.dumps(rows[0] if batch == 1 else rows, separators=(",", ":")))
                out.write("\n")
        files.append((meter_topic("bench", f"u{u:05d}"), path))
    return files


class Publisher:
    """``mosquitto_pub -l -q 1``, one process per meter, started together. Mosquitto's own
    client publishes ~60,000 msg/s here, several times what a Python subscriber takes,
    so the consumer, not the publisher, sets the pace."""

    def __init__(self, url: str, files: list[tuple[str, Path]]) -> None:
        address = BrokerAddress.parse(url)
        self.started = time.perf_counter()
        self.processes = []
        for topic, path in files:
            with path.open("rb") as lines:
                self.processes.append(
                    subprocess.Popen(
                        [
                            "mosquitto_pub",
                            "-h",
                            address.host,
                            "-p",
                            str(address.port),
                            "-q",
                            "1",
                            "-M",
                            "1000",
                            "-t",
                            topic,
                            "-l",
                        ],
                        stdin=lines,
                    )
                )

    def wait(self) -> float:
        for process in self.processes:
            if process.wait(600) != 0:
                raise SystemExit(f"mosquitto_pub failed with {process.returncode}")
        return time.perf_counter() - self.started


@dataclass
class Result:
    scenario: str
    messages: int
    readings: int
    seconds: float
    publisher_seconds: float

    @property
    def rate(self) -> float:
        return self.readings / self.seconds


def bare(url: str, files: list[tuple[str, Path]], expected: int) -> Result:
    """The ceiling: a paho QoS 1 subscriber that only counts."""
    count = 0
    first = last = 0.0
    done = threading.Event()

    def on_message(_c, _u, _m) -> None:
        nonlocal count, first, last
        count += 1
        if count == 1:
            first = time.perf_counter()
        if count == expected:
            last = time.perf_counter()
            done.set()

    address = BrokerAddress.parse(url)
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=f"bench-bare-{time.time_ns()}",
        protocol=mqtt.MQTTv5,
    )
    client.on_socket_open = set_nodelay
    client.on_message = on_message
    subscribed = threading.Event()
    client.on_subscribe = lambda *_a: subscribed.set()
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    client.connect(address.host, address.port, clean_start=False, properties=props)
    client.loop_start()
    client.subscribe("occupancy/v1/+/+/meter", qos=1)
    subscribed.wait(10)
    publisher = Publisher(url, files)
    done.wait(600)
    publisher_seconds = publisher.wait()
    client.disconnect()
    client.loop_stop()
    return Result("bare paho subscriber", count, count, last - first, publisher_seconds)


def ours(
    url: str, store_url: str, files: list[tuple[str, Path]], expected: int, label: str
) -> Result:
    store = open_store(store_url)
    ingester = Ingester(store, data_format="auto", batch_size=5000, flush_seconds=0.2)
    first: list[float] = []
    handle = ingester.handle

    def timed_handle(topic: str, payload: bytes, token: object = None) -> bool:
        if not first:
            first.append(time.perf_counter())
        return handle(topic, payload, token)

    ingester.handle = timed_handle  # type: ignore[method-assign]
    source = MqttSource(url, ingester, client_id=f"bench-ours-{time.time_ns()}")
    source.start()
    publisher = Publisher(url, files)
    deadline = time.monotonic() + 900
    while ingester.stats.stored_registers < expected and time.monotonic() < deadline:
        time.sleep(0.005)
    last = time.perf_counter()
    publisher_seconds = publisher.wait()
    source.stop()
    store.close()
    stored = ingester.stats.stored_registers
    if ingester.stats.rejected:
        raise SystemExit(f"{label}: rejected {dict(ingester.stats.rejected)}")
    return Result(label, ingester.stats.accepted, stored, last - first[0], publisher_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=200_000)
    parser.add_argument(
        "--units", type=int, default=4, help="Meters, each its own mosquitto_pub process."
    )
    parser.add_argument("--batch", type=int, default=100, help="Readings per batched message.")
    parser.add_argument("--stores", default="embedded,influxdb")
    args = parser.parse_args()
    console = Console()
    results: list[Result] = []
    stores = args.stores.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        influx = None
        if "influxdb" in stores:
            from occupancy.store.influxd import InfluxServer

            influx = InfluxServer().start()
        try:
            plans: list[tuple[str, str | None, int]] = [("bare", None, 1)]
            for name in stores:
                plans += [(f"single -> {name}", name, 1), (f"batch -> {name}", name, args.batch)]
            for label, name, batch in plans:
                with EmbeddedBroker(prefer="mosquitto") as broker:
                    console.print(f"[bold]{label}[/] on {broker.kind} {broker.url}")
                    files = write_lines(Path(tmp), args.readings, args.units, batch)
                    expected = args.readings // args.units * args.units
                    if name is None:
                        result = bare(broker.url, files, expected)
                    else:
                        if name == "embedded":
                            url = f"sqlite:///{Path(tmp) / f'{len(results)}.sqlite'}"
                        else:
                            assert influx is not None
                            url = influx.url_for(f"bench{len(results)}")
                        result = ours(broker.url, url, files, expected, label)
                results.append(result)
                console.print(
                    f"  {result.readings:,} readings in {result.seconds:.2f} s = "
                    f"{result.rate:,.0f}/s (publisher {result.publisher_seconds:.2f} s)"
                )
        finally:
            if influx is not None:
                influx.close()
    ceiling = results[0].rate
    table = Table(
        title=f"{args.readings:,} readings, {args.units} meters, QoS 1, "
        f"{platform.node()} ({os.cpu_count()} cores)"
    )
    for column in ("scenario", "messages", "readings", "seconds", "readings/s", "vs bare"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(
            r.scenario,
            f"{r.messages:,}",
            f"{r.readings:,}",
            f"{r.seconds:.2f}",
            f"{r.rate:,.0f}",
            f"{r.rate / ceiling:.2f}",
        )
    console.print(table)


if __name__ == "__main__":
    main()
