"""``/api/communities``: every community with its open flags counted by kind."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from occupancy.api import queries
from occupancy.api.deps import Requires, SessionDep
from occupancy.api.schemas import CommunitySummary
from occupancy.auth.principal import Principal

router = APIRouter(prefix="/communities", tags=["communities"])


@router.get("", response_model=list[CommunitySummary])
def read_communities(
    user: Annotated[Principal, Depends(Requires("flags.read"))], session: SessionDep
) -> list[CommunitySummary]:
    """The communities you may see, named by the register or by a flag, by name; counts
    cover only your units and flags."""
    return queries.community_summaries(session, user=user)
