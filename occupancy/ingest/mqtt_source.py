"""The MQTT side of ingest: a paho-mqtt subscriber feeding an ``Ingester``.

It never parses payloads (that is the parsers' job) and never writes to a store (the
ingester's). It owns the connection, the subscriptions and the flush timer.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from occupancy.ingest.const import TOPIC_PREFIX, subscriptions
from occupancy.ingest.ingester import Ingester

log = logging.getLogger(__name__)

#: Keep the broker's session (and its queued QoS 1 messages) this long while we are away,
#: so a restart loses nothing.
SESSION_EXPIRY_SECONDS = 24 * 3600
KEEPALIVE_SECONDS = 30
#: Let the broker send this many QoS 1 messages before our acks; the default (65535 for
#: MQTT 5) is fine, but we say so explicitly since throughput depends on it.
RECEIVE_MAXIMUM = 65535


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
        if parts.scheme not in ("mqtt", "tcp"):
            raise MqttUrlError(
                f"OCCUPANCY_MQTT_URL {url!r} must look like mqtt://[user:pass@]host:port"
            )
        if not parts.hostname:
            raise MqttUrlError(f"OCCUPANCY_MQTT_URL {url!r} has no host")
        return cls(
            host=parts.hostname,
            port=parts.port or 1883,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


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
        self.qos = qos
        self.topics = subscriptions(topic_prefix)
        self.flush_seconds = flush_seconds
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
        )
        if self.address.username:
            self.client.username_pw_set(self.address.username, self.address.password)
        self.client.on_socket_open = set_nodelay
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self.subscribed = threading.Event()
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None

    def _on_connect(self, client, _userdata, _flags, reason_code, _props) -> None:
        if reason_code.is_failure:
            log.error("broker refused the connection: %s", reason_code)
            return
        # Subscribe on every (re)connect: cheap, and correct even if the session was lost.
        client.subscribe([(topic, self.qos) for topic in self.topics])

    def _on_subscribe(self, _client, _userdata, _mid, reason_codes, _props) -> None:
        failed = [str(rc) for rc in reason_codes if rc.is_failure]
        if failed:
            log.error("subscription refused: %s", ", ".join(failed))
            return
        self.subscribed.set()

    def _on_message(self, _client, _userdata, message: mqtt.MQTTMessage) -> None:
        self.ingester.handle(message.topic, message.payload)

    def _on_disconnect(self, _client, _userdata, _flags, reason_code, _props) -> None:
        if not self._stop.is_set():
            log.warning("disconnected from the broker (%s); paho will reconnect", reason_code)

    def _flush_loop(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            self.ingester.flush()

    def start(self, timeout: float = 10.0) -> None:
        """Connect, subscribe and return once the broker confirmed the subscriptions."""
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY_SECONDS
        props.ReceiveMaximum = RECEIVE_MAXIMUM
        try:
            self.client.connect(
                self.address.host,
                self.address.port,
                keepalive=KEEPALIVE_SECONDS,
                clean_start=False,
                properties=props,
            )
        except OSError as exc:
            raise ConnectionError(
                f"cannot reach the MQTT broker at {self.address.host}:{self.address.port}: "
                f"{exc}; check OCCUPANCY_MQTT_URL or unset it to use the embedded broker"
            ) from exc
        self.client.loop_start()
        if not self.subscribed.wait(timeout):
            self.client.loop_stop()
            raise ConnectionError(
                f"no subscription confirmed by {self.address.host}:{self.address.port} within "
                f"{timeout:.0f} s; is it an MQTT broker, and does its ACL allow us?"
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
