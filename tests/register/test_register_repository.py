"""Importing the register into SQLite and PostgreSQL: upsert counts and all-or-nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from occupancy.db.session import session_scope
from occupancy.db.tables import Unit
from occupancy.register import (
    ImportSummary,
    RegisterEntry,
    RegisterImportError,
    import_entries,
    import_register_file,
    load_register,
)

HEADER = "单元编号,社区,网格,楼栋,单元,楼层,房号,登记人数,重点关注\n"
ROWS = [
    "u-101,幸福里,第一网格,3栋,2单元,5,502,2,是\n",
    "u-102,幸福里,第一网格,3栋,2单元,5,503,0,否\n",
    "u-201,阳光苑,第二网格,1栋,1单元,1,101,4,\n",
]


def stored(db_url: str) -> dict[str, RegisterEntry]:
    with session_scope(db_url) as session:
        return load_register(session)


def unit_count(db_url: str) -> int:
    with session_scope(db_url) as session:
        return session.scalar(select(func.count()).select_from(Unit)) or 0


def test_import_then_load(db_url: str, write_csv) -> None:
    summary = import_register_file(db_url, write_csv(HEADER + "".join(ROWS)))
    assert summary == ImportSummary(created=3, updated=0, unchanged=0)
    register = stored(db_url)
    assert list(register) == ["u-101", "u-102", "u-201"]
    assert register["u-101"] == RegisterEntry(
        "u-101", "幸福里", 2, "第一网格", "3栋", "2单元", "5", "502", True
    )
    assert register["u-201"].vulnerable is False


def test_reimport_counts_created_updated_unchanged(db_url: str, write_csv) -> None:
    import_register_file(db_url, write_csv(HEADER + "".join(ROWS)))
    assert import_register_file(db_url, write_csv(HEADER + "".join(ROWS))) == ImportSummary(0, 0, 3)

    with session_scope(db_url) as session:
        before = {u.unit_id: u.updated_at for u in session.scalars(select(Unit))}
    changed = [ROWS[0], ROWS[1].replace(",0,否", ",1,否"), ROWS[2], "u-301,阳光苑,,,,,,1,\n"]
    summary = import_register_file(db_url, write_csv(HEADER + "".join(changed)))
    assert (summary.created, summary.updated, summary.unchanged) == (1, 1, 2)
    assert summary.total == 4

    register = stored(db_url)
    assert register["u-102"].registered_occupants == 1
    assert "u-301" in register
    with session_scope(db_url) as session:
        after = {u.unit_id: u.updated_at for u in session.scalars(select(Unit))}
    assert after["u-101"] == before["u-101"]  # unchanged rows keep their timestamp
    assert after["u-102"] > before["u-102"]


def test_units_missing_from_file_are_kept(db_url: str, write_csv) -> None:
    import_register_file(db_url, write_csv(HEADER + "".join(ROWS)))
    summary = import_register_file(db_url, write_csv(HEADER + ROWS[2]))
    assert summary == ImportSummary(0, 0, 1)
    assert unit_count(db_url) == 3


def test_bad_row_imports_nothing_into_empty_db(db_url: str, write_csv) -> None:
    bad = HEADER + ROWS[0] + ROWS[1] + "u-103,幸福里,,,,,,abc,\n" + ROWS[2]
    with pytest.raises(RegisterImportError) as info:
        import_register_file(db_url, write_csv(bad))
    assert [(e.row, e.column) for e in info.value.errors] == [(4, "登记人数")]
    assert unit_count(db_url) == 0


def test_bad_file_leaves_existing_register_unchanged(db_url: str, write_csv) -> None:
    import_register_file(db_url, write_csv(HEADER + "".join(ROWS)))
    before = stored(db_url)
    bad = HEADER + ROWS[0].replace(",2,是", ",5,是") + "u-999,新社区,,,,,,1,\n" + ROWS[0]
    with pytest.raises(RegisterImportError) as info:
        import_register_file(db_url, write_csv(bad))
    assert [(e.row, e.column) for e in info.value.errors] == [(4, "单元编号")]
    assert stored(db_url) == before


def test_import_entries_in_callers_transaction_rolls_back(db_url: str) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), session_scope(db_url) as session:
        summary = import_entries(session, [RegisterEntry("u1", "c1", 1)])
        assert summary == ImportSummary(1, 0, 0)
        assert "u1" in load_register(session)  # flushed, visible inside the transaction
        raise Boom
    assert unit_count(db_url) == 0


def test_import_entries_refuses_duplicates(db_url: str) -> None:
    entries = [RegisterEntry("u1", "c1", 1), RegisterEntry("u1", "c1", 2)]
    with pytest.raises(ValueError, match="u1"), session_scope(db_url) as session:
        import_entries(session, entries)
    assert unit_count(db_url) == 0


def test_load_register_by_community(db_url: str, write_csv) -> None:
    import_register_file(db_url, write_csv(HEADER + "".join(ROWS)))
    with session_scope(db_url) as session:
        assert list(load_register(session, "幸福里")) == ["u-101", "u-102"]
        assert list(load_register(session, "阳光苑")) == ["u-201"]
        assert load_register(session, "nowhere") == {}


def test_many_units_in_one_import(db_url: str, write_csv) -> None:
    """More units than one IN (...) chunk, so the existing-unit lookup is chunked right."""
    rows = "".join(f"u-{i:05d},c1,,,,,,{i % 5},\n" for i in range(1200))
    assert import_register_file(db_url, write_csv(HEADER + rows)) == ImportSummary(1200, 0, 0)
    rows = rows.replace("u-00007,c1,,,,,,2", "u-00007,c1,,,,,,3")
    assert import_register_file(db_url, write_csv(HEADER + rows)) == ImportSummary(0, 1, 1199)
