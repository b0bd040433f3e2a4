"""What the JSON API returns, kept apart from the database tables so a column can change
without changing the contract (and so nothing is exposed by accident)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from occupancy.flags.record import FLAG_KINDS

#: The kinds a client may filter by; a typo gets a 422 listing them instead of an empty list.
FlagKind = Literal[FLAG_KINDS]  # type: ignore[valid-type]


def _assume_utc(value: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class FlagPublic(BaseModel):
    """A flag as shown to clients: where, what kind, how sure, and the numbers behind it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_id: str
    community: str
    kind: str
    state: str
    urgent: bool
    score: float
    probability: float | None
    evidence_text: str
    evidence: dict[str, Any]
    run_id: int | None
    first_raised_at: datetime
    last_raised_at: datetime

    _utc = field_validator("first_raised_at", "last_raised_at")(_assume_utc)


class FlagsPublic(BaseModel):
    """One page of flags; ``count`` is the total matching, for paging."""

    data: list[FlagPublic]
    count: int


class UnitPublic(BaseModel):
    """A move-in register row. There are no names in the register, only location and counts."""

    model_config = ConfigDict(from_attributes=True)

    unit_id: str
    community: str
    grid: str
    building: str
    entrance: str
    floor: str
    room: str
    registered_occupants: int
    vulnerable: bool
    updated_at: datetime | None

    _utc = field_validator("updated_at")(_assume_utc)


class HourlyConsumption(BaseModel):
    """Hourly energy from ``start`` (a local midnight); None where the hour was not measured."""

    start: datetime
    hourly_kwh: list[float | None]


class UnitDetail(BaseModel):
    unit_id: str
    community: str
    register_entry: UnitPublic | None = Field(
        description="The move-in register row; None when the unit is not registered."
    )
    flags: list[FlagPublic] = Field(description="Open flags, urgent first.")
    consumption: HourlyConsumption


class CommunitySummary(BaseModel):
    """A community with its registered units and open flags per kind (every kind present)."""

    community: str
    units: int
    flags: dict[str, int]
    urgent: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total(self) -> int:
        """All open flags of the community."""
        return sum(self.flags.values())


class HealthStatus(BaseModel):
    status: Literal["ok", "unavailable"]
    db: Literal["ok", "error"]
    store: Literal["ok", "error"]


# -- lights: a grid worker's night count (docs/lights.md) --------------------------------


class SurveyUnitIn(BaseModel):
    """One unit of a night count. ``lit`` takes true/false, 1/0, or the sheet's words (亮/灭,
    yes/no, on/off), so a form can send what the worker tapped."""

    unit_id: str = Field(min_length=1, max_length=64)
    lit: bool | str = Field(description="true if the lights were on, false if dark")


class LightsSurveyIn(BaseModel):
    """A night count of one building: when, by whom, and each unit lit or dark.

    ``observed_at`` without a UTC offset is local time (``OCCUPANCY_TIMEZONE``); it must be
    in the past and at night (18:00-06:00 local), when lights say someone is home.
    """

    community: str = Field(min_length=1, max_length=64)
    building: str = Field("", max_length=32, description="If given, every unit must be in it.")
    observed_at: datetime
    observer: str = Field("", max_length=64)
    units: list[SurveyUnitIn] = Field(min_length=1, max_length=5000)


class BuildingCount(BaseModel):
    """Units seen lit and dark in one building."""

    community: str
    building: str
    lit: int
    dark: int


class LightsSurveyResult(BaseModel):
    """What a saved count stored. ``new`` is 0 when the same count was sent before: the
    store and the record are keyed by unit and moment, so a repeat changes nothing."""

    community: str
    building: str
    observed_at: datetime
    observer: str
    units: int
    lit: int
    dark: int
    new: int
    changed: int
    unchanged: int
    buildings: list[BuildingCount]


class LightObservationPublic(BaseModel):
    """One recorded observation of a night count; ``observed_at`` in local time."""

    unit_id: str
    community: str
    building: str
    observed_at: datetime
    lit: bool
    observer: str
    note: str
    source: str = Field(description="api, or sheet:FILENAME for a CLI import")
    recorded_at: datetime

    _utc = field_validator("recorded_at")(_assume_utc)


class LightObservationsPublic(BaseModel):
    """One page of observations, newest first; ``count`` is the total matching."""

    data: list[LightObservationPublic]
    count: int
