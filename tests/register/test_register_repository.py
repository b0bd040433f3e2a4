"""Importing the register into SQLite and PostgreSQL: upsert counts, all-or-nothing, history,
move-in and move-out dates, and a register of the size the issue asks for."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from occupancy.db.session import session_scope
from occupancy.db.tables import Unit, UnitVersion
from occupancy.register import (
    ImportSummary,
    RegisterEntry,
    RegisterImportError,
    import_entries,
    import_register_file,
    load_register,
    unit_history,
)
from tests.register.workbooks import write_xlsx

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


# --- history, dates, XLSX, skip-bad, simulated -------------------------------------------

XLSX_ROWS = [
    ["幸福里社区入住登记表"],
    ["单元编号", "区", "街道", "社区", "网格", "楼栋", "单元", "楼层", "房号", "登记人数",
     "独居老人/重点关注", "入住日期", "迁出日期"],
    ["XFL-1", "东城区", "和平街道", "幸福里", "一网格", "3栋", "2单元", 5, 502, 1, "是",
     datetime(2019, 5, 1), None],
    ["XFL-2", "东城区", "和平街道", "幸福里", "一网格", "3栋", "2单元", 5, 503, 3, "否",
     "2020/6/15", "2024年1月2日"],
]  # fmt: skip


def history(db_url: str, unit_id: str, since: datetime) -> list[tuple[str, dict, str, str]]:
    """The unit's history written since the test started (see the ``since`` fixture)."""
    with session_scope(db_url) as session:
        return [
            (v.action, v.values, v.source, v.changed_by)
            for v in unit_history(session, unit_id)
            if aware(v.changed_at) >= since
        ]


def aware(moment: datetime) -> datetime:
    """SQLite hands back the UTC times it stored without their time zone."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_xlsx_round_trip_with_dates_and_hierarchy(db_url: str, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "幸福里.xlsx", XLSX_ROWS)
    assert import_register_file(db_url, path) == ImportSummary(2, 0, 0)
    register = stored(db_url)
    assert register["XFL-1"] == RegisterEntry(
        "XFL-1", "幸福里", 1, "一网格", "3栋", "2单元", "5", "502", True,
        district="东城区", street="和平街道", move_in=date(2019, 5, 1),
    )  # fmt: skip
    assert register["XFL-2"].move_out == date(2024, 1, 2)
    assert import_register_file(db_url, path) == ImportSummary(0, 0, 2)


def test_history_records_creates_and_updates_only(db_url: str, since: datetime, write_csv) -> None:
    import_register_file(db_url, write_csv(HEADER + "".join(ROWS), name="march.csv"))
    import_register_file(db_url, write_csv(HEADER + "".join(ROWS), name="march.csv"))
    changed = ROWS[0].replace(",2,是", ",3,是")
    import_register_file(db_url, write_csv(HEADER + changed, name="april.csv"), changed_by="li")

    (created, updated) = history(db_url, "u-101", since)
    assert created[0] == "create" and updated[0] == "update"
    assert (created[2], created[3]) == ("import:march.csv", "cli")
    assert (updated[2], updated[3]) == ("import:april.csv", "li")
    assert created[1]["registered_occupants"] == 2
    assert updated[1] == {
        **created[1],
        "registered_occupants": 3,
    }
    assert created[1]["move_in"] is None and created[1]["simulated"] is False
    assert [action for action, *_ in history(db_url, "u-102", since)] == [
        "create"
    ]  # no "unchanged"
    assert history(db_url, "nobody", since) == []


def test_history_dates_are_iso_strings(db_url: str, since: datetime, tmp_path: Path) -> None:
    import_register_file(db_url, write_xlsx(tmp_path / "r.xlsx", XLSX_ROWS))
    ((action, values, source, _by),) = history(db_url, "XFL-2", since)
    assert (action, source) == ("create", "import:r.xlsx")
    assert (values["move_in"], values["move_out"]) == ("2020-06-15", "2024-01-02")
    assert values["district"] == "东城区"


def test_history_of_import_entries_in_callers_session(db_url: str, since: datetime) -> None:
    with session_scope(db_url) as session:
        import_entries(session, [RegisterEntry("u1", "c", 1)], source="api", changed_by="wang")
        import_entries(session, [RegisterEntry("u1", "c", 2)], source="page", changed_by="zhao")
        versions = [v for v in unit_history(session, "u1") if aware(v.changed_at) >= since]
        assert [(v.action, v.source, v.changed_by) for v in versions] == [
            ("create", "api", "wang"),
            ("update", "page", "zhao"),
        ]
        assert versions[1].community == "c"


def test_units_loaded_before_a_bulk_update_show_new_values(db_url: str) -> None:
    with session_scope(db_url) as session:
        import_entries(session, [RegisterEntry("u1", "c", 1)])
    with session_scope(db_url) as session:
        unit = session.get(Unit, "u1")
        assert unit is not None and unit.registered_occupants == 1
        import_entries(session, [RegisterEntry("u1", "c", 4)])
        assert unit.registered_occupants == 4


def test_simulated_marks_units_and_counts_as_a_change(
    db_url: str, since: datetime, write_csv
) -> None:
    path = write_csv(HEADER + "".join(ROWS))
    assert import_register_file(db_url, path, simulated=True) == ImportSummary(3, 0, 0)
    with session_scope(db_url) as session:
        assert all(u.simulated for u in session.scalars(select(Unit)))
    assert import_register_file(db_url, path, simulated=True) == ImportSummary(0, 0, 3)
    assert import_register_file(db_url, path) == ImportSummary(0, 3, 0)
    with session_scope(db_url) as session:
        assert not any(u.simulated for u in session.scalars(select(Unit)))
    assert [values["simulated"] for _, values, *_ in history(db_url, "u-101", since)] == [
        True,
        False,
    ]


def test_skip_bad_imports_valid_rows_and_reports_the_rest(db_url: str, write_csv) -> None:
    bad = HEADER + ROWS[0] + "u-103,幸福里,,,,,,abc,\n" + "u-104,,,,,,,1,\n" + ROWS[2]
    with pytest.raises(RegisterImportError):
        import_register_file(db_url, write_csv(bad))
    assert unit_count(db_url) == 0

    summary = import_register_file(db_url, write_csv(bad), skip_bad=True)
    assert (summary.created, summary.updated, summary.unchanged) == (2, 0, 0)
    assert [(e.row, e.letter) for e in summary.skipped] == [(3, "H"), (4, "B")]
    assert summary.skipped_rows == 2
    assert list(stored(db_url)) == ["u-101", "u-201"]


def test_skip_bad_still_refuses_a_file_without_required_columns(db_url: str, write_csv) -> None:
    with pytest.raises(RegisterImportError):
        import_register_file(db_url, write_csv("单元编号,社区\nu1,c\n"), skip_bad=True)
    assert unit_count(db_url) == 0


def test_load_register_as_of_counts_only_households_living_there(db_url: str) -> None:
    entries = [
        RegisterEntry("gone", "c", 2, vulnerable=True, move_out=date(2024, 5, 1)),
        RegisterEntry("later", "c", 3, move_in=date(2024, 6, 1)),
        RegisterEntry("here", "c", 1, vulnerable=True, move_in=date(2020, 1, 1)),
        RegisterEntry("undated", "c", 4),
    ]
    with session_scope(db_url) as session:
        import_entries(session, entries)
    with session_scope(db_url) as session:
        effective = load_register(session, as_of=date(2024, 5, 15))
        plain = load_register(session)
    assert {u: (e.registered_occupants, e.vulnerable) for u, e in effective.items()} == {
        "gone": (0, False),
        "here": (1, True),
        "later": (0, False),
        "undated": (4, False),
    }
    assert plain["gone"].registered_occupants == 2  # without as_of: the register as stored
    assert effective["gone"].move_out == date(2024, 5, 1)  # dates kept for the reader


BIG = 20_000


@pytest.fixture(scope="module")
def big_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A register of the issue's size, written once for both dialects."""
    path = tmp_path_factory.mktemp("big") / "big.xlsx"
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("登记表")
    sheet.append(["幸福里社区入住登记表"])
    sheet.append(["单元编号", "社区", "网格", "楼栋", "楼层", "房号", "登记人数", "入住日期"])
    for i in range(BIG):
        sheet.append(
            [f"u{i:05d}", f"c{i % 4}", f"g{i % 9}", i // 100, i % 100 // 4, i % 4, i % 5,
             date(2015, 1, 1) + timedelta(days=i % 3000)]
        )  # fmt: skip
    sheet.append([])
    workbook.save(path)
    return path


def test_twenty_thousand_row_workbook(db_url: str, big_workbook: Path, since: datetime) -> None:
    """The issue's size; the timing lives in bench/register.py, here only the counts."""
    assert import_register_file(db_url, big_workbook) == ImportSummary(BIG, 0, 0)
    with session_scope(db_url) as session:
        written = select(func.count()).where(UnitVersion.source == f"import:{big_workbook.name}")
        assert session.scalar(written) == BIG
        in_c3 = select(func.count()).select_from(Unit).where(Unit.community == "c3")
        assert session.scalar(in_c3) == BIG // 4
        last = session.get(Unit, f"u{BIG - 1:05d}")
        assert last is not None
        assert (last.building, last.floor, last.room) == ("199", "24", "3")
        assert last.move_in == date(2015, 1, 1) + timedelta(days=(BIG - 1) % 3000)
    assert unit_count(db_url) == BIG
