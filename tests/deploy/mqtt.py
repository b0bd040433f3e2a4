"""A small recording MQTT client for the deployment tests: it keeps every CONNACK, PUBACK,
SUBACK and message, so a test can assert what the broker really answered, not what paho
assumed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from occupancy.ingest.mqtt_source import set_nodelay

TIMEOUT = 10.0
V5 = MQTTProtocolVersion.MQTTv5
V311 = MQTTProtocolVersion.MQTTv311


def wait_until(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    mid: int
    qos: int


class Recorder:
    """One paho client; never reconnects on its own (a refusal must stay visible)."""

    def __init__(
        self,
        port: int,
        username: str | None,
        password: str | None,
        *,
        client_id: str,
        protocol: MQTTProtocolVersion = V5,
        clean_start: bool = True,
        session_expiry: int | None = None,
        receive_maximum: int | None = None,
        manual_ack: bool = False,
    ) -> None:
        self.port = port
        self.client_id = client_id
        self.protocol = protocol
        self.clean_start = clean_start
        self.session_expiry = session_expiry
        self.receive_maximum = receive_maximum
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=protocol,
            clean_session=None if protocol == V5 else clean_start,
            reconnect_on_failure=False,
            manual_ack=manual_ack,
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.on_socket_open = set_nodelay
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self._lock = threading.Lock()
        self.connack: ReasonCode | None = None
        self.connack_props: Properties | None = None
        self.session_present: bool | None = None
        self.disconnect_reason: ReasonCode | None = None
        self.pubacks: dict[int, ReasonCode] = {}
        self.subacks: dict[int, list[ReasonCode]] = {}
        self.messages: list[Received] = []
        self._connected = threading.Event()
        self._disconnected = threading.Event()

    # -- callbacks (paho's network thread) --

    def _on_connect(self, _c, _u, flags, reason_code, props) -> None:
        self.connack, self.connack_props = reason_code, props
        self.session_present = flags.session_present
        self._connected.set()

    def _on_disconnect(self, _c, _u, _flags, reason_code, _props) -> None:
        self.disconnect_reason = reason_code
        self._disconnected.set()

    def _on_publish(self, _c, _u, mid, reason_code, _props) -> None:
        with self._lock:
            self.pubacks[mid] = reason_code

    def _on_subscribe(self, _c, _u, mid, reason_codes, _props) -> None:
        with self._lock:
            self.subacks[mid] = list(reason_codes)

    def _on_message(self, _c, _u, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append(Received(message.topic, message.payload, message.mid, message.qos))

    # -- what tests call --

    def connect(self, timeout: float = TIMEOUT) -> ReasonCode:
        """Connect and return the CONNACK's reason code, refused or not."""
        self._connected.clear()
        self._disconnected.clear()
        props = None
        if self.protocol == V5:
            props = Properties(PacketTypes.CONNECT)
            if self.session_expiry is not None:
                props.SessionExpiryInterval = self.session_expiry
            if self.receive_maximum is not None:
                props.ReceiveMaximum = self.receive_maximum
            self.client.connect(
                "127.0.0.1", self.port, clean_start=self.clean_start, properties=props
            )
        else:
            self.client.connect("127.0.0.1", self.port)
        self.client.loop_start()
        if not self._connected.wait(timeout):
            raise AssertionError("no CONNACK")
        assert self.connack is not None
        if self.connack.is_failure:
            self._disconnected.wait(timeout)
            self.client.loop_stop()
        return self.connack

    def subscribe(self, *topics: str, qos: int = 1) -> list[ReasonCode]:
        _rc, mid = self.client.subscribe([(topic, qos) for topic in topics])
        wait_until(lambda: mid in self.subacks, f"SUBACK for {topics}")
        return self.subacks[mid]

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> ReasonCode:
        """Publish one message and return the broker's PUBACK reason code."""
        info = self.client.publish(topic, payload, qos=qos)
        wait_until(lambda: info.mid in self.pubacks, f"PUBACK for {topic}")
        return self.pubacks[info.mid]

    def publish_many(self, messages: Iterable[tuple[str, bytes]], timeout: float = 30.0) -> None:
        """Publish at QoS 1 and return once the broker acknowledged every message."""
        mids = [self.client.publish(topic, payload, qos=1).mid for topic, payload in messages]
        assert len(set(mids)) == len(mids), "message ids wrapped: publish fewer per client"
        wait_until(lambda: all(mid in self.pubacks for mid in mids), "every PUBACK", timeout)
        failed = [self.pubacks[mid] for mid in mids if self.pubacks[mid].is_failure]
        assert not failed, f"{len(failed)} publishes refused, e.g. {failed[0]}"

    def received(self, topic: str | None = None) -> list[Received]:
        with self._lock:
            return [m for m in self.messages if topic is None or m.topic == topic]

    def wait_for(self, topic: str, payload: bytes, timeout: float = TIMEOUT) -> None:
        wait_until(
            lambda: any(m.payload == payload for m in self.received(topic)),
            f"{payload!r} on {topic}",
            timeout,
        )

    def wait_disconnected(self, timeout: float = TIMEOUT) -> ReasonCode | None:
        if not self._disconnected.wait(timeout):
            raise AssertionError("still connected")
        return self.disconnect_reason

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
