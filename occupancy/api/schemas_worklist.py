"""Response bodies of ``GET /api/worklist``: a grid worker's door-knock list for scripts and
apps. Its own module so the worklist contract can change without touching the flags' one.

Only what a visit needs: the address, the kind, a one-line reason in both languages, the
registered occupants and whether someone vulnerable lives there. No P(occupied), no readings.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from occupancy.workflow.worklist import WorklistRow


class WorklistItem(BaseModel):
    """One door to knock on, in walking order."""

    number: int = Field(description="Running number: 1 is the first door to knock on.")
    flag_id: int
    unit_id: str
    state: str = Field(description="assigned (to visit) or visited (today, correctable).")
    community: str
    grid: str
    building: str
    entrance: str
    floor: str
    room: str
    kind: str
    urgent: bool
    evidence_zh: str = Field(description="Why the flag is there, one line, Chinese.")
    evidence_en: str = Field(description="The same line in English.")
    registered_occupants: int | None = Field(
        description="None when the unit is not in the register."
    )
    vulnerable: bool
    assigned_at: datetime | None
    outcome: str | None = Field(description="The last visit's outcome, if any.")
    visited_at: datetime | None

    @classmethod
    def from_row(cls, number: int, row: WorklistRow) -> WorklistItem:
        return cls(number=number, **{name: getattr(row, name) for name in _ROW_FIELDS})


_ROW_FIELDS = tuple(name for name in WorklistItem.model_fields if name != "number")


class WorklistOut(BaseModel):
    """A worker's list: the doors still to knock on first, then (when asked for) the ones
    visited today."""

    worker: str = Field(description="Username of the worker whose list this is.")
    display_name: str
    community: str
    grid: str
    generated_at: datetime
    to_visit: int = Field(description="How many flags are still to be visited.")
    data: list[WorklistItem]
