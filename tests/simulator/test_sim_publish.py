"""Replaying a generated directory through a real Mosquitto broker."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sim_helpers import START, Broker, read_csv
from typer.testing import CliRunner

from simulator import generate_community, write_community
from simulator.cli import app
from simulator.publish import (
    GARBAGE_KINDS,
    PublishError,
    parse_broker_url,
    publish_dir,
    publish_replay,
)

REPO = Path(__file__).resolve().parents[2]


class Subscriber:
    """Collects every message under a prefix, QoS 1, on its own connection."""

    def __init__(self, broker: Broker, prefix: str) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.lock = threading.Lock()
        ready = threading.Event()
        self.client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2)

        def on_connect(client: mqtt.Client, *_: object) -> None:
            client.subscribe(f"{prefix}/#", qos=1)

        def on_subscribe(*_: object) -> None:
            ready.set()

        def on_message(client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
            with self.lock:
                self.messages.append((msg.topic, msg.payload))

        self.client.on_connect = on_connect
        self.client.on_subscribe = on_subscribe
        self.client.on_message = on_message
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        assert ready.wait(5), "subscription not acknowledged"

    def wait_for(self, count: int, timeout: float = 15.0) -> list[tuple[str, bytes]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    break
            time.sleep(0.02)
        time.sleep(0.2)  # anything beyond the expected count would arrive now
        with self.lock:
            return list(self.messages)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def subscriber(broker: Broker, request: pytest.FixtureRequest) -> Iterator[Subscriber]:
    prefix = f"test-{request.node.name}"
    sub = Subscriber(broker, prefix)
    yield sub
    sub.close()


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small")
    c = generate_community(10, 1, seed=21, start=START, community="east-gate", faults=False)
    write_community(c, out)
    return out


def _expected(directory: Path, prefix: str) -> Counter[tuple[str, str]]:
    community = {r["unit_id"]: r["community"] for r in read_csv(directory / "register.csv")}
    out: Counter[tuple[str, str]] = Counter()
    for r in read_csv(directory / "readings.csv"):
        topic = f"{prefix}/{community[r['unit_id']]}/{r['unit_id']}/meter"
        out[topic, json.dumps({"ts": r["ts"], "kwh": float(r["kwh"])}, sort_keys=True)] += 1
    for r in read_csv(directory / "lights.csv"):
        topic = f"{prefix}/{community[r['unit_id']]}/{r['unit_id']}/lights"
        out[topic, json.dumps({"ts": r["ts"], "on": r["on"] == "1"}, sort_keys=True)] += 1
    return out


def test_every_message_arrives_with_topic_and_payload(
    broker: Broker, subscriber: Subscriber, small_dir: Path, request: pytest.FixtureRequest
) -> None:
    prefix = f"test-{request.node.name}"
    expected = _expected(small_dir, prefix)
    progress: list[tuple[int, int]] = []
    sent = publish_dir(
        broker.url, small_dir, topic_prefix=prefix, progress=lambda d, t: progress.append((d, t))
    )
    total = sum(expected.values())
    assert sent == total
    assert progress[-1] == (total, total)
    received = subscriber.wait_for(total)
    got: Counter[tuple[str, str]] = Counter()
    for topic, payload in received:
        doc = json.loads(payload)
        kind = topic.rsplit("/", 1)[1]
        value = doc["kwh"] if kind == "meter" else doc["on"]
        assert isinstance(value, float if kind == "meter" else bool), payload
        got[topic, json.dumps(doc, sort_keys=True)] += 1
    assert got == expected


def test_messages_go_out_in_time_order(
    broker: Broker, subscriber: Subscriber, small_dir: Path, request: pytest.FixtureRequest
) -> None:
    prefix = f"test-{request.node.name}"
    sent = publish_dir(broker.url, small_dir, topic_prefix=prefix, qos=1)
    received = subscriber.wait_for(sent)
    stamps = [json.loads(p)["ts"] for _, p in received]
    assert len(stamps) == sent
    assert stamps == sorted(stamps)  # one offset throughout, so text order is time order
    assert any(t.endswith("/lights") for t, _ in received)


def test_speed_paces_the_replay(broker: Broker, tmp_path: Path) -> None:
    write_community(generate_community(2, 1, seed=1, start=START, lights_coverage=0), tmp_path)
    begin = time.perf_counter()
    sent = publish_dir(broker.url, tmp_path, speed=86400 * 2, topic_prefix="test-pace")
    elapsed = time.perf_counter() - begin
    assert sent == 2 * 97
    # One simulated day at two days per second is half a second; flat out it is milliseconds.
    assert 0.35 < elapsed < 5.0, elapsed


def test_missing_files_say_how_to_fix(broker: Broker, tmp_path: Path) -> None:
    with pytest.raises(PublishError, match="occupancy-sim generate"):
        publish_dir(broker.url, tmp_path / "nowhere")
    with pytest.raises(PublishError, match=r"register\.csv.*occupancy-sim generate"):
        publish_dir(broker.url, tmp_path)


def test_unreachable_broker_is_reported(tmp_path: Path, small_dir: Path) -> None:
    with pytest.raises(PublishError, match="cannot reach"):
        publish_dir("mqtt://127.0.0.1:1", small_dir)
    with pytest.raises(PublishError, match="mqtt://"):
        publish_dir("http://127.0.0.1:1883", small_dir)


def test_broker_url_forms() -> None:
    assert parse_broker_url("mqtt://h:1884").port == 1884
    assert parse_broker_url("mqtt://h").port == 1883
    auth = parse_broker_url("mqtt://us%40r:p%3Ass@broker.local:8883")
    assert (auth.username, auth.password, auth.host) == ("us@r", "p:ss", "broker.local")


def test_cli_generates_and_publishes(broker: Broker, tmp_path: Path) -> None:
    out = tmp_path / "cli"
    gen = subprocess.run(  # from the repository root: `python -m simulator` as documented
        [sys.executable, "-m", "simulator", "generate", "--units", "6", "--days", "1",
         "--seed", "2", "--out", str(out), "--start", "2026-03-02"],
        capture_output=True, text=True, check=True, cwd=REPO,
    )  # fmt: skip
    assert "registered_family" in gen.stdout
    assert (out / "meta.json").is_file()
    pub = subprocess.run(
        [sys.executable, "-m", "simulator", "publish", "--broker", broker.url,
         "--from", str(out), "--qos", "1"],
        capture_output=True, text=True, check=True, cwd=REPO,
    )  # fmt: skip
    rows = len(read_csv(out / "readings.csv")) + len(read_csv(out / "lights.csv"))
    assert f"published {rows} messages" in pub.stdout
    assert "msgs/s" in pub.stdout and f"{rows} readings and 0 garbage payloads" in pub.stdout
    noisy = CliRunner().invoke(
        app,
        ["publish", "--broker", broker.url, "--from", str(out), "--garbage-rate", "0.3",
         "--seed", "4", "--prefix", "test-noisy"],
    )  # fmt: skip
    assert noisy.exit_code == 0, noisy.output
    garbage = int(noisy.output.split(" readings and ")[1].split()[0])
    assert f"published {rows + garbage} messages" in noisy.output and garbage > 0
    bad = subprocess.run(
        [sys.executable, "-m", "simulator", "publish", "--broker", broker.url,
         "--from", str(tmp_path / "missing")],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    assert bad.returncode == 2
    assert "occupancy-sim generate" in bad.stderr


def _valid(topic: str, payload: bytes) -> bool:
    """A v1 reading as docs/mqtt.md defines it."""
    try:
        doc = json.loads(payload)
        datetime.fromisoformat(doc["ts"]).utcoffset()
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        return False
    if not isinstance(doc, dict) or datetime.fromisoformat(doc["ts"]).tzinfo is None:
        return False
    if topic.endswith("/meter"):
        return isinstance(doc.get("kwh"), float)
    return isinstance(doc.get("on"), bool)


def test_garbage_payloads_are_mixed_in_and_counted(
    broker: Broker, subscriber: Subscriber, small_dir: Path, request: pytest.FixtureRequest
) -> None:
    prefix = f"test-{request.node.name}"
    rows = len(read_csv(small_dir / "readings.csv")) + len(read_csv(small_dir / "lights.csv"))
    stats = publish_replay(broker.url, small_dir, topic_prefix=prefix, garbage_rate=0.2, seed=3)
    assert stats.readings == rows
    assert 0.12 * rows < stats.garbage < 0.28 * rows
    assert set(stats.garbage_kinds) == set(GARBAGE_KINDS) and all(stats.garbage_kinds.values())
    received = subscriber.wait_for(stats.total)
    assert len(received) == stats.total
    bad = [(t, p) for t, p in received if not _valid(t, p)]
    assert len(bad) == stats.garbage
    # Seeded: the same seed mixes in the same garbage.
    again = publish_replay(
        broker.url, small_dir, topic_prefix=f"{prefix}-2", garbage_rate=0.2, seed=3
    )
    assert again == stats


def test_the_ingester_rejects_exactly_the_garbage(
    mosquitto_url: str, small_dir: Path, tmp_path: Path
) -> None:
    from occupancy.ingest.ingester import Ingester
    from occupancy.ingest.mqtt_source import MqttSource
    from occupancy.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'readings.sqlite'}")
    ingester = Ingester(store, topic_prefix="test-garbage-ingest")
    source = MqttSource(
        mosquitto_url,
        ingester,
        client_id=f"sim-garbage-{time.time_ns()}",
        topic_prefix="test-garbage-ingest",
    )
    source.start()
    try:
        stats = publish_replay(
            mosquitto_url, small_dir, topic_prefix="test-garbage-ingest", garbage_rate=0.1
        )
        deadline = time.monotonic() + 30
        while ingester.stats.handled < stats.total and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        source.stop()
        store.close()
    assert stats.garbage > 0
    assert sum(ingester.stats.rejected.values()) == stats.garbage, ingester.stats.rejected
    assert ingester.stats.accepted == stats.readings
