"""How readings look inside InfluxDB, and the only code that spells line protocol or InfluxQL.

Shared by the 1.x and 2.x/3.x stores so both write the same points and read them with the
same queries (docs/store.md describes the schema for people querying it by hand).

Tag values are stored verbatim (spaces, commas, equals signs, quotes, any Unicode) except
``%``, ``\\`` and control characters, which are percent-encoded: line protocol has no
lossless escape for a backslash before a comma, space or equals sign, nor for a newline,
and the ingester accepts all of them in unit ids. ``decode_tag`` reverses it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from urllib.parse import unquote

from occupancy.readings import IntervalEnergy, LightReading, MeterReading, meter_key
from occupancy.store.base import StoreError

#: One measurement per kind of reading; tags ``unit`` and ``community`` on every one.
REGISTER = "register"  # field kwh (float): the cumulative register; time = reading time
ENERGY = "energy"  # fields kwh (float), start (float Unix seconds); time = interval end
LIGHTS = "lights"  # field on (integer 0/1); time = observation time
HOURLY = "hourly"  # rollups: coverage, kwh, lights_on (float), lights_n (integer); time = hour
UNIT = "unit"
COMMUNITY = "community"
#: The raw readings, as (kind, measurement, a field every point has): what expires.
RAW_MEASUREMENTS = (
    ("registers", REGISTER, "kwh"),
    ("energy", ENERGY, "kwh"),
    ("lights", LIGHTS, "on"),
)

MS_PER_S = 1000
NS_PER_MS = 1_000_000

#: Characters percent-encoded in stored tag values (see the module docstring).
_ENCODE = re.compile(r"[%\\\x00-\x1f\x7f]")
#: Line protocol's own escapes for tag values; applied after percent-encoding.
_LP_ESCAPE = str.maketrans({",": r"\,", " ": r"\ ", "=": r"\="})


def _percent(match: re.Match[str]) -> str:
    return "".join(f"%{b:02X}" for b in match.group().encode())


@lru_cache(maxsize=65536)
def stored_tag(value: str) -> str:
    """The tag value as InfluxDB keeps it (and as InfluxQL must compare against)."""
    return _ENCODE.sub(_percent, value)


@lru_cache(maxsize=65536)
def decode_tag(stored: str) -> str:
    return unquote(stored) if "%" in stored else stored


@lru_cache(maxsize=65536)
def _series_key(measurement: str, unit: str, community: str) -> str:
    """``measurement,community=..,unit=..`` with tags sorted by key, as InfluxDB prefers.

    An empty community is left out (line protocol refuses empty tag values); it reads back
    as "", like any missing tag.
    """
    if not unit:
        raise StoreError("a reading without a unit id cannot be stored; this is a bug upstream")
    tags = f"{UNIT}={stored_tag(unit).translate(_LP_ESCAPE)}"
    if community:
        tags = f"{COMMUNITY}={stored_tag(community).translate(_LP_ESCAPE)},{tags}"
    return f"{measurement},{tags}"


def to_ms(ts: float) -> int:
    """Unix seconds to the integer milliseconds we write (whole ms round-trip exactly)."""
    return round(ts * MS_PER_S)


def _float(value: float, what: str) -> str:
    value = float(value)
    if not math.isfinite(value):
        # Line protocol has no NaN or infinity; the ingester should never let one through.
        raise StoreError(f"cannot store a non-finite {what} ({value}); the reading is invalid")
    return repr(value)


def register_lines(registers: Iterable[MeterReading]) -> list[str]:
    """``meter`` (an integer field, ``readings.meter_key``) only when the payload named the
    meter's serial: a change of it between readings is a meter swap, not consumption."""
    return [
        f"{_series_key(REGISTER, r.unit_id, r.community)} kwh={_float(r.kwh, 'kwh')}"
        f"{f',meter={meter_key(r.meter_id)}i' if r.meter_id else ''} {to_ms(r.ts)}"
        for r in registers
    ]


def energy_lines(energy: Iterable[IntervalEnergy]) -> list[str]:
    return [
        f"{_series_key(ENERGY, e.unit_id, e.community)} kwh={_float(e.kwh, 'kwh')},"
        f"start={_float(e.start, 'start')} {to_ms(e.end)}"
        for e in energy
    ]


def lights_lines(lights: Iterable[LightReading]) -> list[str]:
    return [
        f"{_series_key(LIGHTS, x.unit_id, x.community)} on={1 if x.on else 0}i {to_ms(x.ts)}"
        for x in lights
    ]


def hourly_line(
    unit: str,
    community: str,
    hour_ms: int,
    coverage: float,
    kwh: float,
    lights_on: float,
    lights_n: int,
) -> str:
    """One rollup point; NaN energy or lights are left out (InfluxDB has no NaN)."""
    fields = [f"coverage={_float(coverage, 'coverage')}", f"lights_n={int(lights_n)}i"]
    if math.isfinite(kwh):
        fields.append(f"kwh={_float(kwh, 'kwh')}")
    if lights_n > 0 and math.isfinite(lights_on):
        fields.append(f"lights_on={_float(lights_on, 'lights_on')}")
    return f"{_series_key(HOURLY, unit, community)} {','.join(fields)} {hour_ms}"


# -- InfluxQL ----------------------------------------------------------------------------


def ident(name: str) -> str:
    """A double-quoted InfluxQL identifier (``on`` is a keyword, so we quote them all)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


#: RE2 metacharacters, and the slash that would end an InfluxQL regex literal.
_REGEX_META = re.compile(r"[.+*?()|\[\]{}^$/]")


def unit_regex(unit_ids: Sequence[str]) -> str:
    """``"unit" =~ /^(?:a|b)$/``: exact matches of these units and no others.

    One regex rather than ``"unit" = 'a' OR ...``: with 500 units InfluxDB 1.x answered the
    OR chain about 3x slower. Stored tag values hold no backslash or newline (they are
    percent-encoded), so a backslash before each metacharacter and before ``/`` (which
    would end the regex literal) is a complete escape: a unit id cannot widen the match or
    add a clause."""
    alternatives = "|".join(
        _REGEX_META.sub(lambda m: "\\" + m.group(), stored_tag(u)) for u in unit_ids
    )
    return f"{ident(UNIT)} =~ /^(?:{alternatives})$/"


def time_range(first_ms: int, last_ms: int) -> str:
    """Both ends inclusive, in nanoseconds (every InfluxQL dialect reads bare integers)."""
    return f"time >= {first_ms * NS_PER_MS} AND time <= {last_ms * NS_PER_MS}"


def select(
    measurement: str,
    fields: Sequence[str],
    first_ms: int,
    last_ms: int,
    unit_ids: Sequence[str] | None = None,
) -> str:
    """One series per unit and community, so the unit travels once per series, not per row."""
    where = time_range(first_ms, last_ms)
    if unit_ids is not None:
        where += f" AND {unit_regex(unit_ids)}"
    columns = ", ".join(ident(f) for f in fields)
    return (
        f"SELECT {columns} FROM {ident(measurement)} WHERE {where} "
        f"GROUP BY {ident(UNIT)}, {ident(COMMUNITY)}"
    )


def count_before(measurement: str, field: str, cutoff_ms: int) -> str:
    """Points of ``measurement`` stamped before ``cutoff_ms``, over every series at once."""
    return (
        f"SELECT count({ident(field)}) FROM {ident(measurement)} "
        f"WHERE time < {cutoff_ms * NS_PER_MS}"
    )


def delete_before(measurement: str, cutoff_ms: int) -> str:
    """InfluxDB 1.x: delete ``measurement``'s points stamped before ``cutoff_ms``.

    DELETE takes no retention policy: it acts on the measurement in every policy of the
    database. Raw and rollup data have different measurement names, so rollups are safe."""
    return f"DELETE FROM {ident(measurement)} WHERE time < {cutoff_ms * NS_PER_MS}"


def last_register_query() -> str:
    """``last()`` is a selector: the time returned is the newest reading's own time."""
    return (
        f"SELECT last({ident('kwh')}) FROM {ident(REGISTER)} "
        f"GROUP BY {ident(UNIT)}, {ident(COMMUNITY)}"
    )
