"""Single register cells, as CSV text or as the values openpyxl reads from .xlsx files."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from occupancy.register.cells import (
    cell_text,
    check_date,
    check_flag,
    check_identifier,
    check_occupants,
    check_text,
)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2024-03-05", date(2024, 3, 5)),
        ("2024/3/5", date(2024, 3, 5)),
        ("2024/03/05", date(2024, 3, 5)),
        ("2024年3月5日", date(2024, 3, 5)),
        ("2024 年 3 月 5 日", date(2024, 3, 5)),
        ("２０２４年３月５日", date(2024, 3, 5)),  # full-width digits from a Chinese IME
        ("2024.3.5", date(2024, 3, 5)),
        (" 2024-03-05 ", date(2024, 3, 5)),
        ("2024/3/5 0:00", date(2024, 3, 5)),  # Excel's CSV export of a date cell
        ("2024-03-05 00:00:00", date(2024, 3, 5)),
        (datetime(2024, 3, 5), date(2024, 3, 5)),  # an Excel date cell
        (datetime(2024, 3, 5, 14, 30), date(2024, 3, 5)),
        (date(2024, 3, 5), date(2024, 3, 5)),
        ("", None),
        (None, None),
        ("  ", None),
    ],
)
def test_dates_accepted(cell: object, expected: date | None) -> None:
    assert check_date(cell, "move_in") == (expected, None)


@pytest.mark.parametrize(
    ("cell", "hint"),
    [
        ("05/03/2024", "is not a date"),
        ("2024-3", "is not a date"),
        ("2024年3月", "is not a date"),
        ("yesterday", "is not a date"),
        ("20240305", "is not a date"),
        ("2024-02-30", "not a day of the calendar"),
        ("2024-13-01", "not a day of the calendar"),
        ("1024-03-05", "year 1024"),
        (datetime(2204, 1, 1), "year 2204"),
        (45356, "is a number, not a date"),
        (45356.5, "is a number, not a date"),
    ],
)
def test_dates_rejected(cell: object, hint: str) -> None:
    value, problem = check_date(cell, "move_in")
    assert value is None
    assert problem is not None and hint in problem


@pytest.mark.parametrize(
    ("cell", "expected"),
    [(3, 3), (3.0, 3), ("3", 3), (0, 0), ("３", 3)],
)
def test_occupants_from_cells(cell: object, expected: int) -> None:
    assert check_occupants(cell, "registered_occupants") == (expected, None)


@pytest.mark.parametrize("cell", [2.5, True, datetime(2024, 1, 1), -1, None])
def test_occupants_rejected(cell: object) -> None:
    assert check_occupants(cell, "registered_occupants")[1] is not None


@pytest.mark.parametrize(
    ("cell", "expected"), [(True, True), (False, False), (1, True), (0, False), (None, False)]
)
def test_flag_from_cells(cell: object, expected: bool) -> None:
    assert check_flag(cell, "vulnerable") == (expected, None)


def test_flag_rejects_other_numbers() -> None:
    assert check_flag(2, "vulnerable")[1] is not None


@pytest.mark.parametrize(
    ("cell", "text"),
    [(502, "502"), (5.0, "5"), (1.5, "1.5"), (None, ""), (date(2024, 1, 2), "2024-01-02")],
)
def test_numbers_in_text_columns_read_as_typed(cell: object, text: str) -> None:
    assert cell_text(cell) == text
    assert check_text(cell, "room") == (text, None)


def test_district_and_street_limited_like_the_table() -> None:
    assert check_text("区" * 64, "district")[1] is None
    assert "at most 64" in (check_text("街" * 65, "street")[1] or "")


@pytest.mark.parametrize("value", ["A\x00B", "3\x07栋", "esc\x1bape"])
def test_control_characters_are_refused(value: str) -> None:
    """PostgreSQL cannot store NUL, and no name or address needs a control character."""
    for check, name in ((check_identifier, "unit_id"), (check_text, "building")):
        _, problem = check(value, name)
        assert problem is not None and "control character" in problem, (check, value)
    assert check_text("3栋", "building") == ("3栋", None)
