"""``/api/flags``: the flags the detector raised, urgent first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from occupancy.api import queries
from occupancy.api.deps import SessionDep
from occupancy.api.schemas import FlagKind, FlagPublic, FlagsPublic

router = APIRouter(prefix="/flags", tags=["flags"])


@router.get("", response_model=FlagsPublic)
def read_flags(
    session: SessionDep,
    community: str | None = None,
    kind: FlagKind | None = None,
    state: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> FlagsPublic:
    """Flags in visiting order: urgent first, then the surest. ``count`` is the total
    matching the filters, for paging with ``limit`` and ``offset``."""
    flags, count = queries.list_flags(
        session, community=community, kind=kind, state=state, limit=limit, offset=offset
    )
    return FlagsPublic(data=[FlagPublic.model_validate(f) for f in flags], count=count)


@router.get("/{flag_id}", response_model=FlagPublic)
def read_flag(flag_id: int, session: SessionDep) -> FlagPublic:
    flag = queries.get_flag(session, flag_id)
    if flag is None:
        raise HTTPException(status_code=404, detail=f"no flag with id {flag_id}")
    return FlagPublic.model_validate(flag)
