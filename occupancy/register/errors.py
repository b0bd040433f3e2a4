"""Problems found in a register file, phrased for the grid worker who has to fix the sheet.

Errors carry the row number and header text exactly as the spreadsheet shows them, so the
person who exported the file from Excel can find the cell without counting lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RegisterRowError:
    """One bad cell (or a missing column, then ``row`` is the header row).

    ``row`` counts like a spreadsheet, title rows above the header included. ``column`` is the
    header text as written in the file and ``letter`` the column as Excel labels it (A, B, ...;
    empty for a column that is missing); ``value`` is the cell as written; ``message`` says
    how to fix it.
    """

    row: int
    column: str
    value: str
    message: str
    letter: str = ""

    @property
    def where(self) -> str:
        """Row and column as a person looks them up: ``row 4, column H (登记人数)``."""
        if self.letter and self.column:
            return f"row {self.row}, column {self.letter} ({self.column})"
        if self.column or self.letter:
            return f"row {self.row}, column {self.column or self.letter}"
        return f"row {self.row}"

    def __str__(self) -> str:
        where = self.where
        if self.value:
            return f'{where}: "{self.value}" {self.message}'
        return f"{where}: {self.message}"


class RegisterImportError(ValueError):
    """A register file with at least one problem; raised before anything is written.

    All problems are collected so the worker can fix the whole sheet in one pass instead of
    re-running the import once per mistake. ``warnings`` (e.g. ignored columns) ride along
    because they often explain an error, such as a misspelt required header.
    """

    def __init__(self, errors: Iterable[RegisterRowError], warnings: Iterable[str] = ()) -> None:
        self.errors: list[RegisterRowError] = list(errors)
        self.warnings: list[str] = list(warnings)
        count = len(self.errors)
        lines = [f"register file has {count} problem{'s' if count != 1 else ''}:"]
        lines += [f"  {error}" for error in self.errors]
        super().__init__("\n".join(lines))
