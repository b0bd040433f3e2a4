"""The MQTT side of ingest: a paho-mqtt subscriber feeding an ``Ingester``.

It never parses payloads (that is the parsers' job) and never writes to a store (the
ingester's). It owns the connection, the subscriptions and the flush timer.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from occupancy.ingest.const import TOPIC_PREFIX, subscriptions
from occupancy.ingest.ingester import Ingester

log = logging.getLogger(__name__)

#: Keep the broker's session (and its queued QoS 1 messages) this long while we are away,
#: so messages sent while we are stopped are delivered when we return (acks still go out
#: on receipt, not after the store commits: see docs/mqtt.md).
SESSION_EXPIRY_SECONDS = 24 * 3600
KEEPALIVE_SECONDS = 30
#: Let the broker send this many QoS 1 messages before our acks; the default (65535 for
#: MQTT 5) is fine, but we say so explicitly since throughput depends on it.
RECEIVE_MAXIMUM = 65535
#: We speak MQTT 5 and fall back to 3.1.1 (with a clean_session=False session) when a
#: broker refuses 5 with this CONNACK reason, or does not answer a 5 CONNECT within
#: MQTT5_CONNACK_SECONDS: amqtt, the embedded fallback broker, speaks 3.1.1 only and just
#: waits on a 5 CONNECT with properties. A 5 broker answers in milliseconds on a sane link.
UNSUPPORTED_PROTOCOL_VERSION = 0x84
MQTT5_CONNACK_SECONDS = 2.0


class MqttUrlError(ValueError):
    pass


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        parts = urlsplit(url)
        shown = _without_password(url)
        if parts.scheme not in ("mqtt", "tcp"):
            raise MqttUrlError(
                f"OCCUPANCY_MQTT_URL {shown!r} must look like mqtt://[user:pass@]host:port"
            )
        if not parts.hostname:
            raise MqttUrlError(f"OCCUPANCY_MQTT_URL {shown!r} has no host")
        try:
            port = parts.port or 1883
        except ValueError as exc:
            raise MqttUrlError(f"OCCUPANCY_MQTT_URL {shown!r} has a bad port: {exc}") from exc
        return cls(
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


def _without_password(url: str) -> str:
    """The URL for error messages: they end up in logs, the password must not."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, hostpart = rest.rpartition("@")
    if not (sep and at and ":" in userinfo):
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{hostpart}"


def set_nodelay(_client: mqtt.Client, _userdata: object, sock: socket.socket) -> None:
    """paho leaves Nagle on; with QoS 1 acks on loopback that caps us at tens of msg/s."""
    # Not a TCP socket (e.g. websockets): nothing to do.
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class MqttSource:
    def __init__(
        self,
        url: str,
        ingester: Ingester,
        *,
        client_id: str = "occupancy-ingester",
        qos: int = 1,
        topic_prefix: str = TOPIC_PREFIX,
        flush_seconds: float = 1.0,
    ) -> None:
        self.address = BrokerAddress.parse(url)
        self.ingester = ingester
        self.client_id = client_id
        self.qos = qos
        self.topics = subscriptions(topic_prefix)
        self.flush_seconds = flush_seconds
        self.subscribed = threading.Event()
        # Set on a CONNACK; and once the broker confirmed our subscriptions or refused us.
        self._connacked = threading.Event()
        self._answered = threading.Event()
        self._refusal: ReasonCode | None = None
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None
        self.protocol = mqtt.MQTTv5
        self.client = self._make_client()

    def _make_client(self) -> mqtt.Client:
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=self.protocol,
            # MQTT 5 asks for a persistent session in CONNECT (clean_start, expiry).
            clean_session=None if self.protocol == mqtt.MQTTv5 else False,
        )
        if self.address.username:
            client.username_pw_set(self.address.username, self.address.password)
        client.on_socket_open = set_nodelay
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.on_disconnect = self._on_disconnect
        return client

    def _on_connect(self, client, _userdata, _flags, reason_code, _props) -> None:
        self._connacked.set()
        if reason_code.is_failure:
            if reason_code.value != UNSUPPORTED_PROTOCOL_VERSION:  # that one we fall back on
                log.error("broker refused the connection: %s", reason_code)
            self._refusal = reason_code
            self._answered.set()
            return
        # Subscribe on every (re)connect: cheap, and correct even if the session was lost.
        client.subscribe([(topic, self.qos) for topic in self.topics])

    def _on_subscribe(self, _client, _userdata, _mid, reason_codes, _props) -> None:
        failed = [str(rc) for rc in reason_codes if rc.is_failure]
        if failed:
            log.error("subscription refused: %s", ", ".join(failed))
            return
        self.subscribed.set()
        self._answered.set()

    def _on_message(self, _client, _userdata, message: mqtt.MQTTMessage) -> None:
        self.ingester.handle(message.topic, message.payload)

    def _on_disconnect(self, _client, _userdata, _flags, reason_code, _props) -> None:
        if not self._stop.is_set():
            log.warning("disconnected from the broker (%s); paho will reconnect", reason_code)

    def _flush_loop(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            self.ingester.flush()

    def _connect(self, timeout: float) -> bool:
        """One connection attempt; returns once subscribed, refused, or out of time, and
        whether the broker answered the CONNECT at all."""
        self._refusal = None
        self._connacked.clear()
        self._answered.clear()
        deadline = time.monotonic() + timeout
        try:
            if self.protocol == mqtt.MQTTv5:
                props = Properties(PacketTypes.CONNECT)
                props.SessionExpiryInterval = SESSION_EXPIRY_SECONDS
                props.ReceiveMaximum = RECEIVE_MAXIMUM
                self.client.connect(
                    self.address.host,
                    self.address.port,
                    keepalive=KEEPALIVE_SECONDS,
                    clean_start=False,
                    properties=props,
                )
            else:
                self.client.connect(
                    self.address.host, self.address.port, keepalive=KEEPALIVE_SECONDS
                )
        except OSError as exc:
            raise ConnectionError(
                f"cannot reach the MQTT broker at {self.address.host}:{self.address.port}: "
                f"{exc}; check OCCUPANCY_MQTT_URL or unset it to use the embedded broker"
            ) from exc
        self.client.loop_start()
        connack_wait = timeout
        if self.protocol == mqtt.MQTTv5:
            connack_wait = min(timeout, MQTT5_CONNACK_SECONDS)
        answered = self._connacked.wait(max(connack_wait, 0.0)) and self._answered.wait(
            max(deadline - time.monotonic(), 0.0)
        )
        if not answered or self._refusal is not None:
            # Stop paho's retries: we report (or fall back) instead.
            self.client.on_disconnect = None
            self.client.disconnect()
            self.client.loop_stop()
        return self._connacked.is_set()

    def start(self, timeout: float = 10.0) -> None:
        """Connect, subscribe and return once the broker confirmed the subscriptions."""
        deadline = time.monotonic() + timeout
        connacked = self._connect(timeout)
        refused_5 = self._refusal is not None and (
            self._refusal.value == UNSUPPORTED_PROTOCOL_VERSION
        )
        if refused_5 or not connacked:
            log.warning(
                "%s:%d %s an MQTT 5 connection; trying MQTT 3.1.1",
                self.address.host,
                self.address.port,
                "refused" if refused_5 else "did not answer",
            )
            self.protocol = mqtt.MQTTv311
            self.client = self._make_client()
            self._connect(deadline - time.monotonic())
        where = f"{self.address.host}:{self.address.port}"
        if self._refusal is not None:
            raise ConnectionError(
                f"the MQTT broker at {where} refused the connection ({self._refusal}); check "
                "the user name and password in OCCUPANCY_MQTT_URL"
            )
        if not self.subscribed.is_set():
            raise ConnectionError(
                f"no subscription confirmed by {where} within {timeout:.0f} s; is it an MQTT "
                "broker, and does its ACL allow us?"
            )
        self._flusher = threading.Thread(target=self._flush_loop, name="ingest-flush", daemon=True)
        self._flusher.start()
        log.info(
            "ingesting %s from %s:%d", ", ".join(self.topics), self.address.host, self.address.port
        )

    def stop(self) -> None:
        self._stop.set()
        self.client.disconnect()
        self.client.loop_stop()
        if self._flusher is not None:
            self._flusher.join(5)
        self.ingester.flush()
