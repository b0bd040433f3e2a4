"""Reading register workbooks (.xlsx): title rows, headers in either language, Excel dates,
and errors that name the row and the column letter Excel shows."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest

from occupancy.register import (
    RegisterEntry,
    RegisterImportError,
    RegisterRowError,
    parse_register_bytes,
    parse_register_file,
    parse_register_xlsx,
)
from tests.register.workbooks import CHINESE_HEADERS, ENGLISH_HEADERS, write_xlsx

TITLE = ["幸福里社区入住登记表"]
GOOD_ROW = ["XFL-3-2-502", "东城区", "和平街道", "幸福里", "第一网格", "3栋", "2单元", 5, 502]


def errors_of(path: Path, **options: object) -> list[RegisterRowError]:
    with pytest.raises(RegisterImportError) as info:
        parse_register_xlsx(path, **options)  # type: ignore[arg-type]
    return info.value.errors


def test_chinese_headers_below_title_rows_with_excel_dates(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "register.xlsx",
        [
            TITLE,
            ["填表日期：2024年3月", None, None],
            [],
            CHINESE_HEADERS,
            [*GOOD_ROW, 2, "是", datetime(2019, 5, 1), None],
            [
                "XFL-3-2-503",
                "东城区",
                "和平街道",
                "幸福里",
                "第一网格",
                "3栋",
                "2单元",
                5,
                503,
                0,
                "否",
                "2020/6/15",
                "2023年1月2日",
            ],  # fmt: skip
        ],
    )
    parsed = parse_register_xlsx(path)
    assert parsed.warnings == []
    assert parsed.entries == [
        RegisterEntry(
            "XFL-3-2-502", "幸福里", 2, "第一网格", "3栋", "2单元", "5", "502", True,
            district="东城区", street="和平街道", move_in=date(2019, 5, 1),
        ),
        RegisterEntry(
            "XFL-3-2-503", "幸福里", 0, "第一网格", "3栋", "2单元", "5", "503", False,
            district="东城区", street="和平街道", move_in=date(2020, 6, 15),
            move_out=date(2023, 1, 2),
        ),
    ]  # fmt: skip


def test_english_headers_in_row_one_any_case(tmp_path: Path) -> None:
    headers = [h.upper() if i % 2 else h for i, h in enumerate(ENGLISH_HEADERS)]
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [headers, ["u1", "", "", "Sunny", "G1", "1", "1", 1, "101", 3.0, True, date(2024, 1, 31)]],
    )
    (entry,) = parse_register_xlsx(path).entries
    assert entry == RegisterEntry(
        "u1", "Sunny", 3, "G1", "1", "1", "1", "101", True, move_in=date(2024, 1, 31)
    )


def test_errors_name_sheet_row_and_column_letter(tmp_path: Path) -> None:
    """Title rows count: the row number is the one Excel shows at the left."""
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            TITLE,
            CHINESE_HEADERS,
            [*GOOD_ROW, 2, "是", date(2020, 1, 1)],
            ["u-2", "", "", "幸福里", "", "", "", "", "", "两", "maybe", "2020-13-01"],
            ["u/3", "", "", "", "", "", "", "", "", 1, "", date(2021, 5, 1), date(2021, 4, 30)],
            [*GOOD_ROW, 1],  # the same unit again
            ["u-5", "", "", "幸福里", "", "", "", "", "", 45000, "", 45000],
        ],
    )
    errors = errors_of(path)
    found = [(e.row, e.letter, e.column, e.value) for e in errors]
    assert found == [
        (4, "J", "登记人数", "两"),
        (4, "K", "独居老人/重点关注", "maybe"),
        (4, "L", "入住日期", "2020-13-01"),
        (5, "A", "单元编号", "u/3"),
        (5, "D", "社区", ""),
        (5, "M", "迁出日期", "2021-04-30"),
        (6, "A", "单元编号", "XFL-3-2-502"),
        (7, "J", "登记人数", "45000"),
        (7, "L", "入住日期", "45000"),
    ]
    messages = {(e.row, e.letter): e.message for e in errors}
    assert "month and the day" in messages[(4, "L")]
    assert "before the move-in date 2021-05-01 in column L (入住日期)" in messages[(5, "M")]
    assert "already appears in row 3" in messages[(6, "A")]
    assert "format the cell as a date" in messages[(7, "L")]
    assert str(errors[0]).startswith('row 4, column J (登记人数): "两"')


def test_skip_bad_returns_valid_rows_and_the_problems(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ENGLISH_HEADERS[:4] + ("registered_occupants",),
            ["u1", "", "", "c", 1],
            ["u2", "", "", "c", "x"],
            ["u3", "", "", "", 2],
            ["u4", "", "", "c", 4],
        ],
    )
    parsed = parse_register_xlsx(path, skip_bad=True)
    assert [e.unit_id for e in parsed.entries] == ["u1", "u4"]
    assert [(e.row, e.letter) for e in parsed.skipped] == [(3, "E"), (4, "D")]
    assert parsed.skipped_rows == [3, 4]


def test_empty_trailing_and_missing_rows(tmp_path: Path) -> None:
    """Rows absent from the file (Excel leaves out empty rows) still count; formatted but empty
    rows at the end are ignored."""
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [],
        at={
            3: ["unit_id", "community", "registered_occupants"],
            4: ["u1", "c", 1],
            7: ["u2", "c", "many"],
            9: [None, "  ", None],
            40: [None],
        },
    )
    (error,) = errors_of(path)
    assert (error.row, error.letter) == (7, "C")


def test_wrong_sheet_size_in_file_does_not_cut_rows(tmp_path: Path) -> None:
    """Some programs write a sheet size smaller than the data; every row is still read."""
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [["unit_id", "community", "registered_occupants"], *[[f"u{i}", "c", i] for i in range(9)]],
    )
    shrunk = tmp_path / "shrunk.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(shrunk, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b'<dimension ref="A1:C10"' in data
                data = data.replace(b'<dimension ref="A1:C10"', b'<dimension ref="A1:C3"')
            target.writestr(item, data)
    assert len(parse_register_xlsx(shrunk).entries) == 9


def test_named_sheet(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [["说明：第二个工作表是登记表"]],
        sheet="说明",
        extra_sheets=[("登记表", [["单元编号", "社区", "登记人数"], ["u1", "c", 2]])],
    )
    assert parse_register_xlsx(path, sheet="登记表").entries == [RegisterEntry("u1", "c", 2)]
    with pytest.raises(RegisterImportError) as info:
        parse_register_xlsx(path)  # the first sheet has no register header
    missing = [(e.row, e.column) for e in info.value.errors]
    assert missing == [(1, "unit_id"), (1, "community"), (1, "registered_occupants")]
    assert any('"说明", "登记表"' in warning for warning in info.value.warnings)
    (unknown,) = errors_of(path, sheet="Sheet9")
    assert (
        unknown.message
        == 'the workbook has no sheet named "Sheet9"; its sheets are "说明", "登记表"'
    )


def test_title_rows_only_reports_missing_columns_at_likeliest_header(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [TITLE, [], ["单元编号", "社区", "人数"], ["u1", "c", 2]],
    )
    with pytest.raises(RegisterImportError) as info:
        parse_register_xlsx(path)
    (error,) = info.value.errors
    assert (error.row, error.column) == (3, "registered_occupants")
    assert any('column C "人数"' in warning for warning in info.value.warnings)


def test_empty_workbook(tmp_path: Path) -> None:
    (error,) = errors_of(write_xlsx(tmp_path / "r.xlsx", []))
    assert "empty" in error.message


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    path.write_bytes(b"PK\x03\x04 but not really a zip file")
    (error,) = errors_of(path)
    assert "not a readable .xlsx workbook" in error.message


def test_xlsx_and_csv_of_one_sheet_agree(tmp_path: Path) -> None:
    """Both readers feed one validator: same entries, same problems, same places."""
    rows = [
        ["社区入住登记表", "", "", "", ""],
        ["单元编号", "社区", "登记人数", "入住日期", "迁出日期"],
        ["u1", "c", "2", "2020-01-05", ""],
        ["u2", "c", "-1", "2020/1/5", "2019/1/5"],
        ["u3", "c", "1", "2020年1月5日", "2021年1月5日"],
    ]
    xlsx = parse_register_file(write_xlsx(tmp_path / "r.xlsx", rows), skip_bad=True)
    csv_text = "".join(",".join(row) + "\n" for row in rows)
    csv = parse_register_bytes(csv_text.encode(), skip_bad=True)
    assert xlsx == csv
    assert [(e.row, e.letter) for e in csv.skipped] == [(4, "C"), (4, "E")]
    assert [e.move_out for e in csv.entries] == [None, date(2021, 1, 5)]
