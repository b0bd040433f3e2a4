"""Dependencies shared by the routes, as ``Annotated`` aliases so a signature reads like a
sentence: ``def read_unit(unit_id: str, user: CurrentUser, session: SessionDep)``.

Who is asking comes from a bearer API token (scripts) or the session cookie (browsers). A
request without either gets 401 on the API and is sent to the sign-in page otherwise. Unsafe
requests made with the cookie must echo the session's CSRF token (form field or header);
bearer tokens are not sent by browsers on their own, so they need none.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from occupancy.api.i18n import LANGUAGE_COOKIE, pick_language
from occupancy.api.templating import render
from occupancy.auth.accounts import user_for_token
from occupancy.auth.principal import Principal
from occupancy.auth.sessions import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    csrf_matches,
    resolve_session,
)
from occupancy.config import Settings, get_settings
from occupancy.db.session import session_factory
from occupancy.store import open_store
from occupancy.store.base import ReadingStore

SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_db(settings: SettingsDep) -> Iterator[Session]:
    """A session per request; routes that change something (an audit row counts) commit."""
    with session_factory(settings.resolved_db_url)() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]


class StoreRegistry:
    """The app's open readings stores, one per URL, opened on first use.

    Opening per request would reconnect (or, for the embedded store, re-run its schema script)
    on every page view; the stores are thread-safe, so one per process is shared.
    """

    def __init__(self) -> None:
        self._stores: dict[str, ReadingStore] = {}
        self._lock = threading.Lock()

    def get(self, url: str) -> ReadingStore:
        with self._lock:
            store = self._stores.get(url)
            if store is None:
                store = self._stores[url] = open_store(url)
            return store

    def close(self) -> None:
        with self._lock:
            stores, self._stores = list(self._stores.values()), {}
        for store in stores:
            store.close()


def get_store_registry(request: Request) -> StoreRegistry:
    return request.app.state.stores


StoreRegistryDep = Annotated[StoreRegistry, Depends(get_store_registry)]


def get_store(settings: SettingsDep, stores: StoreRegistryDep) -> ReadingStore:
    return stores.get(settings.resolved_store_url)


StoreDep = Annotated[ReadingStore, Depends(get_store)]


def get_now() -> datetime:
    """The current moment; a dependency so tests can pin the clock."""
    return datetime.now(UTC)


NowDep = Annotated[datetime, Depends(get_now)]


class SignInRequired(Exception):
    """No valid credentials: 401 on the API, a redirect to the sign-in page for pages."""


#: Reads ``Authorization: Bearer ...`` and documents it in the OpenAPI schema.
bearer_scheme = HTTPBearer(
    auto_error=False,
    description="An API token from `occupancy users token USERNAME` (starts with occ_).",
)

_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def get_signed_in(
    request: Request,
    session: SessionDep,
    now: NowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The person behind this request; raises ``SignInRequired`` when nobody is."""
    if credentials is not None:
        user = user_for_token(session, credentials.credentials, now=now)
        if user is None:
            raise SignInRequired("unknown or revoked API token")
        session.commit()  # last_used_at
        request.state.csrf_expected = None
    else:
        signed_in = resolve_session(session, request.cookies.get(SESSION_COOKIE), now=now)
        if signed_in is None:
            raise SignInRequired("not signed in")
        user = signed_in.user
        request.state.csrf_expected = signed_in.session.csrf_token
    principal = Principal.from_user(user)
    request.state.principal = principal
    return principal


async def get_current_user(
    request: Request, principal: Annotated[Principal, Depends(get_signed_in)]
) -> Principal:
    """``get_signed_in`` plus the CSRF check of unsafe requests made with the cookie."""
    expected = getattr(request.state, "csrf_expected", None)
    if request.method in _UNSAFE and expected is not None:
        given = request.headers.get(CSRF_HEADER)
        if given is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
        if not csrf_matches(expected, given):
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail="missing or wrong CSRF token; reload the page and try again",
            )
    return principal


CurrentUser = Annotated[Principal, Depends(get_current_user)]


class Requires:
    """A dependency that lets through only people whose role has ``permission``:
    ``user: Annotated[Principal, Depends(Requires("flags.assign"))]``."""

    def __init__(self, permission: str) -> None:
        Principal(0, "", "admin").can(permission)  # unknown permissions fail at import time
        self.permission = permission

    def __call__(self, user: CurrentUser) -> Principal:
        if not user.can(self.permission):
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail=f"your role ({user.role}) may not do this ({self.permission})",
            )
        return user


def get_language(
    request: Request,
    lang: Annotated[
        str | None, Query(description="zh-CN (default) or en; remembered in a cookie.")
    ] = None,
) -> str:
    return pick_language(lang, request.cookies.get(LANGUAGE_COOKIE))


LanguageDep = Annotated[str, Depends(get_language)]


class Page:
    """Renders a template in the request's language; a route ends with
    ``return page("unit.html", unit=unit)``."""

    def __init__(self, request: Request, language: str, settings: Settings) -> None:
        self.request = request
        self.language = language
        self.settings = settings

    def __call__(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        state = self.request.state
        context.setdefault("user", getattr(state, "principal", None))
        context.setdefault("csrf_token", getattr(state, "csrf_expected", None) or "")
        return render(
            self.request,
            template,
            context,
            language=self.language,
            tz=self.settings.tz,
            status_code=status_code,
        )


def get_page(request: Request, language: LanguageDep, settings: SettingsDep) -> Page:
    return Page(request, language, settings)


PageDep = Annotated[Page, Depends(get_page)]
