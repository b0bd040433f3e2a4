"""Many readings of one unit per message, as head-end systems send them.

Two shapes, both made of the v1 objects of ``jsonv1``:

- a JSON array: ``[{"ts": ..., "kwh": ...}, {"ts": ..., "kwh": ...}]``;
- an object with a ``readings`` array: ``{"meter": "0123456789", "readings": [...]}``. Its
  optional ``meter`` is the serial of every element that names none itself (an element's own
  ``meter`` wins, so one message can span a replacement); other top-level fields are ignored.

One bad element refuses the whole message, with the element's index, under the element's
own reason (``bad_ts``, ``bad_kwh``...): nothing is half-stored, and the sender can fix the
one element and resend the same message. Readings come back sorted by time (stable, so of two
readings with the same time the first sent wins, as a conflicting duplicate): a head-end that
lists newest first must not turn every reading but one into ``out_of_order``.
"""

from __future__ import annotations

from occupancy.ingest.const import KINDS, MAX_BATCH_PAYLOAD_BYTES, MAX_BATCH_READINGS, METER
from occupancy.ingest.parsers import jsonv1
from occupancy.ingest.parsers.base import PayloadError, check_size, decode_json, meter_serial
from occupancy.readings import LightReading, MeterReading


def parse(
    community: str, unit_id: str, kind: str, payload: bytes
) -> list[MeterReading | LightReading]:
    check_size(payload, MAX_BATCH_PAYLOAD_BYTES)
    return parse_doc(community, unit_id, kind, decode_json(payload))


def parse_doc(
    community: str, unit_id: str, kind: str, doc: object
) -> list[MeterReading | LightReading]:
    if kind not in KINDS:
        raise PayloadError("bad_topic", f"unknown reading kind {kind!r}")
    default_serial: str | None = None
    if isinstance(doc, dict):
        elements = doc.get("readings")
        if not isinstance(elements, list):
            raise PayloadError(
                "bad_batch", 'a batch object needs "readings": [...], an array of readings'
            )
        if kind == METER:
            default_serial = meter_serial(doc.get("meter"))
    elif isinstance(doc, list):
        elements = doc
    else:
        raise PayloadError(
            "bad_batch", 'a batch must be a JSON array of readings or {"readings": [...]}'
        )
    if not elements:
        raise PayloadError(
            "no_readings", "the batch holds no readings; publish nothing rather than an empty batch"
        )
    if len(elements) > MAX_BATCH_READINGS:
        raise PayloadError(
            "too_many_readings",
            f"the batch holds {len(elements)} readings; split it into messages of at most "
            f"{MAX_BATCH_READINGS}",
        )
    readings: list[MeterReading | LightReading] = []
    parse_one = jsonv1.parse_doc
    for index, element in enumerate(elements):
        if not isinstance(element, dict):
            raise PayloadError("bad_batch", f"reading {index}: each reading must be a JSON object")
        try:
            [reading] = parse_one(community, unit_id, kind, element)
        except PayloadError as exc:
            raise PayloadError(exc.reason, f"reading {index}: {exc}") from exc
        if (
            default_serial is not None
            and isinstance(reading, MeterReading)
            and reading.meter_id is None
        ):
            reading = MeterReading(community, unit_id, reading.ts, reading.kwh, default_serial)
        readings.append(reading)
    readings.sort(key=_ts)
    return readings


def _ts(reading: MeterReading | LightReading) -> float:
    return reading.ts
