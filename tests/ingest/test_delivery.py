"""At least once, end to end, through a real Mosquitto: acknowledgements only after the
store commits (a SIGKILLed ingester loses nothing), dead letters that never stall the
session, backpressure while the store is down, and shared subscriptions."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from occupancy.ingest.const import lights_topic, meter_topic
from occupancy.ingest.ingester import Ingester
from occupancy.ingest.intervals import to_intervals
from occupancy.ingest.mqtt_source import MqttSource, dead_letter_topic
from occupancy.readings import MeterReading
from occupancy.store.embedded import EmbeddedStore
from occupancy.timeseries import aggregate_hourly, local_midnight
from tests.ingest.mqtt_tools import (
    IngesterProcess,
    Publisher,
    Subscriber,
    client_id,
    wait_for,
)

Q = 900.0
TZ = ZoneInfo("Asia/Shanghai")


def meter_messages(
    units: int, readings: int, start: float, *, community: str = "east"
) -> list[tuple[str, bytes]]:
    """Each unit's register rising 0.1 kWh per quarter hour, interleaved across units."""
    return [
        (
            meter_topic(community, f"u{u:03d}"),
            json.dumps({"ts": start + k * Q, "kwh": 100.0 + u + 0.1 * k}).encode(),
        )
        for k in range(readings)
        for u in range(units)
    ]


def stored(path: Path) -> tuple[int, float]:
    """Register rows in the store and the sum of their values."""
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT COUNT(*), COALESCE(SUM(kwh), 0) FROM registers").fetchone()
    return row[0], row[1]


def recent_start(readings: int) -> float:
    """A start so that every reading is in the past (the ingester refuses the future)."""
    return float(int(time.time() // Q * Q - (readings + 4) * Q))


# -- at least once across a crash -----------------------------------------------------------


def test_sigkill_before_the_store_commits_loses_nothing(mosquitto_url: str, tmp_path: Path):
    path = tmp_path / "readings.sqlite"
    messages = meter_messages(units=20, readings=25, start=recent_start(25))
    expected = (len(messages), sum(json.loads(body)["kwh"] for _, body in messages))
    ingester = IngesterProcess(
        {
            "OCCUPANCY_MQTT_URL": mosquitto_url,
            "OCCUPANCY_STORE_URL": f"sqlite:///{path}",
            "OCCUPANCY_MQTT_CLIENT_ID": client_id("crash"),
            # Never write on its own: everything received is in memory when it dies.
            "OCCUPANCY_INGEST_FLUSH_SECONDS": "3600",
            "OCCUPANCY_INGEST_BATCH_SIZE": "1000000",
        },
        tmp_path / "ingest.log",
    ).start()
    publisher = Publisher(mosquitto_url)
    try:
        publisher.send(messages)
        wait_for(
            lambda: ingester.metric("occupancy_ingest_accepted_total") == len(messages),
            "the ingester to receive everything",
        )
        ingester.kill()
        assert stored(path)[0] == 0  # received, acknowledged to nobody, stored nowhere
        ingester.start(OCCUPANCY_INGEST_FLUSH_SECONDS="0.1")
        wait_for(lambda: stored(path)[0] == expected[0], "the redelivered readings")
        assert ingester.metric("occupancy_ingest_committed_messages_total") == len(messages)
        assert ingester.stop() == 0
    finally:
        publisher.close()
        ingester.stop()
    count, total = stored(path)
    assert count == expected[0]
    assert total == pytest.approx(expected[1])


# -- dead letters ---------------------------------------------------------------------------


def test_rejected_messages_are_dead_lettered_and_never_stall_the_session(
    mosquitto_url: str, tmp_path: Path
) -> None:
    store = EmbeddedStore(tmp_path / "readings.sqlite")
    # A receive maximum of 10: if rejected messages were never acknowledged, the broker
    # would stop delivering after the tenth piece of garbage.
    ingester = Ingester(store, max_pending=10, batch_size=10, flush_seconds=0.05)
    source = MqttSource(mosquitto_url, ingester, client_id=client_id("dlq"))
    dead = Subscriber(mosquitto_url, "occupancy/v1/_rejected/#")
    publisher = Publisher(mosquitto_url)
    source.start()
    topic = meter_topic("east", "3-501")
    start = recent_start(5)
    try:
        garbage = [(topic, b"\xff\xfe binary %d" % k) for k in range(20)]
        garbage += [(topic, b'{"ts": %d' % k) for k in range(20)]
        garbage += [(topic, json.dumps({"ts": start, "kwh": -1}).encode())] * 5
        publisher.send(garbage)
        good = meter_messages(1, 5, start, community="east")
        publisher.send(good)
        wait_for(lambda: ingester.stats.stored_registers == 5, "the good readings after garbage")
        wait_for(lambda: len(dead.messages) == 45, "45 dead letters")
        wait_for(lambda: source.acked == 50, "every message acknowledged")
    finally:
        source.stop()
        publisher.close()
        dead.close()
        store.close()
    assert ingester.stats.rejected == {"unknown_format": 20, "bad_json": 20, "bad_kwh": 5}
    assert source.dead_lettered == 45 and source.dead_letter_failures == 0
    topics = {m.topic for m in dead.messages}
    assert topics == {
        "occupancy/v1/_rejected/unknown_format/east/3-501/meter",
        "occupancy/v1/_rejected/bad_json/east/3-501/meter",
        "occupancy/v1/_rejected/bad_kwh/east/3-501/meter",
    }
    letter = json.loads(dead.messages[0].payload)
    assert letter["topic"] == topic and letter["reason"] == "unknown_format"
    assert "payload_b64" in letter and letter["message"]
    negative = next(json.loads(m.payload) for m in dead.messages if "bad_kwh" in m.topic)
    assert json.loads(negative["payload"])["kwh"] == -1  # text payloads stay readable


def test_dead_letter_topic_shape() -> None:
    prefix = "occupancy/v1"
    assert dead_letter_topic(prefix, "bad_json", "occupancy/v1/east/3-501/meter") == (
        "occupancy/v1/_rejected/bad_json/east/3-501/meter"
    )
    # Anything not shaped like our topics keeps only the reason level (never five levels,
    # which our own subscriptions would match).
    for odd in ("occupancy/v1/east/meter", "elsewhere/x/y/z", "occupancy/v1/a/b/c/d"):
        assert dead_letter_topic(prefix, "bad_topic", odd) == "occupancy/v1/_rejected/bad_topic"


# -- backpressure ---------------------------------------------------------------------------


def test_a_store_outage_holds_messages_at_the_broker_not_in_memory(
    mosquitto_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "readings.sqlite"
    store = EmbeddedStore(path)
    ingester = Ingester(store, max_pending=50, batch_size=20, flush_seconds=0.05)
    source = MqttSource(mosquitto_url, ingester, client_id=client_id("bp"))
    source.start()
    publisher = Publisher(mosquitto_url)
    with sqlite3.connect(path) as other:  # the store goes down
        other.execute("ALTER TABLE registers RENAME TO registers_away")
    messages = meter_messages(units=10, readings=100, start=recent_start(100))
    deepest = 0
    try:
        publisher.send(messages)  # the broker took all 1,000
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            deepest = max(deepest, ingester.pending_messages)
            time.sleep(0.01)
        assert ingester.stats.store_errors >= 2  # it kept retrying...
        assert not ingester.store_ok
        assert ingester.stats.received <= 50  # ...and took no more than the window
        assert deepest <= 50
        with sqlite3.connect(path) as other:  # the store comes back
            other.execute("ALTER TABLE registers_away RENAME TO registers")
        wait_for(lambda: ingester.stats.stored_registers == 1000, "all 1,000 after recovery")
        assert ingester.store_ok
    finally:
        source.stop()
        publisher.close()
        store.close()
    assert stored(path)[0] == 1000
    assert ingester.stats.received == 1000  # nothing was delivered twice or dropped


# -- shared subscriptions -------------------------------------------------------------------


def test_two_ingesters_share_the_load_and_store_every_reading_once(
    mosquitto_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "readings.sqlite"
    readings = 24
    start = recent_start(readings)
    messages = meter_messages(units=40, readings=readings, start=start)
    lights = [
        (lights_topic("east", f"u{u:03d}"), json.dumps({"ts": start + 60, "on": True}).encode())
        for u in range(40)
    ]
    group = client_id("group")
    pairs = []
    for tag in ("a", "b"):
        store = EmbeddedStore(path)
        ingester = Ingester(store, batch_size=100, flush_seconds=0.05)
        source = MqttSource(mosquitto_url, ingester, client_id=client_id(tag), share_group=group)
        source.start()
        pairs.append((store, ingester, source))
    assert pairs[0][2].topics[0] == f"$share/{group}/occupancy/v1/+/+/meter"
    publisher = Publisher(mosquitto_url)
    try:
        publisher.send(messages + lights)
        total = len(messages) + len(lights)
        wait_for(
            lambda: sum(i.stats.committed_messages for _, i, _ in pairs) == total,
            "both ingesters to commit everything",
        )
    finally:
        publisher.close()
        for _, _, source in pairs:
            source.stop()
    counts = [ingester.stats.accepted for _, ingester, _ in pairs]
    assert all(n > 0 for n in counts), f"one ingester got nothing: {counts}"
    assert sum(counts) == len(messages) + len(lights)  # each message went to exactly one
    assert stored(path)[0] == len(messages)
    # Neither ingester saw a unit's readings in sequence, yet the energy is what one
    # ingester seeing everything would derive: the store derives it from the registers.
    day = local_midnight(datetime.fromtimestamp(start, TZ), TZ)
    window = pairs[0][0].hourly_window(day, 48)
    parsed = [
        MeterReading("east", topic.split("/")[3], **json.loads(body)) for topic, body in messages
    ]
    energy, _ = to_intervals(parsed)
    reference = aggregate_hourly(energy, [], day, 48)
    assert window.unit_ids == reference.unit_ids and len(window.unit_ids) == 40
    np.testing.assert_allclose(window.energy_kwh, reference.energy_kwh)
    assert np.count_nonzero(~np.isnan(window.energy_kwh)) > 40 * 4
    assert np.nansum(window.lights_on) == 40
    for store, _, _ in pairs:
        store.close()


def test_readings_older_than_the_raw_retention_are_dead_lettered(
    mosquitto_url: str, tmp_path: Path
) -> None:
    """The store would drop them (an InfluxDB retention policy refuses them); refused as
    stale they reach the dead-letter topic, where someone can see them."""
    ingester = IngesterProcess(
        {
            "OCCUPANCY_MQTT_URL": mosquitto_url,
            "OCCUPANCY_STORE_URL": f"sqlite:///{tmp_path / 'readings.sqlite'}",
            "OCCUPANCY_MQTT_CLIENT_ID": client_id("retention"),
            "OCCUPANCY_RAW_RETENTION_DAYS": "2",
        },
        tmp_path / "ingest.log",
    ).start()
    dead = Subscriber(mosquitto_url, "occupancy/v1/_rejected/#")
    publisher = Publisher(mosquitto_url)
    topic = meter_topic("east", "3-501")
    try:
        publisher.send(
            [
                (topic, json.dumps({"ts": time.time() - 3 * 86400, "kwh": 1.0}).encode()),
                (topic, json.dumps({"ts": time.time() - 86400, "kwh": 2.0}).encode()),
            ]
        )
        wait_for(lambda: len(dead.messages) == 1, "the stale reading's dead letter")
        wait_for(lambda: ingester.metric("occupancy_ingest_accepted_total") == 1, "the other")
    finally:
        publisher.close()
        dead.close()
        ingester.stop()
    assert dead.messages[0].topic == "occupancy/v1/_rejected/stale_ts/east/3-501/meter"
