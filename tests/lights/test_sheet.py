"""The survey sheet: headers in either language, encodings, unit lookup and every error."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from occupancy.lights import (
    SurveyImportError,
    SurveyRowError,
    parse_survey_bytes,
    parse_survey_csv,
    tally_by_building,
)
from occupancy.register import RegisterEntry

from .survey_data import REGISTER, RIVER, SUNNY, context, local_ts

EN = (
    "unit_id,observed_at,lit,observer,note\n"
    "YG-3-2-502,2024-05-14 21:30,1,王芳,\n"
    "YG-3-2-501,2024-05-14 21:31,0,王芳,窗帘拉着\n"
    "YG-1-1-101,2024-05-14T21:40+08:00,yes,,\n"
)
ZH = (
    "单元编号,观察时间,亮灯,观察人,备注\n"
    "YG-3-2-502,2024/5/14 21:30,亮,王芳,\n"
    "YG-3-2-501,2024/5/14 21:31,灭,王芳,窗帘拉着\n"
    "YG-1-1-101,2024年5月14日 21:40,是,,\n"
)


def errors_of(text: str, **overrides: object) -> list[SurveyRowError]:
    with pytest.raises(SurveyImportError) as caught:
        parse_survey_bytes(text.encode(), context(**overrides))
    return caught.value.errors


def one_error(text: str, **overrides: object) -> SurveyRowError:
    errors = errors_of(text, **overrides)
    assert len(errors) == 1, errors
    return errors[0]


@pytest.mark.parametrize("text", [EN, ZH], ids=["english", "chinese"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_headers_and_encodings(text: str, encoding: str, write_sheet: Callable[..., Path]) -> None:
    parsed = parse_survey_csv(write_sheet(text, encoding), context())
    assert [(o.unit_id, o.lit) for o in parsed.observations] == [
        ("YG-3-2-502", True),
        ("YG-3-2-501", False),
        ("YG-1-1-101", True),
    ]
    first, second, third = parsed.observations
    assert first.ts == local_ts("2024-05-14 21:30")
    assert third.ts == local_ts("2024-05-14 21:40")
    assert (first.community, first.building, first.observer, first.row) == (SUNNY, "3", "王芳", 2)
    assert second.note == "窗帘拉着"
    assert third.observer == ""
    assert parsed.warnings == [] and parsed.skipped == []
    readings = [o.reading() for o in parsed.observations]
    assert readings[0].on is True and readings[1].on is False
    assert readings[0].unit_id == "YG-3-2-502" and readings[0].community == SUNNY


def test_date_and_time_columns_are_local_time() -> None:
    text = "单元编号,日期,时间,亮灯\nYG-3-2-502,2024-05-14,21:30,1\nYG-3-2-501,2024-05-15,00:10,0\n"
    parsed = parse_survey_bytes(text.encode(), context())
    assert [o.ts for o in parsed.observations] == [
        local_ts("2024-05-14 21:30"),
        local_ts("2024-05-15 00:10"),
    ]


def test_address_resolved_through_the_register() -> None:
    text = (
        "楼栋,单元,房号,观察时间,亮灯\n"
        "3号楼,2单元,502室,2024-05-14 21:30,亮\n"
        "3,1,0502,2024-05-14 21:31,灭\n"
        "1栋,,101,2024-05-14 21:40,亮\n"  # empty entrance: building and room are enough
    )
    parsed = parse_survey_bytes(text.encode(), context())
    assert [o.unit_id for o in parsed.observations] == ["YG-3-2-502", "YG-3-1-502", "YG-1-1-101"]


def test_ambiguous_and_unknown_addresses_are_named() -> None:
    text = (
        "building,room,observed_at,lit\n"
        "3,502,2024-05-14 21:30,1\n"  # entrance 1 and entrance 2 both have a 502
        "9,901,2024-05-14 21:31,1\n"
    )
    ambiguous, unknown = errors_of(text)
    assert (ambiguous.row, ambiguous.column) == (2, "building")
    assert "matches 2 units" in ambiguous.message and "YG-3-1-502" in ambiguous.message
    assert (unknown.row, unknown.column) == (3, "building")
    assert "no unit in the register at building 9, room 901" in unknown.message


def test_address_beside_an_id_must_agree_with_the_register() -> None:
    error = one_error("unit_id,楼栋,观察时间,亮灯\nYG-3-2-502,4,2024-05-14 21:30,1\n")
    assert (error.row, error.column, error.value) == (2, "楼栋", "4")
    assert "register has unit YG-3-2-502 in building 3" in error.message
    wrong_room = one_error("unit_id,楼栋,房号,观察时间,亮灯\nYG-3-2-502,3,501,2024-05-14 21:30,1\n")
    assert (wrong_room.column, wrong_room.value) == ("房号", "501")
    fine = "unit_id,楼栋,观察时间,亮灯\nYG-3-2-502,3号楼,2024-05-14 21:30,1\n"
    assert len(parse_survey_bytes(fine.encode(), context()).observations) == 1


def test_every_bad_row_is_named_by_row_and_column() -> None:
    text = (
        "单元编号,观察时间,亮灯,观察人\n"
        "YG-3-2-502,2024-05-14 21:30,亮,王芳\n"  # fine
        "YG-9-9-999,2024-05-14 21:30,亮,王芳\n"  # 3: unknown unit
        "YG-3-2-501,2024-05-14 14:30,亮,王芳\n"  # 4: daylight
        "YG-1-1-101,2024-05-16 21:30,亮,王芳\n"  # 5: future
        "YG-3-1-502,2024-05-14 21:30,maybe,王芳\n"  # 6: lit not understood
        "YG-3-1-502,2024-05-14 21:35,,王芳\n"  # 7: lit empty
        ",2024-05-14 21:30,亮,王芳\n"  # 8: no unit
        "YG-3-2-502,2024-05-14 21:30,灭,王芳\n"  # 9: same unit and time as row 2
        "YG-3-2-501,昨晚,亮,王芳\n"  # 10: not a date
        "YG-3-2-501,2023-05-14 21:30,亮,王芳\n"  # 11: a year old
        f"YG-3-2-501,2024-05-13 21:30,亮,{'张' * 65}\n"  # 12: observer too long
        "\n"  # blank lines are skipped, and do not shift row numbers
    )
    errors = errors_of(text, max_age_days=90)
    found = [(e.row, e.column) for e in errors]
    assert found == [
        (3, "单元编号"),
        (4, "观察时间"),
        (5, "观察时间"),
        (6, "亮灯"),
        (7, "亮灯"),
        (8, "单元编号"),
        (9, "观察时间"),
        (10, "观察时间"),
        (11, "观察时间"),
        (12, "观察人"),
    ]
    messages = {e.row: e.message for e in errors}
    assert "not in the register" in messages[3]
    assert "daylight" in messages[4]
    assert "future" in messages[5]
    assert "亮/灭" in messages[6]
    assert "delete the row if the unit was not seen" in messages[7]
    assert "building and room" in messages[8]
    assert "same time as row 2" in messages[9]
    assert "not a date" in messages[10]
    assert "check the year" in messages[11]
    assert "64" in messages[12]
    values = {e.row: e.value for e in errors}
    assert values[3] == "YG-9-9-999" and values[6] == "maybe" and values[10] == "昨晚"
    assert str(errors[0]).startswith('row 3, column 单元编号: "YG-9-9-999" is not in the register')


def test_a_row_with_several_bad_cells_reports_each() -> None:
    errors = errors_of("unit_id,date,time,lit\nYG-NOPE,2024-13-01,9pm,?\n")
    assert [(e.row, e.column) for e in errors] == [
        (2, "unit_id"),
        (2, "date"),
        (2, "time"),
        (2, "lit"),
    ]


def test_skip_bad_keeps_the_good_rows_and_lists_the_bad_ones() -> None:
    text = (
        "unit_id,observed_at,lit\n"
        "YG-3-2-502,2024-05-14 21:30,1\n"
        "YG-9-9-999,2024-05-14 21:30,1\n"
        "YG-3-2-501,2024-05-14 12:00,1\n"
        "YG-1-1-101,2024-05-14 22:00,0\n"
    )
    with pytest.raises(SurveyImportError) as caught:
        parse_survey_bytes(text.encode(), context())
    assert [o.unit_id for o in caught.value.observations] == ["YG-3-2-502", "YG-1-1-101"]
    parsed = parse_survey_bytes(text.encode(), context(), skip_bad=True)
    assert [o.unit_id for o in parsed.observations] == ["YG-3-2-502", "YG-1-1-101"]
    assert parsed.skipped_rows == [3, 4]


def test_community_limits_the_import() -> None:
    text = "unit_id,observed_at,lit\nYG-3-2-502,2024-05-14 21:30,1\nRS-A-0801,2024-05-14 21:30,1\n"
    error = one_error(text, community=SUNNY)
    assert (error.row, error.column) == (3, "unit_id")
    assert f"community {RIVER} in the register, not {SUNNY} (--community)" in error.message
    sheet_column = (
        "unit_id,community,observed_at,lit\n"
        f"YG-3-2-502,{SUNNY},2024-05-14 21:30,1\n"
        f"RS-A-0801,{SUNNY},2024-05-14 21:30,1\n"
    )
    error = one_error(sheet_column)
    assert (error.row, error.column) == (3, "community")
    assert "this sheet's community" in error.message


def test_default_observer_fills_empty_cells_only() -> None:
    parsed = parse_survey_bytes(EN.encode(), context(observer="李明"))
    assert [o.observer for o in parsed.observations] == ["王芳", "王芳", "李明"]
    no_column = "unit_id,observed_at,lit\nYG-3-2-502,2024-05-14 21:30,1\n"
    assert parse_survey_bytes(no_column.encode(), context(observer="李明")).observations[
        0
    ].observer == ("李明")


def test_default_observer_too_long_is_one_error_not_one_per_row() -> None:
    error = one_error(EN.replace(",王芳,", ",,"), observer="张" * 65)
    assert (error.row, error.column) == (1, "observer")
    assert "default observer" in error.message


def test_two_rounds_of_one_night_are_two_observations_but_one_unit() -> None:
    text = (
        "unit_id,observed_at,lit\n"
        "YG-3-2-502,2024-05-14 21:30,0\n"
        "YG-3-2-502,2024-05-14 23:30,1\n"
        "YG-3-2-501,2024-05-14 21:30,0\n"
        "RS-A-0801,2024-05-14 21:30,1\n"
    )
    parsed = parse_survey_bytes(text.encode(), context())
    assert len(parsed.observations) == 4
    tallies = [
        (t.community, t.building, t.lit, t.dark) for t in tally_by_building(parsed.observations)
    ]
    assert tallies == [(RIVER, "A", 1, 0), (SUNNY, "3", 1, 1)]


@pytest.mark.parametrize(
    ("text", "column", "says"),
    [
        ("", "", "the file is empty"),
        ("observed_at,lit\n2024-05-14 21:30,1\n", "unit_id", "no column names the unit"),
        ("unit_id,lit\nYG-3-2-502,1\n", "observed_at", "no column says when"),
        ("unit_id,date,lit\nYG-3-2-502,2024-05-14,1\n", "observed_at", 'add "time" or "时间"'),
        ("unit_id,observed_at\nYG-3-2-502,2024-05-14 21:30\n", "lit", 'add a header named "lit"'),
        (
            "unit_id,observed_at,time,lit\nYG-3-2-502,2024-05-14 21:30,21:30,1\n",
            "observed_at",
            "keep either",
        ),
        ("unit_id,单元编号,observed_at,lit\n", "单元编号", "repeats column"),
        ("unit_id,observed_at,lit\n", "", "no observations"),
        ('unit_id,observed_at,lit\n"YG-3-2-502,2024-05-14 21:30,1\n', "", "unmatched quote"),
    ],
)
def test_header_and_file_errors(text: str, column: str, says: str) -> None:
    errors = errors_of(text)
    assert len(errors) == 1, errors
    assert errors[0].column == column
    assert says in errors[0].message


def test_unknown_columns_are_warned_about_not_fatal() -> None:
    with pytest.raises(SurveyImportError) as caught:
        parse_survey_bytes(b"unit_id,observd_at,lit\nYG-3-2-502,2024-05-14 21:30,1\n", context())
    assert caught.value.warnings == ['column B "observd_at" is not a survey column and was ignored']
    parsed = parse_survey_bytes((EN.replace("note", "weather")).encode(), context())
    assert parsed.warnings == ['column E "weather" is not a survey column and was ignored']


def test_not_text_at_all() -> None:
    with pytest.raises(SurveyImportError) as caught:
        parse_survey_bytes(b"\xff\xfe\x00\x81\x30\xff" * 10, context())
    assert "neither UTF-8 nor GB18030" in caught.value.errors[0].message


def test_empty_register_says_to_import_it_first() -> None:
    errors = errors_of(EN, register={})
    assert "import it first with `occupancy register import FILE`" in errors[0].message
    assert len(errors) == 4


def test_register_entries_keep_the_fixture_honest() -> None:
    """The address tests above rely on two units sharing building 3, room 502."""
    rooms = [(e.building, e.room) for e in REGISTER.values()]
    assert rooms.count(("3", "502")) == 2


def test_the_documented_example_sheet_imports() -> None:
    """docs/examples/lights-survey.csv, checked the day after it was counted."""
    example = Path(__file__).parents[2] / "docs" / "examples" / "lights-survey.csv"
    ids = ["B01-1-0101", "B01-1-0102", "B01-1-0201", "B01-1-0202", "B01-2-0101"]
    register = {u: RegisterEntry(u, "幸福里", 1, building="B01") for u in ids}
    now = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
    parsed = parse_survey_csv(example, context(register=register, now=now))
    assert [o.unit_id for o in parsed.observations] == ids
    assert [o.lit for o in parsed.observations] == [True, False, True, False, True]
    tally = tally_by_building(parsed.observations)
    assert [(t.building, t.lit, t.dark) for t in tally] == [("B01", 3, 2)]
