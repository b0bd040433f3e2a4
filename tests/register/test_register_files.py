"""Telling CSV from XLSX by content, and refusing what neither reader can read."""

from __future__ import annotations

from pathlib import Path

import pytest

from occupancy.register import RegisterEntry, RegisterImportError, parse_register_file
from occupancy.register.files import OLE_MAGIC, parse_register_data
from tests.register.workbooks import write_xlsx


def test_workbook_renamed_to_csv_is_read_as_workbook(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", [["unit_id", "community", "registered_occupants"]])
    renamed = path.rename(tmp_path / "register.csv")
    assert parse_register_file(renamed).entries == []


def test_csv_with_any_name(tmp_path: Path) -> None:
    path = tmp_path / "register.txt"
    path.write_text("unit_id,community,registered_occupants\nu1,c,1\n", encoding="utf-8")
    assert parse_register_file(path).entries == [RegisterEntry("u1", "c", 1)]


def test_old_xls_refused_with_how_to_convert() -> None:
    with pytest.raises(RegisterImportError) as info:
        parse_register_data(OLE_MAGIC + b"\x00" * 100)
    assert "Excel Workbook (*.xlsx)" in info.value.errors[0].message


def test_sheet_name_for_a_csv_is_an_error() -> None:
    with pytest.raises(RegisterImportError, match="no sheets"):
        parse_register_data(b"unit_id,community,registered_occupants\n", sheet="Sheet1")
