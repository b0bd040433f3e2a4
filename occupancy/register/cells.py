"""Checking one register cell: text, identifiers, head counts, yes/no and dates.

Cells arrive as CSV text or as XLSX values (numbers, dates, booleans, None); each check turns
either into the field's value, or says what is wrong with it in words a worker can act on.
Every check returns ``(value, problem)`` with ``problem`` None when the cell is fine.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime

#: Longest text per field; mirrors the ``units`` table so PostgreSQL never rejects a row
#: that passed validation (SQLite would silently store it, hiding the problem until later).
MAX_LENGTHS: dict[str, int] = {
    "unit_id": 64,
    "district": 64,
    "street": 64,
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
#: Dates outside these years are typing mistakes (a move-in in 1024 or 2204).
FIRST_YEAR, LAST_YEAR = 1900, 2100
#: No register cell needs more text than this; a longer one is refused before any check
#: looks at it character by character (a pasted document, or a crafted file).
MAX_CELL_CHARS = 1000
#: How much of a cell an error message repeats; the rest is cut and marked with "…".
SHOWN_CHARS = 100
UNSAVED_FORMULA = (
    "has a formula without a saved value; open the file in Excel or WPS and save it again, "
    "so the results are stored in it"
)

_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.0*)?")
_TRUE = frozenset({"1", "true", "yes", "y", "是"})
_FALSE = frozenset({"", "0", "false", "no", "n", "否"})
_OCCUPANTS_HINT = "(use 0 for nobody)"
# 2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日, optionally with a midnight time as Excel's CSV
# export writes date cells ("2024/3/5 0:00").
_DATE = re.compile(
    r"(?P<y>[0-9]{4})\s*(?P<sep>[-/.年])\s*(?P<m>[0-9]{1,2})\s*[-/.月]\s*(?P<d>[0-9]{1,2})\s*日?"
    r"(?:[ T]+[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
)
_DATE_HINT = "use a date like 2024-03-05, 2024/3/5 or 2024年3月5日, or an Excel date cell"

Check = Callable[[object, str], tuple[object, str | None]]


def cell_text(value: object) -> str:
    """A cell as the person typed it: XLSX numbers without a spurious ``.0``, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def is_blank(value: object) -> bool:
    # isspace stops at the first other character; strip would copy a long text first.
    return value is None or (isinstance(value, str) and (not value or value.isspace()))


def shown(text: str) -> str:
    """Text as an error message repeats it: at most ``SHOWN_CHARS`` characters."""
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


class UnsavedFormula:
    """A cell holding a formula whose result was never saved (the file was written by a
    program, not saved by Excel): its value is unknown, which is not the same as empty."""

    __slots__ = ("formula",)

    def __init__(self, formula: str) -> None:
        self.formula = formula

    def __str__(self) -> str:
        return f"={self.formula}"

    def __repr__(self) -> str:
        return f"UnsavedFormula({self.formula!r})"


def cell_problem(raw: object, name: str) -> str | None:
    """What makes a cell unreadable before its field's check runs: a formula without a saved
    value, or text far longer than any register cell (checked without reading it through)."""
    if isinstance(raw, UnsavedFormula):
        return UNSAVED_FORMULA
    if isinstance(raw, str) and len(raw) > MAX_CELL_CHARS:
        if name in MAX_LENGTHS:
            return f"is {len(raw)} characters long; shorten it to at most {MAX_LENGTHS[name]}"
        return (
            f"is {len(raw)} characters long, far too long for this column; check the value was "
            "typed into the right column"
        )
    return None


def check_identifier(raw: object, name: str) -> tuple[str, str | None]:
    value = cell_text(raw).strip()
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


def check_text(raw: object, name: str) -> tuple[str, str | None]:
    return _check_length(cell_text(raw).strip(), name)


def _check_length(value: str, name: str) -> tuple[str, str | None]:
    limit = MAX_LENGTHS[name]
    if len(value) > limit:  # before looking at every character of a long text
        return value, f"is {len(value)} characters long; shorten it to at most {limit}"
    control = sorted(
        {f"U+{ord(c):04X}" for c in value if unicodedata.category(c) == "Cc" and c not in "\t\n\r"}
    )
    if control:
        # PostgreSQL refuses NUL in text, and no address needs a control character (line
        # breaks are kept: Excel users break long cells with Alt+Enter).
        return value, (
            f"contains the control character(s) {', '.join(control)}; retype the cell without them"
        )
    return value, None


def check_occupants(raw: object, _name: str) -> tuple[int, str | None]:
    if isinstance(raw, bool | date):
        return 0, f"is not a whole number of people {_OCCUPANTS_HINT}"
    # NFKC turns full-width digits typed with a Chinese input method (３) into ASCII.
    value = unicodedata.normalize("NFKC", cell_text(raw)).strip()
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


def check_flag(raw: object, _name: str) -> tuple[bool, str | None]:
    if isinstance(raw, bool):
        return raw, None
    value = unicodedata.normalize("NFKC", cell_text(raw)).strip().lower()
    if value in _TRUE:
        return True, None
    if value in _FALSE:
        return False, None
    return False, "is not yes or no; use 1/0, true/false, yes/no, Y/N or 是/否 (empty means no)"


def check_date(raw: object, _name: str) -> tuple[date | None, str | None]:
    """An Excel date cell, or text in one of the ways dates are typed here; empty is None."""
    if isinstance(raw, datetime):
        return _in_range(raw.date())
    if isinstance(raw, date):
        return _in_range(raw)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return None, (
            "is a number, not a date; format the cell as a date in Excel, or type it as 2024-03-05"
        )
    text = unicodedata.normalize("NFKC", cell_text(raw)).strip()
    if not text:
        return None, None
    match = _DATE.fullmatch(text)
    if match is None or (match["sep"] == "年" and "月" not in text):
        return None, f"is not a date; {_DATE_HINT}"
    try:
        day = date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None, "is not a day of the calendar; check the month and the day"
    return _in_range(day)


def _in_range(day: date) -> tuple[date | None, str | None]:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        return None, f"is not a plausible date (year {day.year}); check the year"
    return day, None


#: The check of each register field.
CHECKS: dict[str, Check] = {
    "unit_id": check_identifier,
    "district": check_text,
    "street": check_text,
    "community": check_identifier,
    "grid": check_text,
    "building": check_text,
    "entrance": check_text,
    "floor": check_text,
    "room": check_text,
    "registered_occupants": check_occupants,
    "vulnerable": check_flag,
    "move_in": check_date,
    "move_out": check_date,
}
