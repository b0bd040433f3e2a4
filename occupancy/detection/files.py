"""The offline file formats of docs/files.md: readings and lights as CSV, read into arrays.

A week of 1-minute readings for a few hundred flats is millions of rows, so nothing here
builds an object per reading. Each column goes straight into a numpy array (a timestamp or a
unit id repeats thousands of times, so each distinct string is parsed once), and the window
is built by ``aggregate_arrays(r_unit=..., r_ts=..., r_kwh=...)``, the same register ->
interval path (``register_steps``) the stores use on read. A file and a stream of the
same data therefore give the same hourly window, at any reading interval from 1 to 60
minutes.

Errors still name the file, line and column: the fast path only checks whole columns, and
when a check fails the offending row is looked up to say exactly where.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from occupancy.ingest.parsers.base import PayloadError, parse_timestamp
from occupancy.ingest.parsers.jsonv1 import MAX_REGISTER_KWH
from occupancy.readings import LightReading, MeterReading
from occupancy.timeseries import HourlyWindow, aggregate_arrays

TRUE_WORDS = {"1", "true", "yes", "on", "y"}
FALSE_WORDS = {"0", "false", "no", "off", "n"}
READINGS_COLUMNS = ("unit_id", "ts", "kwh")
LIGHTS_COLUMNS = ("unit_id", "ts", "on")
#: Bytes read per block: large enough that per-block overhead vanishes, small enough that
#: a block's strings (about 5x its size in Python objects) stay well under 100 MB.
BLOCK_BYTES = 4 << 20

#: ``progress(bytes_done, bytes_total)``, called after each block.
Progress = Callable[[int, int], None]


class FileFormatError(ValueError):
    """A data file we cannot read; the message names the file, line and column."""


class _UnitRows:
    """Rows of a file whose unit is a position in ``names`` (shared by both kinds of file)."""

    codes: np.ndarray
    names: np.ndarray
    ts: np.ndarray

    def __len__(self) -> int:
        return int(self.ts.size)

    @property
    def unit(self) -> np.ndarray:
        """The unit id of every row (an object array; ``codes`` is the cheap form)."""
        return self.names[self.codes]


@dataclass(frozen=True)
class ReadingArrays(_UnitRows):
    """Register readings of a file, one array entry per row (in file order).

    ``codes`` holds each row's unit as a position in ``names`` (the distinct unit ids, in
    order of first appearance), ``ts`` Unix seconds, ``kwh`` the cumulative register.
    ``communities`` maps a unit to the file's ``community`` column where given.
    """

    codes: np.ndarray
    names: np.ndarray
    ts: np.ndarray
    kwh: np.ndarray
    communities: dict[str, str]


@dataclass(frozen=True)
class LightArrays(_UnitRows):
    """Lights observations of a file: units as in ``ReadingArrays``, Unix seconds and
    on (1.0) / off (0.0)."""

    codes: np.ndarray
    names: np.ndarray
    ts: np.ndarray
    on: np.ndarray
    communities: dict[str, str]


def read_readings(path: str | Path, progress: Progress | None = None) -> ReadingArrays:
    """``unit_id,ts,kwh`` rows (cumulative register); a ``community`` column is optional."""
    path = Path(path)
    units: list[np.ndarray] = []
    times: list[np.ndarray] = []
    values: list[np.ndarray] = []
    names = _Interner()
    stamps = _Stamps(path)
    communities: dict[str, str] = {}
    for block in _blocks(path, READINGS_COLUMNS, progress):
        kwh = _numbers(block, "kwh")
        bad = ~np.isfinite(kwh) | (kwh < 0) | (kwh > MAX_REGISTER_KWH)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise FileFormatError(
                f"{path}: line {block.line(i)}, column kwh: {block.column('kwh')[i]!r} is not "
                f"a plausible register value (0 to {MAX_REGISTER_KWH:g} kWh, as on MQTT)"
            )
        units.append(names.codes(block.column("unit_id")))
        times.append(stamps.parse(block, "ts"))
        values.append(kwh)
        _communities(block, communities)
    return ReadingArrays(
        codes=_concat(units, np.int64),
        names=names.names(),
        ts=_concat(times, float),
        kwh=_concat(values, float),
        communities=communities,
    )


def read_lights(path: str | Path, progress: Progress | None = None) -> LightArrays:
    """``unit_id,ts,on`` rows, ``on`` as 1/0, true/false, yes/no or on/off."""
    path = Path(path)
    units: list[np.ndarray] = []
    times: list[np.ndarray] = []
    states: list[np.ndarray] = []
    names = _Interner()
    stamps = _Stamps(path)
    words: dict[str, float] = {}
    communities: dict[str, str] = {}
    for block in _blocks(path, LIGHTS_COLUMNS, progress):
        column = block.column("on")
        for raw in set(column) - words.keys():
            word = raw.strip().lower()
            if word not in TRUE_WORDS | FALSE_WORDS:
                line = block.line(column.index(raw))
                raise FileFormatError(f"{path}: line {line}, column on: use 1 or 0, not {word!r}")
            words[raw] = 1.0 if word in TRUE_WORDS else 0.0
        units.append(names.codes(block.column("unit_id")))
        times.append(stamps.parse(block, "ts"))
        states.append(np.fromiter(map(words.__getitem__, column), float, len(column)))
        _communities(block, communities)
    return LightArrays(
        codes=_concat(units, np.int64),
        names=names.names(),
        ts=_concat(times, float),
        on=_concat(states, float),
        communities=communities,
    )


def read_readings_csv(path: Path, communities: dict[str, str] | None = None) -> list[MeterReading]:
    """The readings of a file as ``MeterReading`` objects (small files, tests, tools).

    ``communities`` fills in the community of units whose row has none.
    """
    data = read_readings(path)
    where = {**(communities or {}), **data.communities}
    return [
        MeterReading(where.get(u, ""), u, t, k)
        for u, t, k in zip(data.unit.tolist(), data.ts.tolist(), data.kwh.tolist(), strict=True)
    ]


def read_lights_csv(path: Path, communities: dict[str, str] | None = None) -> list[LightReading]:
    """The observations of a lights file as ``LightReading`` objects."""
    data = read_lights(path)
    where = {**(communities or {}), **data.communities}
    return [
        LightReading(where.get(u, ""), u, t, bool(on))
        for u, t, on in zip(data.unit.tolist(), data.ts.tolist(), data.on.tolist(), strict=True)
    ]


def window_from_arrays(
    readings: ReadingArrays,
    lights: LightArrays | None,
    start: datetime,
    days: int,
    unit_ids: Sequence[str] | None = None,
    communities: dict[str, str] | None = None,
) -> HourlyWindow:
    """Readings (and lights) arrays to the hourly window the detector reads.

    Every unit of ``unit_ids`` gets a row (default: every unit of ``communities`` and the
    files, sorted), so a registered unit without a single reading is in the window, unmeasured.
    A ``community`` column in a file overrides ``communities`` (docs/files.md).
    """
    seen: dict[str, str] = dict(communities or {})
    for arrays in (readings, lights):
        if arrays is not None:
            for unit_id in arrays.names.tolist():
                seen.setdefault(unit_id, "")
            seen.update(arrays.communities)
    ids = list(unit_ids) if unit_ids is not None else sorted(seen)
    empty = np.array([], dtype=float)
    return aggregate_arrays(
        start,
        days * 24,
        unit_ids=ids,
        communities=seen,
        e_unit=(),
        e_start=empty,
        e_end=empty,
        e_kwh=empty,
        l_unit=_rows(lights, ids) if lights is not None else (),
        l_ts=lights.ts if lights is not None else None,
        l_on=lights.on if lights is not None else None,
        r_unit=_rows(readings, ids),
        r_ts=readings.ts,
        r_kwh=readings.kwh,
    )


def _rows(arrays: ReadingArrays | LightArrays, unit_ids: list[str]) -> np.ndarray:
    """Each row's position in ``unit_ids`` (-1: not in the window), looked up once per unit
    rather than once per reading."""
    where = {unit_id: i for i, unit_id in enumerate(unit_ids)}
    of_code = np.array([where.get(name, -1) for name in arrays.names.tolist()], dtype=np.int64)
    return of_code[arrays.codes] if of_code.size else np.full(len(arrays), -1, dtype=np.int64)


def window_from_files(
    readings_csv: Path,
    lights_csv: Path | None,
    start: datetime,
    days: int,
    unit_ids: Sequence[str] | None = None,
    communities: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> HourlyWindow:
    """Readings (and lights) files to the hourly window the detector reads."""
    readings = read_readings(Path(readings_csv), progress)
    lights = read_lights(Path(lights_csv)) if lights_csv else None
    return window_from_arrays(readings, lights, start, days, unit_ids, communities)


def typical_last_reading(readings: ReadingArrays) -> float:
    """The median over units of each unit's newest reading: where the data really ends.

    The newest reading of the whole file is a poor end: one meter with a fast clock (a few
    minutes past midnight) would push the default window a whole day past everyone else's
    data, leaving its last day unmeasured and every unit unscored.
    """
    if not len(readings):
        raise FileFormatError("the readings file holds no readings")
    last = np.full(readings.names.size, -np.inf)
    np.maximum.at(last, readings.codes, readings.ts)
    return float(np.median(last[np.isfinite(last)]))


def last_reading_time(readings: Path | ReadingArrays) -> float:
    """When the newest reading was taken, to place a default window at the end of a file."""
    data = readings if isinstance(readings, ReadingArrays) else read_readings(Path(readings))
    if not len(data):
        where = readings if not isinstance(readings, ReadingArrays) else "the readings"
        raise FileFormatError(f"{where}: no readings in the file")
    return float(data.ts.max())


# --- block reader -------------------------------------------------------------------------


class _Block:
    """The columns of one block of a CSV file, with line numbers for error messages.

    ``lines`` maps row ``i`` to its file line where blank lines were skipped; otherwise row
    ``i`` is line ``first + i``.
    """

    def __init__(
        self,
        path: Path,
        index: dict[str, int],
        columns: list[Sequence[str]],
        first: int,
        lines: list[int] | None = None,
    ) -> None:
        self.path = path
        self.first = first
        self._index = index
        self._columns = columns
        self._lines = lines
        self.size = len(columns[0]) if columns else 0

    @classmethod
    def from_rows(cls, path: Path, index: dict[str, int], rows: list[list[str]], first: int):
        """From ``csv.reader`` rows (quotes, blank lines, ragged rows: the careful path)."""
        lines = None
        if [] in rows:
            keep = [i for i, row in enumerate(rows) if row]
            lines = [first + i for i in keep]
            rows = [rows[i] for i in keep]
        width = len(index)
        for i, row in enumerate(rows):
            if len(row) != width:
                line = lines[i] if lines is not None else first + i
                raise FileFormatError(
                    f"{path}: line {line}: expected {width} columns as in the header, "
                    f"found {len(row)}"
                )
        columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[]] * width
        return cls(path, index, columns, first, lines)

    def column(self, name: str) -> Sequence[str]:
        return self._columns[self._index[name]]

    def has(self, name: str) -> bool:
        return name in self._index

    def line(self, i: int) -> int:
        """The file line (header = 1) of row ``i`` of this block."""
        return self._lines[i] if self._lines is not None else self.first + i


def _blocks(path: Path, required: Sequence[str], progress: Progress | None) -> Iterator[_Block]:
    """Read ``path`` in blocks of whole lines and split each into columns."""
    total = path.stat().st_size
    with open(path, "rb") as handle:
        header_bytes = handle.readline()
        header_text = _decode(header_bytes, path, 1).removeprefix("\ufeff")
        header = [h.strip() for h in next(csv.reader([header_text]), [])]
        missing = [c for c in required if c not in header]
        if missing:
            raise FileFormatError(
                f"{path}: missing column(s) {', '.join(missing)}; the header must include "
                f"{','.join(required)}"
            )
        index = {name: i for i, name in enumerate(header)}
        done = len(header_bytes)
        line = 2
        rest = b""
        while True:
            chunk = handle.read(BLOCK_BYTES)
            data = rest + chunk
            if not data:
                break
            cut = data.rfind(b"\n") + 1 if chunk else len(data)
            # A quoted field may hold a newline: never cut inside quotes.
            while chunk and cut and data.count(b'"', 0, cut) % 2:
                cut = data.rfind(b"\n", 0, cut - 1) + 1
            if cut == 0:
                rest = data
                continue
            body, rest = data[:cut], data[cut:]
            block = _split(body, path, index, line)
            if block is None:
                lines = _decode(body, path, line).splitlines()
                block = _Block.from_rows(path, index, list(csv.reader(lines)), line)
                line += len(lines)
            else:
                line += block.size
            yield block
            done += len(body)
            if progress is not None:
                progress(done, total)


def _split(body: bytes, path: Path, index: dict[str, int], first: int) -> _Block | None:
    """The fast path: plain ``a,b,c\\n`` lines, split by ``str.split`` into columns.

    Taken only when every line has exactly the header's number of fields and nothing needs
    the csv module (no quotes, no blank lines, no carriage returns); otherwise None, and the
    caller parses the block with ``csv.reader``. The per-line field count is checked on the
    raw bytes with numpy, so a ragged row can never shift the columns.
    """
    if b'"' in body or b"\r" in body:
        return None
    raw = np.frombuffer(body, dtype=np.uint8)
    ends = np.flatnonzero(raw == 10)
    if not body.endswith(b"\n"):
        ends = np.append(ends, len(body))
    starts = np.concatenate([[0], ends[:-1] + 1])
    commas = np.flatnonzero(raw == 44)
    fields = np.searchsorted(commas, ends) - np.searchsorted(commas, starts) + 1
    width = len(index)
    if (ends == starts).any() or (fields != width).any():
        return None
    text = _decode(body, path, first).removesuffix("\n")
    tokens = text.replace("\n", ",").split(",")
    return _Block(path, index, [tokens[j::width] for j in range(width)], first)


def _decode(data: bytes, path: Path, first_line: int) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        raise FileFormatError(f"{path}: line {line}: not UTF-8 text ({exc.reason})") from None


class _Interner:
    """Unit ids to small integer codes, each distinct string stripped once."""

    def __init__(self) -> None:
        self._code: dict[str, int] = {}
        self._names: list[str] = []
        self._by_name: dict[str, int] = {}

    def codes(self, column: tuple[str, ...]) -> np.ndarray:
        for raw in set(column) - self._code.keys():
            name = raw.strip()
            code = self._by_name.setdefault(name, len(self._names))
            if code == len(self._names):
                self._names.append(name)
            self._code[raw] = code
        return np.fromiter(map(self._code.__getitem__, column), np.int64, len(column))

    def names(self) -> np.ndarray:
        out = np.empty(len(self._names), dtype=object)
        out[:] = self._names
        return out


class _Stamps:
    """Timestamps to Unix seconds; each distinct string is parsed once for the whole file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seconds: dict[str, float] = {}

    def parse(self, block: _Block, name: str) -> np.ndarray:
        column = block.column(name)
        for raw in set(column) - self._seconds.keys():
            text = raw.strip()
            try:
                value = float(text) if text.replace(".", "", 1).isdigit() else text
                self._seconds[raw] = parse_timestamp(value)
            except PayloadError as exc:
                line = block.line(column.index(raw))
                raise FileFormatError(f"{self.path}: line {line}, column {name}: {exc}") from exc
        return np.fromiter(map(self._seconds.__getitem__, column), float, len(column))


def _numbers(block: _Block, name: str) -> np.ndarray:
    """A column as floats; a cell that is not a number is reported with its line."""
    column = block.column(name)
    try:
        return np.array(column, dtype=float)
    except ValueError:
        pass
    for i, raw in enumerate(column):
        try:
            float(raw)
        except ValueError:
            raise FileFormatError(
                f"{block.path}: line {block.line(i)}, column {name}: {raw!r} is not a number"
            ) from None
    return np.array([float(raw) for raw in column])  # pragma: no cover - numpy stricter


def _communities(block: _Block, out: dict[str, str]) -> None:
    """The first non-empty ``community`` of each unit in the file, if the column exists."""
    if not block.has("community"):
        return
    pairs = zip(block.column("unit_id"), block.column("community"), strict=True)
    for unit_id, community in dict.fromkeys(pairs):
        name = community.strip()
        if name:
            out.setdefault(unit_id.strip(), name)


def _concat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.array([], dtype=dtype)
