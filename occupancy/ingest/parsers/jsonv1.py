"""The v1 JSON payloads of docs/mqtt.md.

``{"ts": ..., "kwh": ...}`` on meter topics and ``{"ts": ..., "on": ...}`` on lights topics;
meter payloads may name the meter's serial as ``"meter"`` so a replacement is recognised.
``parse_doc`` takes an already decoded object: the ``batch`` format reuses it for each
element and ``auto`` after its one ``json.loads``.
"""

from __future__ import annotations

from occupancy.ingest.const import LIGHTS, MAX_PAYLOAD_BYTES, MAX_REGISTER_KWH, METER
from occupancy.ingest.parsers.base import (
    PayloadError,
    check_size,
    decode_json,
    lights_on,
    meter_serial,
    parse_timestamp,
    register_kwh,
)
from occupancy.readings import LightReading, MeterReading

__all__ = ["MAX_REGISTER_KWH", "parse", "parse_doc"]


def parse(
    community: str, unit_id: str, kind: str, payload: bytes
) -> list[MeterReading | LightReading]:
    check_size(payload, MAX_PAYLOAD_BYTES)
    return parse_doc(community, unit_id, kind, decode_json(payload))


def parse_doc(
    community: str, unit_id: str, kind: str, doc: object
) -> list[MeterReading | LightReading]:
    """One reading from a decoded v1 object. The timestamp is checked first, then the value,
    then the serial: a payload wrong twice is counted under its timestamp."""
    if not isinstance(doc, dict):
        raise PayloadError("bad_json", "payload must be a JSON object")
    ts = parse_timestamp(doc.get("ts"))
    if kind == METER:
        kwh = register_kwh(doc.get("kwh"))
        serial = doc.get("meter")
        if serial is None:
            return [MeterReading(community, unit_id, ts, kwh)]
        return [MeterReading(community, unit_id, ts, kwh, meter_serial(serial))]
    if kind == LIGHTS:
        return [LightReading(community, unit_id, ts, lights_on(doc.get("on")))]
    raise PayloadError("bad_topic", f"unknown reading kind {kind!r}")
