"""SenML JSON (RFC 8428): a pack (JSON array) of records, base fields resolved per the RFC.

Resolution (RFC 8428 section 4.6): a base field (``bn``, ``bt``, ``bu``, ``bv``, ``bver``)
applies to its own record and every later one until a record sets it again. The resolved
name is ``bn + n``, the time ``bt + t`` (a missing ``t`` is 0), the unit ``u`` or else
``bu``, the value ``bv + v`` (a record without ``v`` has no numeric value, whatever ``bv``
says). ``bver`` above 10 is a SenML we do not understand, and so is a field whose label ends
in ``_`` (the RFC's "must understand" rule); both refuse the pack.

Which records are readings: the last segment of the resolved name, after the last ``:``,
``/`` or ``.`` and compared without case, picks them, and everything before it (trailing
separators removed) is the meter's serial, so ``bn = "urn:dev:mac:0024befffe804ff1:"`` with
``n = "energy"`` reads the register of meter ``urn:dev:mac:0024befffe804ff1``.

- meter topics: ``energy`` or ``kwh``, a numeric ``v`` in ``kWh`` (RFC 8798), ``Wh``
  (RFC 8798) or ``J`` (RFC 8428), converted to a kWh register value; any other unit, or
  none, is refused (``bad_unit``): guessing a scale is a factor of 1000 wrong.
- lights topics: ``lights`` or ``on``, with ``vb`` true/false or ``v`` 0/1; units ignored.

Other records (voltage, temperature...) are ignored, as other JSON fields are in v1; a pack
with no record for the topic is refused (``no_readings``). Times below 2**28 are relative to
"now" in SenML; the ingester needs the meter's own time, so they are refused
(``relative_ts``) rather than stamped with our clock. One bad record refuses the pack with
its index; readings come back sorted by time (see ``batch``).
"""

from __future__ import annotations

import math

from occupancy.ingest.const import (
    KINDS,
    LIGHTS,
    MAX_BATCH_PAYLOAD_BYTES,
    MAX_BATCH_READINGS,
    MAX_METER_ID_LENGTH,
    METER,
)
from occupancy.ingest.parsers.base import (
    PayloadError,
    check_register,
    check_serial_text,
    check_size,
    decode_json,
    parse_timestamp,
    to_float,
)
from occupancy.readings import LightReading, MeterReading

#: The SenML version this parser implements (RFC 8428's default).
SENML_VERSION = 10
#: SenML times below this are relative to the sender's "now" (RFC 8428 section 4.5.3).
RELATIVE_TIME_LIMIT = 2.0**28
METER_NAMES = frozenset({"energy", "kwh"})
LIGHTS_NAMES = frozenset({"lights", "on"})
#: Unit -> factor to kWh.
ENERGY_UNITS: dict[str, float] = {"kWh": 1.0, "Wh": 1e-3, "J": 1.0 / 3.6e6}
#: The labels of RFC 8428; ``auto`` recognises a SenML pack by them.
SENML_LABELS = frozenset(
    {"bn", "bt", "bu", "bv", "bs", "bver", "n", "u", "v", "vs", "vb", "vd", "s", "t", "ut"}
)
_SEPARATORS = ":/."


def parse(
    community: str, unit_id: str, kind: str, payload: bytes
) -> list[MeterReading | LightReading]:
    check_size(payload, MAX_BATCH_PAYLOAD_BYTES)
    return parse_doc(community, unit_id, kind, decode_json(payload))


def _split_name(name: str) -> tuple[str, str]:
    """``(serial prefix, last segment)`` of a resolved name."""
    cut = max(name.rfind(sep) for sep in _SEPARATORS)
    if cut < 0:
        return "", name
    return name[:cut].rstrip(_SEPARATORS), name[cut + 1 :]


def parse_doc(
    community: str, unit_id: str, kind: str, doc: object
) -> list[MeterReading | LightReading]:
    if kind not in KINDS:
        raise PayloadError("bad_topic", f"unknown reading kind {kind!r}")
    if not isinstance(doc, list):
        raise PayloadError("bad_senml", "a SenML pack must be a JSON array of records")
    if len(doc) > MAX_BATCH_READINGS:
        raise PayloadError(
            "too_many_readings",
            f"the pack holds {len(doc)} records; split it into packs of at most "
            f"{MAX_BATCH_READINGS}",
        )
    wanted = METER_NAMES if kind == METER else LIGHTS_NAMES
    base_name = ""
    base_time = 0.0
    base_unit: str | None = None
    base_value = 0.0
    readings: list[MeterReading | LightReading] = []
    for index, record in enumerate(doc):
        try:
            if not isinstance(record, dict):
                raise PayloadError("bad_senml", "each record must be a JSON object")
            for label in record:
                if label.endswith("_"):
                    raise PayloadError(
                        "bad_senml",
                        f"field {label[:40]!r} must be understood (it ends in _) and is not",
                    )
            if "bver" in record:
                version = record["bver"]
                if type(version) is not int or version < 1:
                    raise PayloadError("bad_senml", "bver must be a positive integer")
                if version > SENML_VERSION:
                    raise PayloadError(
                        "senml_version",
                        f"bver {version} is newer than SenML {SENML_VERSION} (RFC 8428), "
                        "the version understood here",
                    )
            if "bn" in record:
                base_name = _string(record["bn"], "bn")
            if "bt" in record:
                base_time = _number(record["bt"], "bt", "bad_ts")
            if "bu" in record:
                base_unit = _string(record["bu"], "bu")
            if "bv" in record:
                base_value = _number(record["bv"], "bv", "bad_senml")
            name = base_name + _string(record.get("n", ""), "n")
            serial, last = _split_name(name)
            if last.lower() not in wanted:
                continue
            time = base_time + _number(record.get("t", 0), "t", "bad_ts")
            if not math.isfinite(time):
                raise PayloadError("bad_ts", "the record's time (bt + t) is not a finite number")
            if time < RELATIVE_TIME_LIMIT:
                raise PayloadError(
                    "relative_ts",
                    f"time {time} is relative to now in SenML (below 2**28); send absolute "
                    "Unix seconds in bt or t",
                )
            ts = parse_timestamp(time)
            if kind == LIGHTS:
                readings.append(LightReading(community, unit_id, ts, _lights(record)))
                continue
            unit = _string(record["u"], "u") if "u" in record else base_unit
            value = to_float(record.get("v"))
            if value is None:
                raise PayloadError("bad_kwh", f"record {name[:80]!r} needs a numeric v")
            if unit is None:
                raise PayloadError(
                    "bad_unit", f"record {name[:80]!r} has no unit (u or bu); use kWh, Wh or J"
                )
            factor = ENERGY_UNITS.get(unit)
            if factor is None:
                raise PayloadError(
                    "bad_unit",
                    f"unit {unit!r} of {name[:80]!r} is not an energy unit understood here; "
                    "use kWh, Wh or J",
                )
            kwh = check_register((base_value + value) * factor)
            if len(serial) > MAX_METER_ID_LENGTH:
                raise PayloadError(
                    "bad_meter",
                    f"the name before {last!r} (the meter's serial) is longer than "
                    f"{MAX_METER_ID_LENGTH} characters",
                )
            if serial:
                check_serial_text(serial)
            readings.append(MeterReading(community, unit_id, ts, kwh, serial or None))
        except PayloadError as exc:
            raise PayloadError(exc.reason, f"record {index}: {exc}") from exc
    if not readings:
        names = " or ".join(sorted(wanted))
        raise PayloadError(
            "no_readings",
            f"no SenML record named ...{names} for a {kind} topic (name = bn + n, the part "
            "after the last : / or . is compared)",
        )
    readings.sort(key=_ts)
    return readings


def _string(value: object, label: str) -> str:
    if not isinstance(value, str):
        raise PayloadError("bad_senml", f"{label} must be a string")
    return value


def _number(value: object, label: str, reason: str) -> float:
    number = to_float(value)
    if number is None:
        hint = " (SenML times are Unix seconds)" if label in ("bt", "t") else ""
        raise PayloadError(reason, f"{label} must be a number{hint}")
    return number


def _lights(record: dict[str, object]) -> bool:
    if "vb" in record:
        on = record["vb"]
        if on is True or on is False:
            return on
    else:
        value = to_float(record.get("v"))
        if value == 0.0 or value == 1.0:
            return value == 1.0
    raise PayloadError("bad_on", "a lights record needs vb true/false (or v 0/1)")


def _ts(reading: MeterReading | LightReading) -> float:
    return reading.ts
