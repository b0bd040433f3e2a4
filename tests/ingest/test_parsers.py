"""The JSON v1 parser: what it accepts, every reason it refuses, and that random bytes
never make it raise anything but ``PayloadError``."""

from __future__ import annotations

import json
import math
import random

import pytest

from occupancy.ingest.const import LIGHTS, MAX_PAYLOAD_BYTES, METER
from occupancy.ingest.parsers import PARSERS, PayloadError, parse_timestamp
from occupancy.ingest.parsers.jsonv1 import MAX_REGISTER_KWH, parse
from occupancy.readings import LightReading, MeterReading

#: 2026-03-01 08:15 in Shanghai, i.e. 00:15 UTC.
TS = 1772324100.0
ISO_SHANGHAI = "2026-03-01T08:15:00+08:00"
ISO_UTC_Z = "2026-03-01T00:15:00Z"


def meter(doc: object) -> list:
    return parse("east", "3-501", METER, json.dumps(doc).encode())


def lights(doc: object) -> list:
    return parse("east", "3-501", LIGHTS, json.dumps(doc).encode())


def reason_of(kind: str, payload: bytes) -> str:
    with pytest.raises(PayloadError) as info:
        parse("east", "3-501", kind, payload)
    assert str(info.value), "a refusal must say what was wrong"
    return info.value.reason


def test_json_is_the_registered_format() -> None:
    assert PARSERS["json"] is parse


@pytest.mark.parametrize(
    "ts",
    [ISO_SHANGHAI, ISO_UTC_Z, "2026-03-01T00:15:00+00:00", " 2026-03-01T08:15:00+08:00 ", TS],
    ids=["iso-offset", "iso-z", "iso-utc", "iso-padded", "unix-float"],
)
def test_meter_payload_gives_one_reading(ts: object) -> None:
    assert meter({"ts": ts, "kwh": 1234.5}) == [
        MeterReading(community="east", unit_id="3-501", ts=TS, kwh=1234.5)
    ]


def test_unix_seconds_int_and_fraction_and_integer_kwh() -> None:
    [whole] = meter({"ts": int(TS), "kwh": 12})
    [fraction] = meter({"ts": TS + 0.25, "kwh": 0})
    assert (whole.ts, whole.kwh) == (TS, 12.0)
    assert isinstance(whole.ts, float) and isinstance(whole.kwh, float)
    assert (fraction.ts, fraction.kwh) == (TS + 0.25, 0.0)


def test_meter_serial_is_carried() -> None:
    [reading] = meter({"ts": TS, "kwh": 1.0, "meter": "SN-0042"})
    assert reading == MeterReading("east", "3-501", TS, 1.0, meter_id="SN-0042")
    [without] = meter({"ts": TS, "kwh": 1.0})
    assert without.meter_id is None
    [explicit_null] = meter({"ts": TS, "kwh": 1.0, "meter": None})
    assert explicit_null.meter_id is None


@pytest.mark.parametrize("serial", [42, "", "x" * 65, True, ["SN"], {"id": "SN"}], ids=repr)
def test_bad_meter_serial(serial: object) -> None:
    with pytest.raises(PayloadError, match="serial as a string") as info:
        meter({"ts": TS, "kwh": 1.0, "meter": serial})
    assert info.value.reason == "bad_meter"


def test_meter_serial_at_the_length_limit() -> None:
    assert meter({"ts": TS, "kwh": 1.0, "meter": "x" * 64})[0].meter_id == "x" * 64


def test_lights_ignore_a_meter_field() -> None:
    """A serial names an energy meter; on a lights topic it means nothing, so it can't fail."""
    assert lights({"ts": TS, "on": True, "meter": 42})[0].on is True


def test_extra_fields_are_ignored() -> None:
    [reading] = meter({"ts": TS, "kwh": 1.0, "voltage": 229.7, "fw": "1.2"})
    assert reading.kwh == 1.0


@pytest.mark.parametrize("on, expected", [(True, True), (False, False), (1, True), (0, False)])
def test_lights_payload(on: object, expected: bool) -> None:
    assert lights({"ts": ISO_SHANGHAI, "on": on}) == [
        LightReading(community="east", unit_id="3-501", ts=TS, on=expected)
    ]


@pytest.mark.parametrize(
    "payload",
    [b"", b"not json", b"{", b'{"ts": 1,}', b"\xff\xfe\x00garbage", b"[" * 20000 + b"]" * 20000],
    ids=["empty", "text", "truncated", "trailing-comma", "not-utf", "deeply-nested"],
)
def test_bad_json(payload: bytes) -> None:
    assert reason_of(METER, payload) == "bad_json"


@pytest.mark.parametrize("payload", [b"[1, 2]", b'"ts"', b"42", b"null", b"true"])
def test_json_that_is_not_an_object(payload: bytes) -> None:
    with pytest.raises(PayloadError, match="JSON object") as info:
        parse("east", "3-501", METER, payload)
    assert info.value.reason == "bad_json"


def test_too_large_is_refused_before_parsing() -> None:
    padding = "x" * MAX_PAYLOAD_BYTES
    payload = json.dumps({"ts": TS, "kwh": 1.0, "pad": padding}).encode()
    assert reason_of(METER, payload) == "too_large"
    # Right at the limit is still fine.
    small = json.dumps({"ts": TS, "kwh": 1.0, "pad": ""}).encode()
    at_limit = small[:-1] + b" " * (MAX_PAYLOAD_BYTES - len(small)) + b"}"
    assert len(at_limit) == MAX_PAYLOAD_BYTES
    assert parse("east", "3-501", METER, at_limit)[0].kwh == 1.0


@pytest.mark.parametrize(
    "ts, reason, words",
    [
        (None, "bad_ts", "missing"),
        ("2026-03-01T08:15:00", "naive_ts", "no UTC offset"),
        ("2026-03-01 08:15", "naive_ts", "no UTC offset"),
        (TS * 1000, "bad_ts", "milliseconds"),
        (int(TS * 1000), "bad_ts", "milliseconds"),
        ("yesterday at noon", "bad_ts", "not ISO 8601"),
        ("", "bad_ts", "not ISO 8601"),
        (True, "bad_ts", "Unix seconds"),
        ([TS], "bad_ts", "missing or not"),
        ({"s": TS}, "bad_ts", "missing or not"),
    ],
    ids=[
        "missing",
        "naive",
        "naive-space",
        "ms-float",
        "ms-int",
        "garbage",
        "empty",
        "bool",
        "list",
        "object",
    ],
)
def test_bad_timestamps(ts: object, reason: str, words: str) -> None:
    doc = {"kwh": 1.0} if ts is None else {"ts": ts, "kwh": 1.0}
    with pytest.raises(PayloadError, match=words) as info:
        meter(doc)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    "payload",
    [b'{"ts": 1e999, "kwh": 1}', b'{"ts": NaN, "kwh": 1}', b'{"ts": -Infinity, "kwh": 1}'],
    ids=["inf", "nan", "minus-inf"],
)
def test_non_finite_timestamps(payload: bytes) -> None:
    assert reason_of(METER, payload) == "bad_ts"


@pytest.mark.parametrize(
    "payload",
    [
        b'{"ts": 1' + b"0" * 400 + b', "kwh": 1}',
        b'{"ts": -1' + b"0" * 400 + b', "kwh": 1}',
    ],
    ids=["huge-int", "huge-negative-int"],
)
def test_integer_timestamps_beyond_float_range(payload: bytes) -> None:
    """JSON integers are unbounded; one too large for a float is a bad ts, not a crash."""
    assert reason_of(METER, payload) == "bad_ts"


@pytest.mark.parametrize(
    "ts", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"], ids=["year-1", "year-9999"]
)
def test_iso_timestamps_at_the_edge_of_the_calendar(ts: str) -> None:
    """Either a number (the ingester then refuses it as stale or future) or a bad ts."""
    try:
        [reading] = meter({"ts": ts, "kwh": 1.0})
    except PayloadError as exc:
        assert exc.reason == "bad_ts"
    else:
        assert math.isfinite(reading.ts)
        assert abs(reading.ts - TS) > 100 * 365 * 86400


@pytest.mark.parametrize(
    "payload",
    [
        b'{"ts": 1772324100, "kwh": "12.5"}',
        b'{"ts": 1772324100, "kwh": true}',
        b'{"ts": 1772324100, "kwh": false}',
        b'{"ts": 1772324100, "kwh": -0.1}',
        b'{"ts": 1772324100, "kwh": 1e999}',
        b'{"ts": 1772324100, "kwh": -1e999}',
        b'{"ts": 1772324100, "kwh": NaN}',
        b'{"ts": 1772324100, "kwh": null}',
        b'{"ts": 1772324100}',
        b'{"ts": 1772324100, "kwh": [1]}',
        b'{"ts": 1772324100, "kwh": 1000000001}',
        b'{"ts": 1772324100, "kwh": 1' + b"0" * 400 + b"}",
    ],
    ids=[
        "string",
        "true",
        "false",
        "negative",
        "inf",
        "minus-inf",
        "nan",
        "null",
        "missing",
        "list",
        "above-max",
        "huge-int",
    ],
)
def test_bad_kwh(payload: bytes) -> None:
    assert reason_of(METER, payload) == "bad_kwh"


def test_register_limit_is_inclusive() -> None:
    assert meter({"ts": TS, "kwh": MAX_REGISTER_KWH})[0].kwh == MAX_REGISTER_KWH


@pytest.mark.parametrize("on", ["yes", "true", 2, -1, 1.0, 0.0, None, [], {}], ids=repr)
def test_bad_on(on: object) -> None:
    with pytest.raises(PayloadError, match="true or false") as info:
        lights({"ts": TS, "on": on})
    assert info.value.reason == "bad_on"


def test_missing_on() -> None:
    assert reason_of(LIGHTS, b'{"ts": 1772324100}') == "bad_on"


def test_unknown_kind() -> None:
    assert reason_of("water", b'{"ts": 1772324100, "kwh": 1}') == "bad_topic"


def test_timestamp_is_checked_before_the_value() -> None:
    """A payload wrong twice is refused for its timestamp (the reason counters rely on it)."""
    assert reason_of(METER, b'{"ts": "noon", "kwh": -1}') == "bad_ts"


def test_parse_timestamp_on_its_own() -> None:
    assert parse_timestamp(ISO_SHANGHAI) == TS
    assert parse_timestamp("2026-03-01T08:15:00.500+08:00") == TS + 0.5
    assert parse_timestamp(0) == 0.0
    with pytest.raises(PayloadError) as info:
        parse_timestamp("2026-03-01T08:15:00")
    assert info.value.reason == "naive_ts"


# -- fuzzing without hypothesis: seeded, so a failure reproduces -------------------------

VALID = json.dumps({"ts": ISO_SHANGHAI, "kwh": 1234.5}).encode()
VALID_LIGHTS = json.dumps({"ts": int(TS), "on": True}).encode()
#: Values a JSON generator picks from: every type, and the edges of each.
ODD_VALUES: list[object] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    0.5,
    1e308,
    -1e308,
    2**63,
    10**400,
    -(10**400),
    "",
    "0",
    "1772324100",
    ISO_SHANGHAI,
    ISO_UTC_Z,
    "2026-03-01T08:15:00",
    "2026-02-30T00:00:00+08:00",
    "\u0000",
    "栋",
    [],
    [1],
    {},
    {"ts": 1},
    TS,
    TS * 1000,
    MAX_REGISTER_KWH,
]


def _outcome(kind: str, payload: bytes) -> str:
    """Parse; anything other than readings or ``PayloadError`` fails the test."""
    try:
        readings = parse("east", "3-501", kind, payload)
    except PayloadError as exc:
        assert exc.reason in {
            "bad_json",
            "bad_ts",
            "naive_ts",
            "bad_kwh",
            "bad_on",
            "bad_meter",
            "too_large",
        }, exc.reason
        return exc.reason
    except Exception as exc:  # the point of the test
        pytest.fail(f"{kind} payload {payload[:120]!r} raised {exc!r}")
    [reading] = readings
    assert math.isfinite(reading.ts)
    if kind == METER:
        assert 0.0 <= reading.kwh <= MAX_REGISTER_KWH
    else:
        assert isinstance(reading.on, bool)
    return "ok"


def _mutate(rng: random.Random, payload: bytes) -> bytes:
    data = bytearray(payload)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(4)
        at = rng.randrange(len(data) + 1)
        if op == 0 and data:  # flip one byte
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif op == 1:  # insert bytes, often digits or JSON syntax
            data[at:at] = rng.choice(
                [
                    b"9",
                    b"0" * rng.randint(1, 400),
                    b"-",
                    b".",
                    b"e",
                    b'"',
                    b"{",
                    b"]",
                    bytes([rng.randrange(256)]),
                ]
            )
        elif op == 2:  # delete a run
            del data[at : at + rng.randint(1, 5)]
        else:  # truncate
            del data[at:]
    return bytes(data)


def test_fuzz_random_bytes_never_raise_anything_else() -> None:
    rng = random.Random(20260301)
    outcomes = [
        _outcome(rng.choice([METER, LIGHTS]), rng.randbytes(rng.randint(0, 200)))
        for _ in range(2000)
    ]
    assert outcomes.count("bad_json") > 1900  # random bytes are almost never JSON


def test_fuzz_mutated_payloads_never_raise_anything_else() -> None:
    rng = random.Random(7)
    outcomes = [_outcome(METER, _mutate(rng, VALID)) for _ in range(1000)]
    outcomes += [_outcome(LIGHTS, _mutate(rng, VALID_LIGHTS)) for _ in range(1000)]
    # The mutations exercise more than the JSON decoder: some survive, some fail later.
    assert outcomes.count("ok") > 50
    assert {"bad_json", "bad_ts"} <= set(outcomes)


def test_fuzz_random_documents_never_raise_anything_else() -> None:
    rng = random.Random(11)
    outcomes = []
    for _ in range(2000):
        doc = {key: rng.choice(ODD_VALUES) for key in ("ts", "kwh", "on") if rng.random() < 0.8}
        payload = json.dumps(doc).encode()
        outcomes.append(_outcome(rng.choice([METER, LIGHTS]), payload))
    assert {"ok", "bad_ts", "naive_ts", "bad_kwh", "bad_on"} <= set(outcomes)


@pytest.mark.parametrize("serial", ["\\ud800", "SN\\u0000", "SN\\n1", "\\udfff-x"])
@pytest.mark.parametrize("fmt", ["json", "batch", "auto"])
def test_a_serial_no_store_could_keep_is_refused(fmt: str, serial: str) -> None:
    """JSON carries lone surrogates and control characters; accepted, such a serial would
    make the whole batch unstorable, and the ingester would retry it forever."""
    from occupancy.ingest.parsers import PARSERS, PayloadError

    body = '{"ts": 1772323200, "kwh": 1.5, "meter": "' + serial + '"}'
    if fmt == "batch":
        body = f"[{body}]"
    with pytest.raises(PayloadError) as caught:
        PARSERS[fmt]("east", "3-501", "meter", body.encode())
    assert caught.value.reason == "bad_meter"


def test_meter_key_never_raises() -> None:
    from occupancy.readings import meter_key

    assert meter_key("\ud800") != 0 and meter_key("\ud800") != meter_key("\udfff")
