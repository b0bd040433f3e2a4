"""Read a move-in register workbook (.xlsx) as community offices keep it in Excel.

The first worksheet is read unless another is named; title rows above the header are
passed over, date cells arrive as dates, and the rows go through the same validation as a
CSV file (``occupancy.register.validate``), so errors name the row and column letter Excel
shows. openpyxl's read-only mode streams the sheet, so a 20,000-row register never sits in
memory as cell objects.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from occupancy.register.errors import RegisterImportError, RegisterRowError
from occupancy.register.validate import ParsedRegister, Progress, Row, validate_rows

#: How a ZIP archive (which an .xlsx file is) begins.
ZIP_MAGIC = b"PK\x03\x04"


def parse_register_xlsx(
    source: str | Path | bytes,
    *,
    sheet: str | None = None,
    skip_bad: bool = False,
    progress: Progress | None = None,
) -> ParsedRegister:
    """Parse a register workbook (a path or the uploaded bytes); raises
    ``RegisterImportError`` listing every problem, as the CSV reader does."""
    from openpyxl import load_workbook

    handle: IO[bytes] | Path = io.BytesIO(source) if isinstance(source, bytes) else Path(source)
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise RegisterImportError(
            [_file_error(f"the file is not a readable .xlsx workbook ({exc})")]
        ) from exc
    try:
        if sheet is None:
            if not workbook.worksheets:
                raise RegisterImportError([_file_error("the workbook has no worksheet")])
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            names = ", ".join(f'"{name}"' for name in workbook.sheetnames)
            raise RegisterImportError(
                [_file_error(f'the workbook has no sheet named "{sheet}"; its sheets are {names}')]
            )
        expected = worksheet.max_row if progress is not None else None
        # Some programs write a wrong sheet size; openpyxl would then stop reading early.
        worksheet.reset_dimensions()
        try:
            return validate_rows(
                _numbered(worksheet.iter_rows(values_only=True)),
                skip_bad=skip_bad,
                progress=progress,
                expected_rows=expected,
            )
        except RegisterImportError as exc:
            if sheet is None and len(workbook.sheetnames) > 1 and _header_missing(exc):
                names = ", ".join(f'"{name}"' for name in workbook.sheetnames)
                exc.warnings.append(
                    f'read the first sheet, "{worksheet.title}", of {names}; if the register '
                    "is on another sheet, name that sheet"
                )
            raise
    finally:
        workbook.close()


def _numbered(rows: Iterator[tuple[object, ...]]) -> Iterator[Row]:
    # openpyxl yields an empty tuple for each row missing from the file, so counting from 1
    # gives the row numbers Excel shows.
    return enumerate(rows, start=1)


def _header_missing(exc: RegisterImportError) -> bool:
    return any(error.value == "" and not error.letter for error in exc.errors)


def _file_error(message: str) -> RegisterRowError:
    return RegisterRowError(1, "", "", message)
