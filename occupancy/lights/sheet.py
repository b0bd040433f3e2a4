"""Read a grid worker's night-count sheet (亮灯巡查表, CSV) into checked observations.

The sheet follows the register importer's rules (``occupancy.register.csvfile``): English or
Chinese headers, UTF-8 with or without a BOM or GB18030, and every problem collected with
its row and column before anything is written, so the worker fixes the whole sheet at once.
Each row names a unit (its ID, or its address resolved through the register), when it was
seen (one date-time column, or a date and a time column) and whether its lights were on.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path

from occupancy.lights.locate import LOCATION_FIELDS, UnitLocator
from occupancy.lights.observation import SurveyObservation
from occupancy.lights.values import parse_date, parse_datetime, parse_lit, parse_time, time_problem
from occupancy.register import RegisterEntry, RegisterRowError
from occupancy.spreadsheet import ENCODING_HINT, decode_sheet, map_header

#: A bad cell: row (header = 1) and column as the spreadsheet shows them, value, how to fix.
SurveyRowError = RegisterRowError

#: Accepted header names per field; English names match case-insensitively.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "unit_id": ("unit_id", "单元编号", "房屋编号"),
    "community": ("community", "社区"),
    "building": ("building", "楼栋", "楼号"),
    "entrance": ("entrance", "单元"),
    "floor": ("floor", "楼层"),
    "room": ("room", "房号", "门牌号"),
    "observed_at": ("observed_at", "观察时间"),
    "date": ("date", "日期", "观察日期"),
    "time": ("time", "时间", "观察时刻"),
    "lit": ("lit", "亮灯", "是否亮灯", "on"),
    "observer": ("observer", "观察人", "记录人"),
    "note": ("note", "备注"),
}
#: Longest observer and note kept (the record's columns).
MAX_OBSERVER = 64
MAX_NOTE = 200

_BY_HEADER = {alias.lower(): name for name, aliases in HEADER_ALIASES.items() for alias in aliases}


class SurveyImportError(ValueError):
    """A survey sheet with problems; raised before anything is written.

    ``observations`` holds the rows that were fine, for a caller that chose to skip the bad
    ones; ``warnings`` (e.g. ignored columns) often explain an error such as a misspelt header.
    """

    def __init__(
        self,
        errors: list[SurveyRowError],
        warnings: list[str] | None = None,
        observations: list[SurveyObservation] | None = None,
    ) -> None:
        self.errors = errors
        self.warnings = warnings or []
        self.observations = observations or []
        count = len(errors)
        lines = [f"survey sheet has {count} problem{'s' if count != 1 else ''}:"]
        lines += [f"  {error}" for error in errors]
        super().__init__("\n".join(lines))


@dataclass(frozen=True, slots=True)
class ParsedSurvey:
    """The sheet's good observations in file order; ``skipped`` lists the problems of rows
    left out (only when the caller asked to skip bad rows)."""

    observations: list[SurveyObservation]
    warnings: list[str] = field(default_factory=list)
    skipped: list[SurveyRowError] = field(default_factory=list)

    @property
    def skipped_rows(self) -> list[int]:
        return sorted({error.row for error in self.skipped})


@dataclass(frozen=True, slots=True)
class SurveyContext:
    """What a sheet is checked against: the register, the local time zone and the clock.

    ``community`` limits the import to one community; ``observer`` fills empty observer
    cells; ``max_age_days`` refuses observations older than the store keeps raw readings.
    """

    register: Mapping[str, RegisterEntry]
    tz: tzinfo
    now: datetime
    community: str | None = None
    observer: str = ""
    max_age_days: int | None = None


def parse_survey_csv(
    path: str | Path, context: SurveyContext, *, skip_bad: bool = False
) -> ParsedSurvey:
    """Parse a survey sheet file; raises ``SurveyImportError`` listing every problem."""
    return parse_survey_bytes(Path(path).read_bytes(), context, skip_bad=skip_bad)


def parse_survey_bytes(
    data: bytes, context: SurveyContext, *, skip_bad: bool = False
) -> ParsedSurvey:
    """Parse survey CSV content. Any bad row raises ``SurveyImportError`` unless ``skip_bad``,
    which keeps the good rows and lists the bad ones; a bad header always raises, since then
    no row can be read correctly."""
    # strict: an unclosed quote is an error, not a cell swallowing the rest of the sheet.
    if len(context.observer) > MAX_OBSERVER:
        message = f"the default observer is longer than {MAX_OBSERVER} characters; shorten it"
        raise SurveyImportError([_header_error(message, "observer")])
    rows = csv.reader(io.StringIO(_decode(data), newline=""), strict=True)
    try:
        header = next(rows, None)
        if header is None or not any(cell.strip() for cell in header):
            raise SurveyImportError([_header_error("the file is empty", "")])
        columns, headers, warnings = _read_header(header)
        reader = _RowReader(columns, headers, context)
        observations, errors = reader.read(rows)
    except csv.Error as exc:  # e.g. an unclosed quote swallowing the rest of the file
        problem = f'is not readable CSV ({exc}); check for an unmatched quote character (")'
        raise SurveyImportError([SurveyRowError(rows.line_num, "", "", problem)]) from exc
    if errors and not skip_bad:
        raise SurveyImportError(errors, warnings, observations)
    return ParsedSurvey(observations, warnings, errors)


def _decode(data: bytes) -> str:
    text = decode_sheet(data)
    if text is None:
        raise SurveyImportError([_header_error(ENCODING_HINT, "")])
    return text


def _header_error(message: str, column: str) -> SurveyRowError:
    return SurveyRowError(row=1, column=column, value="", message=message)


def _accepted(name: str) -> str:
    return " or ".join(f'"{alias}"' for alias in HEADER_ALIASES[name])


def _read_header(header: list[str]) -> tuple[dict[str, int], list[str], list[str]]:
    """Map field -> column index; returns (columns, trimmed header texts, warnings)."""
    headers = [unicodedata.normalize("NFKC", cell).strip() for cell in header]
    columns, warnings, repeated = map_header(headers, _BY_HEADER, "survey")
    errors = [_header_error(message, text) for message, text in repeated]
    if "unit_id" not in columns and not {"building", "room"} <= columns.keys():
        errors.append(
            _header_error(
                f"no column names the unit; add {_accepted('unit_id')}, or the address "
                f"columns {_accepted('building')} and {_accepted('room')} (with "
                f"{_accepted('entrance')} and {_accepted('floor')} where the register has them)",
                "unit_id",
            )
        )
    if "observed_at" in columns and ({"date", "time"} & columns.keys()):
        errors.append(
            _header_error(
                "has both a date-time column and a date or time column; keep either "
                f"{_accepted('observed_at')} or the {_accepted('date')} and {_accepted('time')} "
                "pair",
                headers[columns["observed_at"]],
            )
        )
    elif "observed_at" not in columns and not {"date", "time"} <= columns.keys():
        have = [name for name in ("date", "time") if name in columns]
        missing = " and ".join(_accepted(n) for n in ("date", "time") if n not in columns)
        hint = f"add {missing} beside it" if have else f"add {_accepted('observed_at')}"
        errors.append(_header_error(f"no column says when units were seen; {hint}", "observed_at"))
    if "lit" not in columns:
        errors.append(
            _header_error(
                f"required column is missing; add a header named {_accepted('lit')}", "lit"
            )
        )
    if errors:
        raise SurveyImportError(errors, warnings)
    return columns, headers, warnings


class _RowReader:
    """Checks data rows against the register and the clock, collecting every problem."""

    def __init__(self, columns: dict[str, int], headers: list[str], context: SurveyContext) -> None:
        self.columns = columns
        self.headers = headers
        self.context = context
        self.locator = UnitLocator(context.register)
        self.location_fields = [name for name in LOCATION_FIELDS if name in columns]
        self.first_seen: dict[tuple[str, float], int] = {}  # (unit, ts) -> row

    def read(
        self, rows: Iterator[list[str]]
    ) -> tuple[list[SurveyObservation], list[SurveyRowError]]:
        observations: list[SurveyObservation] = []
        errors: list[SurveyRowError] = []
        for row_number, cells in enumerate(rows, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # blank lines between blocks or at the end of an Excel export
            observation, problems = self._row(row_number, cells)
            if problems:
                errors += problems
            elif observation is not None:
                observations.append(observation)
        if not errors and not observations:
            errors.append(_header_error("has a header but no observations below it", ""))
        if errors and not self.locator:
            errors.insert(
                0,
                _header_error(
                    "the register is empty, so no unit can be found; import it first with "
                    "`occupancy register import FILE`",
                    "",
                ),
            )
        return observations, errors

    def _cell(self, cells: list[str], name: str) -> str:
        index = self.columns.get(name)
        return cells[index] if index is not None and index < len(cells) else ""

    def _error(self, row: int, cells: list[str], name: str, message: str) -> SurveyRowError:
        return SurveyRowError(
            row, self.headers[self.columns[name]], self._cell(cells, name), message
        )

    def _row(
        self, row: int, cells: list[str]
    ) -> tuple[SurveyObservation | None, list[SurveyRowError]]:
        problems: list[SurveyRowError] = []
        entry = self._unit(row, cells, problems)
        moment, time_column = self._moment(row, cells, problems)
        lit, problem = parse_lit(self._cell(cells, "lit"))
        if problem:
            problems.append(self._error(row, cells, "lit", problem))
        observer = self._cell(cells, "observer").strip() or self.context.observer
        if len(observer) > MAX_OBSERVER:  # only a cell: the default is checked up front
            problems.append(
                self._error(
                    row, cells, "observer", f"is longer than {MAX_OBSERVER} characters; shorten it"
                )
            )
        note = self._cell(cells, "note").strip()
        if len(note) > MAX_NOTE:
            problems.append(
                self._error(row, cells, "note", f"is longer than {MAX_NOTE} characters; shorten it")
            )
        if entry is None or moment is None or problems:
            return None, problems
        ts = moment.timestamp()
        first = self.first_seen.setdefault((entry.unit_id, ts), row)
        if first != row:
            return None, [
                self._error(
                    row,
                    cells,
                    time_column,
                    f"repeats unit {entry.unit_id} at the same time as row {first}; delete one "
                    "of the rows (or correct the time of a second round)",
                )
            ]
        building = entry.building or self._cell(cells, "building").strip()
        return SurveyObservation(
            unit_id=entry.unit_id,
            community=entry.community,
            ts=ts,
            lit=lit,
            building=building,
            observer=observer,
            note=note,
            row=row,
        ), []

    def _unit(
        self, row: int, cells: list[str], problems: list[SurveyRowError]
    ) -> RegisterEntry | None:
        """The registered unit the row names, or None after appending why not."""
        location = {name: self._cell(cells, name) for name in self.location_fields}
        unit_id = self._cell(cells, "unit_id").strip()
        if unit_id:
            entry = self.locator.by_id(unit_id)
            if entry is None:
                problems.append(
                    self._error(
                        row,
                        cells,
                        "unit_id",
                        "is not in the register; check the ID, "
                        "or import the register row for this unit first",
                    )
                )
                return None
            mismatch = self.locator.mismatch(entry, location)
            if mismatch:
                problems.append(self._error(row, cells, *mismatch))
                return None
        else:
            column = "unit_id" if "unit_id" in self.columns else self.location_fields[0]
            found, problem = self.locator.by_location(location, self.location_fields)
            if found is None:
                problems.append(self._error(row, cells, column, problem or ""))
                return None
            entry = found
        return entry if self._community_ok(row, cells, entry, problems) else None

    def _community_ok(
        self, row: int, cells: list[str], entry: RegisterEntry, problems: list[SurveyRowError]
    ) -> bool:
        written = self._cell(cells, "community").strip()
        wanted = [c for c in (self.context.community, written) if c]
        for community in wanted:
            if entry.community != community:
                column = (
                    "community"
                    if written == community
                    else ("unit_id" if "unit_id" in self.columns else self.location_fields[0])
                )
                source = "this sheet's community" if written == community else "--community"
                problems.append(
                    self._error(
                        row,
                        cells,
                        column,
                        f"is unit {entry.unit_id} of community {entry.community} in the register, "
                        f"not {community} ({source}); check the unit or the community",
                    )
                )
                return False
        return True

    def _moment(
        self, row: int, cells: list[str], problems: list[SurveyRowError]
    ) -> tuple[datetime | None, str]:
        """When the row's unit was seen, checked to be a past night; and the column to blame."""
        tz = self.context.tz
        if "observed_at" in self.columns:
            column = "observed_at"
            moment, problem = parse_datetime(self._cell(cells, column), tz)
            if problem:
                problems.append(self._error(row, cells, column, problem))
                return None, column
        else:
            day, day_problem = parse_date(self._cell(cells, "date"))
            clock, clock_problem = parse_time(self._cell(cells, "time"))
            if day_problem:
                problems.append(self._error(row, cells, "date", day_problem))
            if clock_problem:
                problems.append(self._error(row, cells, "time", clock_problem))
            if day is None or clock is None:
                return None, "time"
            column = "time"
            moment = datetime.combine(day, clock, tzinfo=tz)
        assert moment is not None
        problem = time_problem(moment, tz, self.context.now, self.context.max_age_days)
        if problem:
            problems.append(self._error(row, cells, column, problem))
            return None, column
        return moment, column
