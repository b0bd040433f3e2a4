"""One validator for every register file, whatever it was read from (CSV or XLSX).

The readers only turn a file into numbered rows of cells; finding the header row, mapping
its names to fields, checking every cell and spotting repeated units happens here, so a
sheet saved as CSV and the same sheet uploaded as XLSX give the same entries and the same
errors. Every problem is collected before anything fails, so a worker fixes the whole sheet
in one go.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from occupancy.register.cells import CHECKS, cell_text, is_blank
from occupancy.register.entry import RegisterEntry
from occupancy.register.errors import RegisterImportError, RegisterRowError
from occupancy.spreadsheet import column_letter, map_header

#: Accepted header names per field. English names match case-insensitively.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "unit_id": ("unit_id", "单元编号", "房屋编号"),
    "district": ("district", "区", "区县", "所属区"),
    "street": ("street", "街道", "所属街道"),
    "community": ("community", "社区", "所属社区"),
    "grid": ("grid", "网格"),
    "building": ("building", "楼栋", "楼号"),
    "entrance": ("entrance", "单元"),
    "floor": ("floor", "楼层"),
    "room": ("room", "房号", "房间号"),
    "registered_occupants": ("registered_occupants", "登记人数"),
    "vulnerable": ("vulnerable", "重点关注", "独居老人", "独居老人/重点关注"),
    "move_in": ("move_in", "入住日期"),
    "move_out": ("move_out", "迁出日期"),
}
REQUIRED_FIELDS: tuple[str, ...] = ("unit_id", "community", "registered_occupants")
#: How far down a sheet the header row is looked for, past titles like "幸福里社区入住登记表".
HEADER_SEARCH_ROWS = 20
#: How often (in rows) a progress callback hears about rows read.
PROGRESS_EVERY = 1000

_BY_HEADER = {alias.lower(): name for name, aliases in HEADER_ALIASES.items() for alias in aliases}

#: A numbered spreadsheet row: (row number as the sheet shows it, its cells).
Row = tuple[int, Sequence[object]]
#: Told (rows read so far, rows expected or None) while a big file is read.
Progress = Callable[[int, int | None], None]


@dataclass(frozen=True, slots=True)
class ParsedRegister:
    """A register file's valid entries in file order, and anything worth telling the user.

    ``skipped`` lists the problems of rows left out; it is only ever non-empty when the
    caller asked to import the valid rows of a file with bad ones (``skip_bad``).
    """

    entries: list[RegisterEntry]
    warnings: list[str] = field(default_factory=list)
    skipped: list[RegisterRowError] = field(default_factory=list)

    @property
    def skipped_rows(self) -> list[int]:
        return sorted({error.row for error in self.skipped})


@dataclass(frozen=True, slots=True)
class _Header:
    row: int
    texts: list[str]
    columns: dict[str, int]


def validate_rows(
    rows: Iterable[Row],
    *,
    skip_bad: bool = False,
    progress: Progress | None = None,
    expected_rows: int | None = None,
) -> ParsedRegister:
    """Find the header, then check every row below it.

    Raises ``RegisterImportError`` with every problem found, unless ``skip_bad``: then bad
    rows are left out and their problems returned in ``skipped``. Header problems (a required
    column missing or given twice) always raise: no row can be read right without the header.
    """
    iterator = iter(rows)
    header, warnings = _find_header(iterator)
    validator = _RowValidator(header)
    for count, (number, cells) in enumerate(iterator, start=1):
        validator.check(number, cells)
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count, expected_rows)
    if validator.errors and not skip_bad:
        raise RegisterImportError(validator.errors, warnings)
    return ParsedRegister(validator.entries, warnings, validator.errors)


def _find_header(rows: Iterable[Row]) -> tuple[_Header, list[str]]:
    """The first row naming every required field; title rows above it are passed over.

    Reading stops at that row, so the caller's iterator continues with the data rows. If no
    row among the first ``HEADER_SEARCH_ROWS`` non-empty ones qualifies, the one naming most
    fields is reported on (it is most likely the header with a misspelt name).
    """
    best: tuple[int, int, list[str]] | None = None  # (fields mapped, row, texts)
    seen = 0
    for number, cells in rows:
        if all(is_blank(cell) for cell in cells):
            continue
        texts = [cell_text(cell).strip() for cell in cells]
        columns, warnings, repeated = map_header(texts, _BY_HEADER, "register")
        if all(name in columns for name in REQUIRED_FIELDS):
            if repeated:
                raise RegisterImportError(
                    [_header_error(number, message, text, texts) for message, text in repeated],
                    warnings,
                )
            return _Header(number, texts, columns), warnings
        if best is None or len(columns) > best[0]:
            best = (len(columns), number, texts)
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            break
    if best is None:
        raise RegisterImportError([RegisterRowError(1, "", "", "the file is empty")])
    _, number, texts = best
    columns, warnings, repeated = map_header(texts, _BY_HEADER, "register")
    errors = [_header_error(number, message, text, texts) for message, text in repeated]
    for name in REQUIRED_FIELDS:
        if name not in columns:
            accepted = " or ".join(f'"{alias}"' for alias in HEADER_ALIASES[name])
            message = f"required column is missing; add a header named {accepted}"
            errors.append(RegisterRowError(number, name, "", message))
    raise RegisterImportError(errors, warnings)


def _header_error(row: int, message: str, text: str, texts: list[str]) -> RegisterRowError:
    index = len(texts) - 1 - texts[::-1].index(text)  # the repeat is the later one
    return RegisterRowError(row, text, "", message, column_letter(index))


class _RowValidator:
    """Checks data rows one by one, keeping the good entries and every problem."""

    def __init__(self, header: _Header) -> None:
        self.columns = header.columns
        self.texts = header.texts
        self.letters = {name: column_letter(index) for name, index in header.columns.items()}
        self.entries: list[RegisterEntry] = []
        self.errors: list[RegisterRowError] = []
        self.first_seen: dict[str, int] = {}  # unit_id -> row it first appeared in

    def check(self, number: int, cells: Sequence[object]) -> None:
        if all(is_blank(cell) for cell in cells):
            return  # blank lines between blocks or Excel's empty trailing rows
        raw: dict[str, object] = {}
        values: dict[str, object] = {}
        problems: dict[str, str] = {}
        for name, index in self.columns.items():
            raw[name] = cells[index] if index < len(cells) else None
            values[name], problem = CHECKS[name](raw[name], name)
            if problem:
                problems[name] = problem
        self._check_dates(values, problems)
        self._check_repeat(number, str(values["unit_id"]), problems)
        if problems:
            self.errors += [
                RegisterRowError(
                    number,
                    self.texts[self.columns[name]],
                    cell_text(raw[name]),
                    problem,
                    self.letters[name],
                )
                for name, problem in sorted(problems.items(), key=self._order)
            ]
        else:
            self.entries.append(RegisterEntry(**values))  # type: ignore[arg-type]

    def _order(self, item: tuple[str, str]) -> int:
        return self.columns[item[0]]

    def _check_dates(self, values: dict[str, object], problems: dict[str, str]) -> None:
        move_in, move_out = values.get("move_in"), values.get("move_out")
        if move_in is None or move_out is None or "move_in" in problems:
            return
        if move_out < move_in:  # type: ignore[operator]
            where = f"column {self.letters['move_in']} ({self.texts[self.columns['move_in']]})"
            problems["move_out"] = (
                f"is before the move-in date {move_in} in {where}; check both dates"
            )

    def _check_repeat(self, number: int, unit_id: str, problems: dict[str, str]) -> None:
        if "unit_id" in problems:
            return
        if unit_id in self.first_seen:
            problems["unit_id"] = (
                f"already appears in row {self.first_seen[unit_id]}; each unit may appear once, "
                "so merge or delete one of the rows"
            )
        else:
            self.first_seen[unit_id] = number
