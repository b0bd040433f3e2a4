"""Validation, conversion and batching between an MQTT source and a store.

It never raises on bad input: each refused message is counted under a reason and logged
(the first few of each reason, then every thousandth, so a flood of garbage cannot drown
the log). A failing store keeps the batch for the next flush instead of dropping it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
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
from occupancy.readings import IntervalEnergy, LightReading, MeterReading
from occupancy.store.base import ReadingStore, StoreError

log = logging.getLogger(__name__)

#: How many rejections of one reason are logged in full before we only sample them.
LOG_FIRST_REJECTIONS = 20


@dataclass
class IngestStats:
    received: int = 0
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)
    stored_registers: int = 0
    stored_energy: int = 0
    stored_lights: int = 0
    batches: int = 0
    store_errors: int = 0
    last_store_seconds: float = 0.0

    @property
    def handled(self) -> int:
        return self.accepted + sum(self.rejected.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "accepted": self.accepted,
            "rejected": dict(self.rejected),
            "conversion": dict(self.notes),
            "stored": {
                "registers": self.stored_registers,
                "energy": self.stored_energy,
                "lights": self.stored_lights,
            },
            "batches": self.batches,
            "store_errors": self.store_errors,
        }


class Ingester:
    """Feed it ``(topic, payload)``; it writes batches of ``batch_size`` to the store."""

    def __init__(
        self,
        store: ReadingStore,
        *,
        topic_prefix: str = TOPIC_PREFIX,
        data_format: str = "json",
        batch_size: int = 5000,
        max_future_seconds: float = MAX_FUTURE_SECONDS,
        max_age_seconds: float = MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if data_format not in PARSERS:
            raise ValueError(
                f"unknown data format {data_format!r}; choose one of {', '.join(PARSERS)}"
            )
        self.store = store
        self.parse = PARSERS[data_format]
        self.prefix_levels = topic_prefix.strip("/").split("/")
        self.batch_size = batch_size
        self.max_future_seconds = max_future_seconds
        self.max_age_seconds = max_age_seconds
        self.clock = clock
        self.stats = IngestStats()
        # Resume deltas where the last run stopped, instead of losing one interval per unit.
        self.converter = IntervalConverter(last=store.last_registers())
        self._lock = threading.RLock()
        self._registers: list[MeterReading] = []
        self._energy: list[IntervalEnergy] = []
        self._lights: list[LightReading] = []

    @property
    def pending(self) -> int:
        return len(self._registers) + len(self._lights)

    def handle(self, topic: str, payload: bytes) -> None:
        with self._lock:
            self.stats.received += 1
            try:
                readings = self._parse(topic, payload)
            except PayloadError as exc:
                self._reject(exc.reason, topic, str(exc))
                return
            except Exception as exc:  # a parser bug must not stop the ingester either
                self._reject("parser_error", topic, repr(exc))
                log.exception("parser failed on %s", topic)
                return
            self.stats.accepted += 1
            for reading in readings:
                if isinstance(reading, MeterReading):
                    step = self.converter.step(reading)
                    if step.note:
                        self.stats.notes[step.note] += 1
                    if step.energy is not None:
                        self._energy.append(step.energy)
                    if step.keep_register:
                        self._registers.append(reading)
                else:
                    self._lights.append(reading)
            if self.pending >= self.batch_size:
                self.flush()

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

    def _reject(self, reason: str, topic: str, message: str) -> None:
        self.stats.rejected[reason] += 1
        count = self.stats.rejected[reason]
        if count <= LOG_FIRST_REJECTIONS or count % 1000 == 0:
            log.warning("rejected message on %s (%s, #%d): %s", topic, reason, count, message)

    def flush(self) -> int:
        """Write what is pending; returns the number of readings written (0 on failure)."""
        with self._lock:
            if not (self._registers or self._energy or self._lights):
                return 0
            started = time.perf_counter()
            try:
                self.store.write(self._registers, self._energy, self._lights)
            except StoreError as exc:
                self.stats.store_errors += 1
                log.error("store write failed, %d readings kept for retry: %s", self.pending, exc)
                return 0
            written = self.pending
            self.stats.last_store_seconds = time.perf_counter() - started
            self.stats.batches += 1
            self.stats.stored_registers += len(self._registers)
            self.stats.stored_energy += len(self._energy)
            self.stats.stored_lights += len(self._lights)
            self._registers, self._energy, self._lights = [], [], []
            return written
