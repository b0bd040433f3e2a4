"""The MQTT source through a real Mosquitto: delivery, garbage, restarts without loss,
and the errors an operator sees for a bad URL or an unreachable broker."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from occupancy.broker import EmbeddedBroker, free_port
from occupancy.ingest.const import MAX_PAYLOAD_BYTES, lights_topic, meter_topic
from occupancy.ingest.ingester import Ingester
from occupancy.ingest.mqtt_source import BrokerAddress, MqttSource, MqttUrlError
from occupancy.store.embedded import EmbeddedStore
from tests.ingest.mqtt_tools import client_id, wait_for

TZ = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 3, 1, tzinfo=TZ)
EIGHT = DAY.timestamp() + 8 * 3600
Q = 900.0
NOW = DAY.timestamp() + 12 * 3600
TIMEOUT = 10.0


def clock() -> float:
    return NOW


def reading(k: int, kwh: float) -> tuple[str, bytes]:
    return meter_topic("east", "3-501"), json.dumps({"ts": EIGHT + k * Q, "kwh": kwh}).encode()


@pytest.fixture
def publish(mosquitto_url: str) -> Iterator[Callable[[list[tuple[str, bytes]]], None]]:
    """Publish QoS 1 messages, returning once the broker has acknowledged every one."""
    address = BrokerAddress.parse(mosquitto_url)
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id("pub"),
        protocol=MQTTProtocolVersion.MQTTv311,
    )
    client.connect(address.host, address.port)
    client.loop_start()

    def send(messages: list[tuple[str, bytes]]) -> None:
        infos = [client.publish(topic, body, qos=1) for topic, body in messages]
        for info in infos:
            info.wait_for_publish(TIMEOUT)
            assert info.is_published()

    yield send
    client.disconnect()
    client.loop_stop()


def hour_eight(store: EmbeddedStore) -> tuple[float, float]:
    window = store.hourly_window(DAY, 24, ["3-501"])
    return float(window.energy_kwh[0, 8]), float(window.coverage[0, 8])


def test_meter_and_lights_messages_reach_the_store(mosquitto_url, publish, store) -> None:
    ingester = Ingester(store, clock=clock, flush_seconds=0.05)
    source = MqttSource(mosquitto_url, ingester, client_id=client_id("src"))
    source.start()
    try:
        publish([reading(k, kwh) for k, kwh in enumerate([10.0, 10.1, 10.4, 10.6, 11.0])])
        publish(
            [
                (lights_topic("east", "3-501"), b'{"ts": "2026-03-01T08:10:00+08:00", "on": true}'),
                (lights_topic("east", "3-501"), b'{"ts": "2026-03-01T08:40:00+08:00", "on": 0}'),
            ]
        )
        wait_for(lambda: ingester.stats.handled == 7, "7 messages")
        # The flush timer writes without being asked.
        wait_for(lambda: ingester.pending == 0 and ingester.stats.batches >= 1, "a flush")
    finally:
        source.stop()
    assert ingester.stats.rejected == {}
    assert (ingester.stats.stored_registers, ingester.stats.stored_lights) == (5, 2)
    assert hour_eight(store) == (pytest.approx(1.0), 1.0)
    assert store.hourly_window(DAY, 24).lights_on[0, 8] == 0.5


def test_garbage_is_counted_and_ingest_goes_on(mosquitto_url, publish, store) -> None:
    ingester = Ingester(store, clock=clock)
    source = MqttSource(mosquitto_url, ingester, client_id=client_id("src"))
    source.start()
    topic = meter_topic("east", "3-501")
    try:
        publish(
            [
                reading(0, 10.0),
                (topic, b"\xff\xfe\x00"),
                (topic, b""),
                (topic, b'{"ts": 1772323200000, "kwh": 1}'),
                (topic, json.dumps({"ts": 1, "kwh": 1, "pad": "x" * MAX_PAYLOAD_BYTES}).encode()),
                (meter_topic("east", "x" * 65), b'{"ts": 1772323200, "kwh": 1}'),
                reading(4, 11.0),
            ]
        )
        wait_for(lambda: ingester.stats.handled == 7, "7 messages")
    finally:
        source.stop()
    assert ingester.stats.rejected == {
        "unknown_format": 1,
        "no_readings": 1,
        "bad_ts": 1,
        "too_large": 1,
        "bad_topic": 1,
    }
    assert hour_eight(store) == (pytest.approx(1.0), 1.0)


def test_messages_sent_while_the_ingester_is_down_are_not_lost(
    mosquitto_url, publish, path
) -> None:
    name = client_id("persistent")
    store = EmbeddedStore(path)
    first = Ingester(store, clock=clock)
    source = MqttSource(mosquitto_url, first, client_id=name)
    source.start()
    publish([reading(0, 10.0), reading(1, 10.2)])
    wait_for(lambda: first.stats.handled == 2, "the first 2 messages")
    source.stop()
    store.close()

    # Down for a while; the broker holds these for our session.
    publish([reading(k, kwh) for k, kwh in [(2, 10.5), (3, 10.7), (4, 11.0)]])

    store = EmbeddedStore(path)
    second = Ingester(store, clock=clock)
    source = MqttSource(mosquitto_url, second, client_id=name)
    source.start()
    try:
        wait_for(lambda: second.stats.handled == 3, "the 3 queued messages")
    finally:
        source.stop()
    assert second.stats.rejected == {}
    assert second.stats.notes == {}  # resumed: no first_reading, nothing out of order
    assert hour_eight(store) == (pytest.approx(1.0), 1.0)
    store.close()


def test_a_new_client_id_does_not_inherit_the_queue(mosquitto_url, publish, store) -> None:
    """The other side of the persistent session: it belongs to the client id."""
    name = client_id("persistent")
    source = MqttSource(mosquitto_url, Ingester(store, clock=clock), client_id=name)
    source.start()
    source.stop()
    publish([reading(0, 10.0)])
    other = Ingester(store, clock=clock)
    source = MqttSource(mosquitto_url, other, client_id=client_id("other"))
    source.start()
    try:
        # A marker published now: an inherited queue would be delivered before it, so once
        # the marker is in, absence of the reading is proven rather than hoped for.
        publish([(meter_topic("east", "3-501"), b"{marker, not JSON")])
        wait_for(lambda: other.stats.rejected["bad_json"] == 1, "the marker")
    finally:
        source.stop()
    assert (other.stats.received, other.stats.accepted) == (1, 0)
    # ...and the original session still has the reading (and the marker, queued after it).
    again = Ingester(store, clock=clock)
    source = MqttSource(mosquitto_url, again, client_id=name)
    source.start()
    try:
        wait_for(lambda: again.stats.handled == 2, "the queued reading and marker")
    finally:
        source.stop()
    assert (again.stats.accepted, dict(again.stats.rejected)) == (1, {"bad_json": 1})


def test_works_with_the_amqtt_fallback_broker(store) -> None:
    """Without Mosquitto the demo runs amqtt, which speaks MQTT 3.1.1 only."""
    with EmbeddedBroker(prefer="amqtt") as broker:
        assert broker.kind == "amqtt"
        ingester = Ingester(store, clock=clock)
        source = MqttSource(broker.url, ingester, client_id=client_id("src"))
        source.start(timeout=5)
        try:
            pub = mqtt.Client(
                callback_api_version=CallbackAPIVersion.VERSION2,
                client_id=client_id("pub"),
                protocol=MQTTProtocolVersion.MQTTv311,
            )
            pub.connect("127.0.0.1", broker.port)
            pub.loop_start()
            for k, kwh in enumerate([10.0, 10.2, 10.5, 10.7, 11.0]):
                pub.publish(*reading(k, kwh), qos=1).wait_for_publish(TIMEOUT)
            wait_for(lambda: ingester.stats.handled == 5, "5 messages")
            pub.disconnect()
            pub.loop_stop()
        finally:
            source.stop()
    assert hour_eight(store) == (pytest.approx(1.0), 1.0)


# -- addresses and connection errors -------------------------------------------------------


@pytest.mark.parametrize(
    "url, expected",
    [
        ("mqtt://127.0.0.1:1884", BrokerAddress("127.0.0.1", 1884)),
        ("tcp://broker.local", BrokerAddress("broker.local", 1883)),
        (
            "mqtt://ingest:s%40cret%3A1@broker:8883",
            BrokerAddress("broker", 8883, "ingest", "s@cret:1"),
        ),
        ("mqtt://ingest@broker", BrokerAddress("broker", 1883, "ingest", None)),
        ("mqtt://[::1]:1883", BrokerAddress("::1", 1883)),
    ],
)
def test_broker_address_parse(url: str, expected: BrokerAddress) -> None:
    assert BrokerAddress.parse(url) == expected


@pytest.mark.parametrize(
    "url, words",
    [
        ("http://broker:1883", "must look like mqtt://"),
        ("broker:1883", "must look like mqtt://"),
        ("mqtts://broker:8883", "must look like mqtt://"),
        ("mqtt://:1883", "has no host"),
        ("mqtt://broker:notaport", "port"),
        ("mqtt://broker:70000", "port"),
    ],
)
def test_broker_address_errors_name_the_url(url: str, words: str) -> None:
    with pytest.raises(MqttUrlError, match=words) as info:
        BrokerAddress.parse(url)
    assert repr(url) in str(info.value) and "OCCUPANCY_MQTT_URL" in str(info.value)


def test_url_errors_do_not_repeat_the_password() -> None:
    with pytest.raises(MqttUrlError) as info:
        BrokerAddress.parse("http://ingest:hunter2@broker:1883")
    assert "hunter2" not in str(info.value)
    assert "http://ingest:***@broker:1883" in str(info.value)


def test_credentials_are_sent(store, tmp_path) -> None:
    """Against a broker that refuses anonymous clients: the user and password from an
    OCCUPANCY_MQTT_URL (percent-encoded, as URLs need) get in; a wrong password, or none, is
    refused with an error that says what to check and does not repeat the password."""
    tool = shutil.which("mosquitto_passwd")
    assert tool, "mosquitto_passwd is not installed (apt-get install mosquitto)"
    password = "s@cret:1/x"
    passwd = tmp_path / "passwd"
    subprocess.run([tool, "-c", "-b", str(passwd), "ingest", password], check=True)
    lines = ["listener {port} 127.0.0.1", "allow_anonymous false", f"password_file {passwd}"]
    lines += ["persistence false", "set_tcp_nodelay true", f"log_dest file {tmp_path / 'log'}"]
    if os.geteuid() == 0:  # else Mosquitto drops to its own user and cannot read tmp_path
        lines.append("user root")
    with EmbeddedBroker(config="\n".join(lines) + "\n") as broker:
        where = f"127.0.0.1:{broker.port}"
        source = MqttSource(
            f"mqtt://ingest:{quote(password, safe='')}@{where}",
            Ingester(store),
            client_id=client_id("creds"),
        )
        assert (source.address.username, source.address.password) == ("ingest", password)
        source.start(timeout=5)
        try:
            assert source.subscribed.is_set()
        finally:
            source.stop()
        for url in (f"mqtt://ingest:{quote(password[:-1], safe='')}@{where}", f"mqtt://{where}"):
            source = MqttSource(url, Ingester(store), client_id=client_id("creds"))
            with pytest.raises(ConnectionError, match="refused.*user name and password") as info:
                source.start(timeout=5)
            assert password[:-1] not in str(info.value)
            assert not source.subscribed.is_set()


def test_a_closed_port_is_a_connection_error_saying_what_to_check(store) -> None:
    port = free_port()
    source = MqttSource(f"mqtt://127.0.0.1:{port}", Ingester(store), client_id=client_id("x"))
    with pytest.raises(
        ConnectionError,
        match=f"cannot reach the MQTT broker at 127.0.0.1:{port}.*OCCUPANCY_MQTT_URL",
    ) as info:
        source.start()
    assert isinstance(info.value.__cause__, OSError)


def test_something_that_is_not_a_broker_is_a_connection_error(store) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        accepted: list[socket.socket] = []
        threading.Thread(target=lambda: accepted.append(server.accept()[0]), daemon=True).start()
        source = MqttSource(f"mqtt://127.0.0.1:{port}", Ingester(store), client_id=client_id("x"))
        with pytest.raises(ConnectionError, match="no subscription confirmed.*MQTT broker"):
            source.start(timeout=0.5)
        for conn in accepted:
            conn.close()
