"""``/api/communities``: every community with its open flags counted by kind."""

from __future__ import annotations

from fastapi import APIRouter

from occupancy.api import queries
from occupancy.api.deps import SessionDep
from occupancy.api.schemas import CommunitySummary

router = APIRouter(prefix="/communities", tags=["communities"])


@router.get("", response_model=list[CommunitySummary])
def read_communities(session: SessionDep) -> list[CommunitySummary]:
    """Communities named by the register or by a flag, by name."""
    return queries.community_summaries(session)
