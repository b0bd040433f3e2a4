"""A move-in register row as the detector and flags see it (no database types)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    unit_id: str
    community: str
    registered_occupants: int
    grid: str = ""
    building: str = ""
    entrance: str = ""
    floor: str = ""
    room: str = ""
    vulnerable: bool = False
