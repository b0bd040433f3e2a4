"""Read a move-in register saved from a spreadsheet as CSV (UTF-8 or GB18030).

This module only decodes the file and splits it into numbered rows; checking them is
``occupancy.register.validate``'s job, shared with the XLSX reader. Nothing here touches the
database: the offline detector reads the same file through ``load_register_csv``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterator
from pathlib import Path

from occupancy.register.cells import MAX_LENGTHS
from occupancy.register.entry import RegisterEntry
from occupancy.register.errors import RegisterImportError, RegisterRowError
from occupancy.register.validate import (
    HEADER_ALIASES,
    REQUIRED_FIELDS,
    ParsedRegister,
    Progress,
    Row,
    validate_rows,
)
from occupancy.spreadsheet import ENCODING_HINT, decode_sheet

__all__ = [
    "HEADER_ALIASES",
    "MAX_LENGTHS",
    "REQUIRED_FIELDS",
    "ParsedRegister",
    "load_register_csv",
    "parse_register_bytes",
    "parse_register_csv",
]


def parse_register_csv(
    path: str | Path, *, skip_bad: bool = False, progress: Progress | None = None
) -> ParsedRegister:
    """Parse a register CSV file; raises ``RegisterImportError`` listing every problem."""
    return parse_register_bytes(Path(path).read_bytes(), skip_bad=skip_bad, progress=progress)


def parse_register_bytes(
    data: bytes,
    *,
    skip_bad: bool = False,
    progress: Progress | None = None,
    communities: Collection[str] | None = None,
) -> ParsedRegister:
    """Parse register CSV content (e.g. an uploaded file); raises ``RegisterImportError``.

    With ``skip_bad`` the valid rows come back and the bad ones' problems in ``skipped``;
    with ``communities``, rows of other communities are problems too.
    """
    text = decode_sheet(data)
    if text is None:
        raise RegisterImportError([RegisterRowError(1, "", "", ENCODING_HINT)])
    reader = csv.reader(io.StringIO(text, newline=""))
    # Lines are about 50 bytes; good enough for a progress bar.
    expected = text.count("\n") if progress is not None else None
    try:
        return validate_rows(
            _numbered(reader),
            skip_bad=skip_bad,
            progress=progress,
            expected_rows=expected,
            communities=communities,
        )
    except csv.Error as exc:  # e.g. an unclosed quote swallowing the rest of the file
        problem = f'is not readable CSV ({exc}); check for an unmatched quote character (")'
        raise RegisterImportError([RegisterRowError(reader.line_num, "", "", problem)]) from exc


def load_register_csv(path: str | Path) -> dict[str, RegisterEntry]:
    """The register keyed by unit_id, as the offline detector wants it."""
    return {entry.unit_id: entry for entry in parse_register_csv(path).entries}


def _numbered(reader: Iterator[list[str]]) -> Iterator[Row]:
    """Records numbered as a spreadsheet numbers rows: a quoted line break stays in its row."""
    return enumerate(reader, start=1)
