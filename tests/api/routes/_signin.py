"""Signing a test client in through the real form, double-submit token included."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.accounts import PASSWORD


def login_form(client: TestClient) -> str:
    """GET /login and the double-submit token its form carries (also set as a cookie)."""
    page = client.get("/login")
    assert page.status_code == 200, page.text
    match = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
    assert match, "no login_csrf field on the sign-in page"
    assert client.cookies.get("login_csrf") == match.group(1)
    return match.group(1)


def post_login(
    client: TestClient, username: str, password: str = PASSWORD, next_path: str = "/", **extra: Any
) -> Any:
    data = {
        "username": username,
        "password": password,
        "next": next_path,
        "login_csrf": login_form(client),
    }
    data.update(extra)
    return client.post("/login", data=data, follow_redirects=False)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in and return the session's CSRF token (from /api/me, as a script would)."""
    response = post_login(client, username, password)
    assert response.status_code == 303, response.text
    me = client.get("/api/me")
    assert me.status_code == 200, me.text
    return me.json()["csrf_token"]
