"""The server-rendered pages community staff use: communities, a community's flags, a unit.

Plain HTML with no JavaScript: a grid worker opens these on a phone on the stairwell, a
secretary on an old office PC. Language comes from ``?lang=`` or the remembered cookie.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

from occupancy.api import queries
from occupancy.api.chart import hourly_chart
from occupancy.api.deps import NowDep, PageDep, SessionDep, SettingsDep, StoreDep
from occupancy.api.schemas import FlagKind
from occupancy.api.unit_view import load_unit_view

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/", name="index")
def index_page(session: SessionDep, page: PageDep) -> HTMLResponse:
    return page("index.html", communities=queries.community_summaries(session))


@router.get("/communities/{community:path}", name="community")
def community_page(
    community: str, session: SessionDep, page: PageDep, kind: FlagKind | None = None
) -> HTMLResponse:
    """Open flags of one community in visiting order, optionally of one kind."""
    summary = queries.community_summary(session, community)
    if summary is None:
        raise HTTPException(status_code=404, detail={"key": "community", "name": community})
    flags, _ = queries.list_flags(session, community=community, kind=kind, open_only=True)
    units = queries.units_by_id(session, (f.unit_id for f in flags))
    return page("community.html", summary=summary, flags=flags, units=units, kind=kind)


@router.get("/units/{unit_id:path}", name="unit")
def unit_page(
    unit_id: str,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
    now: NowDep,
    page: PageDep,
    end: date | None = None,
) -> HTMLResponse:
    """Register entry, every flag (closed ones too: the history matters at the door) and a
    chart of the last ``window_days`` days."""
    view = load_unit_view(
        session,
        store,
        unit_id,
        days=settings.window_days,
        tz=settings.tz,
        now=now,
        last_day=end,
        open_only=False,
    )
    if view is None:
        raise HTTPException(status_code=404, detail={"key": "unit", "name": unit_id})
    chart = hourly_chart(view.window.start, view.window.hourly_kwh, view.window.lights_on)
    return page("unit.html", view=view, chart=chart, days=settings.window_days)
