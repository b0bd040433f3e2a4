"""Pick the payload format by its shape, so one ingester takes every sender as it is.

The rule, in order (the first non-whitespace byte decides, so detection costs nothing
beyond the one ``json.loads`` the chosen format needs anyway):

1. ``{``: JSON. An object with a ``readings`` key is a ``batch``; any other object is
   ``json`` (v1, one reading, 64 KiB at most).
2. ``[``: JSON array. If its first element is an object carrying any SenML label
   (``n``, ``v``, ``vb``, ``bn``, ``bt``, ``u``, ``t``...), it is ``senml``; otherwise
   (v1 objects, or an empty array) a ``batch``.
3. an ASCII letter or ``#``: InfluxDB line protocol (a measurement name, or a comment),
   except a bare JSON ``true``/``false``/``null``.
4. anything else (a bare JSON number or string, binary): refused as ``unknown_format``.
   An empty payload has ``no_readings``.

A refusal keeps the chosen parser's reason and says which format the payload was read as,
so a sender whose SenML was taken for a batch (its first record has no SenML label) sees
why.
"""

from __future__ import annotations

import codecs

from occupancy.ingest.const import MAX_BATCH_PAYLOAD_BYTES, MAX_PAYLOAD_BYTES
from occupancy.ingest.parsers import batch, jsonv1, lineprotocol, senml
from occupancy.ingest.parsers.base import DocParser, PayloadError, check_size, decode_json
from occupancy.readings import LightReading, MeterReading

_BOM = codecs.BOM_UTF8
_JSON_START = (b"{", b"[")
_JSON_KEYWORDS = frozenset({b"true", b"false", b"null", b"NaN", b"Infinity"})
_LINE_START = frozenset(b"#ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def detect(payload: bytes) -> str:
    """The format ``parse`` would read ``payload`` as, by its first byte alone: ``json``
    (meaning "JSON, decide after decoding"), ``influx``, ``empty`` or ``unknown``."""
    head = payload[:1]
    if head in _JSON_START:  # the common case: no copy, no strip
        return "json"
    body = payload[3:] if payload.startswith(_BOM) else payload
    body = body.lstrip(b" \t\r\n")
    if not body:
        return "empty"
    if body[:1] in _JSON_START:
        return "json"
    if body[0] in _LINE_START:
        if len(body) <= 10 and body.rstrip(b" \t\r\n") in _JSON_KEYWORDS:
            return "unknown"
        return "influx"
    return "unknown"


def parse(
    community: str, unit_id: str, kind: str, payload: bytes
) -> list[MeterReading | LightReading]:
    check_size(payload, MAX_BATCH_PAYLOAD_BYTES)
    shape = detect(payload)
    if shape == "json":
        doc = decode_json(payload)
        name, parse_doc = _json_format(doc, payload)
        try:
            return parse_doc(community, unit_id, kind, doc)
        except PayloadError as exc:
            raise PayloadError(exc.reason, f"read as {name}: {exc}") from None
    if shape == "influx":
        try:
            return lineprotocol.parse(community, unit_id, kind, payload)
        except PayloadError as exc:
            raise PayloadError(exc.reason, f"read as line protocol: {exc}") from None
    if shape == "empty":
        raise PayloadError("no_readings", "the payload is empty")
    raise PayloadError(
        "unknown_format",
        f"payload starting {payload[:20]!r} is neither a JSON object or array nor line "
        "protocol; see docs/mqtt.md, Payload formats",
    )


def _json_format(doc: object, payload: bytes) -> tuple[str, DocParser]:
    if isinstance(doc, dict):
        if "readings" in doc:
            return "batch", batch.parse_doc
        check_size(payload, MAX_PAYLOAD_BYTES)  # one v1 reading: the v1 limit
        return "json", jsonv1.parse_doc
    if isinstance(doc, list):
        if doc and isinstance(doc[0], dict) and not senml.SENML_LABELS.isdisjoint(doc[0]):
            return "senml", senml.parse_doc
        return "batch", batch.parse_doc
    # Unreachable for a payload starting with { or [, but keeps the contract if it were not.
    raise PayloadError("unknown_format", "a bare JSON value is not a reading")
