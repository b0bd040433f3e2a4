"""One validator for every register file, whatever it was read from (CSV or XLSX).

The readers only turn a file into numbered rows of cells; finding the header row, mapping
its names to fields, checking every cell and spotting repeated units happens here, so a
sheet saved as CSV and the same sheet uploaded as XLSX give the same entries and the same
errors. Every problem is collected before anything fails, so a worker fixes the whole sheet
in one go: up to ``MAX_PROBLEMS`` of them are listed, then one entry (``MoreProblems``)
counts the rest, so a file wrong in every row still gets a short answer.

Limits that keep a small crafted file from costing minutes: at most ``MAX_ROWS`` units per
file, nothing past Excel's last row, and no cell longer than ``MAX_CELL_CHARS`` characters.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field

from occupancy.register.cells import CHECKS, cell_problem, cell_text, is_blank, shown
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
#: ... and how far down, blank rows included, so a sheet of empty rows is not read to the end.
HEADER_LAST_ROW = 1000
#: How often (in rows) a progress callback hears about rows read.
PROGRESS_EVERY = 1000
#: Most units one file may hold (a city district's register is a few tens of thousands).
MAX_ROWS = 200_000
#: Excel's last row; a file numbering rows beyond it is damaged or crafted.
MAX_SHEET_ROWS = 1_048_576
#: Most problems listed one by one; the rest are counted in one ``MoreProblems`` entry.
MAX_PROBLEMS = 1000

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
class MoreProblems(RegisterRowError):
    """The problems past the first ``MAX_PROBLEMS``, counted instead of listed: ``problems``
    of them in ``rows`` rows that have no problem listed. ``row`` is the first of them."""

    problems: int = 0
    rows: int = 0


def more_problems(row: int, problems: int, rows: int) -> MoreProblems:
    message = (
        f"and {problems:,} more problem{'s' if problems != 1 else ''} from this row on, not "
        f"listed (only the first {MAX_PROBLEMS:,} are); fix these and check the file again"
    )
    return MoreProblems(row, "", "", message, "", problems, rows)


def cap_problems(errors: Sequence[RegisterRowError]) -> list[RegisterRowError]:
    """At most ``MAX_PROBLEMS`` errors (in the given order), then one ``MoreProblems``
    counting the rest, including any ``MoreProblems`` entries among ``errors``."""
    listed = [e for e in errors if not isinstance(e, MoreProblems)]
    counted = [e for e in errors if isinstance(e, MoreProblems)]
    if len(listed) <= MAX_PROBLEMS and len(counted) <= 1:
        return [*listed, *counted]
    kept, dropped = listed[:MAX_PROBLEMS], listed[MAX_PROBLEMS:]
    kept_rows = {e.row for e in kept}
    problems = len(dropped) + sum(e.problems for e in counted)
    rows = len({e.row for e in dropped} - kept_rows) + sum(e.rows for e in counted)
    first = min(e.row for e in [*dropped, *counted])
    return [*kept, more_problems(first, problems, rows)]


@dataclass(frozen=True, slots=True)
class Header:
    """The header row: its number, its cells' texts and the column of each field found."""

    row: int
    texts: list[str]
    columns: dict[str, int]

    @property
    def width(self) -> int:
        """Columns up to the last one with a header; nothing right of it is read."""
        return max(i for i, text in enumerate(self.texts) if text) + 1


def validate_rows(
    rows: Iterable[Row],
    *,
    skip_bad: bool = False,
    progress: Progress | None = None,
    expected_rows: int | None = None,
    communities: Collection[str] | None = None,
) -> ParsedRegister:
    """Find the header, then check every row below it (``validate_below``).

    Raises ``RegisterImportError`` with every problem found (the first ``MAX_PROBLEMS``
    listed, the rest counted), unless ``skip_bad``: then bad rows are left out and their
    problems returned in ``skipped``. Header problems (a required column missing or given
    twice) and a file over ``MAX_ROWS`` units always raise. With ``communities``, a row of
    any other community is a problem at its community cell (a secretary's import).
    """
    iterator = iter(rows)
    header, warnings = find_header(iterator)
    return validate_below(
        header,
        iterator,
        warnings=warnings,
        skip_bad=skip_bad,
        progress=progress,
        expected_rows=expected_rows,
        communities=communities,
    )


def validate_below(
    header: Header,
    rows: Iterable[Row],
    *,
    warnings: list[str],
    skip_bad: bool = False,
    progress: Progress | None = None,
    expected_rows: int | None = None,
    communities: Collection[str] | None = None,
) -> ParsedRegister:
    """Check the data rows below ``header`` (found by ``find_header``), as ``validate_rows``."""
    validator = _RowValidator(header, communities)
    for count, (number, cells) in enumerate(rows, start=1):
        if number > MAX_SHEET_ROWS:
            message = (
                f"the sheet has rows past row {MAX_SHEET_ROWS:,}, the last one Excel has; "
                "open the file in Excel or WPS, save it again and retry"
            )
            raise RegisterImportError([RegisterRowError(number, "", "", message)], warnings)
        validator.check(number, cells)
        if validator.units > MAX_ROWS:
            message = (
                f"the file has more than {MAX_ROWS:,} units; split it into files of at most "
                f"{MAX_ROWS:,} rows"
            )
            raise RegisterImportError([RegisterRowError(number, "", "", message)], warnings)
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count, expected_rows)
    errors = validator.problems()
    if errors and not skip_bad:
        raise RegisterImportError(errors, warnings)
    return ParsedRegister(validator.entries, warnings, errors)


def find_header(rows: Iterable[Row]) -> tuple[Header, list[str]]:
    """The first row naming every required field; title rows above it are passed over.

    Reading stops at that row, so the caller's iterator continues with the data rows. If no
    row among the first ``HEADER_SEARCH_ROWS`` non-empty ones (and the first
    ``HEADER_LAST_ROW`` rows) qualifies, the one naming most fields is reported on (it is most
    likely the header with a misspelt name).
    """
    best: tuple[int, int, list[str]] | None = None  # (fields mapped, row, texts)
    seen = 0
    for number, cells in rows:
        if number > HEADER_LAST_ROW:
            break
        if all(is_blank(cell) for cell in cells):
            continue
        # A header longer than any alias cannot name a field; cut, it is only ever shown.
        texts = [shown(cell_text(cell).strip()) for cell in cells]
        columns, warnings, repeated = map_header(texts, _BY_HEADER, "register")
        if all(name in columns for name in REQUIRED_FIELDS):
            if repeated:
                raise RegisterImportError(
                    [_header_error(number, message, text, texts) for message, text in repeated],
                    warnings,
                )
            return Header(number, texts, columns), warnings
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
    """Checks data rows one by one, keeping the good entries and the problems (the first
    ``MAX_PROBLEMS`` listed, the rest counted)."""

    def __init__(self, header: Header, communities: Collection[str] | None = None) -> None:
        self.columns = header.columns
        self.texts = header.texts
        self.letters = {name: column_letter(index) for name, index in header.columns.items()}
        self.communities = None if communities is None else frozenset(communities)
        self.entries: list[RegisterEntry] = []
        self.errors: list[RegisterRowError] = []
        self.units = 0  # non-blank rows checked
        self.unlisted = 0  # problems past MAX_PROBLEMS
        self.unlisted_rows = 0  # rows with problems, none of them listed
        self.first_unlisted = 0
        self.first_seen: dict[str, int] = {}  # unit_id -> row it first appeared in

    def problems(self) -> list[RegisterRowError]:
        if not self.unlisted:
            return self.errors
        return [*self.errors, more_problems(self.first_unlisted, self.unlisted, self.unlisted_rows)]

    def check(self, number: int, cells: Sequence[object]) -> None:
        if all(is_blank(cell) for cell in cells):
            return  # blank lines between blocks or Excel's empty trailing rows
        self.units += 1
        raw: dict[str, object] = {}
        values: dict[str, object] = {}
        problems: dict[str, str] = {}
        for name, index in self.columns.items():
            raw[name] = cells[index] if index < len(cells) else None
            problem = cell_problem(raw[name], name)
            if problem:  # the field's own check would not say it, or take long to
                values[name], _ = CHECKS[name](None, name)
            else:
                values[name], problem = CHECKS[name](raw[name], name)
            if problem:
                problems[name] = problem
        self._check_dates(values, problems)
        self._check_community(str(values["community"]), problems)
        self._check_repeat(number, str(values["unit_id"]), problems)
        if problems:
            self._report(number, raw, problems)
        else:
            self.entries.append(RegisterEntry(**values))  # type: ignore[arg-type]

    def _report(self, number: int, raw: dict[str, object], problems: dict[str, str]) -> None:
        room = MAX_PROBLEMS - len(self.errors)
        if room < len(problems):
            if not self.unlisted:
                self.first_unlisted = number
            self.unlisted += len(problems) - max(room, 0)
            self.unlisted_rows += room <= 0
        self.errors += [
            RegisterRowError(
                number,
                self.texts[self.columns[name]],
                shown(cell_text(raw[name])),
                problem,
                self.letters[name],
            )
            for name, problem in sorted(problems.items(), key=self._order)[: max(room, 0)]
        ]

    def _check_community(self, community: str, problems: dict[str, str]) -> None:
        if self.communities is None or "community" in problems or community in self.communities:
            return
        mine = ", ".join(sorted(self.communities)) or "-"
        problems["community"] = f"is not your community; you may import only rows of {mine}"

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
