"""Read a move-in register exported from a spreadsheet (CSV) into ``RegisterEntry`` values.

Every row is checked and every problem collected before failing, so a worker fixes the whole
sheet in one go. Nothing here touches the database: the offline detector reads the same file
through ``load_register_csv``.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from occupancy.register.entry import RegisterEntry
from occupancy.register.errors import RegisterImportError, RegisterRowError
from occupancy.spreadsheet import ENCODING_HINT, decode_sheet, map_header

#: Accepted header names per field. English names match case-insensitively.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "unit_id": ("unit_id", "单元编号"),
    "community": ("community", "社区"),
    "grid": ("grid", "网格"),
    "building": ("building", "楼栋"),
    "entrance": ("entrance", "单元"),
    "floor": ("floor", "楼层"),
    "room": ("room", "房号"),
    "registered_occupants": ("registered_occupants", "登记人数"),
    "vulnerable": ("vulnerable", "重点关注"),
}
REQUIRED_FIELDS: tuple[str, ...] = ("unit_id", "community", "registered_occupants")

#: Longest text per field; mirrors the ``units`` table so PostgreSQL never rejects a row
#: that passed validation (SQLite would silently store it, hiding the problem until later).
MAX_LENGTHS: dict[str, int] = {
    "unit_id": 64,
    "community": 64,
    "grid": 64,
    "building": 32,
    "entrance": 32,
    "floor": 16,
    "room": 32,
}
#: Far above any home; catches a unit ID or phone number typed into the wrong column.
MAX_OCCUPANTS = 9999
#: unit_id and community become MQTT topic segments, where these are separators or wildcards.
TOPIC_UNSAFE = "/+#"

_BY_HEADER = {alias.lower(): name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.0*)?")
_TRUE = frozenset({"1", "true", "yes", "y", "是"})
_FALSE = frozenset({"", "0", "false", "no", "n", "否"})
_OCCUPANTS_HINT = "(use 0 for nobody)"


@dataclass(frozen=True, slots=True)
class ParsedRegister:
    """A valid register file: its entries in file order, and anything worth telling the user."""

    entries: list[RegisterEntry]
    warnings: list[str] = field(default_factory=list)


def parse_register_csv(path: str | Path) -> ParsedRegister:
    """Parse a register CSV file; raises ``RegisterImportError`` listing every problem."""
    return parse_register_bytes(Path(path).read_bytes())


def parse_register_bytes(data: bytes) -> ParsedRegister:
    """Parse register CSV content (e.g. an uploaded file); raises ``RegisterImportError``."""
    rows = csv.reader(io.StringIO(_decode(data), newline=""))
    try:
        header = next(rows, None)
        if header is None or not any(cell.strip() for cell in header):
            raise RegisterImportError([_header_error("the file is empty", "")])
        columns, headers, warnings = _read_header(header)
        entries = _read_rows(rows, columns, headers, warnings)
    except csv.Error as exc:  # e.g. an unclosed quote swallowing the rest of the file
        problem = f'is not readable CSV ({exc}); check for an unmatched quote character (")'
        raise RegisterImportError([RegisterRowError(rows.line_num, "", "", problem)]) from exc
    return ParsedRegister(entries, warnings)


def load_register_csv(path: str | Path) -> dict[str, RegisterEntry]:
    """The register keyed by unit_id, as the offline detector wants it."""
    return {entry.unit_id: entry for entry in parse_register_csv(path).entries}


def _decode(data: bytes) -> str:
    text = decode_sheet(data)
    if text is None:
        raise RegisterImportError([_header_error(ENCODING_HINT, "")])
    return text


def _header_error(message: str, column: str) -> RegisterRowError:
    return RegisterRowError(row=1, column=column, value="", message=message)


def _read_header(header: list[str]) -> tuple[dict[str, int], list[str], list[str]]:
    """Map field -> column index; returns (columns, trimmed header texts, warnings)."""
    headers = [cell.strip() for cell in header]
    columns, warnings, repeated = map_header(headers, _BY_HEADER, "register")
    errors = [_header_error(message, text) for message, text in repeated]
    for name in REQUIRED_FIELDS:
        if name not in columns:
            accepted = " or ".join(f'"{alias}"' for alias in HEADER_ALIASES[name])
            errors.append(
                _header_error(f"required column is missing; add a header named {accepted}", name)
            )
    if errors:
        raise RegisterImportError(errors, warnings)
    return columns, headers, warnings


def _read_rows(
    rows: Iterator[list[str]], columns: dict[str, int], headers: list[str], warnings: list[str]
) -> list[RegisterEntry]:
    """Check every data row; raise once at the end with all problems found."""
    entries: list[RegisterEntry] = []
    errors: list[RegisterRowError] = []
    first_seen: dict[str, int] = {}  # unit_id -> row it first appeared in
    for row_number, cells in enumerate(rows, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank lines between blocks or at the end of an Excel export

        def cell(name: str, cells: list[str] = cells) -> str:
            index = columns[name]
            return cells[index] if index < len(cells) else ""

        values: dict[str, object] = {}
        problems: dict[str, str] = {}
        for name in columns:
            values[name], problem = _CHECKS[name](cell(name), name)
            if problem:
                problems[name] = problem
        unit_id = str(values["unit_id"])
        if "unit_id" not in problems:
            if unit_id in first_seen:
                problems["unit_id"] = (
                    f"already appears in row {first_seen[unit_id]}; each unit may appear once, "
                    "so merge or delete one of the rows"
                )
            else:
                first_seen[unit_id] = row_number
        if problems:
            errors += [
                RegisterRowError(row_number, headers[columns[name]], cell(name), problem)
                for name, problem in problems.items()
            ]
        else:
            entries.append(RegisterEntry(**values))  # type: ignore[arg-type]
    if errors:
        raise RegisterImportError(errors, warnings)
    return entries


def _check_identifier(raw: str, name: str) -> tuple[str, str | None]:
    value = raw.strip()
    if not value:
        what = "the unit's ID" if name == "unit_id" else "the community name"
        return value, f"is empty; every row needs {what}"
    unsafe = [char for char in TOPIC_UNSAFE if char in value]
    if unsafe:
        shown = " ".join(unsafe)
        return value, (
            f"contains {shown}, which cannot be used because this name becomes part of MQTT "
            "topics; replace it with - or remove it"
        )
    return _check_length(value, name)


def _check_text(raw: str, name: str) -> tuple[str, str | None]:
    return _check_length(raw.strip(), name)


def _check_length(value: str, name: str) -> tuple[str, str | None]:
    limit = MAX_LENGTHS[name]
    if len(value) > limit:
        return value, f"is {len(value)} characters long; shorten it to at most {limit}"
    return value, None


def _check_occupants(raw: str, _name: str) -> tuple[int, str | None]:
    # NFKC turns full-width digits typed with a Chinese input method (３) into ASCII.
    value = unicodedata.normalize("NFKC", raw).strip()
    if not value:
        return 0, f"is empty; enter the number of people registered {_OCCUPANTS_HINT}"
    if not _WHOLE_NUMBER.fullmatch(value):
        return 0, f"is not a whole number of people {_OCCUPANTS_HINT}"
    number = int(value.split(".")[0])
    if number < 0:
        return 0, f"is negative; enter the number of people registered {_OCCUPANTS_HINT}"
    if number > MAX_OCCUPANTS:
        return 0, (
            f"is more people than a home can hold (at most {MAX_OCCUPANTS}); "
            "check the value was typed into the right column"
        )
    return number, None


def _check_flag(raw: str, _name: str) -> tuple[bool, str | None]:
    value = unicodedata.normalize("NFKC", raw).strip().lower()
    if value in _TRUE:
        return True, None
    if value in _FALSE:
        return False, None
    return False, "is not yes or no; use 1/0, true/false, yes/no, Y/N or 是/否 (empty means no)"


_CHECKS: dict[str, Callable[[str, str], tuple[object, str | None]]] = {
    "unit_id": _check_identifier,
    "community": _check_identifier,
    "grid": _check_text,
    "building": _check_text,
    "entrance": _check_text,
    "floor": _check_text,
    "room": _check_text,
    "registered_occupants": _check_occupants,
    "vulnerable": _check_flag,
}
