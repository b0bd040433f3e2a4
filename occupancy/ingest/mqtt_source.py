"""The MQTT side of ingest: a paho-mqtt subscriber feeding an ``Ingester``.

It never parses payloads (that is the parsers' job) and never writes to a store (the
ingester's). It owns the connection, the subscriptions, the acknowledgements and the
dead-letter topic.

At least once: paho runs with ``manual_ack``; a QoS 1 message is acknowledged only when
the ingester reports that the batch holding it was committed, or, for a rejected message,
once its dead letter was accepted by the broker. Message ids are only meaningful on the
connection that delivered them, so a commit that arrives after a reconnect acknowledges
nothing: the broker has already redelivered those messages, and the store's idempotent
writes absorb the repeat.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import socket
import struct
import threading
import time
from collections.abc import Hashable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from occupancy.ingest.const import TOPIC_PREFIX, subscriptions
from occupancy.ingest.ingester import Ingester, Rejection

log = logging.getLogger(__name__)

#: Keep the broker's session (and its queued QoS 1 messages) this long while we are away,
#: so messages sent while we are stopped are delivered when we return.
SESSION_EXPIRY_SECONDS = 24 * 3600
KEEPALIVE_SECONDS = 30
#: MQTT 5 caps the receive maximum (unacknowledged QoS 1 messages in flight to us) here;
#: ours is the ingester's ``max_pending``, which is how backpressure reaches the broker.
RECEIVE_MAXIMUM_LIMIT = 65535
#: Dead letters go to {prefix}/_rejected/{reason}/{community}/{unit}/{kind}, seven levels,
#: so our own five-level subscriptions never receive them back.
REJECTED_LEVEL = "_rejected"
#: How much of a rejected payload its dead letter carries (see dead_letter_payload).
DEAD_LETTER_PAYLOAD_BYTES = 4096
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


def dead_letter_topic(prefix: str, reason: str, topic: str) -> str:
    """Where a rejected message goes: the reason, then where it came from when that is a
    well-formed {community}/{unit}/{kind} (else just the reason level)."""
    base = f"{prefix.strip('/')}/{REJECTED_LEVEL}/{reason}"
    head = prefix.strip("/") + "/"
    rest = topic[len(head) :].split("/") if topic.startswith(head) else []
    if len(rest) == 3 and all(rest) and not any(set(level) & set("+#$") for level in rest):
        return f"{base}/{'/'.join(rest)}"
    return base


def dead_letter_payload(rejection: Rejection) -> bytes:
    """A JSON envelope: what was refused, why, and the payload (text if it decodes, else
    base64) so an operator can fix the sender and replay it.

    The payload is cut at DEAD_LETTER_PAYLOAD_BYTES (its size and SHA-256 say what it was):
    JSON escaping can make a letter six times its payload, and a letter over the broker's
    packet limit would get us disconnected, the original redelivered, forever.
    """
    raw = rejection.payload
    doc: dict[str, object] = {
        "topic": rejection.topic,
        "reason": rejection.reason,
        "message": rejection.message[:1000],
        "received": time.time(),
        "payload_bytes": len(raw),
    }
    kept = raw[:DEAD_LETTER_PAYLOAD_BYTES]
    if len(kept) < len(raw):
        doc["truncated"] = True
        doc["payload_sha256"] = hashlib.sha256(raw).hexdigest()
    for cut in range(4 if len(kept) < len(raw) else 1):  # a cut may split a character
        try:
            doc["payload"] = kept[: len(kept) - cut].decode("utf-8")
            break
        except UnicodeDecodeError:
            continue
    else:
        doc["payload_b64"] = base64.b64encode(kept).decode("ascii")
    return json.dumps(doc, ensure_ascii=False).encode()


_PUBACK = struct.Struct("!BBH")
PUBACK = 0x40


def send_pubacks(client: mqtt.Client, mids: list[int]) -> None:
    """Acknowledge QoS 1 messages, thousands at a time.

    ``client.ack`` queues one packet and wakes paho's loop per message; at 10,000
    messages/s that is a third of the ingester's CPU. A PUBACK with success and no
    properties is the same four bytes in MQTT 3.1.1 and 5, so a batch goes out as one
    write. Falls back to ``client.ack`` if paho's internals change.
    """
    queue = getattr(client, "_packet_queue", None)
    if queue is None:
        for mid in mids:
            client.ack(mid, 1)
        return
    packets = b"".join([_PUBACK.pack(PUBACK, 2, mid) for mid in mids])
    queue(PUBACK, packets, 0, 0)


class MqttSource:
    def __init__(
        self,
        url: str,
        ingester: Ingester,
        *,
        client_id: str = "occupancy-ingester",
        qos: int = 1,
        topic_prefix: str = TOPIC_PREFIX,
        share_group: str | None = None,
    ) -> None:
        self.address = BrokerAddress.parse(url)
        self.ingester = ingester
        self.client_id = client_id
        self.qos = qos
        self.topic_prefix = topic_prefix
        topics = subscriptions(topic_prefix)
        if share_group:
            if set(share_group) & set("/+#"):
                raise MqttUrlError(f"share group {share_group!r} must not contain / + or #")
            topics = [f"$share/{share_group}/{topic}" for topic in topics]
        self.topics = topics
        self.subscribed = threading.Event()
        self._online = False  # subscribed on the current connection
        self._ack_lock = threading.Lock()
        self._acking = False  # a CONNACK accepted us and no disconnect since
        # Set on a CONNACK; and once the broker confirmed our subscriptions or refused us.
        self._connacked = threading.Event()
        self._answered = threading.Event()
        self._refusal: ReasonCode | None = None
        self._stop = threading.Event()
        # Message ids belong to one connection; acks carry the connection they came from.
        self._generation = 0
        self._dead_pending: dict[int, tuple[int, int, int]] = {}
        self.dead_lettered = 0
        self.dead_letter_failures = 0
        self.acked = 0
        ingester.on_commit = self._on_commit
        ingester.on_reject = self._on_reject
        self.protocol = mqtt.MQTTv5
        self.client = self._make_client()

    @property
    def connected(self) -> bool:
        return self._online and self.client.is_connected()

    def _make_client(self) -> mqtt.Client:
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=self.protocol,
            # MQTT 5 asks for a persistent session in CONNECT (clean_start, expiry).
            clean_session=None if self.protocol == mqtt.MQTTv5 else False,
            manual_ack=True,
        )
        if self.address.username:
            client.username_pw_set(self.address.username, self.address.password)
        # paho's default of 20 in-flight publishes would throttle dead letters under a flood.
        client.max_inflight_messages_set(1000)
        client.on_socket_open = set_nodelay
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.on_publish = self._on_publish
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
        with self._ack_lock:
            self._generation += 1
            self._acking = True  # a resumed session redelivers before our SUBACK
        self._dead_pending.clear()
        # Subscribe on every (re)connect: cheap, and correct even if the session was lost.
        client.subscribe([(topic, self.qos) for topic in self.topics])

    def _on_subscribe(self, _client, _userdata, _mid, reason_codes, _props) -> None:
        failed = [str(rc) for rc in reason_codes if rc.is_failure]
        if failed:
            log.error("subscription refused: %s", ", ".join(failed))
            return
        self.subscribed.set()
        with self._ack_lock:
            self._online = True
        self._answered.set()

    def _on_message(self, _client, _userdata, message: mqtt.MQTTMessage) -> None:
        token = (self._generation, message.mid, message.qos) if message.qos else None
        try:
            self.ingester.handle(message.topic, message.payload, token)
        except Exception:  # paho re-raises and its network thread would die: log, go on
            log.exception("handling a message on %s failed; it stays unacknowledged", message.topic)

    def _on_commit(self, tokens: list[Hashable]) -> None:
        # Under the lock the connect and disconnect callbacks take: an ack must never be
        # queued for a connection other than the one its message id came from.
        with self._ack_lock:
            if not self._acking:
                return  # the broker redelivers these; their new ids get acknowledged then
            generation = self._generation
            mids = [mid for gen, mid, _qos in tokens if gen == generation]  # type: ignore[misc]
            if mids:
                send_pubacks(self.client, mids)
                self.acked += len(mids)

    def _on_reject(self, rejection: Rejection) -> None:
        token = rejection.token
        topic = dead_letter_topic(self.topic_prefix, rejection.reason, rejection.topic)
        props = None
        if self.protocol == mqtt.MQTTv5:
            props = Properties(PacketTypes.PUBLISH)
            props.UserProperty = [("reason", rejection.reason)]
            props.ContentType = "application/json"
        info = self.client.publish(topic, dead_letter_payload(rejection), qos=1, properties=props)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            # Not connected: leave the original unacknowledged; it comes back and is
            # rejected (and dead-lettered) again.
            self.dead_letter_failures += 1
            return
        if token is not None:
            self._dead_pending[info.mid] = token  # type: ignore[assignment]

    def _on_publish(self, _client, _userdata, mid, reason_code, _props) -> None:
        token = self._dead_pending.pop(mid, None)
        if reason_code.is_failure:
            # The broker refused the dead letter (ACL?). Acknowledge the original anyway:
            # garbage must never stall the session; the counter and log say it happened.
            self.dead_letter_failures += 1
            log.error("dead letter refused by the broker: %s", reason_code)
        else:
            self.dead_lettered += 1
        if token is not None:
            self._on_commit([token])

    def _on_disconnect(self, _client, _userdata, _flags, reason_code, _props) -> None:
        with self._ack_lock:
            self._online = self._acking = False
            self._generation += 1
        if not self._stop.is_set():
            log.warning("disconnected from the broker (%s); paho will reconnect", reason_code)

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
                props.ReceiveMaximum = min(self.ingester.max_pending, RECEIVE_MAXIMUM_LIMIT)
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
        self.ingester.start()
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
            self.ingester.stop()
            raise ConnectionError(
                f"the MQTT broker at {where} refused the connection ({self._refusal}); check "
                "the user name and password in OCCUPANCY_MQTT_URL"
            )
        if not self.subscribed.is_set():
            self.ingester.stop()
            raise ConnectionError(
                f"no subscription confirmed by {where} within {timeout:.0f} s; is it an MQTT "
                "broker, and does its ACL allow us?"
            )
        log.info(
            "ingesting %s from %s:%d", ", ".join(self.topics), self.address.host, self.address.port
        )

    def stop(self) -> None:
        """Write and acknowledge what is pending, then disconnect: the acks go out before
        the DISCONNECT, so a clean stop causes no redelivery."""
        self._stop.set()
        self.ingester.stop()
        self.client.disconnect()
        self.client.loop_stop()
