"""InfluxDB line protocol, one reading per line, for senders that already speak it.

::

    meter,unit=3-501,meter=0123456789 kwh=1234.5 1772324100000000000
    lights on=true 1772324100000000000

- measurement ``meter`` with field ``kwh`` (a float, or an integer ``1234i``/``1234u``) on
  meter topics; ``lights`` with field ``on`` (a boolean ``t``/``true``/``F``..., or 0/1 as
  float, integer or unsigned) on lights topics. A line of the other kind is the wrong topic
  (``topic_mismatch``); lines of any other measurement are ignored, as other JSON fields are.
- optional tags ``unit`` and ``community`` must equal the topic's (the topic stays
  authoritative, a tag can only disagree: ``topic_mismatch``); tag ``meter`` is the meter's
  serial; other tags and fields are ignored.
- the timestamp is required, in Unix **nanoseconds** (the protocol's default precision): the
  ingester needs the meter's time, not ours. One before 1973 is refused as probably seconds,
  milliseconds or microseconds.
- several lines per payload (``\\n`` or ``\\r\\n``), blank lines and ``#`` comments allowed.

Escaping follows the line-protocol reference: in the measurement a backslash escapes a comma
or a space; in tag keys, tag values and field keys it escapes a comma, an equals sign or a
space; in a double-quoted string field value it escapes ``"`` and ``\\``. A backslash before
any other character is itself. A newline cannot occur inside a value. This is a small
strict parser rather than a dependency: the grammar is tiny, and every refusal must carry a
reason and a line number.
"""

from __future__ import annotations

import codecs
import re

from occupancy.ingest.const import (
    KINDS,
    LIGHTS,
    MAX_BATCH_PAYLOAD_BYTES,
    MAX_BATCH_READINGS,
    METER,
)
from occupancy.ingest.parsers.base import (
    PayloadError,
    check_register,
    check_size,
    meter_serial,
)
from occupancy.readings import LightReading, MeterReading

#: Below this a nanosecond timestamp is before March 1973: a sender writing seconds, ms or us.
MIN_TIMESTAMP_NS = 10**17
_INT64 = 2**63
_BOM = codecs.BOM_UTF8

#: Measurement: a backslash escapes a comma or a space, and is itself before anything else.
_M = r"(?:\\[, ]|\\(?![, ])|[^, \\\x00-\x1f\x7f])+"
#: Tag key, tag value, field key: a backslash escapes a comma, an equals sign or a space.
_K = r"(?:\\[,= ]|\\(?![,= ])|[^,= \\\x00-\x1f\x7f])+"
_S = r'"(?:\\.|[^"\\])*"'  # string field value, quotes included
_V = rf'{_S}|[^ ,"]+'  # any field value; a bare one is checked by type afterwards
#: The whole line at once: almost every line is well-formed, and one regex is ~3x faster than
#: the token scanner, which runs only to say what is wrong with a line this does not match.
_LINE = re.compile(rf"({_M})((?:,{_K}={_K})*) +({_K}=(?:{_V})(?:,{_K}=(?:{_V}))*)(?: +(-?[0-9]+))?")
_TAG = re.compile(rf",({_K})=({_K})")
_FIELD = re.compile(rf"({_K})=({_V})")
_MEASUREMENT = re.compile(_M)
_KEY = re.compile(_K)
_STRING = re.compile(_S)
_BARE = re.compile(r'[^ ,"]+')
_SPACES = re.compile(r" +")
_TIMESTAMP = re.compile(r"-?[0-9]+")
_FLOAT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_INTEGER = re.compile(r"-?[0-9]+i|[0-9]+u")
_TRUE = frozenset({"t", "T", "true", "True", "TRUE"})
_FALSE = frozenset({"f", "F", "false", "False", "FALSE"})
_UNESCAPE_MEASUREMENT = re.compile(r"\\([, ])")
_UNESCAPE_KEY = re.compile(r"\\([,= ])")
_UNESCAPE_STRING = re.compile(r'\\(["\\])')

FieldValue = float | int | bool | str


class _Syntax(Exception):
    """A line that is not line protocol; becomes ``bad_line`` with its line number."""


def _key(line: str, pos: int, what: str) -> tuple[str, int]:
    match = _KEY.match(line, pos)
    if match is None:
        raise _Syntax(f"expected a {what} at column {pos + 1}")
    return _unescape_key(match.group()), match.end()


def _equals(line: str, pos: int, key: str) -> int:
    if pos >= len(line) or line[pos] != "=":
        raise _Syntax(f"expected = after {key[:40]!r} at column {pos + 1}")
    return pos + 1


def _field_value(line: str, pos: int, key: str) -> tuple[FieldValue, int]:
    if pos < len(line) and line[pos] == '"':
        match = _STRING.match(line, pos)
        if match is None:
            raise _Syntax(f"string value of {key[:40]!r} has no closing quote")
    else:
        match = _BARE.match(line, pos)
        if match is None:
            raise _Syntax(f"field {key[:40]!r} has no value")
    return _value(match.group(), key), match.end()


def _value(raw: str, key: str) -> FieldValue:
    """A field value by its type: a quoted string, a boolean, a float, ``i``/``u`` integers."""
    if raw[0] == '"':
        text = raw[1:-1]
        return _UNESCAPE_STRING.sub(r"\1", text) if "\\" in text else text
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    if _FLOAT.fullmatch(raw):
        return float(raw)
    if _INTEGER.fullmatch(raw):
        # Digits first: int() of a 5,000-digit string is slow (and refused by Python).
        value = int(raw[:-1]) if len(raw) <= 22 else _INT64 * 4
        if not ((-_INT64 <= value < _INT64) if raw[-1] == "i" else (value < 2 * _INT64)):
            raise _Syntax(f"integer {raw[:40]!r} of {key[:40]!r} is out of range")
        return value
    raise _Syntax(
        f"value {raw[:40]!r} of {key[:40]!r} is not a float, integer (1i), unsigned (1u), "
        'boolean or "string"'
    )


def _timestamp(digits: str) -> int:
    if len(digits) > 20 or not -_INT64 <= (ns := int(digits)) < _INT64:
        raise _Syntax(f"timestamp {digits[:40]} is beyond 64 bits")
    return ns


def _unescape_key(text: str) -> str:
    return _UNESCAPE_KEY.sub(r"\1", text) if "\\" in text else text


Line = tuple[str, list[tuple[str, str]], dict[str, FieldValue], int | None]


def split_line(line: str) -> Line:
    """``(measurement, tags, fields, timestamp)`` of one line; ``_Syntax`` if malformed."""
    match = _LINE.fullmatch(line)
    if match is None:
        return scan_line(line)  # raises _Syntax saying where and why
    measurement, tagset, fieldset, stamp = match.groups()
    if "\\" in measurement:
        measurement = _UNESCAPE_MEASUREMENT.sub(r"\1", measurement)
    tags = [(_unescape_key(k), _unescape_key(v)) for k, v in _TAG.findall(tagset)] if tagset else []
    fields: dict[str, FieldValue] = {}
    for key, raw in _FIELD.findall(fieldset):
        key = _unescape_key(key)
        fields[key] = _value(raw, key)
    return measurement, tags, fields, None if stamp is None else _timestamp(stamp)


def scan_line(line: str) -> Line:
    """``split_line`` token by token: slower, but it knows where a malformed line goes wrong.
    The two must agree on every line (a property test checks it)."""
    match = _MEASUREMENT.match(line)
    if match is None:
        raise _Syntax("a line starts with a measurement name")
    measurement = match.group()
    if "\\" in measurement:
        measurement = _UNESCAPE_MEASUREMENT.sub(r"\1", measurement)
    pos = match.end()
    end = len(line)
    tags: list[tuple[str, str]] = []
    while pos < end and line[pos] == ",":
        key, pos = _key(line, pos + 1, "tag key")
        pos = _equals(line, pos, key)
        value, pos = _key(line, pos, f"value for tag {key[:40]!r}")
        tags.append((key, value))
    spaces = _SPACES.match(line, pos)
    if spaces is None:
        raise _Syntax(f"expected a space and the fields at column {pos + 1}")
    pos = spaces.end()
    fields: dict[str, FieldValue] = {}
    while True:
        key, pos = _key(line, pos, "field key")
        pos = _equals(line, pos, key)
        fields[key], pos = _field_value(line, pos, key)
        if pos < end and line[pos] == ",":
            pos += 1
            continue
        break
    if pos == end:
        return measurement, tags, fields, None
    spaces = _SPACES.match(line, pos)
    if spaces is None:
        raise _Syntax(f"unexpected {line[pos : pos + 20]!r} after the fields")
    pos = spaces.end()
    stamp = _TIMESTAMP.fullmatch(line, pos)
    if stamp is None:
        raise _Syntax(f"timestamp {line[pos : pos + 40]!r} is not an integer")
    return measurement, tags, fields, _timestamp(stamp.group())


def parse(
    community: str, unit_id: str, kind: str, payload: bytes
) -> list[MeterReading | LightReading]:
    if kind not in KINDS:
        raise PayloadError("bad_topic", f"unknown reading kind {kind!r}")
    check_size(payload, MAX_BATCH_PAYLOAD_BYTES)
    if payload[:3] == _BOM:  # some editors add one; it is not part of a measurement name
        payload = payload[3:]
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError("bad_line", f"line protocol must be UTF-8 text: {exc}") from exc
    other = LIGHTS if kind == METER else METER
    readings: list[MeterReading | LightReading] = []
    ignored: set[str] = set()
    lines = 0
    for number, raw in enumerate(text.split("\n") if "\n" in text else (text,), start=1):
        line = raw.strip(" \r")
        if not line or line[0] == "#":
            continue
        lines += 1
        if lines > MAX_BATCH_READINGS:
            raise PayloadError(
                "too_many_readings",
                f"more than {MAX_BATCH_READINGS} lines; split them into several messages",
            )
        try:
            measurement, tags, fields, ns = split_line(line)
        except _Syntax as exc:
            raise PayloadError("bad_line", f"line {number}: {exc}") from None
        if measurement != kind:
            if measurement == other:
                raise PayloadError(
                    "topic_mismatch",
                    f"line {number}: a {other} line on a {kind} topic; publish it to .../{other}",
                )
            if len(ignored) < 5:
                ignored.add(measurement[:40])
            continue
        try:
            readings.append(_reading(community, unit_id, kind, tags, fields, ns))
        except PayloadError as exc:
            raise PayloadError(exc.reason, f"line {number}: {exc}") from None
    if not readings:
        seen = f" (seen: {', '.join(sorted(ignored))})" if ignored else ""
        raise PayloadError(
            "no_readings", f"no line with measurement {kind!r} for a {kind} topic{seen}"
        )
    readings.sort(key=_ts)
    return readings


def _reading(
    community: str,
    unit_id: str,
    kind: str,
    tags: list[tuple[str, str]],
    fields: dict[str, FieldValue],
    ns: int | None,
) -> MeterReading | LightReading:
    serial: str | None = None
    for key, value in tags:  # the topic first: a line for another unit is wrong whatever else
        if key == "unit" and value != unit_id:
            raise PayloadError(
                "topic_mismatch", f"tag unit={value[:80]!r} but the topic's unit is {unit_id!r}"
            )
        if key == "community" and value != community:
            raise PayloadError(
                "topic_mismatch",
                f"tag community={value[:80]!r} but the topic's community is {community!r}",
            )
        if key == "meter":
            serial = value
    if ns is None:
        raise PayloadError("bad_ts", "the line has no timestamp; append Unix nanoseconds")
    if ns < MIN_TIMESTAMP_NS:
        raise PayloadError(
            "bad_ts",
            f"timestamp {ns} is before 1973 as nanoseconds; line protocol timestamps are Unix "
            "nanoseconds (seconds x 10^9)",
        )
    ts = ns / 1_000_000_000  # within int64 and after 1973: finite seconds, never "ms"
    if kind == METER:
        value = fields.get("kwh")
        if value is None:
            raise PayloadError("bad_kwh", "field kwh is missing")
        if isinstance(value, bool | str):
            raise PayloadError("bad_kwh", "field kwh must be a number, e.g. kwh=1234.5")
        kwh = check_register(float(value))
        return MeterReading(community, unit_id, ts, kwh, meter_serial(serial))
    on = fields.get("on")
    if isinstance(on, bool):
        return LightReading(community, unit_id, ts, on)
    if isinstance(on, int | float) and on in (0, 1):
        return LightReading(community, unit_id, ts, on == 1)
    raise PayloadError("bad_on", "field on must be true or false (or 0/1)")


def _ts(reading: MeterReading | LightReading) -> float:
    return reading.ts
