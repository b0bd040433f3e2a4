"""Replay a generated community over MQTT, as the meters and lights sensors would send it.

Messages go out in time order (meter and lights files merged), either as fast as the broker
takes them or paced so that ``speed`` simulated seconds pass per real second. Two things make
QoS 1 fast on a loopback broker: TCP_NODELAY (paho leaves Nagle on, and Nagle plus delayed ACK
caps a publisher at a few dozen messages per second) and a generous in-flight window. Every
QoS 1/2 message is acknowledged before we disconnect, so "published" means "the broker has it".

The in-flight window is ours, not paho's: paho 2.x rescans its whole outgoing-message table on
every PUBACK when ``max_inflight_messages_set(n)`` is non-zero, so its own window of 1000 runs
at about a third of the speed of an unlimited paho window bounded here by counting
acknowledgements (measured on loopback Mosquitto: ~5k vs ~13k QoS 1 messages/s).

Garbage payloads (``garbage_rate``) are a fault of the *transport*, not of a meter: a gateway
with a firmware bug, a truncated frame, a test message someone forgot. They are mixed in on
the real topics, seeded, and counted, so a tester can compare the count with the ingester's
rejected counter.
"""

from __future__ import annotations

import contextlib
import csv
import heapq
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

DEFAULT_PREFIX = "occupancy/v1"
#: Messages the broker may owe us an acknowledgement for at once (also bounds memory).
MAX_INFLIGHT = 1000
#: Give up if the broker acknowledges nothing for this long.
STALL_SECONDS = 30.0
CONNECT_SECONDS = 10.0
PROGRESS_EVERY = 2000
_RESERVED = frozenset("/+#")
#: Kinds of malformed payload mixed in by ``garbage_rate``; every one is invalid under
#: docs/mqtt.md (not JSON, not an object, no value, a value of the wrong type, a bad time).
GARBAGE_KINDS: tuple[str, ...] = (
    "not_json",
    "truncated_json",
    "not_object",
    "missing_value",
    "bad_value",
    "bad_ts",
    "empty",
)


@dataclass(frozen=True)
class PublishStats:
    """What a replay sent: readings from the files and garbage payloads mixed in."""

    readings: int
    garbage: int
    garbage_kinds: dict[str, int]

    @property
    def total(self) -> int:
        return self.readings + self.garbage


def garbage_payload(kind: str, topic_kind: str, ts: str) -> bytes:
    """A malformed payload of ``kind`` for a ``meter`` or ``lights`` topic at time ``ts``."""
    key = "kwh" if topic_kind == "meter" else "on"
    good = {"ts": ts, key: 1234.5 if topic_kind == "meter" else True}
    if kind == "not_json":
        return b"\x00\xffkwh=12.3;ts=" + ts.encode()
    if kind == "truncated_json":
        return json.dumps(good).encode()[:-7]
    if kind == "not_object":
        return json.dumps([ts, good[key]]).encode()
    if kind == "missing_value":
        return json.dumps({"ts": ts}).encode()
    if kind == "bad_value":
        return json.dumps({"ts": ts, key: "n/a"}).encode()
    if kind == "bad_ts":
        return json.dumps({"ts": "yesterday evening", key: good[key]}).encode()
    if kind == "empty":
        return b""
    raise ValueError(f"unknown garbage kind {kind!r}; choose from {', '.join(GARBAGE_KINDS)}")


class PublishError(RuntimeError):
    """Publishing cannot proceed; the message says how to fix it."""


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None = None
    password: str | None = None


def parse_broker_url(url: str) -> BrokerAddress:
    """``mqtt://[user:pass@]host[:port]`` (port 1883 by default)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "tcp") or not parts.hostname:
        raise PublishError(
            f"broker URL {url!r} is not of the form mqtt://[user:pass@]host:port, "
            "e.g. mqtt://127.0.0.1:1883"
        )
    try:
        port = parts.port or 1883
    except ValueError as exc:
        raise PublishError(f"broker URL {url!r} has an invalid port") from exc
    return BrokerAddress(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def _need(path: Path, what: str) -> Path:
    if not path.is_file():
        raise PublishError(
            f"{path.parent} has no {path.name} ({what}); create the directory with "
            f"`occupancy-sim generate --out {path.parent}`"
        )
    return path


def _open_csv(path: Path, header: list[str]) -> tuple[Any, Iterator[list[str]]]:
    f = open(path, encoding="utf-8", newline="")  # noqa: SIM115 - closed by the caller
    reader = csv.reader(f)
    found = next(reader, None)
    if found != header:
        f.close()
        raise PublishError(
            f"{path} starts with {','.join(found or [])!r}, expected {','.join(header)!r}; "
            "was it written by `occupancy-sim generate`?"
        )
    return f, reader


def _communities(src: Path) -> dict[str, str]:
    path = _need(src / "register.csv", "the community of each unit")
    f, reader = _open_csv(
        path,
        [
            "unit_id",
            "community",
            "grid",
            "building",
            "entrance",
            "floor",
            "room",
            "registered_occupants",
            "vulnerable",
        ],
    )
    with f:
        out: dict[str, str] = {}
        for row in reader:
            if row:
                for text in row[:2]:
                    if not text or _RESERVED & set(text):
                        raise PublishError(
                            f"{path}: {text!r} cannot be a topic level (empty or / + #)"
                        )
                out[row[0]] = row[1]
        return out


def _count_rows(path: Path) -> int:
    lines = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            lines += block.count(b"\n")
    return max(0, lines - 1)


def _stream(
    path: Path, kind: str, value: str, communities: dict[str, str], prefix: str
) -> Iterator[tuple[float, str, bytes]]:
    """(epoch seconds, topic, payload) per row of a readings or lights file."""
    f, reader = _open_csv(path, ["unit_id", "ts", value])
    seconds: dict[str, float] = {}
    with f:
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            try:
                unit_id, ts, text = row
                moment = seconds.get(ts)
                if moment is None:
                    parsed = datetime.fromisoformat(ts)
                    if parsed.tzinfo is None:
                        raise ValueError(f"timestamp {ts!r} has no UTC offset")
                    moment = seconds[ts] = parsed.timestamp()
                if kind == "meter":
                    doc: dict[str, object] = {"ts": ts, "kwh": float(text)}
                else:
                    if text not in ("0", "1"):
                        raise ValueError(f"on must be 1 or 0, got {text!r}")
                    doc = {"ts": ts, "on": text == "1"}
            except ValueError as exc:
                raise PublishError(f"{path}:{line}: {exc}") from exc
            community = communities.get(unit_id)
            if community is None:
                raise PublishError(
                    f"{path}:{line}: unit {unit_id!r} is not in register.csv; "
                    "regenerate the directory so the files belong together"
                )
            topic = f"{prefix}/{community}/{unit_id}/{kind}"
            yield moment, topic, json.dumps(doc).encode()


class _Tracker:
    """Counts acknowledgements from paho's network thread for the publishing thread."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.acked = 0
        self.connected = threading.Event()
        self.refused: str | None = None

    def on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any
    ) -> None:
        if rc.is_failure:
            self.refused = str(rc)
        self.connected.set()

    def on_publish(self, client: mqtt.Client, userdata: Any, mid: int, rc: Any, props: Any) -> None:
        with self.cond:
            self.acked += 1
            self.cond.notify_all()

    def wait_until(self, published: int, limit: int) -> None:
        """Block until at most ``limit`` messages are unacknowledged (0 = all acknowledged)."""
        with self.cond:
            while published - self.acked > limit:
                before = self.acked
                self.cond.wait(STALL_SECONDS)
                if self.acked == before and published - self.acked > limit:
                    raise PublishError(
                        f"the broker acknowledged nothing for {STALL_SECONDS:.0f} s "
                        f"({published - self.acked} messages outstanding); is it still up?"
                    )


def _no_delay(client: mqtt.Client, userdata: Any, sock: Any) -> None:
    # Not a TCP socket (e.g. a websocket wrapper): nothing to tune.
    with contextlib.suppress(AttributeError, OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _connect(address: BrokerAddress, tracker: _Tracker) -> mqtt.Client:
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=f"occupancy-sim-{os.getpid()}-{time.monotonic_ns() % 1_000_000}",
        protocol=MQTTProtocolVersion.MQTTv311,
    )
    client.on_socket_open = _no_delay
    client.on_connect = tracker.on_connect
    client.on_publish = tracker.on_publish
    client.max_inflight_messages_set(0)  # unlimited in paho; publish_dir keeps the window
    if address.username is not None:
        client.username_pw_set(address.username, address.password)
    try:
        client.connect(address.host, address.port, keepalive=30)
    except OSError as exc:
        raise PublishError(
            f"cannot reach an MQTT broker at {address.host}:{address.port} ({exc}); "
            "is it running and is the URL right?"
        ) from exc
    client.loop_start()
    if not tracker.connected.wait(CONNECT_SECONDS) or tracker.refused:
        client.loop_stop()
        reason = tracker.refused or f"no answer within {CONNECT_SECONDS:.0f} s"
        raise PublishError(
            f"broker at {address.host}:{address.port} refused the connection: {reason}; "
            "check the user name and password in the URL"
        )
    return client


def publish_dir(
    broker_url: str,
    src: Path,
    speed: float = 0.0,
    qos: int = 1,
    topic_prefix: str = DEFAULT_PREFIX,
    progress: Callable[[int, int], None] | None = None,
    garbage_rate: float = 0.0,
    seed: int = 0,
) -> int:
    """Publish a generated directory's meter and lights readings in time order.

    Returns the number of messages published (garbage included); see ``publish_replay``.
    """
    return publish_replay(
        broker_url, src, speed, qos, topic_prefix, progress, garbage_rate, seed
    ).total


def publish_replay(
    broker_url: str,
    src: Path,
    speed: float = 0.0,
    qos: int = 1,
    topic_prefix: str = DEFAULT_PREFIX,
    progress: Callable[[int, int], None] | None = None,
    garbage_rate: float = 0.0,
    seed: int = 0,
) -> PublishStats:
    """Publish a generated directory's meter and lights readings in time order.

    ``speed`` is simulated seconds per real second (``0`` = as fast as possible). Before each
    reading, with chance ``garbage_rate``, a malformed payload (one of ``GARBAGE_KINDS``,
    seeded by ``seed``) goes to the same topic. Every message is acknowledged by the broker
    when ``qos`` > 0. ``progress(done, total)`` is called every few thousand messages and
    once at the end.
    """
    if not 0.0 <= garbage_rate < 1.0:
        raise PublishError(f"garbage rate must be at least 0 and below 1, got {garbage_rate}")
    if qos not in (0, 1, 2):
        raise PublishError(f"qos must be 0, 1 or 2, got {qos}")
    if speed < 0:
        raise PublishError(f"speed must be 0 (as fast as possible) or positive, got {speed}")
    src = Path(src)
    if not src.is_dir():
        raise PublishError(f"{src} is not a directory; create it with `occupancy-sim generate`")
    prefix = topic_prefix.strip("/")
    address = parse_broker_url(broker_url)
    communities = _communities(src)
    readings = _need(src / "readings.csv", "meter readings")
    lights = src / "lights.csv"
    streams = [_stream(readings, "meter", "kwh", communities, prefix)]
    total = _count_rows(readings)
    if lights.is_file():
        streams.append(_stream(lights, "lights", "on", communities, prefix))
        total += _count_rows(lights)

    tracker = _Tracker()
    client = _connect(address, tracker)
    published = 0
    garbage: dict[str, int] = dict.fromkeys(GARBAGE_KINDS, 0)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    # Drawn in blocks: one random number per message would cost more than the publish.
    draws = np.empty(0)
    kinds = np.empty(0, dtype=np.int64)
    used = 0

    def send(topic: str, payload: bytes) -> None:
        nonlocal published
        info = client.publish(topic, payload, qos=qos)
        # Without a connection paho keeps QoS 1/2 messages and resends them on reconnect,
        # but drops QoS 0 ones (and never reports them), so that is an error for QoS 0.
        if info.rc != mqtt.MQTT_ERR_SUCCESS and (qos == 0 or info.rc != mqtt.MQTT_ERR_NO_CONN):
            raise PublishError(f"publishing to {topic} failed: {mqtt.error_string(info.rc)}")
        published += 1
        if published - tracker.acked >= MAX_INFLIGHT:
            tracker.wait_until(published, MAX_INFLIGHT // 2)
        if progress is not None and published % PROGRESS_EVERY == 0:
            progress(published, max(total, published))

    if progress is not None:
        progress(0, total)
    try:
        first: float | None = None
        wall0 = time.monotonic()
        last_due = 0.0
        for moment, topic, payload in heapq.merge(*streams, key=lambda m: m[0]):
            if speed > 0:
                if first is None:
                    first = moment
                due = (moment - first) / speed
                if due > last_due:
                    last_due = due
                    delay = wall0 + due - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
            if garbage_rate > 0:
                if used == draws.size:
                    draws = rng.random(4096)
                    kinds = rng.integers(0, len(GARBAGE_KINDS), 4096)
                    used = 0
                if draws[used] < garbage_rate:
                    kind = GARBAGE_KINDS[int(kinds[used])]
                    ts = json.loads(payload)["ts"]
                    send(topic, garbage_payload(kind, topic.rsplit("/", 1)[1], ts))
                    garbage[kind] += 1
                used += 1
            send(topic, payload)
        tracker.wait_until(published, 0)
    finally:
        client.disconnect()
        client.loop_stop()
    if progress is not None:
        progress(published, max(total, published))
    bad = sum(garbage.values())
    return PublishStats(readings=published - bad, garbage=bad, garbage_kinds=garbage)
