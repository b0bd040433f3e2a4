"""The server-rendered pages community staff use: communities, a community's flags, a unit.

Plain HTML with no JavaScript: a grid worker opens these on a phone on the stairwell, a
secretary on an old office PC. Language comes from ``?lang=`` or the remembered cookie.
Everyone must be signed in and sees only their own community, grid or simulated units.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from occupancy.api import queries
from occupancy.api.chart import hourly_chart
from occupancy.api.deps import (
    NowDep,
    PageDep,
    Requires,
    SessionDep,
    SettingsDep,
    StoreDep,
    client_address,
)
from occupancy.api.schemas import FlagKind
from occupancy.api.unit_view import EndDay, audit_unit_view, load_unit_view
from occupancy.audit.log import listed, record
from occupancy.auth.principal import Principal

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

Reader = Annotated[Principal, Depends(Requires("flags.read"))]


@router.get("/", name="index")
def index_page(user: Reader, session: SessionDep, page: PageDep) -> HTMLResponse:
    return page("index.html", communities=queries.community_summaries(session, user=user))


@router.get("/communities/{community:path}", name="community")
def community_page(
    request: Request,
    community: str,
    user: Reader,
    session: SessionDep,
    page: PageDep,
    kind: FlagKind | None = None,
) -> HTMLResponse:
    """Open flags of one community in visiting order, optionally of one kind."""
    summary = queries.community_summary(session, community, user)
    if summary is None:
        raise HTTPException(status_code=404, detail={"key": "community", "name": community})
    flags, _ = queries.list_flags(
        session, community=community, kind=kind, open_only=True, user=user
    )
    record(
        session,
        user,
        "view",
        "flags",
        community=community,
        detail=listed(f"community page, {len(flags)} flags", (f.id for f in flags)),
        address=client_address(request),
    )
    session.commit()
    units = queries.units_by_id(session, (f.unit_id for f in flags))
    return page("community.html", summary=summary, flags=flags, units=units, kind=kind)


@router.get("/units/{unit_id:path}", name="unit")
def unit_page(
    request: Request,
    unit_id: str,
    user: Annotated[Principal, Depends(Requires("register.read"))],
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
    now: NowDep,
    page: PageDep,
    end: EndDay = None,
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
        user=user,
    )
    if view is None:
        raise HTTPException(status_code=404, detail={"key": "unit", "name": unit_id})
    audit_unit_view(session, user, view, address=client_address(request))
    chart = hourly_chart(view.window.start, view.window.hourly_kwh, view.window.lights_on)
    return page("unit.html", view=view, chart=chart, days=settings.window_days)
