"""Dependencies shared by the routes, as ``Annotated`` aliases so a signature reads like a
sentence: ``def read_unit(unit_id: str, session: SessionDep, store: StoreDep)``.

Accounts and roles arrive in a later issue. They will plug in here as a ``CurrentUser``
dependency (a grid worker sees their grid, a secretary their community), added to the routers'
``dependencies=[...]`` in ``api/main.py`` and used by the queries to narrow what is listed.
Until then the service is meant for a trusted office network only (it binds to 127.0.0.1).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from occupancy.api.i18n import LANGUAGE_COOKIE, pick_language
from occupancy.api.templating import render
from occupancy.config import Settings, get_settings
from occupancy.db.session import session_factory
from occupancy.store import open_store
from occupancy.store.base import ReadingStore

SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_db(settings: SettingsDep) -> Iterator[Session]:
    """A session per request; pages only read, so nothing is committed."""
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
