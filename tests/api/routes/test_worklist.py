"""Door-knock lists: the phone page, the A4 print layout, the CSV and the JSON API.

Real SQLite and real sign-ins (form for browsers, API tokens for scripts). The seeded list
is built so that every ordering rule decides something: an urgent door in the last building,
buildings "2" and "10" (natural, not text order), entrances and floors "3" before "12", and a
door visited today in building 1 that must still come last.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from occupancy.config import Settings
from occupancy.db.session import session_scope
from occupancy.db.tables import AuditEvent, Flag, Unit, User
from occupancy.flags.record import METER_OFFLINE, REGISTERED_SILENT, UNREGISTERED_ACTIVITY
from tests.accounts import add_user, bearer, login, token_for

from ..conftest import make_client
from ..seed import NOW

SUNNY = "阳光花园"
RIVER = "Riverside"

#: (unit id, building, entrance, floor, room, urgent, kind) of the doors assigned to ``w1``,
#: listed in the order they must be walked.
TO_VISIT = [
    ("YG-10-1-0501", "10", "1", "5", "501", True, REGISTERED_SILENT),
    ("YG-2-1-0301", "2", "1", "3", "301", False, UNREGISTERED_ACTIVITY),
    ("YG-2-1-1201", "2", "1", "12", "1201", False, METER_OFFLINE),
    ("YG-2-2-0301", "2", "2", "3", "302", False, UNREGISTERED_ACTIVITY),
    ("YG-10-1-0101", "10", "1", "1", "101", False, REGISTERED_SILENT),
]
VISITED_TODAY = "YG-1-1-0101"
VISITED_YESTERDAY = "YG-1-1-0201"
OTHER_WORKERS = "YG-3-1-0101"
OUTCOME_FIELDS = ("found_registered", "found_needs_help", "vacant", "no_answer", "refused")


@pytest.fixture
def world(settings: Settings) -> dict[str, int]:
    """Accounts and w1's flags (inserted in an order unlike the walking order); returns the
    flag id of each unit."""
    db = settings.resolved_db_url
    users = {
        "w1": add_user(db, "w1", "grid_worker", SUNNY, "G1", display_name="王小明"),
        "w2": add_user(db, "w2", "grid_worker", SUNNY, "G1"),
        "sec": add_user(db, "sec", "secretary", SUNNY),
        "sec-river": add_user(db, "sec-river", "secretary", RIVER),
        "tst": add_user(db, "tst", "tester"),
    }
    w1, w2 = users["w1"].id, users["w2"].id
    rows = [
        *reversed(TO_VISIT),
        (VISITED_TODAY, "1", "1", "1", "101", False, UNREGISTERED_ACTIVITY),
        (VISITED_YESTERDAY, "1", "1", "2", "201", False, UNREGISTERED_ACTIVITY),
        (OTHER_WORKERS, "3", "1", "1", "101", False, UNREGISTERED_ACTIVITY),
    ]
    ids: dict[str, int] = {}
    with session_scope(db) as session:
        for unit_id, building, entrance, floor, room, urgent, kind in rows:
            session.add(
                Unit(
                    unit_id=unit_id,
                    community=SUNNY,
                    grid="G1",
                    building=building,
                    entrance=entrance,
                    floor=floor,
                    room=room,
                    registered_occupants=2,
                    vulnerable=urgent,
                )
            )
            flag = Flag(
                unit_id=unit_id,
                community=SUNNY,
                kind=kind,
                state="assigned",
                urgent=urgent,
                score=0.9,
                probability=0.93,
                evidence={"measured_days": 7, "evening_active_days": 6}
                if kind == UNREGISTERED_ACTIVITY
                else {"hours_since_activity": 80},
                assigned_to_id=w2 if unit_id == OTHER_WORKERS else w1,
                assigned_at=NOW - timedelta(days=2),
                first_raised_at=NOW - timedelta(days=3),
                last_raised_at=NOW - timedelta(days=1),
            )
            if unit_id in (VISITED_TODAY, VISITED_YESTERDAY):
                flag.state = "visited"
                flag.outcome = "vacant"
                flag.visited_by_id = w1
                ago = timedelta(hours=1) if unit_id == VISITED_TODAY else timedelta(days=1)
                flag.visited_at = NOW - ago
            session.add(flag)
            session.flush()
            ids[unit_id] = flag.id
    return ids


@pytest.fixture
def browser(settings: Settings, world: dict[str, int]) -> Iterator[TestClient]:
    """A client with no credentials: each test signs in as whom it needs."""
    yield from make_client(settings, as_admin=False)


def unit_order(html: str) -> list[str]:
    return re.findall(r'data-unit="([^"]+)"', html)


def audit_events(settings: Settings) -> list[AuditEvent]:
    with session_scope(settings.resolved_db_url) as session:
        rows = list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.object_type == "worklist")
                .order_by(AuditEvent.id)
            )
        )
        session.expunge_all()
        return rows


# --- the phone page ------------------------------------------------------------------------


def test_worker_sees_own_list_urgent_first_in_walking_order(browser: TestClient) -> None:
    login(browser, "w1")
    page = browser.get("/worklist")
    assert page.status_code == 200, page.text
    expected = [unit for unit, *_ in TO_VISIT] + [VISITED_TODAY]
    assert unit_order(page.text) == expected
    # Urgent card marked, with the badge; not someone else's flag, not yesterday's visit.
    assert 'class="card door is-urgent"' in page.text
    assert "紧急" in page.text
    assert OTHER_WORKERS not in page.text and VISITED_YESTERDAY not in page.text
    # Address parts and short evidence in Chinese; no probability shown.
    assert "10号楼 1单元 5层 501室" in page.text
    assert "7 天中 6 天晚间有用电" in page.text
    assert "93%" not in page.text and "0.93" not in page.text


def test_visited_today_is_at_the_bottom_greyed_with_its_outcome(browser: TestClient) -> None:
    login(browser, "w1")
    html = browser.get("/worklist").text
    section = html[html.index('class="visited-today"') :]
    assert VISITED_TODAY in section
    assert 'class="card door is-done"' in section
    assert "空置" in section  # its outcome, in Chinese
    # The correction form has the earlier outcome checked.
    assert re.search(r'value="vacant" required checked', section)


def test_each_card_has_an_outcome_form_posting_to_the_flag(
    browser: TestClient, world: dict[str, int]
) -> None:
    csrf = login(browser, "w1")
    html = browser.get("/worklist").text
    forms = re.findall(r'<form class="visit-form".*?</form>', html, flags=re.S)
    assert len(forms) == len(TO_VISIT) + 1
    first = forms[0]
    flag_id = world[TO_VISIT[0][0]]
    assert f'action="/flags/{flag_id}/visit"' in first
    assert f'name="csrf_token" value="{csrf}"' in first
    assert f'name="next" value="/worklist?saved={flag_id}"' in first
    for outcome in (*OUTCOME_FIELDS, "other"):
        assert f'type="radio" name="outcome" value="{outcome}"' in first
    assert '<textarea name="note"' in first


def test_recording_an_outcome_moves_the_door_to_the_bottom(
    browser: TestClient, world: dict[str, int]
) -> None:
    csrf = login(browser, "w1")
    flag_id = world[TO_VISIT[0][0]]
    response = browser.post(
        f"/flags/{flag_id}/visit",
        data={
            "csrf_token": csrf,
            "outcome": "found_needs_help",
            "note": "",
            "next": f"/worklist?saved={flag_id}",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/worklist?saved={flag_id}"
    page = browser.get(response.headers["location"])
    order = unit_order(page.text)
    assert order[: len(TO_VISIT) - 1] == [unit for unit, *_ in TO_VISIT[1:]]
    assert sorted(order[len(TO_VISIT) - 1 :]) == sorted([TO_VISIT[0][0], VISITED_TODAY])
    assert 'class="saved"' in page.text and "见到住户，需要帮助" in page.text


def test_english_page(browser: TestClient) -> None:
    login(browser, "w1")
    html = browser.get("/worklist?lang=en").text
    assert "Door-knock list" in html
    assert "evening activity 6 of 7 days" in html
    assert "Bldg 10 · Entr. 1 · Fl. 5 · Rm 501" in html


def test_worker_cannot_see_another_workers_list(browser: TestClient) -> None:
    login(browser, "w1")
    for path in ("/worklist", "/worklist/print", "/worklist.csv"):
        assert browser.get(f"{path}?worker=w2").status_code == 404
        assert browser.get(f"{path}?worker=nobody").status_code == 404
    assert browser.get("/worklists").status_code == 403


def test_secretary_sees_workers_of_own_community_only(browser: TestClient) -> None:
    login(browser, "sec")
    assert browser.get("/worklist", follow_redirects=False).headers["location"] == "/worklists"
    page = browser.get("/worklist?worker=w1")
    assert page.status_code == 200
    assert unit_order(page.text)[0] == TO_VISIT[0][0]
    assert 'name="next" value="/worklist?worker=w1&amp;saved=' in page.text

    browser.cookies.clear()
    login(browser, "sec-river")
    for path in ("/worklist", "/worklist/print", "/worklist.csv"):
        response = browser.get(f"{path}?worker=w1")
        assert response.status_code == 404, path
        assert TO_VISIT[0][0] not in response.text
    overview = browser.get("/worklists")
    assert overview.status_code == 200 and "w1" not in overview.text
    assert browser.get(f"/worklists?community={SUNNY}").status_code == 404


def test_tester_is_refused(browser: TestClient, settings: Settings) -> None:
    login(browser, "tst")
    for path in ("/worklist", "/worklist/print", "/worklist.csv", "/worklists"):
        assert browser.get(path).status_code == 403, path
    headers = bearer(token_for(settings.resolved_db_url, "tst"))
    browser.cookies.clear()
    assert browser.get("/api/worklist", headers=headers).status_code == 403


def test_overview_counts_each_worker(browser: TestClient) -> None:
    login(browser, "sec")
    page = browser.get("/worklists")
    assert page.status_code == 200
    row = re.search(r'<tr data-worker="w1">.*?</tr>', page.text, flags=re.S)
    assert row is not None
    cells = re.findall(r'<td class="num[^"]*"[^>]*>(\d+)</td>', row.group(0))
    assert cells == [str(len(TO_VISIT)), "1", "1"]  # to visit, urgent, visited today
    assert 'href="/worklist?worker=w1"' in row.group(0)
    other = re.search(r'<tr data-worker="w2">.*?</tr>', page.text, flags=re.S)
    assert other is not None
    assert re.findall(r'<td class="num[^"]*"[^>]*>(\d+)</td>', other.group(0)) == ["1", "0", "0"]


# --- print and CSV -------------------------------------------------------------------------


def test_print_layout_is_an_a4_table(browser: TestClient) -> None:
    login(browser, "w1")
    page = browser.get("/worklist/print")
    assert page.status_code == 200
    # Only the doors still to visit, numbered in walking order, with boxes to tick.
    assert unit_order(page.text) == [unit for unit, *_ in TO_VISIT]
    assert '<table class="print-list">' in page.text
    assert page.text.count('class="box"') == len(TO_VISIT) * 6
    assert '<td class="print-sign"></td>' in page.text
    css = browser.get("/static/style.css").text
    assert "/static/style.css" in page.text
    print_block = css[css.index("/* worklist */") :]
    assert re.search(r"@page\s*{\s*size:\s*A4", print_block)
    assert "@media print" in print_block


def test_secretary_prints_a_workers_list(browser: TestClient) -> None:
    login(browser, "sec")
    page = browser.get("/worklist/print?worker=w1")
    assert page.status_code == 200
    assert unit_order(page.text) == [unit for unit, *_ in TO_VISIT]
    assert "王小明" in page.text


def parse_csv(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "no BOM: Excel would read it as GBK"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_in_chinese_and_english(browser: TestClient) -> None:
    login(browser, "w1")
    response = browser.get("/worklist.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and 'filename="worklist-w1-20240515.csv"' in (
        disposition
    )
    rows = parse_csv(response.content)
    assert rows[0][:3] == ["序号", "紧急", "楼栋"]
    assert [r[6] for r in rows[1:]] == [unit for unit, *_ in TO_VISIT]
    assert rows[1][0] == "1" and rows[1][1] == "是"

    english = parse_csv(browser.get("/worklist.csv?lang=en").content)
    assert english[0][:3] == ["No.", "Urgent", "Building"]
    assert "Unit ID" in english[0]
    assert len(english) == len(TO_VISIT) + 1


# --- API -----------------------------------------------------------------------------------


def test_api_worklist(browser: TestClient, settings: Settings) -> None:
    db = settings.resolved_db_url
    worker = bearer(token_for(db, "w1"))
    body = browser.get("/api/worklist", headers=worker).json()
    assert body["worker"] == "w1" and body["to_visit"] == len(TO_VISIT)
    assert [item["unit_id"] for item in body["data"]] == [unit for unit, *_ in TO_VISIT]
    assert body["data"][0]["urgent"] is True and body["data"][0]["number"] == 1
    assert "probability" not in body["data"][0]
    with_visited = browser.get("/api/worklist?visited_today=true", headers=worker).json()
    assert with_visited["data"][-1]["unit_id"] == VISITED_TODAY
    assert browser.get("/api/worklist?worker=w2", headers=worker).status_code == 404

    secretary = bearer(token_for(db, "sec"))
    assert browser.get("/api/worklist?worker=w2", headers=secretary).json()["to_visit"] == 1
    river = bearer(token_for(db, "sec-river"))
    assert browser.get("/api/worklist?worker=w1", headers=river).status_code == 404
    assert browser.get("/api/worklist").status_code == 401


# --- audit ---------------------------------------------------------------------------------


def test_views_and_exports_are_audited(browser: TestClient, settings: Settings) -> None:
    login(browser, "w1")
    browser.get("/worklist")
    browser.get("/worklist/print")
    browser.get("/worklist.csv")
    browser.get("/api/worklist")
    browser.cookies.clear()
    login(browser, "sec")
    browser.get("/worklist?worker=w1")
    browser.get("/worklists")
    refused = browser.get("/worklist?worker=nobody")
    assert refused.status_code == 404

    events = [
        (e.username, e.action, e.object_id, e.community, e.detail.split(":")[0])
        for e in audit_events(settings)
    ]
    assert events == [
        ("w1", "view", "w1", SUNNY, "page"),
        ("w1", "export", "w1", SUNNY, "print"),
        ("w1", "export", "w1", SUNNY, "csv"),
        ("w1", "view", "w1", SUNNY, "api"),
        ("sec", "view", "w1", SUNNY, "page"),
        ("sec", "view", "", SUNNY, "overview"),
    ]


def test_admin_sees_every_community_and_any_list(settings: Settings, world: dict[str, int]) -> None:
    for client in make_client(settings):  # signed in as an admin by API token
        overview = client.get("/worklists")
        assert overview.status_code == 200
        assert SUNNY in overview.text and 'data-worker="w1"' in overview.text
        body = client.get("/api/worklist", params={"worker": "w1"}).json()
        assert [item["unit_id"] for item in body["data"]] == [unit for unit, *_ in TO_VISIT]
        assert client.get("/api/worklist", params={"worker": "\x00'"}).status_code == 404
        assert "/api/worklist" in client.get("/openapi.json").json()["paths"]


def test_correcting_an_outcome_starts_from_the_note_already_written(
    browser: TestClient, world: dict[str, int]
) -> None:
    """The correction forms (list and flag page) hold today's note, so saving a corrected
    outcome does not wipe what the worker wrote at the door."""
    csrf = login(browser, "w1")
    flag_id = world[TO_VISIT[0][0]]
    note = "老人说儿子下周回来 <b>"
    visit = {"csrf_token": csrf, "outcome": "found_needs_help", "note": note, "next": "/worklist"}
    assert browser.post(f"/flags/{flag_id}/visit", data=visit).status_code == 200
    done = browser.get("/worklist").text
    form = done[done.index(f'id="visit-form-{flag_id}"') :]
    form = form[: form.index("</form>")]
    assert "老人说儿子下周回来 &lt;b&gt;</textarea>" in form
    page = browser.get(f"/flags/{flag_id}").text
    assert "老人说儿子下周回来 &lt;b&gt;</textarea>" in page


# --- scope of the rows ---------------------------------------------------------------------


def _add_flag(settings: Settings, unit_id: str, unit_community: str, flag_community: str) -> int:
    """A flag assigned to w1 on a unit registered in ``unit_community``."""
    with session_scope(settings.resolved_db_url) as session:
        w1 = session.scalars(select(User).where(User.username == "w1")).one()
        session.add(
            Unit(unit_id=unit_id, community=unit_community, grid="G1", registered_occupants=1)
        )
        flag = Flag(
            unit_id=unit_id,
            community=flag_community,
            kind=REGISTERED_SILENT,
            state="assigned",
            score=0.9,
            probability=0.9,
            evidence={"hours_since_activity": 80},
            assigned_to_id=w1.id,
            assigned_at=NOW - timedelta(days=1),
            first_raised_at=NOW - timedelta(days=2),
            last_raised_at=NOW - timedelta(days=1),
        )
        session.add(flag)
        session.flush()
        return flag.id


def _api_units(client: TestClient, headers: dict[str, str], **params: str) -> list[str]:
    response = client.get("/api/worklist", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return [item["unit_id"] for item in response.json()["data"]]


def test_a_unit_moved_to_another_community_leaves_the_list(
    browser: TestClient, settings: Settings
) -> None:
    """The register decides where a flag is, not the community it was raised under."""
    _add_flag(settings, "RV-MOVED", RIVER, SUNNY)
    db = settings.resolved_db_url
    worker, secretary = bearer(token_for(db, "w1")), bearer(token_for(db, "sec"))
    assert "RV-MOVED" not in _api_units(browser, worker)
    assert "RV-MOVED" not in _api_units(browser, secretary, worker="w1")
    login(browser, "sec")
    overview = browser.get("/worklists")
    row = re.search(r'<tr data-worker="w1">.*?</tr>', overview.text, flags=re.S)
    assert row is not None
    cells = re.findall(r'<td class="num[^"]*"[^>]*>(\d+)</td>', row.group(0))
    assert cells[0] == str(len(TO_VISIT))
    browser.cookies.clear()
    login(browser, "w1")
    for path in ("/worklist", "/worklist/print", "/worklist.csv"):
        assert "RV-MOVED" not in browser.get(path).text, path
    for client in make_client(settings):  # an admin sees every flag
        assert "RV-MOVED" in _api_units(client, {}, worker="w1")


def test_a_secretary_does_not_see_another_communitys_flag_on_a_workers_list(
    browser: TestClient, settings: Settings
) -> None:
    """w1 still holds a flag of Riverside (moved there from Sunny Garden, say)."""
    _add_flag(settings, "RV-1", RIVER, RIVER)
    secretary = bearer(token_for(settings.resolved_db_url, "sec"))
    assert _api_units(browser, secretary, worker="w1") == [unit for unit, *_ in TO_VISIT]
    login(browser, "sec")
    for path in ("/worklist", "/worklist/print", "/worklist.csv"):
        assert "RV-1" not in browser.get(f"{path}?worker=w1").text, path
    overview = browser.get("/worklists")
    row = re.search(r'<tr data-worker="w1">.*?</tr>', overview.text, flags=re.S)
    assert row is not None
    cells = re.findall(r'<td class="num[^"]*"[^>]*>(\d+)</td>', row.group(0))
    assert cells[0] == str(len(TO_VISIT))


def test_the_audit_names_the_flags_shown(
    browser: TestClient, settings: Settings, world: dict[str, int]
) -> None:
    login(browser, "sec")
    browser.get("/worklist?worker=w1")
    browser.get("/worklist.csv?worker=w1")
    view, export = audit_events(settings)
    page_ids = [world[unit] for unit, *_ in TO_VISIT] + [world[VISITED_TODAY]]
    assert view.detail == f"page: {len(page_ids)} rows: " + ",".join(map(str, page_ids))
    csv_ids = [world[unit] for unit, *_ in TO_VISIT]
    assert export.detail == f"csv: {len(csv_ids)} rows: " + ",".join(map(str, csv_ids))
    assert view.community == export.community == SUNNY
