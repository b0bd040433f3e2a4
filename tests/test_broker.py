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


def test_refuses_a_port_that_is_already_taken() -> None:
    """Otherwise the readiness probe would reach the other broker and we would think it ours."""
    import socket

    import pytest

    from occupancy.broker import EmbeddedBroker

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=f"port {port} .* already in use"):
            EmbeddedBroker(port=port).start()
