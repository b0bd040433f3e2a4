"""The embedded broker: a QoS 1 message makes it through each kind."""

from __future__ import annotations

import queue
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from occupancy.broker import EmbeddedBroker

TIMEOUT = 10.0


def client(broker: EmbeddedBroker, role: str) -> mqtt.Client:
    c = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=f"test-broker-{role}-{uuid.uuid4().hex[:8]}",
        protocol=MQTTProtocolVersion.MQTTv311,  # amqtt speaks 3.1.1 only
    )
    c.connect("127.0.0.1", broker.port)
    c.loop_start()
    return c


@pytest.mark.parametrize("prefer", ["mosquitto", "amqtt"])
def test_qos1_round_trip(prefer: str) -> None:
    received: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
    subscribed: queue.Queue[list] = queue.Queue()
    with EmbeddedBroker(prefer=prefer) as broker:
        assert broker.kind == prefer
        assert broker.url == f"mqtt://127.0.0.1:{broker.port}"
        sub = client(broker, "sub")
        sub.on_message = lambda _c, _u, message: received.put(message)
        sub.on_subscribe = lambda _c, _u, _mid, codes, _p: subscribed.put(codes)
        pub = client(broker, "pub")
        try:
            sub.subscribe("occupancy/v1/+/+/meter", qos=1)
            [code] = subscribed.get(timeout=TIMEOUT)
            assert code.value == 1  # granted QoS 1
            info = pub.publish("occupancy/v1/east/3-501/meter", b'{"kwh": 1}', qos=1)
            info.wait_for_publish(TIMEOUT)
            assert info.is_published()
            message = received.get(timeout=TIMEOUT)
            assert (message.topic, message.payload, message.qos) == (
                "occupancy/v1/east/3-501/meter",
                b'{"kwh": 1}',
                1,
            )
        finally:
            for c in (sub, pub):
                c.disconnect()
                c.loop_stop()
    # Stopped: the port is free again.
    with EmbeddedBroker(port=broker.port, prefer=prefer) as again:
        assert again.port == broker.port
