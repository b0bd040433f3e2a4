"""What every sheet a community office sends us has in common: Excel's encodings and headers.

The move-in register and the night-count survey are both typed into Excel by staff and saved
as CSV, so both importers read the same encodings and map header cells (English or Chinese)
to fields the same way; each importer keeps its own fields, rules and error type.
"""

from __future__ import annotations

from collections.abc import Mapping

#: Said when a file is in neither encoding Excel writes here, with how to fix it.
ENCODING_HINT = (
    "the file is neither UTF-8 nor GB18030 text; in Excel use Save As → "
    '"CSV UTF-8 (Comma delimited)"'
)


def decode_sheet(data: bytes) -> str | None:
    """UTF-8 (with or without Excel's BOM) first, then GB18030, which Chinese Excel writes;
    None when it is neither (the caller raises its own error with ``ENCODING_HINT``)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding).removeprefix("\ufeff")
        except UnicodeDecodeError:
            continue
    return None


def column_letter(index: int) -> str:
    """Spreadsheet column name (0 -> A, 26 -> AA), so messages point at a visible column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def map_header(
    headers: list[str], by_header: Mapping[str, str], what: str
) -> tuple[dict[str, int], list[str], list[tuple[str, str]]]:
    """Field -> column index for already trimmed header cells.

    ``by_header`` maps a lower-cased header text to its field. Returns the columns, warnings
    for columns that mean nothing to us (named by letter, as Excel shows them), and errors as
    (message, header text) for a field given twice. ``what`` names the sheet in warnings.
    """
    columns: dict[str, int] = {}
    warnings: list[str] = []
    errors: list[tuple[str, str]] = []
    for index, text in enumerate(headers):
        if not text:
            continue  # Excel leaves empty header cells after the last used column
        name = by_header.get(text.lower())
        if name is None:
            warnings.append(
                f'column {column_letter(index)} "{text}" is not a {what} column and was ignored'
            )
        elif name in columns:
            first = headers[columns[name]]
            errors.append((f'repeats column "{first}" (both mean {name}); keep only one', text))
        else:
            columns[name] = index
    return columns, warnings, errors
