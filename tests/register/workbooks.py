"""Building .xlsx register files for the tests, the way offices lay them out in Excel."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

CHINESE_HEADERS = (
    "单元编号", "区", "街道", "社区", "网格", "楼栋", "单元", "楼层", "房号",
    "登记人数", "独居老人/重点关注", "入住日期", "迁出日期",
)  # fmt: skip
ENGLISH_HEADERS = (
    "unit_id", "district", "street", "community", "grid", "building", "entrance", "floor",
    "room", "registered_occupants", "vulnerable", "move_in", "move_out",
)  # fmt: skip


def write_xlsx(
    path: Path,
    rows: Sequence[Sequence[object]],
    *,
    sheet: str = "Sheet1",
    extra_sheets: Sequence[tuple[str, Sequence[Sequence[object]]]] = (),
    at: dict[int, Sequence[object]] | None = None,
) -> Path:
    """Write ``rows`` from row 1 down (None cells stay empty); ``at`` puts rows at given row
    numbers instead, leaving the rows between absent from the file as Excel does."""
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in rows:
        worksheet.append(list(row))
    for number, row in (at or {}).items():
        for column, value in enumerate(row, start=1):
            worksheet.cell(number, column, value)
    for name, other_rows in extra_sheets:
        other = workbook.create_sheet(name)
        for row in other_rows:
            other.append(list(row))
    workbook.save(path)
    return path
