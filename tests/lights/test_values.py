"""Cell values of a night count: lit words, date-times, and which moments are usable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from occupancy.lights.locate import normalize_part
from occupancy.lights.values import (
    NIGHT_FROM_HOUR,
    NIGHT_TO_HOUR,
    parse_date,
    parse_datetime,
    parse_lit,
    parse_time,
    time_problem,
)
from occupancy.models import features

from .survey_data import NOW, TZ


@pytest.mark.parametrize("raw", ["1", "yes", "Y", "TRUE", "on", "亮", "亮灯", "是", " 开 ", "１"])
def test_lit_words(raw: str) -> None:
    assert parse_lit(raw) == (True, None)


@pytest.mark.parametrize("raw", ["0", "no", "N", "false", "OFF", "灭", "不亮", "暗", "否", "０"])
def test_dark_words(raw: str) -> None:
    assert parse_lit(raw) == (False, None)


def test_empty_lit_is_a_problem_not_dark() -> None:
    """A unit nobody looked at must not become a dark night."""
    _, problem = parse_lit("  ")
    assert problem is not None and "delete the row" in problem
    _, problem = parse_lit("maybe")
    assert problem is not None and "亮/灭" in problem


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-05-14 21:30", datetime(2024, 5, 14, 21, 30, tzinfo=TZ)),
        ("2024/5/14 21:30", datetime(2024, 5, 14, 21, 30, tzinfo=TZ)),
        ("2024-05-14T21:30:15", datetime(2024, 5, 14, 21, 30, 15, tzinfo=TZ)),
        ("2024年5月14日 21:30", datetime(2024, 5, 14, 21, 30, tzinfo=TZ)),
        ("2024年5月14日21时30分", datetime(2024, 5, 14, 21, 30, tzinfo=TZ)),
        ("２０２４-０５-１４ ２１：３０", datetime(2024, 5, 14, 21, 30, tzinfo=TZ)),
        ("2024-05-14T13:30Z", datetime(2024, 5, 14, 13, 30, tzinfo=UTC)),
        ("2024-05-14T21:30+08:00", datetime(2024, 5, 14, 13, 30, tzinfo=UTC)),
        ("2024-05-14 09:30-0400", datetime(2024, 5, 14, 13, 30, tzinfo=UTC)),
    ],
)
def test_datetimes(raw: str, expected: datetime) -> None:
    value, problem = parse_datetime(raw, TZ)
    assert problem is None
    assert value == expected
    assert value is not None and value.utcoffset() is not None


def test_datetime_offset_is_kept_not_replaced_by_local_zone() -> None:
    value, _ = parse_datetime("2024-05-14T21:30-05:00", TZ)
    assert value is not None
    assert value.utcoffset() == -timedelta(hours=5)
    assert value.tzinfo == timezone(-timedelta(hours=5))


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("", "is empty"),
        ("2024-05-14", "has no time of day"),
        ("2024-02-30 21:00", "not a real date"),
        ("2024-05-14 25:00", "not a real date"),
        ("2024-05-14 21:30+25:00", "not a real date"),
        ("yesterday 9pm", "is not a date and time"),
    ],
)
def test_bad_datetimes(raw: str, says: str) -> None:
    value, problem = parse_datetime(raw, TZ)
    assert value is None
    assert problem is not None and says in problem


def test_date_and_time_columns() -> None:
    assert parse_date("2024/5/14")[0] == datetime(2024, 5, 14).date()
    assert parse_date("5/14")[1] is not None
    assert parse_date("2024-04-31")[1] is not None
    assert parse_time("21:30")[0] == datetime(2024, 1, 1, 21, 30).time()
    assert parse_time("21点30")[0] == datetime(2024, 1, 1, 21, 30).time()
    assert parse_time("9pm")[1] is not None
    assert parse_time("24:10")[1] is not None


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.mark.parametrize(
    "moment", ["2024-05-14 18:00", "2024-05-14 23:59", "2024-05-15 00:30", "2024-05-15 05:59"]
)
def test_night_hours_are_accepted(moment: str) -> None:
    assert time_problem(at(moment), TZ, NOW, 90) is None


@pytest.mark.parametrize("moment", ["2024-05-14 06:00", "2024-05-14 12:00", "2024-05-14 17:59"])
def test_daylight_is_refused(moment: str) -> None:
    problem = time_problem(at(moment), TZ, NOW, 90)
    assert problem is not None and "daylight" in problem and "18:00 and 06:00" in problem


def test_daylight_is_judged_in_local_time() -> None:
    """21:30 in Shanghai is 13:30 UTC: written with its offset it is night, not day."""
    assert time_problem(datetime(2024, 5, 14, 13, 30, tzinfo=UTC), TZ, NOW, 90) is None
    assert time_problem(datetime(2024, 5, 14, 4, 0, tzinfo=UTC), TZ, NOW, 90) is not None


def test_future_is_refused_beyond_a_few_minutes_of_clock_drift() -> None:
    tonight = at("2024-05-15 21:00")
    problem = time_problem(tonight, TZ, NOW, 90)
    assert problem is not None and "future" in problem and "2024-05-15 10:30" in problem
    # A night time just ahead of a night-time "now" (a phone clock 2 minutes fast) is fine.
    night_now = at("2024-05-15 22:00")
    assert time_problem(night_now + timedelta(minutes=2), TZ, night_now, 90) is None
    assert "future" in (time_problem(night_now + timedelta(minutes=10), TZ, night_now, 90) or "")


def test_older_than_the_store_keeps_is_refused_only_with_a_limit() -> None:
    last_year = at("2023-05-14 21:30")
    problem = time_problem(last_year, TZ, NOW, 90)
    assert problem is not None and "366 days ago" in problem and "check the year" in problem
    assert time_problem(last_year, TZ, NOW, None) is None
    assert time_problem(last_year, TZ, NOW, 400) is None


def test_naive_moment_is_local_time() -> None:
    assert time_problem(datetime(2024, 5, 14, 21, 30), TZ, NOW, 90) is None
    assert time_problem(datetime(2024, 5, 14, 12, 30), TZ, NOW, 90) is not None


def test_night_matches_the_detectors_night() -> None:
    """An observation accepted here must fall in the hours the features count as night."""
    assert NIGHT_FROM_HOUR == features.NIGHT_EVENING_FROM
    assert NIGHT_TO_HOUR == features.NIGHT_MORNING_TO


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("3号楼", "3"), ("3栋", "3"), (" 03 ", "3"), ("2单元", "2"), ("0502室", "502"), ("A座", "a")],
)
def test_address_parts_normalise(raw: str, expected: str) -> None:
    assert normalize_part(raw) == expected
