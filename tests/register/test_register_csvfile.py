"""Parsing and validating register CSV files (no database)."""

from __future__ import annotations

import dataclasses

import pytest

from occupancy.db.tables import Unit
from occupancy.register import (
    HEADER_ALIASES,
    RegisterEntry,
    RegisterImportError,
    RegisterRowError,
    load_register_csv,
    parse_register_bytes,
    parse_register_csv,
)
from occupancy.register.csvfile import MAX_LENGTHS

ENGLISH = (
    "unit_id,community,grid,building,entrance,floor,room,registered_occupants,vulnerable\n"
    "u-101,幸福里,G1,3,2,5,502,2,0\n"
    "u-102,幸福里,G1,3,2,5,503, 3 ,yes\n"
    "u-201,Sunny,,,,,,3.0,\n"
)
CHINESE = (
    "单元编号,社区,网格,楼栋,单元,楼层,房号,登记人数,重点关注\n"
    "u-101,幸福里,第一网格,3栋,2单元,5,502,2,是\n"
    "u-102,幸福里,第一网格,3栋,2单元,5,503,0,否\n"
)


def errors_of_bytes(data: bytes) -> list[RegisterRowError]:
    with pytest.raises(RegisterImportError) as info:
        parse_register_bytes(data)
    return info.value.errors


def errors_of(text: str) -> list[RegisterRowError]:
    return errors_of_bytes(text.encode())


def test_english_headers(write_csv) -> None:
    parsed = parse_register_csv(write_csv(ENGLISH))
    assert parsed.warnings == []
    assert parsed.entries == [
        RegisterEntry("u-101", "幸福里", 2, "G1", "3", "2", "5", "502", False),
        RegisterEntry("u-102", "幸福里", 3, "G1", "3", "2", "5", "503", True),
        RegisterEntry("u-201", "Sunny", 3),
    ]


def test_chinese_headers(write_csv) -> None:
    entries = parse_register_csv(write_csv(CHINESE)).entries
    assert entries == [
        RegisterEntry("u-101", "幸福里", 2, "第一网格", "3栋", "2单元", "5", "502", True),
        RegisterEntry("u-102", "幸福里", 0, "第一网格", "3栋", "2单元", "5", "503", False),
    ]


def test_headers_trimmed_case_insensitive_and_in_any_order() -> None:
    text = " Registered_Occupants , UNIT_ID,Community \n1,u1,c1\n"
    assert parse_register_bytes(text.encode()).entries == [RegisterEntry("u1", "c1", 1)]


def test_utf8_bom_as_excel_writes_it(write_csv) -> None:
    path = write_csv(CHINESE, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert [e.unit_id for e in parse_register_csv(path).entries] == ["u-101", "u-102"]


def test_gb18030_file_from_chinese_excel(write_csv) -> None:
    path = write_csv(CHINESE, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # the test really exercises the fallback
    entries = parse_register_csv(path).entries
    assert entries[0].community == "幸福里"
    assert entries[0].building == "3栋"
    assert entries[0].vulnerable is True


def test_gb18030_file_with_bom(write_csv) -> None:
    path = write_csv("\ufeff" + CHINESE, encoding="gb18030")
    assert path.read_bytes().startswith(b"\x841\x953")  # GB18030's encoding of U+FEFF
    assert [e.unit_id for e in parse_register_csv(path).entries] == ["u-101", "u-102"]


def test_undecodable_file_is_an_error() -> None:
    errors = errors_of_bytes(b"\xff\xfeu\x00n\x00")  # UTF-16, Excel's "Unicode Text"
    assert len(errors) == 1
    assert "UTF-8" in errors[0].message


def test_empty_file_is_an_error() -> None:
    assert "empty" in errors_of_bytes(b"")[0].message


def test_unknown_column_ignored_with_warning() -> None:
    parsed = parse_register_bytes(
        "unit_id,备注,community,registered_occupants\nu1,x,c1,1\n".encode()
    )
    assert parsed.entries == [RegisterEntry("u1", "c1", 1)]
    assert len(parsed.warnings) == 1
    assert "备注" in parsed.warnings[0]
    assert "column B" in parsed.warnings[0]


def test_missing_required_column_names_it_and_accepted_names() -> None:
    with pytest.raises(RegisterImportError) as info:
        parse_register_bytes("单元编号,人数,社区\nu1,1,c1\n".encode())
    (error,) = info.value.errors
    assert (error.row, error.column) == (1, "registered_occupants")
    assert '"registered_occupants"' in error.message
    assert '"登记人数"' in error.message
    assert any("人数" in w for w in info.value.warnings)  # the likely misspelling is pointed at


def test_same_field_twice_is_an_error() -> None:
    errors = errors_of("unit_id,单元编号,community,registered_occupants\nu1,u1,c1,1\n")
    assert [(e.row, e.column) for e in errors] == [(1, "单元编号")]


def test_bad_row_reported_by_spreadsheet_row_and_header_as_written() -> None:
    text = CHINESE + "u-103,幸福里,,,,,,abc,\n"
    (error,) = errors_of(text)
    assert error == RegisterRowError(
        row=4,
        column="登记人数",
        value="abc",
        message="is not a whole number of people (use 0 for nobody)",
        letter="H",
    )
    assert (
        str(error)
        == 'row 4, column H (登记人数): "abc" is not a whole number of people (use 0 for nobody)'
    )


def test_all_errors_collected_in_order() -> None:
    text = (
        "Unit_ID,Community,Registered_Occupants,Vulnerable,Floor\n"
        "u1,c1,1,,1\n"
        "u2,c1,-2,maybe,1\n"
        "u/3,,1,,1\n"
        f"{'x' * 65},c#1,2.5,,{'9' * 17}\n"
        "u5,c1,1,1,1\n"
    )
    with pytest.raises(RegisterImportError) as info:
        parse_register_bytes(text.encode())
    found = [(e.row, e.column, e.value) for e in info.value.errors]
    assert found == [
        (3, "Registered_Occupants", "-2"),
        (3, "Vulnerable", "maybe"),
        (4, "Unit_ID", "u/3"),
        (4, "Community", ""),
        (5, "Unit_ID", "x" * 65),
        (5, "Community", "c#1"),
        (5, "Registered_Occupants", "2.5"),
        (5, "Floor", "9" * 17),
    ]
    message = str(info.value)
    assert message.startswith("register file has 8 problems:")
    assert 'row 3, column D (Vulnerable): "maybe" is not yes or no' in message
    assert "row 4, column B (Community): is empty" in message
    assert "MQTT" in info.value.errors[2].message
    assert "at most 64" in info.value.errors[4].message


def test_duplicate_unit_id_names_first_row() -> None:
    text = "unit_id,community,registered_occupants\nu1,c1,1\nu2,c1,1\n\n u1 ,c2,3\n"
    (error,) = errors_of(text)
    assert (error.row, error.column, error.value) == (5, "unit_id", " u1 ")
    assert "row 2" in error.message


def test_blank_lines_skipped_but_counted_as_rows() -> None:
    text = "unit_id,community,registered_occupants\n\nu1,c1,1\n,,\n\nu2,c1,x\n\n"
    (error,) = errors_of(text)
    assert error.row == 6


def test_quoted_newline_stays_one_spreadsheet_row() -> None:
    text = 'unit_id,community,registered_occupants,room\nu1,c1,1,"5\n02"\nu2,c1,x,\n'
    (error,) = errors_of(text)
    assert error.row == 3


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("3", 3), (" 3 ", 3), ("3.0", 3), ("0", 0), ("+2", 2), ("３", 3), ("12.00", 12)],
)
def test_occupants_accepted(cell: str, expected: int) -> None:
    text = f'unit_id,community,registered_occupants\nu1,c1,"{cell}"\n'
    assert parse_register_bytes(text.encode()).entries[0].registered_occupants == expected


@pytest.mark.parametrize(
    ("cell", "hint"),
    [
        ("", "is empty"),
        ("abc", "not a whole number"),
        ("-1", "negative"),
        ("2.5", "not a whole number"),
        ("1e2", "not a whole number"),
        ("3 people", "not a whole number"),
        ("10000", "at most 9999"),
    ],
)
def test_occupants_rejected(cell: str, hint: str) -> None:
    (error,) = errors_of(f'unit_id,community,registered_occupants\nu1,c1,"{cell}"\n')
    assert (error.row, error.column, error.value) == (2, "registered_occupants", cell)
    assert hint in error.message


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        *[(c, True) for c in ("1", "true", "TRUE", "yes", "Yes", "是", "Y", "y", " 是 ")],
        *[(c, False) for c in ("0", "false", "no", "否", "N", "n", "", "  ")],
    ],
)
def test_vulnerable_values(cell: str, expected: bool) -> None:
    text = f'unit_id,community,registered_occupants,vulnerable\nu1,c1,1,"{cell}"\n'
    assert parse_register_bytes(text.encode()).entries[0].vulnerable is expected


@pytest.mark.parametrize("cell", ["2", "maybe", "x", "对"])
def test_vulnerable_rejected(cell: str) -> None:
    (error,) = errors_of(f"unit_id,community,registered_occupants,重点关注\nu1,c1,1,{cell}\n")
    assert error.column == "重点关注"
    assert "是/否" in error.message


def test_identifier_at_64_characters_is_fine() -> None:
    text = f"unit_id,community,registered_occupants\n{'u' * 64},{'c' * 64},1\n"
    assert len(parse_register_bytes(text.encode()).entries[0].unit_id) == 64


def test_load_register_csv_keys_by_unit_id(write_csv) -> None:
    register = load_register_csv(write_csv(ENGLISH))
    assert list(register) == ["u-101", "u-102", "u-201"]
    assert register["u-102"].registered_occupants == 3


def test_load_register_csv_raises_value_error(write_csv) -> None:
    with pytest.raises(ValueError, match=r"row 2, column B \(community\)"):
        load_register_csv(write_csv("unit_id,community,registered_occupants\nu1,,1\n"))


def test_row_error_is_frozen() -> None:
    error = RegisterRowError(2, "unit_id", "", "is empty")
    with pytest.raises(dataclasses.FrozenInstanceError):
        error.row = 3  # type: ignore[misc]


def test_limits_match_units_table() -> None:
    """Validation must reject what PostgreSQL would reject, or an import fails half-way."""
    for name, limit in MAX_LENGTHS.items():
        assert Unit.__table__.c[name].type.length == limit, name
    assert set(HEADER_ALIASES) == {f.name for f in dataclasses.fields(RegisterEntry)}
