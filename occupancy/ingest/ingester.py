"""Validation, conversion and batching between an MQTT source and a store.

It never raises on bad input: each refused message is counted under a reason, logged (the
first few of each reason, then every thousandth, so a flood of garbage cannot drown the
log) and handed to ``on_reject`` (the MQTT source dead-letters it).

At least once: every accepted message carries an opaque ``token`` (the MQTT source's
message id). Tokens are handed to ``on_commit`` only after the store committed the batch
holding their readings, and the source acknowledges them to the broker only then. A crash
before the commit leaves them unacknowledged, so the broker delivers them again; stores
replace rather than duplicate, so a redelivery is harmless.

Bounded memory: at most ``max_pending`` accepted messages wait unwritten. While the store
is down the writer retries with exponential backoff and nothing is acknowledged, so the
broker stops sending once its in-flight window (our MQTT 5 receive maximum, sized to
``max_pending``) is full and queues the rest (backpressure). If a source ignores that
window, ``handle`` blocks until there is room.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from occupancy.ingest.const import (
    KINDS,
    MAX_AGE_SECONDS,
    MAX_FUTURE_SECONDS,
    MAX_ID_LENGTH,
    TOPIC_PREFIX,
    TOPIC_RESERVED,
)
from occupancy.ingest.intervals import IntervalConverter
from occupancy.ingest.parsers import PARSERS, PayloadError
from occupancy.readings import LightReading, MeterReading
from occupancy.store.base import ReadingStore, StoreError

log = logging.getLogger(__name__)

#: How many rejections of one reason are logged in full before we only sample them.
LOG_FIRST_REJECTIONS = 20
#: Backoff between store retries: doubling from the first to the last, so a store that
#: blips is retried at once and a store that is down for minutes is not hammered.
RETRY_FIRST_SECONDS = 0.2
RETRY_MAX_SECONDS = 10.0
#: Store latency histogram buckets (seconds): a batch write takes milliseconds when healthy.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Lag from a reading's own timestamp to its commit (seconds): meters buffer for minutes.
LAG_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 6 * 3600.0, 86400.0)

Token = Hashable


@dataclass(frozen=True, slots=True)
class Rejection:
    """A refused message and why, for the dead-letter topic."""

    topic: str
    payload: bytes
    reason: str
    message: str
    token: Token | None


class Histogram:
    """Cumulative bucket counts, the shape Prometheus exports; cheap enough per batch."""

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.sum += value
        for i, bound in enumerate(self.bounds):
            if value <= bound:
                self.counts[i] += 1
                return
        self.counts[-1] += 1

    def cumulative(self) -> list[tuple[str, int]]:
        out, running = [], 0
        for bound, n in zip((*map(str, self.bounds), "+Inf"), self.counts, strict=True):
            running += n
            out.append((bound, running))
        return out


@dataclass
class IngestStats:
    received: int = 0
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)
    stored_registers: int = 0
    stored_lights: int = 0
    committed_messages: int = 0
    batches: int = 0
    store_errors: int = 0
    #: Seconds from the newest reading's timestamp to its commit, last batch.
    last_lag_seconds: float = 0.0
    #: Monotonic time the store started failing; None while it works.
    store_down_since: float | None = None
    store_latency: Histogram = field(default_factory=lambda: Histogram(LATENCY_BUCKETS))
    lag: Histogram = field(default_factory=lambda: Histogram(LAG_BUCKETS))

    @property
    def handled(self) -> int:
        return self.accepted + sum(self.rejected.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "accepted": self.accepted,
            "rejected": dict(self.rejected),
            "conversion": dict(self.notes),
            "stored": {"registers": self.stored_registers, "lights": self.stored_lights},
            "batches": self.batches,
            "store_errors": self.store_errors,
        }


class Ingester:
    """Feed it ``(topic, payload, token)``; it writes batches and reports commits.

    Without ``start()`` it is synchronous (a full batch is written inside ``handle``),
    which files and tests use; ``start()`` moves writing to a background thread so the
    MQTT network thread never waits on the store.
    """

    def __init__(
        self,
        store: ReadingStore,
        *,
        topic_prefix: str = TOPIC_PREFIX,
        data_format: str = "auto",
        batch_size: int = 5000,
        flush_seconds: float = 1.0,
        max_pending: int = 20000,
        max_future_seconds: float = MAX_FUTURE_SECONDS,
        max_age_seconds: float = MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.time,
        on_commit: Callable[[list[Token]], None] | None = None,
        on_reject: Callable[[Rejection], None] | None = None,
    ) -> None:
        if data_format not in PARSERS:
            raise ValueError(
                f"unknown data format {data_format!r}; choose one of {', '.join(PARSERS)}"
            )
        self.store = store
        self.parse = PARSERS[data_format]
        self.prefix_levels = topic_prefix.strip("/").split("/")
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.max_pending = max(max_pending, batch_size)
        self.max_future_seconds = max_future_seconds
        self.max_age_seconds = max_age_seconds
        self.clock = clock
        self.on_commit = on_commit
        self.on_reject = on_reject
        self.stats = IngestStats()
        # Conversion notes (counter resets, gaps...) per unit; energy itself is derived by
        # the store from the registers, so a partial view here cannot corrupt it.
        self.converter = IntervalConverter(last=store.last_registers())
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)
        self._wake = threading.Condition(self._lock)
        self._write_lock = threading.Lock()
        self._registers: list[MeterReading] = []
        self._lights: list[LightReading] = []
        self._tokens: list[Token] = []
        self._messages = 0
        self._retry_at = 0.0
        self._backoff = RETRY_FIRST_SECONDS
        self._writer: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def pending(self) -> int:
        """Readings waiting to be written."""
        return len(self._registers) + len(self._lights)

    @property
    def pending_messages(self) -> int:
        """Accepted messages not yet committed: the queue depth backpressure bounds."""
        return self._messages

    @property
    def store_ok(self) -> bool:
        return self.stats.store_down_since is None

    # -- the hot path ---------------------------------------------------------------------

    def handle(self, topic: str, payload: bytes, token: Token | None = None) -> bool:
        """Take one message; returns whether it was accepted."""
        try:
            readings = self._parse(topic, payload)
        except PayloadError as exc:
            self._reject(Rejection(topic, payload, exc.reason, str(exc), token))
            return False
        except Exception as exc:  # a parser bug must not stop the ingester either
            log.exception("parser failed on %s", topic)
            self._reject(Rejection(topic, payload, "parser_error", repr(exc), token))
            return False
        write_now = False
        with self._lock:
            while self._messages >= self.max_pending and self._writer is not None:
                self._room.wait(1.0)  # the writer frees room once the store commits
            self.stats.received += 1
            self.stats.accepted += 1
            for reading in readings:
                if isinstance(reading, MeterReading):
                    step = self.converter.step(reading)
                    if step.note:
                        self.stats.notes[step.note] += 1
                    if step.keep_register:
                        self._registers.append(reading)
                else:
                    self._lights.append(reading)
            self._messages += 1
            if token is not None:
                self._tokens.append(token)
            if self._full():
                if self._writer is not None:
                    self._wake.notify()
                else:
                    write_now = True
        if write_now and time.monotonic() >= self._retry_at:
            self.flush()
        return True

    def _parse(self, topic: str, payload: bytes) -> list[MeterReading | LightReading]:
        levels = topic.split("/")
        n = len(self.prefix_levels)
        if levels[:n] != self.prefix_levels or len(levels) != n + 3:
            raise PayloadError(
                "bad_topic", "topic must be {prefix}/{community}/{unit_id}/{meter|lights}"
            )
        community, unit_id, kind = levels[n:]
        if kind not in KINDS:
            raise PayloadError("bad_topic", f"unknown reading kind {kind!r}")
        for name, value in (("community", community), ("unit_id", unit_id)):
            if not value or len(value) > MAX_ID_LENGTH or TOPIC_RESERVED & set(value):
                raise PayloadError("bad_topic", f"{name} {value[:80]!r} is empty or too long")
        readings = self.parse(community, unit_id, kind, payload)
        now = self.clock()
        for reading in readings:
            if reading.ts > now + self.max_future_seconds:
                raise PayloadError("future_ts", "reading is stamped in the future; check its clock")
            if reading.ts < now - self.max_age_seconds:
                raise PayloadError("stale_ts", "reading is older than the ingester accepts")
        return readings

    def _reject(self, rejection: Rejection) -> None:
        with self._lock:
            self.stats.received += 1
            self.stats.rejected[rejection.reason] += 1
            count = self.stats.rejected[rejection.reason]
        if count <= LOG_FIRST_REJECTIONS or count % 1000 == 0:
            log.warning(
                "rejected message on %s (%s, #%d): %s",
                rejection.topic,
                rejection.reason,
                count,
                rejection.message,
            )
        if self.on_reject is not None:
            self.on_reject(rejection)

    # -- writing --------------------------------------------------------------------------

    def flush(self) -> int:
        """Write what is pending; returns the number of readings written (0 on failure).

        The batch is taken out under the lock and written outside it, so the network
        thread keeps parsing while the store works; a failed batch goes back in front.
        """
        with self._write_lock:
            with self._lock:
                if not self._messages:
                    return 0
                registers, lights, tokens = self._registers, self._lights, self._tokens
                messages = self._messages
                self._registers, self._lights, self._tokens = [], [], []
            started = time.perf_counter()
            try:
                self.store.write(registers=registers, lights=lights)
            except Exception as exc:
                # A StoreError is the store saying no; anything else is a bug in a store,
                # which must not kill the writer thread (that would stall the session).
                with self._lock:
                    self._registers = registers + self._registers
                    self._lights = lights + self._lights
                    self._tokens = tokens + self._tokens
                    self.stats.store_errors += 1
                    if self.stats.store_down_since is None:
                        self.stats.store_down_since = time.monotonic()
                    self._retry_at = time.monotonic() + self._backoff
                    self._backoff = min(self._backoff * 2, RETRY_MAX_SECONDS)
                log.error(
                    "store write failed, %d readings kept for retry: %s",
                    len(registers) + len(lights),
                    exc,
                    exc_info=not isinstance(exc, StoreError),
                )
                return 0
            elapsed = time.perf_counter() - started
            newest = max((r.ts for r in (*registers, *lights)), default=None)
            with self._lock:
                self._messages -= messages
                stats = self.stats
                stats.store_latency.observe(elapsed)
                if newest is not None:
                    stats.last_lag_seconds = max(self.clock() - newest, 0.0)
                    stats.lag.observe(stats.last_lag_seconds)
                stats.batches += 1
                stats.committed_messages += messages
                stats.stored_registers += len(registers)
                stats.stored_lights += len(lights)
                if stats.store_down_since is not None:
                    log.info("store is back; writing resumed")
                stats.store_down_since = None
                self._backoff = RETRY_FIRST_SECONDS
                self._retry_at = 0.0
                self._room.notify_all()
            if tokens and self.on_commit is not None:
                try:
                    self.on_commit(tokens)
                except Exception:  # unacknowledged messages come back; a dead writer would not
                    log.exception("acknowledging %d committed messages failed", len(tokens))
            return len(registers) + len(lights)

    def start(self) -> None:
        """Write from a background thread: every ``flush_seconds``, or sooner when a batch
        is full; after a failure, retry with backoff."""
        if self._writer is not None:
            return
        self._stopping.clear()
        self._writer = threading.Thread(target=self._write_loop, name="ingest-writer", daemon=True)
        self._writer.start()

    def _write_loop(self) -> None:
        deadline = time.monotonic() + self.flush_seconds
        while True:
            with self._lock:
                while not self._stopping.is_set():
                    now = time.monotonic()
                    due = self._full() or now >= deadline
                    if due and now >= self._retry_at:
                        break
                    wake_at = self._retry_at if due else max(deadline, self._retry_at)
                    self._wake.wait(max(wake_at - now, 0.001))
                if self._stopping.is_set():
                    return
            self.flush()
            deadline = time.monotonic() + self.flush_seconds

    def _full(self) -> bool:
        return self.pending >= self.batch_size or self._messages >= self.max_pending

    def stop(self, timeout: float = 10.0) -> int:
        """Stop the writer and make one last attempt to write; returns readings written."""
        writer, self._writer = self._writer, None
        self._stopping.set()
        if writer is not None:
            with self._lock:
                self._wake.notify_all()
                self._room.notify_all()
            writer.join(timeout)
        return self.flush()
