"""A move-in register row as the detector and flags see it (no database types)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    """One dwelling: where it is (district down to room), who is registered, since when.

    The first nine fields keep their positions from before the address hierarchy and dates
    existed, so code that builds entries positionally keeps working.
    """

    unit_id: str
    community: str
    registered_occupants: int
    grid: str = ""
    building: str = ""
    entrance: str = ""
    floor: str = ""
    room: str = ""
    vulnerable: bool = False
    district: str = ""
    street: str = ""
    #: The registered household's move-in and (once it left) move-out dates, local.
    move_in: date | None = None
    move_out: date | None = None

    def registered_on(self, day: date) -> bool:
        """Whether the household lived here on ``day``: moved in by then (or date unknown)
        and not yet moved out. The move-out day itself counts as gone."""
        if self.move_in is not None and self.move_in > day:
            return False
        return self.move_out is None or self.move_out > day

    def as_of(self, day: date) -> RegisterEntry:
        """The entry as detection should judge it on ``day``: nobody registered and nobody
        to check on when the household had not moved in yet or had already moved out."""
        if self.registered_on(day):
            return self
        return replace(self, registered_occupants=0, vulnerable=False)

    def to_json(self) -> dict[str, Any]:
        """The entry as JSON-ready values (dates as ISO strings), for history and the API."""
        values: dict[str, Any] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            values[field.name] = value.isoformat() if isinstance(value, date) else value
        return values
