"""The parser contract: a payload format is one module with a ``parse`` function.

Parsers never touch MQTT or the store; they turn bytes into readings or say why not. The
value checks every format shares live here, so a register, a lights state or a meter serial
is refused for the same reason with the same advice whichever format carried it.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Protocol

from occupancy.ingest.const import MAX_METER_ID_LENGTH, MAX_REGISTER_KWH
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


class DocParser(Protocol):
    def __call__(
        self, community: str, unit_id: str, kind: str, doc: object
    ) -> list[MeterReading | LightReading]:
        """Readings in an already decoded JSON document (so ``auto`` decodes only once)."""


def check_size(payload: bytes, limit: int) -> None:
    """Refuse before decoding: a huge payload costs time whatever it turns out to be."""
    if len(payload) > limit:
        raise PayloadError(
            "too_large", f"payload of {len(payload)} bytes exceeds the limit of {limit}"
        )


def decode_json(payload: bytes) -> object:
    """``json.loads`` with every failure (bad UTF-8, syntax, nesting depth) as ``bad_json``."""
    try:
        return json.loads(payload)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise PayloadError("bad_json", f"payload is not JSON: {exc}") from exc


def to_float(value: object) -> float | None:
    """A JSON number as a float (``None`` for anything else, booleans included).

    JSON integers are unbounded, so one beyond the float range becomes infinity instead of
    raising ``OverflowError`` later in arithmetic.
    """
    if isinstance(value, float):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    return None


def check_register(kwh: float) -> float:
    """A cumulative register in kWh: finite, not negative, not beyond any household."""
    if not math.isfinite(kwh) or kwh < 0 or kwh > MAX_REGISTER_KWH:
        raise PayloadError("bad_kwh", f"kwh {kwh} is not a plausible register value")
    return kwh


def register_kwh(value: object) -> float:
    """The ``kwh`` of a JSON reading: a number from 0 to ``MAX_REGISTER_KWH``."""
    kwh = to_float(value)
    if kwh is None:
        raise PayloadError("bad_kwh", "kwh is missing or not a number")
    return check_register(kwh)


def lights_on(value: object) -> bool:
    """The ``on`` of a JSON reading: ``true``/``false``, or the integers 1/0 some sensors send.

    ``1.0`` is refused: a float where a flag belongs is a sender mixing up fields.
    """
    if value is True or value is False:
        return value
    if type(value) is int and value in (0, 1):
        return bool(value)
    raise PayloadError("bad_on", "on must be true or false")


def meter_serial(value: object) -> str | None:
    """The optional meter serial: absent (``None``) or a non-empty string of at most 64
    characters. A number is refused rather than converted: ``"007"`` and ``7`` would become
    the same meter, and a serial read back differently would look like a replacement."""
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_METER_ID_LENGTH:
        raise PayloadError(
            "bad_meter",
            f"meter must be the meter's serial as a string of 1 to {MAX_METER_ID_LENGTH} "
            'characters, e.g. "meter": "0123456789"',
        )
    return check_serial_text(value)


def check_serial_text(value: str) -> str:
    """JSON can carry lone surrogates and control characters; a serial holding one could
    not be stored, and a batch that cannot be stored would be retried forever."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise PayloadError("bad_meter", "meter serial is not valid Unicode text") from exc
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise PayloadError("bad_meter", "meter serial contains control characters")
    return value


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
