"""Error responses: JSON for the API, a translated HTML page for people.

Routes raise ``HTTPException``; pages pass ``detail={"key": ..., "name": ...}`` so the 404 page
can say in the reader's language what was not found. A database or store outage becomes a 503
instead of a stack trace.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from fastapi import FastAPI, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from occupancy.api.deps import SignInRequired
from occupancy.api.i18n import LANGUAGE_COOKIE, pick_language
from occupancy.api.templating import render
from occupancy.store.base import StoreError

logger = logging.getLogger(__name__)

#: Paths answered in JSON; everything else is a page for people.
JSON_PREFIXES = ("/api/", "/healthz", "/docs", "/openapi.json")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(JSON_PREFIXES)


def _error_page(request: Request, status_code: int, message_key: str, name: str) -> Response:
    language = pick_language(request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE))
    return render(
        request,
        "error.html",
        {"status_code": status_code, "message_key": message_key, "name": name},
        language=language,
        tz=request.app.state.settings.tz,
        status_code=status_code,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if _wants_json(request) or exc.status_code != status.HTTP_404_NOT_FOUND:
        return await http_exception_handler(request, exc)
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    key = detail.get("key", "page")
    return _error_page(request, exc.status_code, f"error.404.{key}", str(detail.get("name", "")))


async def _unavailable(request: Request, exc: Exception) -> Response:
    # The error's type and the driver's message only: SQLAlchemy's own text carries the
    # statement and its parameters, which may be free-text notes about residents.
    logger.error(
        "backend unavailable serving %s: %s: %s",
        request.url.path,
        type(exc).__name__,
        getattr(exc, "orig", None) or exc,
    )
    if _wants_json(request):
        return JSONResponse(
            {"detail": "the database or the readings store is unavailable"},
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    return _error_page(request, status.HTTP_503_SERVICE_UNAVAILABLE, "error.503.body", "")


async def _sign_in_required(request: Request, exc: Exception) -> Response:
    if _wants_json(request):
        return JSONResponse(
            {"detail": f"{exc}: send Authorization: Bearer <API token>, or sign in at /login"},
            status_code=status.HTTP_401_UNAUTHORIZED,
            headers={"WWW-Authenticate": "Bearer"},
        )
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return RedirectResponse(
        f"/login?{urlencode({'next': target})}", status_code=status.HTTP_303_SEE_OTHER
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _unavailable)
    app.add_exception_handler(StoreError, _unavailable)
