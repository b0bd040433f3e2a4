"""Account administration: /api/users, the /admin/users page, and who may use them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from occupancy.config import Settings
from occupancy.db.session import session_scope
from occupancy.db.tables import AuditEvent, User
from tests.accounts import PASSWORD, add_user, bearer, token_for

from ..conftest import ADMIN_USER, make_client
from ..declared import assert_declared
from ._signin import sign_in

NEW = {
    "username": "li.walker",
    "password": "a long enough passphrase",
    "role": "grid_worker",
    "community": "east",
    "grid": "g1",
    "display_name": "李",
}


@pytest.fixture
def admin(settings: Settings) -> Iterator[TestClient]:
    """An admin's script (bearer token) over an empty database."""
    yield from make_client(settings)


@pytest.fixture
def browser(settings: Settings) -> Iterator[TestClient]:
    yield from make_client(settings, as_admin=False)


def _user_id(settings: Settings, username: str) -> int:
    with session_scope(settings.resolved_db_url) as session:
        return session.scalars(select(User.id).where(User.username == username)).one()


def _audit(settings: Settings, object_type: str) -> list[AuditEvent]:
    with session_scope(settings.resolved_db_url) as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.object_type == object_type)
                .order_by(AuditEvent.id)
            )
        )


# --- API -----------------------------------------------------------------------------------


def test_create_list_and_read(admin: TestClient, settings: Settings) -> None:
    response = admin.post("/api/users", json=NEW)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["username"] == "li.walker" and created["role"] == "grid_worker"
    assert (created["community"], created["grid"], created["active"]) == ("east", "g1", True)
    assert "password" not in response.text and "hash" not in response.text

    listed = admin.get("/api/users").json()
    assert [u["username"] for u in listed] == sorted([ADMIN_USER, "li.walker"])
    detail = admin.get(f"/api/users/{created['id']}").json()
    assert detail["tokens"] == [] and detail["display_name"] == "李"

    (event,) = [e for e in _audit(settings, "user") if e.action == "create"]
    assert (event.username, event.object_id, event.community) == (ADMIN_USER, "li.walker", "east")
    assert NEW["password"] not in event.detail


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"username": "LI.WALKER"}, 409, "taken"),
        ({"grid": ""}, 422, "grid"),
        ({"password": "short"}, 422, "characters"),
        ({"role": "king"}, 422, "role"),
        ({"username": "has space"}, 422, "username"),
        ({"extra": 1}, 422, "extra"),
    ],
)
def test_create_refused(
    admin: TestClient, change: dict[str, object], status: int, message: str
) -> None:
    assert admin.post("/api/users", json=NEW).status_code == 201
    response = admin.post("/api/users", json=NEW | {"username": "zhang"} | change)
    assert response.status_code == status, response.text
    assert message in response.text


def test_unknown_user_is_404(admin: TestClient) -> None:
    assert admin.get("/api/users/999").status_code == 404
    assert admin.patch("/api/users/999", json={"active": False}).status_code == 404
    assert admin.post("/api/users/999/tokens", json={}).status_code == 404
    assert admin.get(f"/api/users/{2**63}").status_code == 422  # not a 500 from the driver


def test_role_change_ends_the_persons_sessions(
    admin: TestClient, browser: TestClient, settings: Settings
) -> None:
    add_user(settings.resolved_db_url, "wang", "grid_worker", community="east", grid="g1")
    sign_in(browser, "wang")
    user_id = _user_id(settings, "wang")

    response = admin.patch(f"/api/users/{user_id}", json={"display_name": "王"})
    assert response.status_code == 200
    assert browser.get("/api/me").status_code == 200  # a new name changes no rights

    response = admin.patch(f"/api/users/{user_id}", json={"role": "secretary", "grid": ""})
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "secretary"
    assert browser.get("/api/me").status_code == 401
    me = (sign_in(browser, "wang"), browser.get("/api/me").json())[1]
    assert me["role"] == "secretary" and me["grid"] == ""

    update = [e for e in _audit(settings, "user") if e.action == "update"][-1]
    assert "role: grid_worker -> secretary" in update.detail and "sessions ended" in update.detail


def test_disable_ends_sessions_and_tokens(
    admin: TestClient, browser: TestClient, settings: Settings
) -> None:
    add_user(settings.resolved_db_url, "wang", "secretary", community="east")
    token = token_for(settings.resolved_db_url, "wang")
    sign_in(browser, "wang")
    user_id = _user_id(settings, "wang")
    assert admin.patch(f"/api/users/{user_id}", json={"active": False}).status_code == 200
    assert browser.get("/api/me").status_code == 401
    assert browser.get("/api/me", headers=bearer(token)).status_code == 401
    assert admin.patch(f"/api/users/{user_id}", json={"grid": "g1"}).status_code == 422


def test_password_reset(admin: TestClient, browser: TestClient, settings: Settings) -> None:
    add_user(settings.resolved_db_url, "wang", "secretary", community="east")
    user_id = _user_id(settings, "wang")
    new = "another long passphrase"
    assert admin.patch(f"/api/users/{user_id}", json={"password": new}).status_code == 200
    from ._signin import post_login

    assert post_login(browser, "wang", PASSWORD).status_code == 401
    assert post_login(browser, "wang", new).status_code == 303
    assert all(new not in e.detail for e in _audit(settings, "user"))


def test_refusals_match_the_declared_422(admin: TestClient, settings: Settings) -> None:
    add_user(settings.resolved_db_url, "wang", "secretary", community="east")
    path = f"/api/users/{_user_id(settings, 'wang')}"
    for change in ({"password": "short"}, {"grid": "g1"}, {"role": "king"}):
        response = admin.patch(path, json=change)
        assert response.status_code == 422, change
        assert_declared(admin, "PATCH", "/api/users/{user_id}", response)
    response = admin.post("/api/users", json=NEW | {"password": "short"})
    assert response.status_code == 422
    assert_declared(admin, "POST", "/api/users", response)


def test_admin_cannot_lock_themselves_out(admin: TestClient, settings: Settings) -> None:
    me = _user_id(settings, ADMIN_USER)
    assert admin.patch(f"/api/users/{me}", json={"active": False}).status_code == 409
    assert admin.patch(f"/api/users/{me}", json={"role": "tester"}).status_code == 409
    assert admin.get("/api/me").status_code == 200


def test_tokens_are_shown_once_and_revocable(admin: TestClient, settings: Settings) -> None:
    user_id = admin.post("/api/users", json=NEW).json()["id"]
    response = admin.post(f"/api/users/{user_id}/tokens", json={"name": "nightly export"})
    assert response.status_code == 201
    token = response.json()["token"]
    assert token.startswith("occ_") and response.json()["name"] == "nightly export"

    script = admin.get("/api/me", headers=bearer(token)).json()
    assert script["username"] == "li.walker"
    detail = admin.get(f"/api/users/{user_id}")
    assert token not in detail.text
    (listed,) = detail.json()["tokens"]
    assert listed["name"] == "nightly export" and listed["last_used_at"] is not None

    response = admin.delete(f"/api/users/{user_id}/tokens")
    assert response.json() == {"revoked": 1}
    assert admin.get("/api/me", headers=bearer(token)).status_code == 401
    assert admin.get(f"/api/users/{user_id}").json()["tokens"][0]["revoked_at"] is not None
    actions = [(e.action, e.object_id) for e in _audit(settings, "api_token")]
    assert actions == [("create", "li.walker"), ("revoke", "li.walker")]


# --- the page ------------------------------------------------------------------------------


def test_admin_page_lists_and_creates(browser: TestClient, settings: Settings) -> None:
    add_user(settings.resolved_db_url, "boss", "admin")
    add_user(settings.resolved_db_url, "wang", "secretary", community="东湖")
    csrf = sign_in(browser, "boss")
    html = browser.get("/admin/users").text
    assert "用户管理" in html and "东湖" in html and "社区书记" in html
    assert 'name="csrf_token" value="' + csrf in html

    form = {k: v for k, v in NEW.items()}
    for data in (form, form | {"csrf_token": "wrong"}):
        assert browser.post("/admin/users", data=data, follow_redirects=False).status_code == 403
    assert [e for e in _audit(settings, "user") if e.action == "create"] == []

    response = browser.post(
        "/admin/users", data=form | {"csrf_token": csrf}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/users?created=li.walker"
    assert "已创建用户 li.walker" in browser.get(response.headers["location"]).text

    response = browser.post("/admin/users", data=form | {"csrf_token": csrf})
    assert response.status_code == 409 and "taken" in response.text
    assert 'value="li.walker"' in response.text  # the form keeps what was typed
    bad = form | {"csrf_token": csrf, "username": "zhang", "grid": ""}
    response = browser.post("/admin/users", data=bad)
    assert response.status_code == 422 and "grid" in response.text


def test_admin_page_disables_a_user(browser: TestClient, settings: Settings) -> None:
    add_user(settings.resolved_db_url, "boss", "admin")
    add_user(settings.resolved_db_url, "wang", "secretary", community="east")
    csrf = sign_in(browser, "boss")
    wang = _user_id(settings, "wang")
    url = f"/admin/users/{wang}/active"
    assert browser.post(url, data={"active": "false"}).status_code == 403  # no CSRF token
    response = browser.post(
        url, data={"active": "false", "csrf_token": csrf}, follow_redirects=False
    )
    assert response.status_code == 303
    with session_scope(settings.resolved_db_url) as session:
        assert session.get(User, wang).active is False
    boss = _user_id(settings, "boss")
    response = browser.post(
        f"/admin/users/{boss}/active", data={"active": "false", "csrf_token": csrf}
    )
    assert response.status_code == 409


# --- nobody else ---------------------------------------------------------------------------

ADMIN_ROUTES = [
    ("GET", "/api/users"),
    ("POST", "/api/users"),
    ("GET", "/api/users/{id}"),
    ("PATCH", "/api/users/{id}"),
    ("POST", "/api/users/{id}/tokens"),
    ("DELETE", "/api/users/{id}/tokens"),
    ("GET", "/api/audit"),
    ("GET", "/api/audit.csv"),
    ("GET", "/admin/users"),
    ("POST", "/admin/users"),
    ("POST", "/admin/users/{id}/active"),
    ("GET", "/admin/audit"),
]


@pytest.mark.parametrize(
    ("role", "community", "grid"),
    [("secretary", "east", ""), ("grid_worker", "east", "g1"), ("tester", "", "")],
)
def test_non_admins_get_403_on_every_admin_route(
    browser: TestClient, settings: Settings, role: str, community: str, grid: str
) -> None:
    db_url = settings.resolved_db_url
    add_user(db_url, "someone", role, community=community, grid=grid)
    target = _user_id(settings, "someone")
    headers = bearer(token_for(db_url, "someone"))
    csrf = sign_in(browser, "someone")
    for method, path in ADMIN_ROUTES:
        url = path.format(id=target)
        body = {"json": NEW} if path == "/api/users" else {}
        by_token = browser.request(method, url, headers=headers, **body)
        assert by_token.status_code == 403, (method, url, by_token.text)
        form = {"csrf_token": csrf, "active": "false"} | (NEW if "admin" in url else {})
        by_cookie = browser.request(
            method, url, headers={"X-CSRF-Token": csrf}, data=form if method == "POST" else None
        )
        assert by_cookie.status_code == 403, (method, url, by_cookie.text)
    with session_scope(db_url) as session:
        assert session.get(User, target).active is True
        assert session.scalars(select(User).where(User.username == NEW["username"])).all() == []
        assert (
            session.scalars(select(AuditEvent).where(AuditEvent.object_type != "user")).all() == []
        )
