"""The offline file formats of docs/files.md: readings and lights as CSV.

Readings files go through the same ``IntervalConverter`` as live MQTT ingest, so a file and
a stream of the same data give the same hourly window.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

from occupancy.ingest.intervals import to_intervals
from occupancy.ingest.parsers.base import PayloadError, parse_timestamp
from occupancy.ingest.parsers.jsonv1 import MAX_REGISTER_KWH
from occupancy.readings import LightReading, MeterReading
from occupancy.timeseries import HourlyWindow, aggregate_hourly

TRUE_WORDS = {"1", "true", "yes", "on", "y"}
FALSE_WORDS = {"0", "false", "no", "off", "n"}


class FileFormatError(ValueError):
    """A data file we cannot read; the message names the file, line and column."""


def _rows(path: Path, required: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in required if c not in header]
        if missing:
            raise FileFormatError(
                f"{path}: missing column(s) {', '.join(missing)}; the header must include "
                f"{','.join(required)}"
            )
        reader.fieldnames = header
        yield from enumerate(reader, start=2)


def _ts(path: Path, line: int, value: str) -> float:
    text = (value or "").strip()
    try:
        return parse_timestamp(float(text) if text.replace(".", "", 1).isdigit() else text)
    except PayloadError as exc:
        raise FileFormatError(f"{path}: line {line}, column ts: {exc}") from exc


def read_readings_csv(path: Path, communities: dict[str, str] | None = None) -> list[MeterReading]:
    """``unit_id,ts,kwh`` rows (cumulative register); a ``community`` column is optional."""
    communities = communities or {}
    out: list[MeterReading] = []
    for line, row in _rows(path, ("unit_id", "ts", "kwh")):
        unit_id = row["unit_id"].strip()
        try:
            kwh = float(row["kwh"])
        except (TypeError, ValueError) as exc:
            raise FileFormatError(
                f"{path}: line {line}, column kwh: {row['kwh']!r} is not a number"
            ) from exc
        if not math.isfinite(kwh) or not 0 <= kwh <= MAX_REGISTER_KWH:
            raise FileFormatError(
                f"{path}: line {line}, column kwh: {row['kwh']!r} is not a plausible register "
                f"value (0 to {MAX_REGISTER_KWH:g} kWh, as on MQTT)"
            )
        community = (row.get("community") or "").strip() or communities.get(unit_id, "")
        out.append(MeterReading(community, unit_id, _ts(path, line, row["ts"]), kwh))
    return out


def read_lights_csv(path: Path, communities: dict[str, str] | None = None) -> list[LightReading]:
    """``unit_id,ts,on`` rows, ``on`` as 1/0 or true/false."""
    communities = communities or {}
    out: list[LightReading] = []
    for line, row in _rows(path, ("unit_id", "ts", "on")):
        word = (row["on"] or "").strip().lower()
        if word not in TRUE_WORDS | FALSE_WORDS:
            raise FileFormatError(f"{path}: line {line}, column on: use 1 or 0, not {word!r}")
        unit_id = row["unit_id"].strip()
        community = (row.get("community") or "").strip() or communities.get(unit_id, "")
        out.append(LightReading(community, unit_id, _ts(path, line, row["ts"]), word in TRUE_WORDS))
    return out


def window_from_files(
    readings_csv: Path,
    lights_csv: Path | None,
    start: datetime,
    days: int,
    unit_ids: Sequence[str] | None = None,
    communities: dict[str, str] | None = None,
) -> HourlyWindow:
    """Readings (and lights) files to the hourly window the detector reads."""
    readings = read_readings_csv(Path(readings_csv), communities)
    energy, _notes = to_intervals(readings)
    lights = read_lights_csv(Path(lights_csv), communities) if lights_csv else []
    seen = dict(communities or {})
    for r in readings:
        seen.setdefault(r.unit_id, r.community)
    return aggregate_hourly(energy, lights, start, days * 24, unit_ids=unit_ids, communities=seen)


def last_reading_time(readings_csv: Path) -> float:
    """When the newest reading was taken, to place a default window at the end of a file."""
    latest = float("-inf")
    for line, row in _rows(Path(readings_csv), ("unit_id", "ts", "kwh")):
        latest = max(latest, _ts(Path(readings_csv), line, row["ts"]))
    if latest == float("-inf"):
        raise FileFormatError(f"{readings_csv}: no readings in the file")
    return latest
