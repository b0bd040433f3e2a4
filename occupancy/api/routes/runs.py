"""``/api/runs``: when detection last ran, on what, and whether it worked.

So a secretary (or a monitoring script) can tell "no flags today" from "detection has not run
since Tuesday": the scheduler records every run, including the failed ones.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, computed_field, field_validator
from sqlalchemy import select

from occupancy.api.deps import Requires, SessionDep
from occupancy.api.schemas import _assume_utc
from occupancy.auth.principal import Principal
from occupancy.db.tables import RUN_KINDS, DetectionRun

router = APIRouter(prefix="/runs", tags=["runs"])

RunKind = Literal[RUN_KINDS]  # type: ignore[valid-type]
#: First characters of a failed run's error shown here (the full text is in the database).
ERROR_PREVIEW_CHARS = 300


class RunPublic(BaseModel):
    """One detection run: the job that started it, its window and what it changed."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    started_at: datetime
    finished_at: datetime | None
    window_start: datetime
    window_end: datetime
    model_version: str
    units_scored: int
    flags_raised: int
    flags_created: int
    flags_updated: int
    flags_withdrawn: int
    error: str | None

    _utc = field_validator("started_at", "finished_at", "window_start", "window_end")(_assume_utc)

    @field_validator("error")
    @classmethod
    def _preview(cls, value: str | None) -> str | None:
        """The first line, cut short: enough to tell a missing model from a store outage."""
        if not value:
            return value
        return value.splitlines()[0][:ERROR_PREVIEW_CHARS]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> Literal["running", "ok", "failed"]:
        """``running`` also covers a run cut off by a restart: it never finished."""
        if self.error:
            return "failed"
        return "running" if self.finished_at is None else "ok"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds(), 3)


@router.get("", response_model=list[RunPublic])
def read_runs(
    user: Annotated[Principal, Depends(Requires("runs.read"))],
    session: SessionDep,
    kind: Annotated[RunKind | None, Query(description="Only runs of this job.")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Newest runs returned.")] = 20,
) -> list[RunPublic]:
    """The latest detection runs, newest first."""
    query = select(DetectionRun).order_by(DetectionRun.id.desc()).limit(limit)
    if kind is not None:
        query = query.where(DetectionRun.kind == kind)
    return [RunPublic.model_validate(run) for run in session.scalars(query)]
