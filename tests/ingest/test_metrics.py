"""/metrics, /healthz and /readyz of the ingester, scraped over real HTTP."""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from occupancy.ingest.const import lights_topic, meter_topic
from occupancy.ingest.ingester import Ingester
from occupancy.ingest.metrics import MetricsServer
from occupancy.ingest.mqtt_source import MqttSource
from occupancy.store.embedded import EmbeddedStore
from tests.ingest.mqtt_tools import client_id

NOW = time.time()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def samples(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, text = get(f"{url}/metrics")
    assert status == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture
def ingester(path: Path) -> Iterator[Ingester]:
    store = EmbeddedStore(path)
    yield Ingester(store, batch_size=1000, clock=lambda: NOW)
    store.close()


@pytest.fixture
def server(ingester: Ingester) -> Iterator[MetricsServer]:
    server = MetricsServer(ingester, port=0).start()
    yield server
    server.stop()


def test_metrics_count_what_happened(ingester: Ingester, server: MetricsServer) -> None:
    topic = meter_topic("east", "3-501")
    for k in range(3):
        ingester.handle(topic, json.dumps({"ts": NOW - 3600 + k * 900, "kwh": 1 + k}).encode())
    ingester.handle(lights_topic("east", "3-501"), json.dumps({"ts": NOW, "on": True}).encode())
    ingester.handle(topic, b"{not json")
    ingester.handle(topic, json.dumps({"ts": NOW + 86400, "kwh": 1}).encode())
    before = samples(server.url)
    assert before[("occupancy_ingest_queue_depth", ())] == 4
    assert before[("occupancy_ingest_received_total", ())] == 6
    assert before[("occupancy_ingest_rejected_total", (("reason", "bad_json"),))] == 1
    assert before[("occupancy_ingest_rejected_total", (("reason", "future_ts"),))] == 1
    assert before[("occupancy_ingest_conversion_notes_total", (("note", "first_reading"),))] == 1
    assert before[("occupancy_ingest_store_write_seconds_count", ())] == 0

    assert ingester.flush() == 4
    after = samples(server.url)
    assert after[("occupancy_ingest_queue_depth", ())] == 0
    assert after[("occupancy_ingest_stored_readings_total", (("kind", "register"),))] == 3
    assert after[("occupancy_ingest_stored_readings_total", (("kind", "lights"),))] == 1
    assert after[("occupancy_ingest_committed_messages_total", ())] == 4
    assert after[("occupancy_ingest_store_write_seconds_count", ())] == 1
    assert after[("occupancy_ingest_store_up", ())] == 1
    # Lag: the newest reading (the lights, stamped NOW) committed "now" by the fake clock.
    assert after[("occupancy_ingest_lag_last_seconds", ())] == 0
    assert after[("occupancy_ingest_lag_seconds_count", ())] == 1


def test_readiness_follows_the_store(ingester: Ingester, server: MetricsServer, path) -> None:
    assert get(f"{server.url}/healthz")[0] == 200
    status, body = get(f"{server.url}/readyz")
    assert (status, json.loads(body)) == (200, {"ready": True, "checks": {"store": "ok"}})

    with sqlite3.connect(path) as other:  # the store breaks under a pending write
        other.execute("ALTER TABLE registers RENAME TO gone")
    ingester.handle(meter_topic("east", "3-501"), json.dumps({"ts": NOW, "kwh": 1}).encode())
    assert ingester.flush() == 0
    status, body = get(f"{server.url}/readyz")
    assert status == 503
    assert json.loads(body)["checks"]["store"].startswith("writes failing")
    assert samples(server.url)[("occupancy_ingest_store_up", ())] == 0
    assert get(f"{server.url}/healthz")[0] == 200  # alive, just not ready

    with sqlite3.connect(path) as other:
        other.execute("ALTER TABLE gone RENAME TO registers")
    assert ingester.flush() == 1
    assert get(f"{server.url}/readyz")[0] == 200
    assert get(f"{server.url}/nothing")[0] == 404


def test_readiness_follows_the_broker(mosquitto_url: str, path: Path) -> None:
    store = EmbeddedStore(path)
    ingester = Ingester(store)
    source = MqttSource(mosquitto_url, ingester, client_id=client_id("ready"))
    server = MetricsServer(ingester, source, port=0).start()
    try:
        status, body = get(f"{server.url}/readyz")
        assert status == 503 and json.loads(body)["checks"]["broker"] == "not connected"
        source.start()
        status, body = get(f"{server.url}/readyz")
        assert status == 200, body
        assert samples(server.url)[("occupancy_ingest_broker_connected", ())] == 1
        source.stop()
        assert get(f"{server.url}/readyz")[0] == 503
    finally:
        server.stop()
        store.close()
