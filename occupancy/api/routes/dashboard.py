"""A community's dashboard: flags by kind and state, open flags per building, and the
filtered flag lists its numbers link to.

The secretary's overview at the office PC: where the open work is, how much of it is
assigned or visited. Counts and lists are limited to the reader's scope; a community outside
it answers 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from occupancy.api import dashboard_queries as dq
from occupancy.api.deps import PageDep, Requires, SessionDep, client_address
from occupancy.api.schemas import FlagKind
from occupancy.audit.log import listed, record
from occupancy.auth.principal import Principal
from occupancy.db.tables import CLOSED_FLAG_STATES, FLAG_STATES

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

Reader = Annotated[Principal, Depends(Requires("flags.read"))]
#: Every state a filter may name: the workflow's and the pre-workflow ``resolved``.
FlagState = Literal[tuple(dict.fromkeys((*FLAG_STATES, *CLOSED_FLAG_STATES)))]  # type: ignore[valid-type]


def _check_scope(session: SessionDep, user: Principal, community: str) -> None:
    known, simulated = dq.community_known(session, community)
    if not known or not user.sees_community(community, simulated=simulated):
        raise HTTPException(status_code=404, detail={"key": "community", "name": community})


@router.get("/communities/{community:path}/dashboard", name="dashboard")
def dashboard_page(
    community: str, user: Reader, session: SessionDep, page: PageDep
) -> HTMLResponse:
    _check_scope(session, user, community)
    return page(
        "dashboard.html",
        community=community,
        matrix=dq.kind_state_counts(session, user, community),
        buildings=dq.building_counts(session, user, community),
        not_registered=dq.NOT_REGISTERED,
    )


@router.get("/communities/{community:path}/flags", name="community_flags")
def community_flags_page(
    request: Request,
    community: str,
    user: Reader,
    session: SessionDep,
    page: PageDep,
    kind: FlagKind | None = None,
    state: FlagState | None = None,
    building: str | None = None,
    open: bool = False,
) -> HTMLResponse:
    """The flags behind one number of the dashboard, each linking to its flag page."""
    _check_scope(session, user, community)
    rows, total = dq.community_flags(
        session, user, community, kind=kind, state=state, building=building, open_only=open
    )
    filters = {"kind": kind, "state": state, "building": building, "open": open or None}
    shown = ", ".join(f"{name}={value}" for name, value in filters.items() if value is not None)
    record(
        session,
        user,
        "view",
        "flags",
        community=community,
        detail=listed(
            f"dashboard list{' (' + shown + ')' if shown else ''}, {len(rows)} of {total} flags",
            (flag.id for flag, _ in rows),
        ),
        address=client_address(request),
    )
    session.commit()
    return page(
        "dashboard_flags.html",
        community=community,
        rows=rows,
        total=total,
        kind=kind,
        state=state,
        building=building,
        open_only=open,
        not_registered=dq.NOT_REGISTERED,
    )
