"""Signing in and out: the sign-in page, the session cookie, and ``/api/me``.

The sign-in form has no session to carry a CSRF token yet, so it uses a double-submit
cookie: GET /login sets a random ``login_csrf`` cookie and puts the same value in a hidden
field; POST /login accepts the form only when both match. A page on another site can make a
browser post the form but can neither read the cookie nor (SameSite=Lax) have it sent, so it
cannot sign a victim in to the attacker's account ("login CSRF").
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from occupancy.api.deps import (
    CurrentUser,
    NowDep,
    PageDep,
    SessionDep,
    SettingsDep,
    client_address,
)
from occupancy.api.redirects import MAX_NEXT, local_path
from occupancy.api.schemas_accounts import Me
from occupancy.audit.log import record
from occupancy.auth.accounts import authenticate
from occupancy.auth.principal import Principal
from occupancy.auth.ratelimit import claim_attempt
from occupancy.auth.secrets import new_secret
from occupancy.auth.sessions import SESSION_COOKIE, end_session, start_session
from occupancy.config import Settings
from occupancy.db.tables import User

#: Pages: the sign-in form and signing out (not part of the API schema).
router = APIRouter(include_in_schema=False)
#: ``/api/me``, included under ``/api``.
api_router = APIRouter(tags=["auth"])

#: The double-submit cookie of the sign-in form, and its hidden field.
LOGIN_CSRF_COOKIE = "login_csrf"
LOGIN_CSRF_FIELD = "login_csrf"


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site, else ``/`` (see ``local_path``)."""
    return local_path(target) or "/"


def _login_page(
    page: PageDep,
    request: Request,
    *,
    next_path: str,
    status_code: int = 200,
    error: str = "",
    username: str = "",
    headers: dict[str, str] | None = None,
    retry_seconds: int = 0,
) -> HTMLResponse:
    """The sign-in form, with a (possibly reused) double-submit token in cookie and field."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    if len(token) < 32:
        token = new_secret()
    response = page(
        "login.html",
        status_code=status_code,
        next_path=next_path,
        login_csrf=token,
        error=error,
        username=username,
        retry_minutes=max(1, -(-retry_seconds // 60)),
        user=None,
        csrf_token="",
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=page.settings.cookie_secure,
        path="/login",
    )
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@router.get("/login", response_class=HTMLResponse, name="login")
def login_page(request: Request, page: PageDep, next: str = "/") -> HTMLResponse:  # noqa: A002
    return _login_page(page, request, next_path=safe_next(next))


def _set_session_cookie(response: Response, value: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    page: PageDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=MAX_NEXT * 2)] = "/",  # noqa: A002
    login_csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Check the form, the rate limit and the password, then start a session.

    Failures answer the form again with one message that does not say whether the username
    exists. The password is never logged or audited; the claimed username is when an account
    has it, else only its first two characters and length."""
    next_path = safe_next(next)
    username = username.strip()
    address = client_address(request)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    if not cookie or not hmac.compare_digest(cookie.encode(), login_csrf.encode()):
        return _login_page(
            page,
            request,
            next_path=next_path,
            status_code=status.HTTP_403_FORBIDDEN,
            error="login.expired",
            username=username,
        )
    window = timedelta(minutes=settings.login_window_minutes)
    account = _account(session, username)
    # A name no account has may be a password typed into the wrong box: the audit log keeps
    # only a masked form, the attempts table a hash (still one key per name for the limit).
    claimed = username if account is not None else _masked(username)
    key = username if account is not None or not username else _name_hash(username)
    # The attempt is claimed (counted as a failure) and committed before the slow password
    # check, so guesses sent at once cannot all pass the limit check together.
    wait, attempt = claim_attempt(
        session,
        key,
        address,
        now=now,
        max_failures=settings.login_max_failures,
        window=window,
    )
    if wait is not None:
        record(
            session,
            None,
            "login_failed",
            "user",
            claimed[:64],
            username=claimed,
            address=address,
            detail=f"rate limited; retry after {wait} s",
            now=now,
        )
        session.commit()
        return _login_page(
            page,
            request,
            next_path=next_path,
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            error="login.limited",
            username=username,
            headers={"Retry-After": str(wait)},
            retry_seconds=wait,
        )
    session.commit()
    user = authenticate(session, username, password)
    if user is None:
        record(
            session,
            None,
            "login_failed",
            "user",
            claimed[:64],
            username=claimed,
            address=address,
            detail=_failure_reason(account),
            now=now,
        )
        session.commit()
        return _login_page(
            page,
            request,
            next_path=next_path,
            status_code=status.HTTP_401_UNAUTHORIZED,
            error="login.failed",
            username=username,
        )
    assert attempt is not None
    attempt.success = True
    # A fresh session for every sign-in (no fixation); the one this browser had ends.
    end_session(session, request.cookies.get(SESSION_COOKIE))
    value = start_session(session, user, hours=settings.session_hours, now=now)
    principal = Principal.from_user(user)
    record(
        session,
        principal,
        "login",
        "user",
        user.username,
        community=user.community,
        address=address,
        now=now,
    )
    session.commit()
    response = RedirectResponse(next_path, status_code=status.HTTP_303_SEE_OTHER)
    _set_session_cookie(response, value, settings)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


def _account(session: SessionDep, username: str) -> User | None:
    """The account whose name this is, whatever its case (active or not)."""
    if not username:
        return None
    return session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def _masked(username: str) -> str:
    """What the audit log keeps of a name no account has: ``Su…(15)``."""
    return f"{username[:2]}…({len(username)})" if username else ""


def _name_hash(username: str) -> str:
    """The rate-limit key of a name no account has: a SHA-256 hex digest (64 characters)."""
    return hashlib.sha256(username.lower().encode()).hexdigest()


def _failure_reason(account: User | None) -> str:
    """For the audit trail only (admins read it): which of the usual causes it was."""
    if account is None:
        return "unknown username"
    if not account.active:
        return "account disabled"
    return "wrong password"


@router.post("/logout")
def logout(
    request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep, now: NowDep
) -> RedirectResponse:
    """End this browser's session (CSRF-checked like every form post) and forget the cookie."""
    end_session(session, request.cookies.get(SESSION_COOKIE))
    record(
        session,
        user,
        "logout",
        "user",
        user.username,
        community=user.community,
        address=client_address(request),
        now=now,
    )
    session.commit()
    response = RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=settings.cookie_secure, httponly=True, samesite="lax"
    )
    return response


@api_router.get("/me", response_model=Me)
def me(request: Request, user: CurrentUser) -> Me:
    """Who the credentials belong to, and the session's CSRF token for scripts using the
    cookie."""
    return Me(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        community=user.community,
        grid=user.grid,
        csrf_token=getattr(request.state, "csrf_expected", None),
    )
