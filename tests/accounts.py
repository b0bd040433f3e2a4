"""Accounts for tests: real users, real argon2 hashes, real API tokens and sign-in cookies.

Every route needs someone signed in; these helpers make that one line, without ever mocking
the authentication they are meant to exercise.
"""

from __future__ import annotations

from typing import Any

from occupancy.auth.accounts import create_api_token, create_user
from occupancy.db.session import session_scope
from occupancy.db.tables import User

#: Long enough for the password rule; tests that check the rule use their own.
PASSWORD = "correct horse battery staple"


def add_user(
    db_url: str,
    username: str,
    role: str,
    community: str = "",
    grid: str = "",
    password: str = PASSWORD,
    display_name: str = "",
) -> User:
    with session_scope(db_url) as session:
        return create_user(
            session,
            username,
            password,
            role,
            community=community,
            grid=grid,
            display_name=display_name,
        )


def token_for(db_url: str, username: str, name: str = "tests") -> str:
    from sqlalchemy import select

    with session_scope(db_url) as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        return create_api_token(session, user, name)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(client: Any, username: str, password: str = PASSWORD) -> str:
    """Sign ``client`` (a TestClient or httpx client) in through the sign-in form; returns the
    CSRF token its later form posts must carry."""
    page = client.get("/login")
    assert page.status_code == 200, page.text
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "next": "/",
            # The sign-in form's double-submit token, set as a cookie by GET /login.
            "login_csrf": client.cookies.get("login_csrf", path="/login") or "",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_token(client)


def csrf_token(client: Any) -> str:
    """The CSRF token of the client's session, read from /api/me like a script would."""
    response = client.get("/api/me")
    assert response.status_code == 200, response.text
    return response.json()["csrf_token"]
