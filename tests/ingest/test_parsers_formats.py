"""The batch, SenML, line-protocol and auto formats: what each accepts, and a table with
every reason each one refuses (checked against the parsers' source and docs/mqtt.md, so a
new reason cannot go untested or undocumented)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from occupancy.ingest.const import (
    LIGHTS,
    MAX_BATCH_PAYLOAD_BYTES,
    MAX_BATCH_READINGS,
    MAX_PAYLOAD_BYTES,
    METER,
)
from occupancy.ingest.parsers import PARSERS, PayloadError, auto, batch, jsonv1, senml
from occupancy.ingest.parsers import lineprotocol as lp
from occupancy.readings import LightReading, MeterReading

C, U = "东区", "3栋-501"
#: 2026-03-01 08:15 in Shanghai.
TS = 1772324100.0
NS = 1772324100 * 10**9
Q = 900.0
ROOT = Path(__file__).resolve().parents[2]


def parse(fmt: str, kind: str, payload: bytes | str | object) -> list:
    if isinstance(payload, str):
        payload = payload.encode()
    elif not isinstance(payload, bytes):
        payload = json.dumps(payload).encode()
    return PARSERS[fmt](C, U, kind, payload)


def m(ts: float, kwh: float, serial: str | None = None) -> MeterReading:
    return MeterReading(C, U, ts, kwh, serial)


def li(ts: float, on: bool) -> LightReading:
    return LightReading(C, U, ts, on)


def test_registry() -> None:
    assert set(PARSERS) == {"auto", "json", "batch", "senml", "influx"}
    assert PARSERS["json"] is jsonv1.parse
    assert PARSERS["auto"] is auto.parse


# -- batch --------------------------------------------------------------------------------


def test_batch_array() -> None:
    doc = [{"ts": TS, "kwh": 1.0}, {"ts": TS + Q, "kwh": 1.5, "meter": "A"}]
    assert parse("batch", METER, doc) == [m(TS, 1.0), m(TS + Q, 1.5, "A")]


def test_batch_object_with_default_serial_and_an_override() -> None:
    doc = {
        "meter": "A",
        "head_end": "ignored",
        "readings": [{"ts": TS, "kwh": 900.0}, {"ts": TS + Q, "kwh": 0.5, "meter": "B"}],
    }
    assert parse("batch", METER, doc) == [m(TS, 900.0, "A"), m(TS + Q, 0.5, "B")]


def test_batch_lights() -> None:
    doc = {"readings": [{"ts": TS, "on": True}, {"ts": TS + Q, "on": 0}]}
    assert parse("batch", LIGHTS, doc) == [li(TS, True), li(TS + Q, False)]


def test_batch_is_sorted_by_time_first_sent_wins_a_tie() -> None:
    doc = [
        {"ts": TS + 2 * Q, "kwh": 3.0},
        {"ts": TS, "kwh": 1.0},
        {"ts": TS + Q, "kwh": 2.0},
        {"ts": TS, "kwh": 9.0},
    ]
    assert [(x.ts, x.kwh) for x in parse("batch", METER, doc)] == [
        (TS, 1.0),
        (TS, 9.0),
        (TS + Q, 2.0),
        (TS + 2 * Q, 3.0),
    ]


def test_batch_error_names_the_element() -> None:
    doc = [{"ts": TS, "kwh": 1.0}, {"ts": TS, "kwh": 1.0}, {"ts": "noon", "kwh": 1.0}]
    with pytest.raises(PayloadError, match=r"^reading 2: ts 'noon' is not ISO 8601") as info:
        parse("batch", METER, doc)
    assert info.value.reason == "bad_ts"


def test_batch_limits_are_inclusive() -> None:
    doc = [{"ts": TS + i, "kwh": 1.0} for i in range(MAX_BATCH_READINGS)]
    assert len(parse("batch", METER, doc)) == MAX_BATCH_READINGS
    payload = b"[" + b" " * (MAX_BATCH_PAYLOAD_BYTES - 30) + b'{"ts": 1772324100, "kwh": 1}]'
    payload = payload[:1] + payload[1 + len(payload) - MAX_BATCH_PAYLOAD_BYTES :]
    assert len(payload) == MAX_BATCH_PAYLOAD_BYTES
    assert parse("batch", METER, payload) == [m(TS, 1.0)]


# -- SenML --------------------------------------------------------------------------------

DEVICE = "urn:dev:mac:0024befffe804ff1"


def test_senml_resolves_base_fields() -> None:
    pack = [
        {"bn": f"{DEVICE}:", "bt": TS, "bu": "kWh", "bver": 10, "n": "energy", "v": 1234.5},
        {"n": "voltage", "u": "V", "v": 229.8},
        {"n": "energy", "t": Q, "v": 1234.75},
        {"bv": 1000.0, "n": "energy", "t": 2 * Q, "v": 235.0},  # 1000 + 235
    ]
    assert parse("senml", METER, pack) == [
        m(TS, 1234.5, DEVICE),
        m(TS + Q, 1234.75, DEVICE),
        m(TS + 2 * Q, 1235.0, DEVICE),
    ]


@pytest.mark.parametrize(
    "unit, value, kwh",
    [("kWh", 12.5, 12.5), ("Wh", 12500.0, 12.5), ("J", 45_000_000.0, 12.5)],
)
def test_senml_energy_units(unit: str, value: float, kwh: float) -> None:
    [reading] = parse("senml", METER, [{"n": "kwh", "u": unit, "v": value, "t": TS}])
    assert reading.kwh == pytest.approx(kwh)
    assert reading.meter_id is None  # a bare name names no meter


@pytest.mark.parametrize(
    "name, serial",
    [
        ("energy", None),
        ("ENERGY", None),
        ("meter-7/energy", "meter-7"),
        ("a.b.KWh", "a.b"),
        ("urn:dev:x::energy", "urn:dev:x"),
    ],
)
def test_senml_accepted_names(name: str, serial: str | None) -> None:
    [reading] = parse("senml", METER, [{"n": name, "u": "kWh", "v": 1.0, "t": TS}])
    assert reading.meter_id == serial


@pytest.mark.parametrize("name", ["energy_total", "reactive_energy", "power", "kwhx", ""])
def test_senml_other_names_are_not_readings(name: str) -> None:
    pack = [{"n": name, "u": "kWh", "v": 1.0, "t": TS}]
    with pytest.raises(PayloadError, match="no SenML record named") as info:
        parse("senml", METER, pack)
    assert info.value.reason == "no_readings"


def test_senml_lights() -> None:
    pack = [
        {"bn": "urn:dev:x:", "bt": TS},
        {"n": "lights", "vb": True},
        {"n": "on", "t": Q, "v": 0},
        {"n": "temperature", "u": "Cel", "v": 21.5},
    ]
    assert parse("senml", LIGHTS, pack) == [li(TS, True), li(TS + Q, False)]


def test_senml_base_fields_last_until_set_again() -> None:
    pack = [
        {"bn": "a:", "bt": TS, "bu": "Wh", "n": "energy", "v": 1000},
        {"n": "energy", "t": 1, "v": 2000},
        {"bn": "b:", "bt": TS + Q, "bu": "kWh", "n": "energy", "v": 3},
    ]
    assert parse("senml", METER, pack) == [
        m(TS, 1.0, "a"),
        m(TS + 1, 2.0, "a"),
        m(TS + Q, 3.0, "b"),
    ]


def test_senml_negative_time_against_an_absolute_base_is_absolute() -> None:
    [reading] = parse("senml", METER, [{"bt": TS, "n": "energy", "u": "kWh", "v": 1, "t": -60}])
    assert reading.ts == TS - 60


# -- line protocol -------------------------------------------------------------------------


def test_line_protocol_meter() -> None:
    text = (
        f"# head-end export\n"
        f"meter,community={C},unit={U},meter=SN\\ 7 kwh=1234.5 {NS}\r\n"
        f"\n"
        f'meter kwh=1235i,voltage=230.1,fw="1.2 \\"beta\\"" {NS + 900 * 10**9}\n'
        f"voltage,unit=elsewhere v=229 {NS}\n"
    )
    assert parse("influx", METER, text) == [m(TS, 1234.5, "SN 7"), m(TS + Q, 1235.0)]


@pytest.mark.parametrize(
    "field, on",
    [("t", True), ("TRUE", True), ("false", False), ("F", False), ("1", True), ("0i", False)],
)
def test_line_protocol_lights(field: str, on: bool) -> None:
    assert parse("influx", LIGHTS, f"lights on={field} {NS}") == [li(TS, on)]


@pytest.mark.parametrize(
    "line, measurement, tags, fields",
    [
        ("m\\,x\\ y,k=v f=1 1", "m,x y", [("k", "v")], {"f": 1.0}),
        ("m,k\\=1\\,2=v\\ a\\=b f=1 1", "m", [("k=1,2", "v a=b")], {"f": 1.0}),
        ("m f\\ x\\=y=2i 1", "m", [], {"f x=y": 2}),
        ('m s="a\\"b\\\\c" 1', "m", [], {"s": 'a"b\\c'}),
        ('m s="a,b c=d" 1', "m", [], {"s": "a,b c=d"}),
        ("m\\=x,k=a\\b f=1 1", "m\\=x", [("k", "a\\b")], {"f": 1.0}),  # \\ before others stays
        ("m,k=a\\\\,j f=1 1", "m", [("k", "a\\,j")], {"f": 1.0}),  # \\ then escaped ,
        ("m f=-1.5e3,g=.5,h=1.,u=7u 1", "m", [], {"f": -1500.0, "g": 0.5, "h": 1.0, "u": 7}),
        ("m  f=1   -5", "m", [], {"f": 1.0}),
    ],
)
def test_line_protocol_escaping(
    line: str, measurement: str, tags: list[tuple[str, str]], fields: dict[str, object]
) -> None:
    assert lp.split_line(line)[:3] == (measurement, tags, fields)


def test_line_protocol_sorted_by_time() -> None:
    text = f"meter kwh=2 {NS + 10**9}\nmeter kwh=1 {NS}"
    assert [x.kwh for x in parse("influx", METER, text)] == [1.0, 2.0]


# -- auto ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload, expected",
    [
        (b'{"ts": 1772324100, "kwh": 1}', "json"),
        (b'  \n{"ts": 1772324100, "kwh": 1}', "json"),
        (b'\xef\xbb\xbf{"ts": 1772324100, "kwh": 1}', "json"),
        (b"[]", "json"),
        (b"meter kwh=1 1", "influx"),
        (b"# comment\nmeter kwh=1 1", "influx"),
        (b" \t\r\n", "empty"),
        (b"", "empty"),
        (b"true", "unknown"),
        (b" null \n", "unknown"),
        (b"42", "unknown"),
        (b'"x"', "unknown"),
        (b"\x00\x01", "unknown"),
    ],
)
def test_auto_detect(payload: bytes, expected: str) -> None:
    assert auto.detect(payload) == expected


@pytest.mark.parametrize(
    "payload, expected",
    [
        ({"ts": TS, "kwh": 1.0, "meter": "A"}, [m(TS, 1.0, "A")]),
        ([{"ts": TS, "kwh": 1.0}], [m(TS, 1.0)]),
        ({"readings": [{"ts": TS, "kwh": 1.0}]}, [m(TS, 1.0)]),
        ([{"bt": TS, "n": "energy", "u": "kWh", "v": 1.0}], [m(TS, 1.0)]),
        (f"meter kwh=1 {NS}", [m(TS, 1.0)]),
    ],
    ids=["json", "batch-array", "batch-object", "senml", "influx"],
)
def test_auto_reads_every_format(payload: object, expected: list) -> None:
    assert parse("auto", METER, payload) == expected


def test_auto_refusal_says_what_it_read_the_payload_as() -> None:
    with pytest.raises(PayloadError, match=r"^read as batch: reading 0: ") as info:
        parse("auto", METER, [{"time": TS, "kwh": 1.0}])
    assert info.value.reason == "bad_ts"


def test_auto_decodes_json_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = json.loads

    def counting(payload: bytes) -> object:
        calls.append(payload)
        return real(payload)

    monkeypatch.setattr(json, "loads", counting)
    parse("auto", METER, b'[{"bt": 1772324100, "n": "energy", "u": "kWh", "v": 1}]')
    parse("auto", METER, b'{"readings": [{"ts": 1772324100, "kwh": 1}]}')
    assert len(calls) == 2


def test_auto_keeps_the_v1_size_limit_for_one_reading() -> None:
    big_v1 = json.dumps({"ts": TS, "kwh": 1.0, "pad": "x" * MAX_PAYLOAD_BYTES}).encode()
    with pytest.raises(PayloadError) as info:
        parse("auto", METER, big_v1)
    assert info.value.reason == "too_large"
    big_batch = json.dumps({"readings": [{"ts": TS, "kwh": 1.0, "pad": "x" * MAX_PAYLOAD_BYTES}]})
    assert parse("auto", METER, big_batch) == [m(TS, 1.0)]


# -- every refusal, by format ---------------------------------------------------------------

V1 = {"ts": TS, "kwh": 1.0}
SENML_OK = {"bt": TS, "n": "energy", "u": "kWh", "v": 1.0}
HUGE = b"[" + b" " * MAX_BATCH_PAYLOAD_BYTES + b"]"
MANY = [{"ts": TS, "kwh": 1.0}] * (MAX_BATCH_READINGS + 1)
MANY_LINES = "\n".join(["x f=1 1"] * (MAX_BATCH_READINGS + 1))

#: (format, kind, payload, reason). Every reason every parser can give appears at least once
#: per parser that gives it (see test_every_reason_in_the_source_is_in_the_table).
REFUSALS: list[tuple[str, str, object, str]] = [
    # json (v1)
    ("json", METER, b"x" * (MAX_PAYLOAD_BYTES + 1), "too_large"),
    ("json", METER, b"{", "bad_json"),
    ("json", METER, [V1], "bad_json"),
    ("json", METER, {"kwh": 1.0}, "bad_ts"),
    ("json", METER, {"ts": "2026-03-01T08:15:00", "kwh": 1.0}, "naive_ts"),
    ("json", METER, {"ts": TS, "kwh": -1}, "bad_kwh"),
    ("json", LIGHTS, {"ts": TS, "on": "yes"}, "bad_on"),
    ("json", METER, {"ts": TS, "kwh": 1.0, "meter": 7}, "bad_meter"),
    ("json", "water", V1, "bad_topic"),
    # batch
    ("batch", METER, HUGE, "too_large"),
    ("batch", METER, b"[{]", "bad_json"),
    ("batch", METER, 42, "bad_batch"),
    ("batch", METER, {"ts": TS, "kwh": 1.0}, "bad_batch"),
    ("batch", METER, {"readings": {"ts": TS}}, "bad_batch"),
    ("batch", METER, [V1, [TS, 1.0]], "bad_batch"),
    ("batch", METER, [], "no_readings"),
    ("batch", METER, {"readings": []}, "no_readings"),
    ("batch", METER, MANY, "too_many_readings"),
    ("batch", "water", [V1], "bad_topic"),
    ("batch", METER, [V1, {"ts": None, "kwh": 1.0}], "bad_ts"),
    ("batch", METER, [V1, {"ts": "2026-03-01 08:15", "kwh": 1.0}], "naive_ts"),
    ("batch", METER, [V1, {"ts": TS, "kwh": "1"}], "bad_kwh"),
    ("batch", LIGHTS, [{"ts": TS, "on": 2}], "bad_on"),
    ("batch", METER, [{"ts": TS, "kwh": 1.0, "meter": ""}], "bad_meter"),
    ("batch", METER, {"meter": 12, "readings": [V1]}, "bad_meter"),
    # senml
    ("senml", METER, HUGE, "too_large"),
    ("senml", METER, b"[{", "bad_json"),
    ("senml", METER, {"bn": "x", "v": 1}, "bad_senml"),
    ("senml", METER, [SENML_OK, 1], "bad_senml"),
    ("senml", METER, [{"bn": 7, "n": "energy", "v": 1}], "bad_senml"),
    ("senml", METER, [{**SENML_OK, "n": None}], "bad_senml"),
    ("senml", METER, [{**SENML_OK, "u": 1}], "bad_senml"),
    ("senml", METER, [{**SENML_OK, "bu": ["kWh"]}], "bad_senml"),
    ("senml", METER, [{**SENML_OK, "bv": "1"}], "bad_senml"),
    ("senml", METER, [{**SENML_OK, "bver": "10"}], "bad_senml"),
    ("senml", METER, [{**SENML_OK, "bver": 0}], "bad_senml"),
    ("senml", METER, [{**SENML_OK, "crc_": 1}], "bad_senml"),
    ("senml", METER, [{**SENML_OK, "bver": 11}], "senml_version"),
    ("senml", METER, [SENML_OK] * (MAX_BATCH_READINGS + 1), "too_many_readings"),
    ("senml", METER, [], "no_readings"),
    ("senml", METER, [{"bt": TS, "n": "power", "u": "W", "v": 300}], "no_readings"),
    ("senml", LIGHTS, [SENML_OK], "no_readings"),
    ("senml", "water", [SENML_OK], "bad_topic"),
    ("senml", METER, [{"n": "energy", "u": "kWh", "v": 1}], "relative_ts"),
    ("senml", METER, [{**SENML_OK, "t": -10.0 - TS}], "relative_ts"),
    ("senml", METER, [{**SENML_OK, "bt": TS * 1000}], "bad_ts"),
    ("senml", METER, [{**SENML_OK, "t": "2026-03-01T08:15:00+08:00"}], "bad_ts"),
    ("senml", METER, [{**SENML_OK, "bt": True}], "bad_ts"),
    ("senml", METER, b'[{"bt": 1e308, "t": 1e308, "n": "energy", "u": "kWh", "v": 1}]', "bad_ts"),
    ("senml", METER, [{"bt": TS, "n": "energy", "u": "kWh", "vs": "1.0"}], "bad_kwh"),
    ("senml", METER, [{**SENML_OK, "v": -1}], "bad_kwh"),
    ("senml", METER, [{**SENML_OK, "bv": 1e308, "v": 1e308}], "bad_kwh"),
    ("senml", METER, [{**SENML_OK, "u": "Wh", "v": 2e12}], "bad_kwh"),
    ("senml", METER, [{**SENML_OK, "u": "W"}], "bad_unit"),
    ("senml", METER, [{**SENML_OK, "u": "kwh"}], "bad_unit"),
    ("senml", METER, [{"bt": TS, "n": "energy", "v": 1}], "bad_unit"),
    ("senml", LIGHTS, [{"bt": TS, "n": "lights", "vs": "on"}], "bad_on"),
    ("senml", LIGHTS, [{"bt": TS, "n": "lights", "v": 0.5}], "bad_on"),
    ("senml", LIGHTS, [{"bt": TS, "n": "lights", "vb": 1}], "bad_on"),
    ("senml", METER, [{**SENML_OK, "n": "x" * 65 + ":energy"}], "bad_meter"),
    # influx (line protocol)
    ("influx", METER, b"meter kwh=1 " + b"1" * MAX_BATCH_PAYLOAD_BYTES, "too_large"),
    ("influx", METER, b"meter kwh=1 1\xff", "bad_line"),
    ("influx", METER, "meter", "bad_line"),
    ("influx", METER, "meter,unit kwh=1 1", "bad_line"),
    ("influx", METER, "meter,unit= kwh=1 1", "bad_line"),
    ("influx", METER, "meter, kwh=1 1", "bad_line"),
    ("influx", METER, "meter kwh 1", "bad_line"),
    ("influx", METER, "meter kwh= 1", "bad_line"),
    ("influx", METER, 'meter kwh="1 1', "bad_line"),
    ("influx", METER, "meter kwh=1x 1", "bad_line"),
    ("influx", METER, "meter kwh=+1 1", "bad_line"),
    ("influx", METER, "meter kwh=NaN 1", "bad_line"),
    ("influx", METER, "meter kwh=99999999999999999999i 1", "bad_line"),
    ("influx", METER, "meter kwh=-1u 1", "bad_line"),
    ("influx", METER, f"meter kwh=1 {NS}.5", "bad_line"),
    ("influx", METER, f"meter kwh=1 {NS} extra", "bad_line"),
    ("influx", METER, "meter kwh=1 " + "9" * 30, "bad_line"),
    ("influx", METER, f"meter\tkwh=1 {NS}", "bad_line"),
    ("influx", METER, f"lights on=t {NS}", "topic_mismatch"),
    ("influx", LIGHTS, f"meter kwh=1 {NS}", "topic_mismatch"),
    ("influx", METER, f"meter,unit=3-502 kwh=1 {NS}", "topic_mismatch"),
    ("influx", METER, f"meter,community=west kwh=1 {NS}", "topic_mismatch"),
    ("influx", METER, f"meter,unit={U},unit=other kwh=1 {NS}", "topic_mismatch"),
    ("influx", METER, "", "no_readings"),
    ("influx", METER, "# only a comment\n\n", "no_readings"),
    ("influx", METER, f"voltage v=230 {NS}", "no_readings"),
    ("influx", METER, MANY_LINES, "too_many_readings"),
    ("influx", "water", f"meter kwh=1 {NS}", "bad_topic"),
    ("influx", METER, "meter kwh=1", "bad_ts"),
    ("influx", METER, "meter kwh=1 1772324100", "bad_ts"),
    ("influx", METER, "meter kwh=1 1772324100000", "bad_ts"),
    ("influx", METER, "meter kwh=1 -1", "bad_ts"),
    ("influx", METER, f"meter voltage=230 {NS}", "bad_kwh"),
    ("influx", METER, f'meter kwh="1" {NS}', "bad_kwh"),
    ("influx", METER, f"meter kwh=true {NS}", "bad_kwh"),
    ("influx", METER, f"meter kwh=-0.5 {NS}", "bad_kwh"),
    ("influx", METER, f"meter kwh=1e999 {NS}", "bad_kwh"),
    ("influx", METER, f"meter kwh=18446744073709551615u {NS}", "bad_kwh"),
    ("influx", LIGHTS, f"lights on=2 {NS}", "bad_on"),
    ("influx", LIGHTS, f'lights on="true" {NS}', "bad_on"),
    ("influx", LIGHTS, f"lights level=3 {NS}", "bad_on"),
    ("influx", METER, f"meter,meter={'x' * 65} kwh=1 {NS}", "bad_meter"),
    # auto: its own reasons, and that it passes on the chosen parser's
    ("auto", METER, HUGE, "too_large"),
    ("auto", METER, {"ts": TS, "kwh": 1.0, "pad": "x" * MAX_PAYLOAD_BYTES}, "too_large"),
    ("auto", METER, b"", "no_readings"),
    ("auto", METER, b"\n  ", "no_readings"),
    ("auto", METER, b"true", "unknown_format"),
    ("auto", METER, b"1772324100", "unknown_format"),
    ("auto", METER, b'"kwh=1"', "unknown_format"),
    ("auto", METER, b"\x89PNG\r\n", "unknown_format"),
    ("auto", METER, b"{not json", "bad_json"),
    ("auto", METER, b"[1, 2", "bad_json"),
    ("auto", METER, {"ts": "2026-03-01T08:15:00", "kwh": 1.0}, "naive_ts"),
    ("auto", METER, {"ts": TS, "kwh": None}, "bad_kwh"),
    ("auto", LIGHTS, {"ts": TS, "on": None}, "bad_on"),
    ("auto", METER, {"ts": TS, "kwh": 1, "meter": 1}, "bad_meter"),
    ("auto", "water", V1, "bad_topic"),
    ("auto", METER, {"readings": [V1, 3]}, "bad_batch"),
    ("auto", METER, [1, 2], "bad_batch"),
    ("auto", METER, [], "no_readings"),
    ("auto", METER, MANY, "too_many_readings"),
    ("auto", METER, [{"bt": TS, "n": "energy", "u": "kWh", "v": 1, "x_": 0}], "bad_senml"),
    ("auto", METER, [{**SENML_OK, "bver": 12}], "senml_version"),
    ("auto", METER, [{"n": "energy", "u": "kWh", "v": 1}], "relative_ts"),
    ("auto", METER, [{**SENML_OK, "u": "MWh"}], "bad_unit"),
    ("auto", METER, "meter kwh=", "bad_line"),
    ("auto", METER, f"meter,unit=x kwh=1 {NS}", "topic_mismatch"),
    ("auto", METER, "meter kwh=1 1", "bad_ts"),
]


def _id(case: tuple[str, str, object, str]) -> str:
    fmt, kind, payload, reason = case
    text = payload if isinstance(payload, bytes | str) else json.dumps(payload)
    text = text.decode(errors="replace") if isinstance(text, bytes) else text
    return f"{fmt}-{kind}-{reason}-{text[:40]}"


@pytest.mark.parametrize("case", REFUSALS, ids=[_id(c) for c in REFUSALS])
def test_refusal(case: tuple[str, str, object, str]) -> None:
    fmt, kind, payload, reason = case
    with pytest.raises(PayloadError) as info:
        parse(fmt, kind, payload)
    assert info.value.reason == reason, str(info.value)
    message = str(info.value)
    assert len(message) > 15, "a refusal must say what was wrong"


def test_refusal_messages_locate_the_problem() -> None:
    with pytest.raises(PayloadError, match=r"^line 3: ") as info:
        parse("influx", METER, f"# c\nmeter kwh=1 {NS}\nmeter kwh=x {NS}")
    assert info.value.reason == "bad_line"
    with pytest.raises(PayloadError, match=r"^record 1: ") as info:
        parse("senml", METER, [SENML_OK, {**SENML_OK, "u": "W"}])
    assert info.value.reason == "bad_unit"


MODULES = {"json": jsonv1, "batch": batch, "senml": senml, "influx": lp, "auto": auto}
BASE = ROOT / "occupancy/ingest/parsers/base.py"
_REASON = re.compile(r'PayloadError\(\s*"([a-z_]+)"')
#: Reasons a parser gives through the shared helpers in base.py (and jsonv1 for batch).
SHARED = {
    "json": {"too_large", "bad_json", "bad_ts", "naive_ts", "bad_kwh", "bad_on", "bad_meter"},
    "batch": {"too_large", "bad_json", "bad_ts", "naive_ts", "bad_kwh", "bad_on", "bad_meter"},
    "senml": {"too_large", "bad_json", "bad_ts", "bad_kwh"},
    "influx": {"too_large", "bad_ts", "bad_kwh", "bad_meter"},
}


def _reasons_in(path: Path) -> set[str]:
    return set(_REASON.findall(path.read_text(encoding="utf-8")))


def test_every_reason_in_the_source_is_in_the_table() -> None:
    tested: dict[str, set[str]] = {}
    for fmt, _, _, reason in REFUSALS:
        tested.setdefault(fmt, set()).add(reason)
    everything: set[str] = set()
    for fmt, module in MODULES.items():
        given = _reasons_in(Path(module.__file__)) | SHARED.get(fmt, set())
        if fmt == "auto":  # auto passes on every other parser's reasons
            given |= everything
        assert given - tested[fmt] == set(), f"{fmt}: untested reasons"
        everything |= given
    assert _reasons_in(BASE) <= everything


def test_every_reason_is_documented() -> None:
    docs = (ROOT / "docs/mqtt.md").read_text(encoding="utf-8")
    section = docs[docs.index("## Payload formats") :]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE))
    reasons = {reason for _, _, _, reason in REFUSALS}
    assert reasons - documented == set(), "add these to the table in docs/mqtt.md"
