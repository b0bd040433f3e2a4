"""Door-knock lists: walking order with awkward register values, what a row shows, the
secretary's view, and the CSV Excel opens."""

from __future__ import annotations

import csv
import io
import random
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from occupancy.db.session import session_scope
from occupancy.db.tables import Flag, Unit, User
from occupancy.workflow.actions import assign, record_visit
from occupancy.workflow.walking import chinese_number, natural_key
from occupancy.workflow.worklist import (
    WorklistRow,
    worklist,
    worklist_csv,
    worklists_for_community,
)
from tests.workflow.conftest import NOW, SECRETARY, add_flag, add_units, add_user, worker


@pytest.mark.parametrize(
    "ordered",
    [
        ["1", "2", "10", "11", "100"],
        ["3栋", "10栋", "12栋"],
        ["2号楼", "10号楼", "A座", "B座", ""],
        ["一单元", "二单元", "十单元", "十一单元"],
        ["101", "302", "1001", "1502"],
        ["2-101", "2-1001", "10-101"],
        ["1", "２", "10"],  # full-width digits
        ["5", "B1"],  # numbers before letters
        ["a", "B", "c"],  # case-folded
    ],
)
def test_natural_order(ordered: list[str]) -> None:
    shuffled = ordered[:]
    random.Random(7).shuffle(shuffled)
    assert sorted(shuffled, key=natural_key) == ordered
    assert sorted(reversed(ordered), key=natural_key) == ordered


def test_chinese_numerals() -> None:
    cases = {
        "三": 3,
        "十": 10,
        "十二": 12,
        "二十": 20,
        "二十三": 23,
        "一百零五": 105,
        "一〇一": 101,
    }
    assert {k: chinese_number(k) for k in cases} == cases


@pytest.fixture
def ann(url: str) -> User:
    return add_user(url, "ann", community="east", grid="g1")


def place(url: str, ann: User, spec: list[tuple[str, str, str, str, str, bool]]) -> list[int]:
    """Units (id, building, entrance, floor, room, vulnerable), a flag each, all to ann."""
    add_units(
        url,
        *(
            Unit(
                unit_id=u,
                community="east",
                grid="g1",
                building=b,
                entrance=e,
                floor=f,
                room=r,
                registered_occupants=1,
                vulnerable=v,
            )
            for u, b, e, f, r, v in spec
        ),
    )
    ids = []
    for u, *_ in spec:
        flag_id = add_flag(url, unit_id=u, evidence={"hours_since_activity": 40.0})
        with session_scope(url) as session:
            assign(session, session.get(Flag, flag_id), ann, by=SECRETARY, now=NOW)
        ids.append(flag_id)
    return ids


def test_the_list_follows_the_stairwell_urgent_first(url: str, ann: User) -> None:
    ids = place(
        url,
        ann,
        [
            ("u-10-1-2-201", "10栋", "1", "2", "201", False),
            ("u-2-1-10-1001", "2栋", "1", "10", "1001", False),
            ("u-2-1-2-201", "2栋", "1", "2", "201", False),
            ("u-2-2-1-101", "2栋", "2", "1", "101", False),
            ("u-2-1-2-", "2栋", "1", "2", "", False),
            ("u-nobuilding", "", "", "", "", False),
            ("u-3-urgent", "3栋", "1", "5", "502", True),
        ],
    )
    add_flag(url, unit_id="stranger", kind="unregistered_activity")  # not on the list
    with session_scope(url) as session:
        session.get(Flag, ids[-1]).urgent = True  # u-3-urgent
        rows = worklist(session, ann)
    assert [r.unit_id for r in rows] == [
        "u-3-urgent",
        "u-2-1-2-201",
        "u-2-1-2-",
        "u-2-1-10-1001",
        "u-2-2-1-101",
        "u-10-1-2-201",
        "u-nobuilding",
    ]
    first = rows[0]
    assert (first.building, first.entrance, first.floor, first.room) == ("3栋", "1", "5", "502")
    assert first.urgent and first.registered_occupants == 1 and first.state == "assigned"
    assert first.evidence_en == "no activity for 40 h (urgent)"
    assert first.evidence_zh == "已 40 小时无用电活动（紧急）"
    assert not hasattr(first, "probability") and not hasattr(first, "score")


def test_visited_flags_come_last_only_when_asked(url: str, ann: User) -> None:
    a, b = place(url, ann, [("a", "1", "1", "1", "101", False), ("b", "1", "1", "1", "102", False)])
    with session_scope(url) as session:
        record_visit(session, session.get(Flag, a), "no_answer", by=worker(ann), now=NOW)
    with session_scope(url) as session:
        assert [r.flag_id for r in worklist(session, ann)] == [b]
        rows = worklist(session, ann.id, visited_since=NOW - timedelta(hours=8))
        assert [(r.flag_id, r.state, r.outcome) for r in rows] == [
            (b, "assigned", None),
            (a, "visited", "no_answer"),
        ]
        assert [
            r.flag_id for r in worklist(session, ann, visited_since=NOW + timedelta(hours=1))
        ] == [b]


def test_the_secretary_sees_every_worker_including_free_and_deactivated_ones(
    url: str, ann: User
) -> None:
    bob = add_user(url, "bob", community="east", grid="g10")
    add_user(url, "cai", community="east", grid="g2")
    add_user(url, "dan", community="west", grid="g1")
    (a,) = place(url, ann, [("a", "1", "1", "1", "101", False)])
    with session_scope(url) as session:
        session.get(User, ann.id).active = False  # left; her flag must be reassigned
    with session_scope(url) as session:
        lists = worklists_for_community(session, "east")
    assert [(w.username, w.active, [r.flag_id for r in w.rows]) for w in lists] == [
        ("ann", False, [a]),
        ("cai", True, []),
        ("bob", True, []),  # g10 after g2
    ]
    assert bob.grid == "g10"


def row(**kw) -> WorklistRow:
    fields = {
        "flag_id": 7,
        "unit_id": "u-1",
        "state": "assigned",
        "community": "east",
        "grid": "g1",
        "building": "2栋",
        "entrance": "1",
        "floor": "3",
        "room": "301",
        "kind": "registered_silent",
        "urgent": True,
        "evidence_zh": "已 40 小时无用电活动",
        "evidence_en": "no activity for 40 h",
        "registered_occupants": 1,
        "vulnerable": True,
        "assigned_at": NOW,
        **kw,
    }
    return WorklistRow(**fields)


def test_csv_has_a_bom_and_chinese_headers_for_excel() -> None:
    out = io.StringIO()
    rows = [
        row(),
        row(flag_id=8, unit_id="x", urgent=False, registered_occupants=None, room="=1+1"),
    ]
    assert worklist_csv(rows, out, "zh-CN", tz=ZoneInfo("Asia/Shanghai")) == 2
    data = out.getvalue().encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0] == [
        "序号",
        "紧急",
        "楼栋",
        "单元",
        "楼层",
        "房号",
        "户号",
        "提示类型",
        "依据",
        "登记人数",
        "重点关怀",
        "分派时间",
        "上次结果",
        "提示编号",
    ]
    assert table[1] == [
        "1",
        "是",
        "2栋",
        "1",
        "3",
        "301",
        "u-1",
        "已登记但无生活迹象",
        "已 40 小时无用电活动",
        "1",
        "是",
        "2026-03-10 16:00",
        "",
        "7",
    ]
    assert table[2][5] == "'=1+1"  # not a formula in Excel
    assert table[2][9] == "未登记"


def test_csv_in_english() -> None:
    out = io.StringIO()
    worklist_csv([row(outcome="no_answer", floor="-1")], out, "en")
    table = list(csv.reader(io.StringIO(out.getvalue().removeprefix("\ufeff"))))
    assert table[0][:3] == ["No.", "Urgent", "Building"]
    assert table[1][1] == "yes" and table[1][4] == "-1"  # a basement floor stays a number
    assert table[1][7:9] == ["Registered, silent", "no activity for 40 h"]
    assert table[1][11:13] == ["2026-03-10 08:00", "No answer"]


@pytest.mark.parametrize(
    ("evidence", "zh", "en"),
    [
        (
            {"hours_since_activity": 52, "urgent": True},
            "已 52 小时无用电活动（紧急）",
            "no activity for 52 h (urgent)",
        ),
        ({"days": 7}, "7 天内无用电活动", "no activity in 7 days"),
        ({"hours_total": 168}, "7 天内无用电活动", "no activity in 7 days"),
        ({}, "近期无用电活动", "no recent activity"),  # never "0 days" that are not in the data
    ],
)
def test_short_evidence_of_a_silent_home(evidence: dict, zh: str, en: str) -> None:
    from occupancy.workflow.worklist import short_evidence

    assert short_evidence("registered_silent", evidence, "zh-CN") == zh
    assert short_evidence("registered_silent", evidence, "en") == en


def test_the_csv_names_kinds_and_outcomes_as_the_pages_do() -> None:
    """The list printed or opened in Excel must not call an outcome something else than the
    phone page the worker entered it on."""
    from occupancy.api.i18n import MESSAGES
    from occupancy.db.tables import VISIT_OUTCOMES
    from occupancy.flags.record import FLAG_KINDS
    from occupancy.workflow.worklist import kind_label, outcome_label

    for language in ("zh-CN", "en"):
        for kind in FLAG_KINDS:
            assert kind_label(kind, language) == MESSAGES[language][f"kind.{kind}"]
        for outcome in VISIT_OUTCOMES:
            assert outcome_label(outcome, language) == MESSAGES[language][f"outcome.{outcome}"]
