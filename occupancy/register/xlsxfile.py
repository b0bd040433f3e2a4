"""Read a move-in register workbook (.xlsx) as community offices keep it in Excel.

The first visible worksheet is read unless another is named (hidden sheets often hold an
old register; skipping one is said in a warning); title rows above the header are passed
over, date cells arrive as dates, and the rows go through the same validation as a CSV file
(``occupancy.register.validate``), so errors name the row and column letter Excel shows.
openpyxl's read-only mode streams the sheet, so a 20,000-row register never sits in memory
as cell objects.

A formula cell is read as the result Excel saved with it. A file written by a program that
never computed its formulas has no result to read; such a cell (in a register column) is an
error rather than an empty cell. It is found in the sheet's XML, which is only searched
cell by cell when it holds a formula at all.

A small file must not cost minutes: before openpyxl sees it, a workbook that unpacks to
more than ``MAX_UNPACKED_BYTES`` (or holds a part compressed beyond ``MAX_RATIO``) is
refused, and only the columns up to the header's last one are read.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import unescape

from occupancy.register.cells import UnsavedFormula, shown
from occupancy.register.errors import RegisterImportError, RegisterRowError
from occupancy.register.validate import (
    Header,
    ParsedRegister,
    Progress,
    Row,
    find_header,
    validate_below,
)

if TYPE_CHECKING:
    from collections.abc import Collection

    from openpyxl.workbook.workbook import Workbook

#: How a ZIP archive (which an .xlsx file is) begins.
ZIP_MAGIC = b"PK\x03\x04"
#: Most bytes a workbook may unpack to; a 20,000-row register unpacks to about 15 MB.
MAX_UNPACKED_BYTES = 200_000_000
#: A part unpacking to more than ``RATIO_FROM_BYTES`` may be at most this many times its
#: packed size; spreadsheet XML packs about 10:1, a file of repeated text 1000:1.
MAX_RATIO = 200
RATIO_FROM_BYTES = 10_000_000
#: The header is looked for in this many columns; data rows are then read only up to the
#: header's last column, however far right a stray cell sits.
HEADER_COLUMNS = 1000

_FORMULA = re.compile(rb"<(?:\w+:)?f[\s/>]")
# A cell whose first child is a formula: its attributes, then where its content starts.
_FORMULA_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?f\b")
_CELL_END = re.compile(rb"</(?:\w+:)?c>")
_REF = re.compile(rb'\br="([A-Z]+)([0-9]+)"')
_STRING_TYPE = re.compile(rb'\bt="str"')
_SAVED_VALUE = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?>[^<]")
_FORMULA_TEXT = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>([^<]*)<)")


def parse_register_xlsx(
    source: str | Path | bytes,
    *,
    sheet: str | None = None,
    skip_bad: bool = False,
    progress: Progress | None = None,
    communities: Collection[str] | None = None,
) -> ParsedRegister:
    """Parse a register workbook (a path or the uploaded bytes); raises
    ``RegisterImportError`` listing every problem, as the CSV reader does (with
    ``communities``, rows of other communities are problems too)."""
    from openpyxl import load_workbook

    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _unreadable(exc) from exc
    _check_size(archive)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise _unreadable(exc) from exc
    try:
        warnings: list[str] = []
        worksheet = pick_worksheet(workbook, sheet, warnings)
        expected = worksheet.max_row if progress is not None else None
        # Some programs write a wrong sheet size; openpyxl would then stop reading early.
        worksheet.reset_dimensions()
        top = worksheet.iter_rows(values_only=True, max_col=HEADER_COLUMNS)
        try:
            header, found = find_header(_numbered(top))
        except RegisterImportError as exc:
            exc.warnings[:0] = warnings
            if sheet is None and len(workbook.sheetnames) > 1:
                exc.warnings.append(
                    f'read the first sheet, "{worksheet.title}", of {_names(workbook)}; if the '
                    "register is on another sheet, name that sheet"
                )
            raise
        finally:
            top.close()
        unsaved = _unsaved_formulas(workbook, worksheet, header)
        rows = worksheet.iter_rows(min_row=header.row + 1, max_col=header.width, values_only=True)
        return validate_below(
            header,
            _with_formulas(enumerate(rows, start=header.row + 1), unsaved),
            warnings=warnings + found,
            skip_bad=skip_bad,
            progress=progress,
            expected_rows=expected,
            communities=communities,
        )
    finally:
        workbook.close()


def _check_size(archive: zipfile.ZipFile) -> None:
    """Refuse a workbook that would unpack to far more than any register (a "zip bomb")."""
    parts = archive.infolist()
    total = sum(part.file_size for part in parts)
    packed = any(
        part.file_size > RATIO_FROM_BYTES and part.file_size > MAX_RATIO * part.compress_size
        for part in parts
    )
    if total > MAX_UNPACKED_BYTES or packed:
        message = (
            f"the workbook expands to {total / 1e6:,.0f} MB when opened, far more than a register "
            "needs; save it again in Excel or WPS, or split it"
        )
        raise RegisterImportError([_file_error(message)])


def pick_worksheet(workbook: Workbook, sheet: str | None, warnings: list[str]) -> Any:
    """The named sheet, or the first visible one (saying which hidden ones were passed)."""
    if sheet is not None:
        if sheet in workbook.sheetnames:
            return workbook[sheet]
        message = f'the workbook has no sheet named "{shown(sheet)}"; its sheets are '
        raise RegisterImportError([_file_error(message + _names(workbook))])
    if not workbook.worksheets:
        raise RegisterImportError([_file_error("the workbook has no worksheet")])
    visible = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
    worksheet = visible[0] if visible else workbook.worksheets[0]
    hidden = [ws.title for ws in workbook.worksheets if ws.sheet_state != "visible"]
    if hidden and worksheet.sheet_state == "visible":
        names = ", ".join(f'"{shown(name)}"' for name in hidden[:10])
        warnings.append(
            f'read the sheet "{shown(worksheet.title)}" and skipped the hidden sheet(s) {names}; '
            "to read a hidden sheet, name it"
        )
    return worksheet


def _names(workbook: Workbook) -> str:
    names = workbook.sheetnames
    listed = ", ".join(f'"{shown(name)}"' for name in names[:20])
    return listed + (f" and {len(names) - 20} more" if len(names) > 20 else "")


def _unsaved_formulas(workbook: Workbook, worksheet: object, header: Header) -> dict[int, dict]:
    """Row number -> {column index: formula} of the register's formula cells below the
    header that have no saved result (``data_only`` reads those as empty).

    The sheet's XML is first only scanned for a formula at all; most registers have none.
    Cells without an ``r`` reference (rare, and never written by Excel or WPS) are not found.
    """
    archive = getattr(workbook, "_archive", None)
    path = getattr(worksheet, "_worksheet_path", None)
    if not isinstance(archive, zipfile.ZipFile) or not path:
        return {}
    with archive.open(path) as part:
        xml = part.read()
    if not _FORMULA.search(xml):
        return {}
    wanted = set(header.columns.values())
    found: dict[int, dict[int, str]] = {}
    for match in _FORMULA_CELL.finditer(xml):
        attributes = match[1]
        ref = _REF.search(attributes)
        if ref is None:
            continue
        row, column = int(ref[2]), _column_index(ref[1])
        if row <= header.row or column not in wanted:
            continue
        end = _CELL_END.search(xml, match.start())
        content = xml[match.start() : end.start() if end else len(xml)]
        if _SAVED_VALUE.search(content) or (_STRING_TYPE.search(attributes) and b"<v" in content):
            continue  # a saved result (an empty one for a text formula, such as =IF(..., ""))
        text = _FORMULA_TEXT.search(content)
        formula = (text[1] or b"").decode("utf-8", "replace") if text else ""
        found.setdefault(row, {})[column] = shown(unescape(formula, {"&quot;": '"'}))
    return found


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + letter - ord("A") + 1
    return index - 1


def _with_formulas(rows: Iterator[Row], unsaved: dict[int, dict[int, str]]) -> Iterator[Row]:
    if not unsaved:
        yield from rows
        return
    for number, cells in rows:
        formulas = unsaved.get(number)
        if formulas:
            changed = list(cells)
            for column, formula in formulas.items():
                if column < len(changed) and changed[column] is None:
                    changed[column] = UnsavedFormula(formula)
            cells = changed
        yield number, cells


def _numbered(rows: Iterator[tuple[object, ...]]) -> Iterator[Row]:
    # openpyxl yields an empty row for each row missing from the file, so counting from 1
    # gives the row numbers Excel shows.
    return enumerate(rows, start=1)


def _unreadable(exc: Exception) -> RegisterImportError:
    message = f"the file is not a readable .xlsx workbook ({shown(str(exc))})"
    return RegisterImportError([_file_error(message)])


def _file_error(message: str) -> RegisterRowError:
    return RegisterRowError(1, "", "", message)
