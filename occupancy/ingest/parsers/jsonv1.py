"""The v1 JSON payloads of docs/mqtt.md.

``{"ts": ..., "kwh": ...}`` on meter topics and ``{"ts": ..., "on": ...}`` on lights topics.
"""

from __future__ import annotations

import json
import math

from occupancy.ingest.const import LIGHTS, MAX_PAYLOAD_BYTES, METER
from occupancy.ingest.parsers.base import PayloadError, parse_timestamp
from occupancy.readings import LightReading, MeterReading

#: Far beyond any household register (a 14 kW supply for a century is ~12 GWh).
MAX_REGISTER_KWH = 1e9


def parse(
    community: str, unit_id: str, kind: str, payload: bytes
) -> list[MeterReading | LightReading]:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadError("too_large", f"payload of {len(payload)} bytes exceeds the limit")
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise PayloadError("bad_json", f"payload is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise PayloadError("bad_json", "payload must be a JSON object")
    ts = parse_timestamp(doc.get("ts"))
    if kind == METER:
        kwh = doc.get("kwh")
        if isinstance(kwh, bool) or not isinstance(kwh, int | float):
            raise PayloadError("bad_kwh", "kwh is missing or not a number")
        try:
            kwh = float(kwh)
        except OverflowError:  # JSON integers are unbounded
            kwh = math.inf
        if not math.isfinite(kwh) or kwh < 0 or kwh > MAX_REGISTER_KWH:
            raise PayloadError("bad_kwh", f"kwh {kwh} is not a plausible register value")
        return [MeterReading(community=community, unit_id=unit_id, ts=ts, kwh=kwh)]
    if kind == LIGHTS:
        on = doc.get("on")
        if on in (0, 1) and not isinstance(on, float):
            on = bool(on)
        if not isinstance(on, bool):
            raise PayloadError("bad_on", "on must be true or false")
        return [LightReading(community=community, unit_id=unit_id, ts=ts, on=on)]
    raise PayloadError("bad_topic", f"unknown reading kind {kind!r}")
