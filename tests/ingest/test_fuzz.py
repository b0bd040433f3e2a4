"""Property-based fuzzing of every payload format, ``auto`` included.

The property is the parser contract: whatever the bytes, a parser returns readings that are
finite, within limits, of the topic's community and unit and sorted by time, or raises
``PayloadError`` with a known reason and a message; never another exception (which the
ingester would count as ``parser_error``, a bug).

Inputs are random bytes and, because random bytes almost never get past the first check,
structured ones that are usually right with a few things wrong: JSON documents built from
the fields of every format, and line-protocol lines built from its grammar with hostile
characters. Runs are deterministic (the same examples every run) and small;
``FUZZ_EXAMPLES=20000 pytest tests/ingest/test_fuzz.py`` explores fresh random examples.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from occupancy.ingest.const import LIGHTS, MAX_METER_ID_LENGTH, MAX_REGISTER_KWH, METER
from occupancy.ingest.parsers import PARSERS, PayloadError
from occupancy.ingest.parsers import lineprotocol as lp
from occupancy.readings import LightReading, MeterReading

COMMUNITY, UNIT = "东区", "3栋-501"
TS = 1772324100
NS = TS * 10**9

_EXAMPLES = os.environ.get("FUZZ_EXAMPLES")
FUZZ = settings(
    max_examples=int(_EXAMPLES) if _EXAMPLES else 300,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the work tree
    derandomize=_EXAMPLES is None,
)

REASONS = frozenset(
    {
        "too_large",
        "too_many_readings",
        "no_readings",
        "unknown_format",
        "bad_json",
        "bad_batch",
        "bad_senml",
        "senml_version",
        "bad_line",
        "bad_topic",
        "topic_mismatch",
        "bad_ts",
        "naive_ts",
        "relative_ts",
        "bad_kwh",
        "bad_unit",
        "bad_on",
        "bad_meter",
    }
)
FORMATS = sorted(PARSERS)
kinds = st.sampled_from([METER, LIGHTS, METER, LIGHTS, "water"])


def check(fmt: str, kind: str, payload: bytes) -> str:
    """Parse and check the contract; returns the outcome (a reason, or "ok")."""
    try:
        readings = PARSERS[fmt](COMMUNITY, UNIT, kind, payload)
    except PayloadError as exc:
        assert exc.reason in REASONS, exc.reason
        assert str(exc), "a refusal must say what was wrong"
        return exc.reason
    except Exception as exc:  # the point of the test
        pytest.fail(f"{fmt} on a {kind} topic raised {exc!r} for {payload[:300]!r}")
    assert isinstance(readings, list) and readings, "accepted means at least one reading"
    assert kind in (METER, LIGHTS)
    expected = MeterReading if kind == METER else LightReading
    for reading in readings:
        assert type(reading) is expected
        assert (reading.community, reading.unit_id) == (COMMUNITY, UNIT)
        assert type(reading.ts) is float and math.isfinite(reading.ts)
        assert reading.ts <= 1e11  # seconds, never milliseconds
        if isinstance(reading, MeterReading):
            assert type(reading.kwh) is float
            assert 0.0 <= reading.kwh <= MAX_REGISTER_KWH
            serial = reading.meter_id
            assert serial is None or (
                type(serial) is str and 0 < len(serial) <= MAX_METER_ID_LENGTH
            )
        else:
            assert type(reading.on) is bool
    assert [r.ts for r in readings] == sorted(r.ts for r in readings)
    return "ok"


def mostly(good: st.SearchStrategy, odd: st.SearchStrategy) -> st.SearchStrategy:
    """Seven times in eight a plausible value, else an odd one: an input must get past the
    first checks to exercise the later ones, and a fair share should be accepted."""
    return st.sampled_from([True] * 7 + [False]).flatmap(lambda ok: good if ok else odd)


# -- random bytes ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@FUZZ
@given(kind=kinds, payload=st.binary(max_size=400))
def test_random_bytes(fmt: str, kind: str, payload: bytes) -> None:
    check(fmt, kind, payload)


# -- JSON-ish: documents built from every format's fields ------------------------------------

FIELDS = [
    "ts", "kwh", "on", "meter", "readings",  # json, batch
    "bn", "bt", "bu", "bv", "bs", "bver", "n", "u", "v", "vs", "vb", "vd", "s", "t", "ut",
    "x_", "",
]  # fmt: skip
NAMES = ["energy", "kwh", "KWh", "lights", "on", "urn:dev:x:energy", "a/b.on", "power", ":"]
UNITS = ["kWh", "Wh", "J", "W", "kwh", ""]
odd_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, -1, 10**400, TS * 1000, 2**28, 2**28 - 1, 1e9 + 1, -1e-9]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(NAMES + UNITS),
    st.sampled_from(
        [
            "2026-03-01T08:15:00",
            "2026-02-30T00:00:00Z",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-14:00",
            "x" * 65,
        ]
    ),
    st.text(max_size=20),
)
odd_values = st.recursive(
    odd_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4),
    ),
    max_leaves=8,
)
times = mostly(
    st.one_of(
        st.integers(min_value=TS - 10**6, max_value=TS + 10**6),
        st.floats(min_value=TS - 1e6, max_value=TS + 1e6),
        st.just("2026-03-01T08:15:00+08:00"),
    ),
    odd_values,
)
registers = mostly(st.floats(min_value=0, max_value=MAX_REGISTER_KWH), odd_values)
flags = mostly(st.sampled_from([True, False, 0, 1]), odd_values)
serials = mostly(st.text(min_size=1, max_size=MAX_METER_ID_LENGTH), odd_values)
v1 = st.fixed_dictionaries(
    {"ts": times},
    optional={"kwh": registers, "on": flags, "meter": serials, "extra": odd_values},
)
senml_record = st.fixed_dictionaries(
    {"n": mostly(st.sampled_from(NAMES), odd_values)},
    optional={
        "bn": mostly(
            st.sampled_from(["urn:dev:mac:0024befffe804ff1:", "m/", "x" * 70]), odd_values
        ),
        "bt": mostly(st.sampled_from([TS, TS + 0.5]), odd_values),
        "bu": mostly(st.sampled_from(UNITS), odd_values),
        "bv": mostly(st.floats(min_value=-1e3, max_value=1e3), odd_values),
        "bver": mostly(st.just(10), st.sampled_from([11, 0, "10"])),
        "u": mostly(st.sampled_from(UNITS), odd_values),
        "v": registers,
        "vb": flags,
        "t": mostly(times, st.floats(min_value=-1e4, max_value=1e4)),
        "x_": mostly(st.nothing(), st.just(1)),
    },
)
documents = st.one_of(
    v1,
    st.lists(v1, max_size=6),
    st.fixed_dictionaries({"readings": st.lists(v1, max_size=6)}, optional={"meter": serials}),
    st.lists(senml_record, max_size=6),
    odd_values,
)


@pytest.mark.parametrize("fmt", FORMATS)
@FUZZ
@given(kind=kinds, doc=documents, indent=st.sampled_from([None, 1]))
def test_json_documents(fmt: str, kind: str, doc: object, indent: int | None) -> None:
    check(fmt, kind, json.dumps(doc, indent=indent, ensure_ascii=False).encode())


@st.composite
def senml_packs(draw: st.DrawFn) -> tuple[str, list[dict[str, object]]]:
    """A pack for the topic's kind, usually right: base fields in the first record, then
    records with offsets, other measurements mixed in, a few things sometimes wrong."""
    kind = draw(kinds)
    good_names = ["energy", "kwh", "x:KWh"] if kind == METER else ["lights", "on", "a/b.on"]
    first: dict[str, object] = {"bt": draw(mostly(st.sampled_from([TS, TS + 0.5]), odd_values))}
    if draw(st.booleans()):
        first["bn"] = draw(
            mostly(st.sampled_from(["urn:dev:mac:0024befffe804ff1:", "m/"]), odd_values)
        )
    if draw(st.booleans()):
        first["bu"] = draw(mostly(st.sampled_from(["kWh", "Wh", "J"]), odd_values))
    if draw(st.integers(0, 3)) == 0:
        first["bver"] = draw(mostly(st.just(10), st.sampled_from([11, 0, "10"])))
    pack = [first]
    for _ in range(draw(st.integers(0, 4))):
        record: dict[str, object] = {"n": draw(mostly(st.sampled_from(good_names), odd_values))}
        if draw(st.booleans()):
            record["t"] = draw(mostly(st.floats(min_value=-1e4, max_value=1e4), odd_values))
        if kind == LIGHTS:
            record["vb"] = draw(flags)
        else:
            record["v"] = draw(mostly(st.floats(min_value=0, max_value=1e6), odd_values))
            if "bu" not in first or draw(st.integers(0, 3)) == 0:
                record["u"] = draw(mostly(st.sampled_from(["kWh", "Wh", "J"]), odd_values))
        if draw(st.integers(0, 7)) == 0:
            record["x_" if draw(st.booleans()) else "bv"] = draw(odd_values)
        pack.append(record)
    if draw(st.booleans()):
        pack.insert(draw(st.integers(0, len(pack))), {"n": "voltage", "u": "V", "v": 230.1})
    return kind, pack


@pytest.mark.parametrize("fmt", ["senml", "auto"])
@FUZZ
@given(case=senml_packs())
def test_senml_packs(fmt: str, case: tuple[str, list[dict[str, object]]]) -> None:
    kind, pack = case
    check(fmt, kind, json.dumps(pack).encode())


plausible_readings = st.lists(
    st.fixed_dictionaries(
        {
            "ts": st.one_of(
                st.integers(min_value=TS - 10**6, max_value=TS + 10**6),
                st.just("2026-03-01T08:15:00+08:00"),
            ),
            "kwh": st.floats(min_value=0, max_value=MAX_REGISTER_KWH),
            "on": st.booleans(),
        },
        optional={
            "meter": st.text(
                alphabet=st.characters(blacklist_categories=["Cc", "Cs"]),
                min_size=1,
                max_size=MAX_METER_ID_LENGTH,
            )
        },
    ),
    min_size=1,
    max_size=20,
)


@FUZZ
@given(kind=st.sampled_from([METER, LIGHTS]), readings=plausible_readings)
def test_plausible_batches_are_accepted_whole(kind: str, readings: list[dict]) -> None:
    """The other side of the property: good batches are read, every reading of them."""
    payload = json.dumps(readings).encode()
    for fmt in ("batch", "auto"):
        assert check(fmt, kind, payload) == "ok"
        assert len(PARSERS[fmt](COMMUNITY, UNIT, kind, payload)) == len(readings)


# -- line-protocol-ish: lines from its grammar, with hostile characters ----------------------

HOSTILE = st.text(alphabet=st.sampled_from(list('ab ,=\\"#\t\r\x00é栋')), max_size=8)
odd_measurements = st.one_of(
    st.sampled_from(["meter", "lights", "voltage", "#x", "me\\ ter", "meter\\", "m\\,x"]),
    HOSTILE,
)
odd_tags = st.one_of(
    st.sampled_from(["unit=3-502", "community=west", f"unit={UNIT}\\", "meter=" + "x" * 65]),
    st.tuples(HOSTILE, HOSTILE).map("=".join),
)
good_values = {
    METER: st.one_of(
        st.floats(min_value=0, max_value=MAX_REGISTER_KWH).map(repr),
        st.sampled_from(["0", "1.5", ".5", "1.", "1e3", "12i", "0u"]),
    ),
    LIGHTS: st.sampled_from(["t", "T", "true", "FALSE", "f", "1", "0", "1i", "0u", "1.0"]),
}
odd_field_values = st.one_of(
    st.sampled_from(
        [
            "-1", "1e999", "NaN", "+1", "-1i", "7u", "-7u", "99999999999999999999i", "2",
            '"s"', '"a\\"b"', '"', "", "0x10", "1_000", "t", "1.5",
        ]
    ),
    HOSTILE,
)  # fmt: skip
odd_timestamps = st.sampled_from(["1", "-1", str(TS), str(TS * 1000), "9" * 25, "1.5", "١٢٣", "x"])
FIELD = {METER: "kwh", LIGHTS: "on"}


@st.composite
def lines(draw: st.DrawFn, kind: str) -> str:
    """A line that is usually right for the topic's kind, with a few things sometimes wrong."""
    measurement = kind if kind in FIELD else METER
    line = draw(mostly(st.just(measurement), odd_measurements))
    good_tags = st.sampled_from([f"unit={UNIT}", f"community={COMMUNITY}", "meter=SN\\ 1,x=y"])
    for _ in range(draw(st.integers(0, 2))):
        line += "," + draw(mostly(good_tags, odd_tags))
    line += draw(mostly(st.just(" "), st.sampled_from(["  ", "", ",", "\t"])))
    field = FIELD.get(kind, "kwh")
    good_field = good_values[METER if field == "kwh" else LIGHTS].map(lambda v: f"{field}={v}")
    fields = [draw(mostly(good_field, st.tuples(HOSTILE, odd_field_values).map("=".join)))]
    for _ in range(draw(st.integers(0, 2))):
        fields.append(draw(mostly(st.just('note="x, y=z"'), odd_field_values)))
    line += ",".join(fields)
    stamp = mostly(
        st.integers(min_value=NS - 10**15, max_value=NS + 10**15).map(lambda ns: f" {ns}"),
        st.one_of(st.just(""), odd_timestamps.map(lambda ts: f" {ts}")),
    )
    return line + draw(stamp)


@st.composite
def line_protocol(draw: st.DrawFn) -> tuple[str, str]:
    kind = draw(kinds)
    body = draw(st.lists(lines(kind), min_size=1, max_size=4))
    extras = draw(st.sampled_from([[], [], ["# comment"], [""], ["voltage v=230 1"]]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return kind, newline.join(extras + body)


@pytest.mark.parametrize("fmt", FORMATS)
@FUZZ
@given(case=line_protocol())
def test_line_protocol_lines(fmt: str, case: tuple[str, str]) -> None:
    kind, text = case
    check(fmt, kind, text.encode())


@FUZZ
@given(
    kind=st.sampled_from([METER, LIGHTS]),
    points=st.lists(
        st.tuples(
            st.integers(min_value=NS - 10**15, max_value=NS + 10**15),
            st.floats(min_value=0, max_value=MAX_REGISTER_KWH),
            st.booleans(),
            st.text(
                alphabet=st.characters(blacklist_categories=["Cc", "Cs"]),
                min_size=1,
                max_size=MAX_METER_ID_LENGTH,
            ).filter(lambda serial: not serial.endswith("\\")),
        ),
        min_size=1,
        max_size=10,
    ),
)
def test_well_formed_line_protocol_round_trips(
    kind: str, points: list[tuple[int, float, bool, str]]
) -> None:
    """Whatever the serial's characters, escaping them as the reference says gets them back:
    the escaping rules, checked from the writer's side."""
    text = []
    for ns, kwh, on, serial in points:
        # A backslash before anything but , = or space is itself, so it needs no escaping
        # (and a serial ending in one cannot be written in line protocol at all).
        tag = serial.replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")
        if kind == METER:
            text.append(f"meter,unit={UNIT},meter={tag} kwh={kwh!r} {ns}")
        else:
            text.append(f"lights,community={COMMUNITY} on={'t' if on else 'f'} {ns}")
    payload = "\n".join(text).encode()
    assert check("influx", kind, payload) == "ok"
    readings = PARSERS["auto"](COMMUNITY, UNIT, kind, payload)
    # Seconds as floats: nanoseconds a few apart can land on the same float, and then the
    # line sent first comes first (the sort is stable), as for any two readings of one time.
    expected = sorted(points, key=lambda p: p[0] / 10**9)
    assert [r.ts for r in readings] == [p[0] / 10**9 for p in expected]
    if kind == METER:
        assert [(r.kwh, r.meter_id) for r in readings] == [(p[1], p[3]) for p in expected]
    else:
        assert [r.on for r in readings] == [p[2] for p in expected]


def _split(split: Callable[[str], lp.Line], line: str) -> object:
    try:
        return split(line)
    except Exception as exc:  # _Syntax, compared by message
        return (type(exc).__name__, str(exc))


@FUZZ
@given(case=line_protocol(), cut=st.integers(0, 200))
def test_line_fast_path_agrees_with_the_scanner(case: tuple[str, str], cut: int) -> None:
    """``split_line`` reads a line with one regex and falls back to ``scan_line`` only to
    explain a failure: the two must agree on every line, truncated ones included."""
    for line in case[1].split("\n"):
        for text in (line.strip(" \r"), line.strip(" \r")[:cut]):
            if text and not text.startswith("#"):
                assert _split(lp.split_line, text) == _split(lp.scan_line, text), text
