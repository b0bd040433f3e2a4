"""Flags: where the register and the meters disagree, as prompts for a visit."""

from occupancy.flags.record import (
    FLAG_KINDS,
    METER_OFFLINE,
    REGISTERED_SILENT,
    UNREGISTERED_ACTIVITY,
    FlagRecord,
)

__all__ = [
    "FLAG_KINDS",
    "METER_OFFLINE",
    "REGISTERED_SILENT",
    "UNREGISTERED_ACTIVITY",
    "FlagRecord",
]
