"""Sign-in and sign-out through the real form: cookies, CSRF, rate limit, redirects, audit."""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from occupancy.api.deps import get_now
from occupancy.api.main import create_app
from occupancy.api.routes import auth as auth_routes
from occupancy.api.routes.auth import safe_next
from occupancy.config import Settings
from occupancy.db.session import session_scope
from occupancy.db.tables import AuditEvent, LoginAttempt, User
from tests.accounts import PASSWORD, add_user, bearer, token_for

from ..conftest import make_client
from ..seed import NOW
from ._signin import login_form, post_login, sign_in


@pytest.fixture
def anon(settings: Settings) -> Iterator[TestClient]:
    """A browser with no credentials, over an empty database with one secretary."""
    add_user(settings.resolved_db_url, "wang", "secretary", community="east", display_name="王丽")
    yield from make_client(settings, as_admin=False)


def _audit(settings: Settings, action: str | None = None) -> list[AuditEvent]:
    with session_scope(settings.resolved_db_url) as session:
        stmt = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            stmt = stmt.where(AuditEvent.action == action)
        return list(session.scalars(stmt))


def _cookie_header(response, name: str) -> str:
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(name + "=")]
    assert len(headers) == 1, response.headers.get_list("set-cookie")
    return headers[0]


# --- the page ------------------------------------------------------------------------------


def test_login_page_in_chinese_then_english(anon: TestClient) -> None:
    html = anon.get("/login").text
    assert '<html lang="zh-CN">' in html and "用户名" in html and "密码" in html
    assert 'name="viewport"' in html
    html = anon.get("/login", params={"lang": "en"}).text
    assert "Username" in html and "Sign in" in html
    header = _cookie_header(anon.get("/login"), "login_csrf")
    assert "HttpOnly" in header and "samesite=lax" in header.lower() and "Path=/login" in header


def test_pages_and_api_ask_for_sign_in(anon: TestClient) -> None:
    response = anon.get("/admin/audit", params={"username": "x"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fadmin%2Faudit%3Fusername%3Dx"
    response = anon.get("/api/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


# --- signing in ----------------------------------------------------------------------------


def test_sign_in_sets_a_safe_session_cookie(anon: TestClient, settings: Settings) -> None:
    response = post_login(anon, "wang", next_path="/communities/east?lang=en")
    assert response.status_code == 303
    assert response.headers["location"] == "/communities/east?lang=en"
    header = _cookie_header(response, "occupancy_session")
    assert "HttpOnly" in header
    assert "samesite=lax" in header.lower()
    assert "Path=/" in header
    assert f"Max-Age={int(settings.session_hours * 3600)}" in header
    assert "Secure" not in header  # cookie_secure is off for plain-HTTP tests

    me = anon.get("/api/me").json()
    assert me["username"] == "wang" and me["role"] == "secretary"
    assert me["community"] == "east" and me["grid"] == "" and me["display_name"] == "王丽"
    assert len(me["csrf_token"]) >= 32

    (event,) = _audit(settings, "login")
    assert (event.username, event.role, event.object_type, event.object_id) == (
        "wang",
        "secretary",
        "user",
        "wang",
    )
    assert event.community == "east" and event.address == "testclient"
    with session_scope(settings.resolved_db_url) as session:
        attempt = session.scalars(select(LoginAttempt)).one()
        assert attempt.success and attempt.username == "wang"


def test_secure_cookie_when_configured(settings: Settings) -> None:
    secure = settings.model_copy(update={"cookie_secure": True})
    add_user(secure.resolved_db_url, "boss", "admin")
    # Secure cookies travel over HTTPS only, so this browser speaks HTTPS.
    with TestClient(create_app(secure), base_url="https://testserver") as client:
        assert "Secure" in _cookie_header(client.get("/login"), "login_csrf")
        response = post_login(client, "boss")
        assert response.status_code == 303
        assert "Secure" in _cookie_header(response, "occupancy_session")
        assert client.get("/api/me").json()["username"] == "boss"


def test_api_me_with_a_token_has_no_csrf(anon: TestClient, settings: Settings) -> None:
    token = token_for(settings.resolved_db_url, "wang")
    me = anon.get("/api/me", headers=bearer(token)).json()
    assert me["username"] == "wang" and me["csrf_token"] is None


@pytest.mark.parametrize(
    ("username", "password", "reason"),
    [
        ("wang", "not the password", "wrong password"),
        ("ghost", PASSWORD, "unknown username"),
        ("retired", PASSWORD, "account disabled"),
    ],
)
def test_failed_sign_in(
    anon: TestClient, settings: Settings, username: str, password: str, reason: str
) -> None:
    add_user(settings.resolved_db_url, "retired", "admin")
    with session_scope(settings.resolved_db_url) as session:
        session.scalars(select(User).where(User.username == "retired")).one().active = False

    response = post_login(anon, username, password)
    assert response.status_code == 401
    assert "用户名或密码不正确" in response.text  # one message, whatever the cause
    assert "occupancy_session" not in response.headers.get("set-cookie", "")
    assert anon.get("/api/me").status_code == 401

    (event,) = _audit(settings, "login_failed")
    # A name no account has is kept masked: it may be a password typed in the wrong box.
    shown = "gh…(5)" if username == "ghost" else username
    assert event.username == shown and event.object_id == shown
    assert event.user_id is None and event.role == ""
    assert event.detail == reason
    for row in _audit(settings):
        assert password not in " ".join(
            (row.username, row.object_id, row.detail, row.community, row.address)
        )


def test_login_csrf_field_must_match_the_cookie(anon: TestClient, settings: Settings) -> None:
    token = login_form(anon)
    form = {"username": "wang", "password": PASSWORD, "next": "/"}
    for extra in ({}, {"login_csrf": ""}, {"login_csrf": token + "x"}):
        response = anon.post("/login", data=form | extra, follow_redirects=False)
        assert response.status_code == 403, extra
        assert "过期" in response.text
    # A cross-site post carries no cookie (SameSite=Lax), even with a guessed field.
    anon.cookies.clear()
    response = anon.post("/login", data=form | {"login_csrf": token}, follow_redirects=False)
    assert response.status_code == 403
    assert _audit(settings, "login") == []
    # The page it answered with set a fresh token; using it works.
    assert post_login(anon, "wang").status_code == 303


def test_rate_limit_answers_429_with_retry_after(settings: Settings) -> None:
    limited = settings.model_copy(update={"login_max_failures": 3, "login_window_minutes": 10})
    add_user(limited.resolved_db_url, "wang", "secretary", community="east")
    for client in make_client(limited, as_admin=False):
        for _ in range(3):
            assert post_login(client, "wang", "wrong password!").status_code == 401
        # The right password does not help while the limit holds.
        response = post_login(client, "wang")
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) == 10 * 60 + 1
        assert "11 分钟" in response.text  # 601 s, rounded up
        assert client.get("/api/me").status_code == 401
        # Another account is not locked out by someone guessing this one.
        add_user(limited.resolved_db_url, "li", "admin")
        assert post_login(client, "li").status_code == 303
        # After the window the right password works again.
        client.app.dependency_overrides[get_now] = lambda: NOW + timedelta(minutes=10, seconds=1)
        assert post_login(client, "wang").status_code == 303
    blocked = [e for e in _audit(limited, "login_failed") if "rate limited" in e.detail]
    assert len(blocked) == 1 and blocked[0].username == "wang"


def test_a_password_typed_as_the_username_is_not_kept(settings: Settings) -> None:
    """Someone tabs too early and types their password into the username box: the audit log
    (append-only, exported) and the attempts table keep only a masked form of a name no
    account has, and the per-username limit still holds for it."""
    limited = settings.model_copy(update={"login_max_failures": 2})
    add_user(limited.resolved_db_url, "wang", "secretary", community="east")
    secret = "Summer2026!wang"
    for client in make_client(limited, as_admin=False):
        assert post_login(client, secret, "").status_code == 401
        assert post_login(client, f" {secret.upper()} ", "x").status_code == 401
        assert post_login(client, secret, "").status_code == 429
        assert post_login(client, "wang", "wrong password!").status_code == 401
    events = _audit(limited, "login_failed")
    assert [e.username for e in events] == ["Su…(15)", "SU…(15)", "Su…(15)", "wang"]
    assert [e.object_id for e in events] == ["Su…(15)", "SU…(15)", "Su…(15)", "wang"]
    assert "rate limited" in events[2].detail
    with session_scope(limited.resolved_db_url) as session:
        attempts = session.scalars(select(LoginAttempt).order_by(LoginAttempt.id)).all()
        key = hashlib.sha256(secret.lower().encode()).hexdigest()
        assert [a.username for a in attempts] == [key, key, "wang"]
        for row in (*attempts, *_audit(limited)):
            assert "2026" not in " ".join(
                str(v) for v in (row.username, getattr(row, "detail", ""), row.address)
            )


def test_concurrent_wrong_passwords_get_no_more_checks_than_the_limit(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guesses sent all at once must not each pass the limit check while the others are
    still verifying their password (argon2 is slow in production: here it is made slow)."""
    limited = settings.model_copy(update={"login_max_failures": 5})
    add_user(limited.resolved_db_url, "wang", "secretary", community="east")
    checks: list[str] = []
    lock = threading.Lock()
    real_authenticate = auth_routes.authenticate

    def slow_authenticate(session, username, password):  # noqa: ANN001, ANN202
        with lock:
            checks.append(password)
        threading.Event().wait(0.2)
        return real_authenticate(session, username, password)

    monkeypatch.setattr(auth_routes, "authenticate", slow_authenticate)
    app = create_app(limited)
    app.dependency_overrides[get_now] = lambda: NOW
    with TestClient(app) as warm:
        warm.get("/login")

    def guess(n: int) -> int:
        with TestClient(app) as client:
            return post_login(client, "wang", f"wrong guess {n:04d}").status_code

    with ThreadPoolExecutor(20) as pool:
        codes = Counter(pool.map(guess, range(20)))
    assert len(checks) <= 5, (len(checks), codes)
    assert codes == {401: len(checks), 429: 20 - len(checks)}
    with session_scope(limited.resolved_db_url) as session:
        failures = session.scalars(select(LoginAttempt).where(~LoginAttempt.success)).all()
        assert len(failures) == len(checks)


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/path",
        "https://evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/ok\r\nSet-Cookie: x=1",
        "",
    ],
)
def test_open_redirect_refused(anon: TestClient, target: str) -> None:
    assert safe_next(target) == "/"
    response = post_login(anon, "wang", next_path=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_next_survives_a_failed_attempt(anon: TestClient) -> None:
    html = anon.get("/login", params={"next": "/admin/audit"}).text
    assert 'name="next" value="/admin/audit"' in html
    html = anon.get("/login", params={"next": "//evil.example"}).text
    assert 'name="next" value="/"' in html
    response = post_login(anon, "wang", "wrong password!", next_path="/units/a")
    assert 'name="next" value="/units/a"' in response.text


# --- sessions ------------------------------------------------------------------------------


def test_session_expires_after_session_hours(anon: TestClient, settings: Settings) -> None:
    sign_in(anon, "wang")
    anon.app.dependency_overrides[get_now] = lambda: (
        NOW + timedelta(hours=settings.session_hours, seconds=-1)
    )
    assert anon.get("/api/me").status_code == 200
    anon.app.dependency_overrides[get_now] = lambda: NOW + timedelta(hours=settings.session_hours)
    assert anon.get("/api/me").status_code == 401


def test_new_sign_in_replaces_the_old_session(anon: TestClient) -> None:
    sign_in(anon, "wang")
    old = anon.cookies.get("occupancy_session")
    sign_in(anon, "wang")
    assert anon.cookies.get("occupancy_session") != old
    assert anon.get("/api/me", cookies={"occupancy_session": old}).status_code == 401


def test_logout_needs_the_csrf_token(anon: TestClient, settings: Settings) -> None:
    csrf = sign_in(anon, "wang")
    for data in ({}, {"csrf_token": "wrong"}):
        response = anon.post("/logout", data=data, follow_redirects=False)
        assert response.status_code == 403
    assert anon.get("/api/me").status_code == 200  # still signed in

    response = anon.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert 'occupancy_session=""' in response.headers["set-cookie"]
    assert anon.get("/api/me").status_code == 401
    (event,) = _audit(settings, "logout")
    assert event.username == "wang"


def test_logout_with_the_header_token(anon: TestClient) -> None:
    csrf = sign_in(anon, "wang")
    cookie = anon.cookies.get("occupancy_session")
    response = anon.post("/logout", headers={"X-CSRF-Token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    # The session is gone server-side, not only forgotten by this browser.
    assert anon.get("/api/me", cookies={"occupancy_session": cookie}).status_code == 401


def test_signed_in_page_shows_the_nav_and_sign_out(anon: TestClient) -> None:
    csrf = sign_in(anon, "wang")
    html = anon.get("/login").text  # any page extending base.html
    assert 'action="/logout"' not in html  # the sign-in page shows nobody as signed in
    html = anon.get("/").text
    assert 'action="/logout"' in html and csrf in html
    assert "王丽" in html
    assert 'href="/admin/users"' not in html  # secretaries do not manage accounts
