"""The parser contract: a payload format is one module with a ``parse`` function.

Parsers never touch MQTT or the store; they turn bytes into readings or say why not.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Protocol

from occupancy.readings import LightReading, MeterReading


class PayloadError(ValueError):
    """A payload we refuse. ``reason`` is a short stable key for counters; the message says
    what was wrong and how a sender fixes it."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class Parser(Protocol):
    def __call__(
        self, community: str, unit_id: str, kind: str, payload: bytes
    ) -> list[MeterReading | LightReading]:
        """Readings in the payload, or ``PayloadError``; never another exception."""


def parse_timestamp(value: object) -> float:
    """ISO 8601 with an explicit offset, or Unix seconds, to Unix seconds.

    A naive timestamp is refused: guessing its zone is how readings end up eight hours off.
    """
    if isinstance(value, bool):
        raise PayloadError("bad_ts", "ts must be ISO 8601 with an offset or Unix seconds")
    if isinstance(value, int | float):
        try:
            ts = float(value)
        except OverflowError:  # JSON integers are unbounded
            ts = math.inf
        if not math.isfinite(ts):
            raise PayloadError("bad_ts", "ts is not a finite number")
        if ts > 1e11:
            raise PayloadError("bad_ts", f"ts {value} looks like milliseconds; send Unix seconds")
        return ts
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise PayloadError(
                "bad_ts", f"ts {value[:40]!r} is not ISO 8601, e.g. 2026-03-01T08:15:00+08:00"
            ) from exc
        if moment.tzinfo is None:
            raise PayloadError(
                "naive_ts", f"ts {value[:40]!r} has no UTC offset; add one, e.g. +08:00"
            )
        return moment.timestamp()
    raise PayloadError("bad_ts", "ts is missing or not a string or number")
