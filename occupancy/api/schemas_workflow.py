"""Request and response bodies of the review actions (``/api/flags/{id}/assign`` and the
rest). Apart from ``schemas.py`` so the workflow's contract can grow without touching the
flags' read contract; ``FlagDetail`` extends ``FlagPublic`` with the review columns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, field_validator

from occupancy.api.schemas import FlagPublic, _assume_utc
from occupancy.db.tables import VISIT_OUTCOMES
from occupancy.workflow.actions import MAX_NOTE_CHARS

#: Largest id a row can have (PostgreSQL ``integer``); a bigger one in a request is a 422, not
#: a database overflow.
MAX_ID = 2**31 - 1
#: A flag id in a path.
FlagId = Annotated[int, Path(ge=1, le=MAX_ID)]

#: What a grid worker may report; anything else is a 422 listing these.
VisitOutcome = Literal[VISIT_OUTCOMES]  # type: ignore[valid-type]

Note = Field("", max_length=MAX_NOTE_CHARS, description="Free text; no names, please.")


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    worker_id: int = Field(
        ge=1, le=MAX_ID, description="User id of an active grid worker of the community."
    )
    allow_other_grid: bool = Field(
        False,
        description="Allow a worker of another grid than the unit's (covering for a colleague).",
    )
    note: str = Note


class NoteIn(BaseModel):
    """Unassign, close or reopen: an optional note for the history."""

    model_config = ConfigDict(extra="forbid")

    note: str = Note


class VisitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: VisitOutcome
    note: str = Field("", max_length=MAX_NOTE_CHARS, description="Required with outcome other.")


class DismissIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=MAX_NOTE_CHARS, description="Why; required.")

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a dismissal needs a reason")
        return value


class FlagDetail(FlagPublic):
    """A flag with where it stands in review: who has it, what was found, why dismissed."""

    assigned_to_id: int | None
    assigned_at: datetime | None
    outcome: str | None
    outcome_note: str
    visited_at: datetime | None
    visited_by_id: int | None
    dismiss_reason: str
    closed_at: datetime | None

    _utc_review = field_validator("assigned_at", "visited_at", "closed_at")(_assume_utc)

    @field_validator("outcome_note", "dismiss_reason", mode="before")
    @classmethod
    def _blank(cls, value: str | None) -> str:
        return value or ""


class FlagEventPublic(BaseModel):
    """One step of a flag's history; ``actor`` is a username or ``detector``."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str
    outcome: str | None
    note: str
    assignee: str | None

    _utc = field_validator("at")(_assume_utc)


class FlagHistory(BaseModel):
    flag: FlagDetail
    events: list[FlagEventPublic]
