"""Acting on a flag: the page's forms (cookie + CSRF) and the JSON API (bearer token).

Each test checks the database afterwards (state, FlagEvent, audit row), not only the answer.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from occupancy.config import Settings

from ..conftest import make_client
from ..declared import assert_declared
from ..seed import Seeded
from .flag_support import (
    add_accounts,
    api_headers,
    audit_rows,
    flag_events,
    load_flag,
    sign_in,
)


@pytest.fixture
def users(settings: Settings, seeded: Seeded) -> dict[str, int]:
    return add_accounts(settings)


@pytest.fixture
def web(settings: Settings, users: dict[str, int]) -> Iterator[TestClient]:
    yield from make_client(settings, as_admin=False)


# --- page forms ---------------------------------------------------------------------------


def test_secretary_assigns_then_worker_records_visit_then_secretary_closes(
    web: TestClient, settings: Settings, seeded: Seeded, users: dict[str, int]
) -> None:
    flag_id = seeded.flag_ids["urgent"]
    csrf = sign_in(web, settings, "sec")
    response = web.post(
        f"/flags/{flag_id}/assign",
        data={"csrf_token": csrf, "worker_id": str(users["worker"])},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/flags/{flag_id}?done=assign"
    flag = load_flag(settings, flag_id)
    assert (flag.state, flag.assigned_to_id) == ("assigned", users["worker"])
    [event] = flag_events(settings, flag_id)
    assert (event.action, event.actor, event.assignee) == ("assigned", "sec", "worker")
    [audit] = audit_rows(settings, "assign", flag_id)
    assert (audit.username, audit.community, audit.detail) == ("sec", "阳光花园", "to worker")
    assert "已保存" in web.get(response.headers["location"]).text

    # The worker now sees the outcome form (and only that) and records a visit.
    csrf = sign_in(web, settings, "worker")
    page = web.get(f"/flags/{flag_id}").text
    assert f'action="/flags/{flag_id}/visit"' in page
    assert f'action="/flags/{flag_id}/assign"' not in page
    response = web.post(
        f"/flags/{flag_id}/visit",
        data={"csrf_token": csrf, "outcome": "found_needs_help", "note": "  needs groceries "},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    flag = load_flag(settings, flag_id)
    assert (flag.state, flag.outcome, flag.outcome_note) == (
        "visited",
        "found_needs_help",
        "needs groceries",
    )
    assert flag.visited_by_id == users["worker"]
    assert [a.username for a in audit_rows(settings, "visit", flag_id)] == ["worker"]

    # The secretary sees what was found, with the history, and closes the flag.
    csrf = sign_in(web, settings, "sec")
    html = web.get(f"/flags/{flag_id}").text
    assert "见到住户，需要帮助" in html and "needs groceries" in html
    assert "派单" in html and "已走访" in html  # history entries
    response = web.post(
        f"/flags/{flag_id}/close", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert response.status_code == 303
    assert load_flag(settings, flag_id).state == "closed"
    assert [e.action for e in flag_events(settings, flag_id)] == ["assigned", "visited", "closed"]


def test_dismiss_without_reason_is_422_and_changes_nothing(
    web: TestClient, settings: Settings, seeded: Seeded
) -> None:
    flag_id = seeded.flag_ids["top_score"]
    csrf = sign_in(web, settings, "sec")
    response = web.post(f"/flags/{flag_id}/dismiss", data={"csrf_token": csrf, "reason": "   "})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "排除提示时必须填写原因" in response.text
    assert f'action="/flags/{flag_id}/dismiss"' in response.text  # the form again
    assert load_flag(settings, flag_id).state == "new"
    assert flag_events(settings, flag_id) == []
    assert audit_rows(settings, "dismiss", flag_id) == []

    response = web.post(
        f"/flags/{flag_id}/dismiss",
        data={"csrf_token": csrf, "reason": "Landlord confirmed a tenant."},
        follow_redirects=False,
    )
    assert response.status_code == 303
    flag = load_flag(settings, flag_id)
    assert (flag.state, flag.dismiss_reason) == ("dismissed", "Landlord confirmed a tenant.")


def test_form_post_without_csrf_token_is_403(
    web: TestClient, settings: Settings, seeded: Seeded, users: dict[str, int]
) -> None:
    flag_id = seeded.flag_ids["urgent"]
    sign_in(web, settings, "sec")
    response = web.post(f"/flags/{flag_id}/assign", data={"worker_id": str(users["worker"])})
    assert response.status_code == 403
    response = web.post(
        f"/flags/{flag_id}/assign",
        data={"worker_id": str(users["worker"]), "csrf_token": "forged"},
    )
    assert response.status_code == 403
    assert load_flag(settings, flag_id).state == "new"


def test_grid_worker_cannot_assign_by_form(
    web: TestClient, settings: Settings, seeded: Seeded, users: dict[str, int]
) -> None:
    flag_id = seeded.flag_ids["urgent"]
    csrf = sign_in(web, settings, "worker")
    response = web.post(
        f"/flags/{flag_id}/assign",
        data={"csrf_token": csrf, "worker_id": str(users["worker"])},
    )
    assert response.status_code == 403
    assert load_flag(settings, flag_id).state == "new"


def test_other_communitys_secretary_gets_404_on_form_post(
    web: TestClient, settings: Settings, seeded: Seeded, users: dict[str, int]
) -> None:
    flag_id = seeded.flag_ids["urgent"]
    csrf = sign_in(web, settings, "sec-river")
    response = web.post(f"/flags/{flag_id}/dismiss", data={"csrf_token": csrf, "reason": "x"})
    assert response.status_code == 404
    assert load_flag(settings, flag_id).state == "new"


def test_close_before_visit_is_409_with_reason(
    web: TestClient, settings: Settings, seeded: Seeded
) -> None:
    flag_id = seeded.flag_ids["urgent"]
    csrf = sign_in(web, settings, "sec")
    response = web.post(f"/flags/{flag_id}/close", data={"csrf_token": csrf})
    assert response.status_code == 409
    assert "只有已走访的提示才能关闭" in response.text
    assert load_flag(settings, flag_id).state == "new"


def test_other_grid_needs_the_cover_box(
    web: TestClient, settings: Settings, seeded: Seeded, users: dict[str, int]
) -> None:
    flag_id = seeded.flag_ids["urgent"]  # a G1 unit
    csrf = sign_in(web, settings, "sec")
    data = {"csrf_token": csrf, "worker_id": str(users["worker-g2"])}
    response = web.post(f"/flags/{flag_id}/assign", data=data)
    assert response.status_code == 422
    assert "该网格员负责其他网格" in response.text
    # The choice is kept in the re-rendered form.
    assert f'<option value="{users["worker-g2"]}" selected>' in response.text
    response = web.post(
        f"/flags/{flag_id}/assign", data={**data, "other_grid": "1"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert load_flag(settings, flag_id).assigned_to_id == users["worker-g2"]


def test_unknown_worker_is_422(web: TestClient, settings: Settings, seeded: Seeded) -> None:
    flag_id = seeded.flag_ids["urgent"]
    csrf = sign_in(web, settings, "sec")
    for worker in ("", "abc", "99999", "1" * 30):
        response = web.post(
            f"/flags/{flag_id}/assign", data={"csrf_token": csrf, "worker_id": worker}
        )
        assert response.status_code == 422, worker
    assert load_flag(settings, flag_id).state == "new"


def test_next_goes_back_to_a_local_page_only(
    web: TestClient, settings: Settings, seeded: Seeded, users: dict[str, int]
) -> None:
    flag_id = seeded.flag_ids["urgent"]
    csrf = sign_in(web, settings, "sec")
    data = {"csrf_token": csrf, "worker_id": str(users["worker"])}
    response = web.post(
        f"/flags/{flag_id}/assign", data={**data, "next": "/worklist"}, follow_redirects=False
    )
    assert response.headers["location"] == "/worklist"
    response = web.post(f"/flags/{flag_id}/unassign", data={**data, "next": "//evil.example"},
                        follow_redirects=False)  # fmt: skip
    assert response.headers["location"] == f"/flags/{flag_id}?done=unassign"
    assert load_flag(settings, flag_id).state == "new"


def test_dismissed_flag_can_be_reopened(
    web: TestClient, settings: Settings, seeded: Seeded
) -> None:
    flag_id = seeded.flag_ids["dismissed"]
    csrf = sign_in(web, settings, "sec")
    page = web.get(f"/flags/{flag_id}").text
    assert f'action="/flags/{flag_id}/reopen"' in page
    assert f'action="/flags/{flag_id}/assign"' not in page
    response = web.post(
        f"/flags/{flag_id}/reopen", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert load_flag(settings, flag_id).state == "new"
    assert [a.action for a in audit_rows(settings, "reopen", flag_id)] == ["reopen"]


# --- JSON API -----------------------------------------------------------------------------


def test_api_assign_visit_and_history(
    web: TestClient, settings: Settings, seeded: Seeded, users: dict[str, int]
) -> None:
    flag_id = seeded.flag_ids["urgent"]
    web.cookies.clear()
    sec, worker = api_headers(settings, "sec"), api_headers(settings, "worker")
    response = web.post(
        f"/api/flags/{flag_id}/assign", json={"worker_id": users["worker"]}, headers=sec
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["state"], body["assigned_to_id"]) == ("assigned", users["worker"])
    assert body["assigned_at"].endswith(("Z", "+00:00"))
    assert [a.username for a in audit_rows(settings, "assign", flag_id)] == ["sec"]

    response = web.post(
        f"/api/flags/{flag_id}/visit",
        json={"outcome": "no_answer", "note": ""},
        headers=worker,
    )
    assert response.status_code == 200, response.text
    assert (response.json()["state"], response.json()["outcome"]) == ("visited", "no_answer")

    response = web.get(f"/api/flags/{flag_id}/history", headers=sec)
    assert response.status_code == 200
    history = response.json()
    assert history["flag"]["outcome"] == "no_answer"
    assert [(e["action"], e["actor"], e["to_state"]) for e in history["events"]] == [
        ("assigned", "sec", "assigned"),
        ("visited", "worker", "visited"),
    ]
    assert [r.detail for r in audit_rows(settings, "view", flag_id)] == ["history"]


def test_api_bad_bodies_are_422(
    web: TestClient, settings: Settings, seeded: Seeded, users: dict[str, int]
) -> None:
    flag_id = seeded.flag_ids["top_score"]
    web.cookies.clear()
    sec = api_headers(settings, "sec")
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}):
        response = web.post(f"/api/flags/{flag_id}/dismiss", json=body, headers=sec)
        assert response.status_code == 422, body
    response = web.post(f"/api/flags/{flag_id}/visit", json={"outcome": "maybe"}, headers=sec)
    assert response.status_code == 422
    response = web.post(f"/api/flags/{flag_id}/visit", json={"outcome": "other"}, headers=sec)
    assert response.status_code == 422
    assert response.json()["detail"]["code"] == "note_required"
    response = web.post(f"/api/flags/{flag_id}/assign", json={"worker_id": "x"}, headers=sec)
    assert response.status_code == 422
    response = web.post(f"/api/flags/{flag_id}/assign", json={"worker_id": 99999}, headers=sec)
    assert response.status_code == 422
    assert response.json()["detail"]["code"] == "worker_unknown"
    # Ids beyond what a row can have: 422, never a database overflow (500).
    huge = 10**20
    response = web.post(f"/api/flags/{flag_id}/assign", json={"worker_id": huge}, headers=sec)
    assert response.status_code == 422
    assert web.get(f"/api/flags/{huge}/history", headers=sec).status_code == 422
    assert load_flag(settings, flag_id).state == "new"
    assert flag_events(settings, flag_id) == []


def test_api_scope_permission_and_state(
    web: TestClient, settings: Settings, seeded: Seeded, users: dict[str, int]
) -> None:
    flag_id = seeded.flag_ids["urgent"]
    web.cookies.clear()
    river, worker = api_headers(settings, "sec-river"), api_headers(settings, "worker")
    sec = api_headers(settings, "sec")
    # Another community's secretary: the flag does not exist for them.
    assign = {"worker_id": users["worker"]}
    assert web.post(f"/api/flags/{flag_id}/assign", json=assign, headers=river).status_code == 404
    assert web.get(f"/api/flags/{flag_id}/history", headers=river).status_code == 404
    # A grid worker may not assign, nor dismiss.
    assert web.post(f"/api/flags/{flag_id}/assign", json=assign, headers=worker).status_code == 403
    response = web.post(f"/api/flags/{flag_id}/dismiss", json={"reason": "x"}, headers=worker)
    assert response.status_code == 403
    # Nor record a visit on a flag that is not on their list.
    response = web.post(f"/api/flags/{flag_id}/visit", json={"outcome": "vacant"}, headers=worker)
    assert response.status_code == 403
    # Closing a flag nobody visited: the state says no.
    response = web.post(f"/api/flags/{flag_id}/close", headers=sec)
    assert response.status_code == 409
    assert response.json()["detail"]["code"] == "not_visited"
    assert web.post(f"/api/flags/{flag_id}/unassign", headers=sec).status_code == 409
    # Without credentials: 401.
    assert web.post(f"/api/flags/{flag_id}/close").status_code == 401
    assert load_flag(settings, flag_id).state == "new"
    assert flag_events(settings, flag_id) == []


def test_api_with_cookie_needs_csrf_header(
    web: TestClient, settings: Settings, seeded: Seeded
) -> None:
    flag_id = seeded.flag_ids["top_score"]
    csrf = sign_in(web, settings, "sec")
    body = {"reason": "duplicate of a visit last week"}
    assert web.post(f"/api/flags/{flag_id}/dismiss", json=body).status_code == 403
    response = web.post(f"/api/flags/{flag_id}/dismiss", json=body, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200
    assert response.json()["dismiss_reason"] == body["reason"]


def test_api_workflow_refusals_match_the_declared_422(
    web: TestClient, settings: Settings, seeded: Seeded, users: dict[str, int]
) -> None:
    """A refusal's body (``detail.code``) is one the schema declares, as well as FastAPI's
    own validation error (the schema used to declare only the latter)."""
    flag_id = seeded.flag_ids["top_score"]
    web.cookies.clear()
    sec = api_headers(settings, "sec")
    calls = [
        ("assign", {"worker_id": 99999}, "worker_unknown"),
        ("visit", {"outcome": "other"}, "note_required"),
        ("visit", {"outcome": "maybe"}, None),
    ]
    for action, body, code in calls:
        response = web.post(f"/api/flags/{flag_id}/{action}", json=body, headers=sec)
        assert response.status_code == 422, body
        if code:
            assert response.json()["detail"]["code"] == code
        assert_declared(web, "POST", f"/api/flags/{{flag_id}}/{action}", response)


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "/\\evil.example", "/ok\r\nSet-Cookie: x=1"]
)
def test_a_form_never_redirects_off_site(target: str) -> None:
    """The flag forms' ``next`` goes through the same check as the sign-in's."""
    from occupancy.api.redirects import local_path

    assert local_path(target) is None
    assert local_path("/worklist?saved=3") == "/worklist?saved=3"
