"""Residents' names and phone numbers never reach the database, even when the office's
register sheet has them (most 入住登记表 do): the import reads only the columns it knows,
says which it ignored, and stores nothing else (docs/privacy.md)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from occupancy.db.session import get_engine
from occupancy.register.repository import import_register_file
from tests.register.workbooks import CHINESE_HEADERS, write_xlsx

NAME, PHONE, ID_NUMBER = "王秀英", "13800000000", "110101194001011234"


def test_names_and_phone_numbers_in_the_sheet_are_not_stored(tmp_path: Path) -> None:
    headers = (*CHINESE_HEADERS, "户主姓名", "联系电话", "身份证号")
    row = (
        "XFL-1-1-101", "东城区", "和平街道", "幸福里", "第一网格", "1栋", "1单元", 1, 101,
        1, "是", datetime(2019, 5, 1), None, NAME, PHONE, ID_NUMBER,
    )  # fmt: skip
    path = write_xlsx(tmp_path / "register.xlsx", [headers, row])
    db = tmp_path / "occupancy.db"
    summary = import_register_file(f"sqlite:///{db}", path)
    assert summary.created == 1
    ignored = " ".join(summary.warnings)
    for header in ("户主姓名", "联系电话", "身份证号"):
        assert header in ignored, summary.warnings
    get_engine(f"sqlite:///{db}").dispose()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("occupancy.db*"))
    assert b"XFL-1-1-101" in stored  # the check can see what is stored
    for secret in (NAME, PHONE, ID_NUMBER):
        assert secret.encode() not in stored, secret
