"""A register file of either kind: CSV or XLSX, told apart by content, not by name.

Browsers and people rename files; an .xlsx workbook is a ZIP archive and always starts
with its signature, while the old binary .xls format is refused with how to convert it.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from occupancy.register.csvfile import parse_register_bytes
from occupancy.register.errors import RegisterImportError, RegisterRowError
from occupancy.register.validate import ParsedRegister, Progress
from occupancy.register.xlsxfile import ZIP_MAGIC, parse_register_xlsx

#: How an old Excel 97-2003 (.xls) file, an OLE compound document, begins.
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def parse_register_file(
    path: str | Path,
    *,
    sheet: str | None = None,
    skip_bad: bool = False,
    progress: Progress | None = None,
) -> ParsedRegister:
    """Parse a register CSV or XLSX file; raises ``RegisterImportError`` listing every
    problem (with ``skip_bad``, only for problems that stop the whole file)."""
    return parse_register_data(
        Path(path).read_bytes(), sheet=sheet, skip_bad=skip_bad, progress=progress
    )


def parse_register_data(
    data: bytes,
    *,
    sheet: str | None = None,
    skip_bad: bool = False,
    progress: Progress | None = None,
    communities: Collection[str] | None = None,
) -> ParsedRegister:
    """Parse an uploaded register, CSV or XLSX, as ``parse_register_file`` does.

    With ``communities`` (a secretary's upload), a row of any other community is a problem
    at its community cell, reported with all the others.
    """
    if is_xlsx(data):
        return parse_register_xlsx(
            data, sheet=sheet, skip_bad=skip_bad, progress=progress, communities=communities
        )
    if data.startswith(OLE_MAGIC):
        message = (
            'the file is an old Excel .xls file; in Excel use Save As → "Excel Workbook (*.xlsx)"'
        )
        raise RegisterImportError([RegisterRowError(1, "", "", message)])
    if sheet is not None:
        message = f'the file is CSV, which has no sheets; "{sheet}" applies to .xlsx workbooks only'
        raise RegisterImportError([RegisterRowError(1, "", "", message)])
    return parse_register_bytes(data, skip_bad=skip_bad, progress=progress, communities=communities)


def is_xlsx(data: bytes) -> bool:
    return data.startswith(ZIP_MAGIC)
