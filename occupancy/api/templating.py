"""Jinja2 set-up for the server-rendered pages and the one place a page response is built."""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from occupancy.api.i18n import (
    LANGUAGE_COOKIE,
    LANGUAGE_COOKIE_MAX_AGE,
    LANGUAGES,
    Translator,
    normalize_language,
)
from occupancy.flags.record import FLAG_KINDS

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

# Jinja2Templates autoescapes .html templates: unit ids, community names and evidence come from
# files and meters we do not control, so nothing is ever marked safe.
templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.filters["segment"] = lambda value: quote(str(value), safe="")
templates.env.globals["FLAG_KINDS"] = FLAG_KINDS
templates.env.globals["LANGUAGES"] = LANGUAGES


def language_url(request: Request, language: str) -> str:
    """This page's own path and query with ``lang`` swapped, for the language switch.

    Relative (no scheme or host), so it stays right behind a reverse proxy.
    """
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    params.append(("lang", language))
    return f"{quote(request.url.path)}?{urlencode(params)}"


templates.env.globals["language_url"] = language_url


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    language: str,
    tz: tzinfo,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``template`` in ``language``; remember a language chosen with ``?lang=``."""
    t = Translator(language)
    response = templates.TemplateResponse(
        request,
        template,
        {"t": t, "lang": t.language, "tz": tz, **context},
        status_code=status_code,
    )
    response.headers["Content-Language"] = t.language
    # The same URL renders in either language depending on the cookie.
    response.headers["Vary"] = "Cookie"
    if normalize_language(request.query_params.get("lang")) == t.language:
        response.set_cookie(
            LANGUAGE_COOKIE,
            t.language,
            max_age=LANGUAGE_COOKIE_MAX_AGE,
            httponly=True,
            samesite="lax",
        )
    return response
