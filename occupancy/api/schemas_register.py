"""Bodies of ``/api/register``: register entries in and out, their history, import results.

Input fields are typed loosely on purpose (``registered_occupants`` may be ``3`` or ``"3"``,
a date an ISO string): what a value may be is decided by the same row validator that checks
CSV and XLSX files (``occupancy.register.validate``), so a unit refused in a file is refused
here with the same words, and one accepted here imports from a file too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from occupancy.register.cells import cell_text


def _assume_utc(value: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class RegisterEntryIn(BaseModel):
    """A unit's register entry as sent to ``PUT`` (the unit id is in the path). Every field
    not sent takes its empty value: a ``PUT`` replaces the whole entry."""

    model_config = ConfigDict(extra="forbid")

    community: str = Field(description="The community (社区) the unit belongs to.")
    registered_occupants: int | str = Field(
        description="People registered as living there; 0 for nobody."
    )
    vulnerable: bool | str = Field(
        False, description="Someone vulnerable (e.g. an old person living alone) lives there."
    )
    district: str = ""
    street: str = ""
    grid: str = ""
    building: str = ""
    entrance: str = ""
    floor: str = ""
    room: str = ""
    move_in: date | str | None = Field(None, description="Move-in date, e.g. 2024-03-05.")
    move_out: date | str | None = Field(None, description="Move-out date, once moved out.")
    simulated: bool | None = Field(
        None,
        description="Admins only: the unit is the simulator's (the only units testers see). "
        "Left out: false for a new unit, unchanged for an existing one.",
    )

    @field_validator("registered_occupants", mode="before")
    @classmethod
    def _as_cell(cls, value: Any) -> Any:
        """``true`` or ``2.0`` reach the row validator as a cell would show them, so it (not
        pydantic's lax coercion of true to 1) decides, as it does for a file."""
        if isinstance(value, bool | float):
            return cell_text(value)
        return value


class RegisterUnitIn(RegisterEntryIn):
    """A new unit for ``POST /api/register/units``."""

    unit_id: str = Field(description="The unit's ID, unique across the register.")


class RegisterUnitOut(BaseModel):
    """A register entry. There are no names in the register, only location and counts."""

    model_config = ConfigDict(from_attributes=True)

    unit_id: str
    district: str
    street: str
    community: str
    grid: str
    building: str
    entrance: str
    floor: str
    room: str
    registered_occupants: int
    vulnerable: bool
    move_in: date | None
    move_out: date | None
    simulated: bool
    updated_at: datetime | None

    _utc = field_validator("updated_at")(_assume_utc)

    @field_validator(
        "district", "street", "grid", "building", "entrance", "floor", "room", mode="before"
    )
    @classmethod
    def _empty_text(cls, value: Any) -> Any:
        return "" if value is None else value


class RegisterUnitsOut(BaseModel):
    """One page of units; ``count`` is the total matching the filters, for paging."""

    data: list[RegisterUnitOut]
    count: int


class UnitVersionOut(BaseModel):
    """One change of a unit's entry: what it became (what it was, for a delete), from where
    (``api``, ``page`` or ``import:FILE``) and by whom."""

    model_config = ConfigDict(from_attributes=True)

    action: str
    values: dict[str, Any]
    source: str
    changed_by: str
    changed_at: datetime

    _utc = field_validator("changed_at")(_assume_utc)


class RegisterUnitDetail(BaseModel):
    entry: RegisterUnitOut
    history: list[UnitVersionOut] = Field(description="Every recorded change, oldest first.")


class FieldProblem(BaseModel):
    """A bad value in a body, in the words the file import uses for the same cell."""

    field: str
    value: str
    message: str


class RowProblem(BaseModel):
    """A bad cell of an imported file: ``row`` as the spreadsheet numbers it, ``column`` the
    header text as written, ``letter`` the column as Excel labels it (empty for a missing
    column or a problem with the whole file)."""

    row: int
    column: str
    letter: str
    value: str
    message: str


class ImportResult(BaseModel):
    """What an import did. ``skipped`` counts the bad rows left out (only when the valid rows
    were imported on request); ``problems`` says what was wrong with them."""

    file: str
    created: int
    updated: int
    unchanged: int
    skipped: int
    problems: list[RowProblem]
    warnings: list[str]


class ImportRefused(BaseModel):
    """A file with problems: nothing was imported. Fix every listed cell, or send the file
    again with ``skip_bad`` to import only the valid rows."""

    message: str
    errors: list[RowProblem]
    warnings: list[str]
