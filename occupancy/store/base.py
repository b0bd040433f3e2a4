"""The readings-store contract. A new backend is one module implementing it, plus the
shared conformance tests in ``tests/store/``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from occupancy.readings import IntervalEnergy, LightReading, MeterReading
from occupancy.timeseries import HourlyWindow


class StoreError(RuntimeError):
    """The store could not do what was asked; the message says how to fix it."""


@runtime_checkable
class ReadingStore(Protocol):
    def write(
        self,
        registers: Sequence[MeterReading] = (),
        energy: Sequence[IntervalEnergy] = (),
        lights: Sequence[LightReading] = (),
    ) -> None:
        """Commit one batch durably. Rewriting the same unit and timestamp replaces, never
        duplicates, so a redelivered batch is harmless."""

    def hourly_window(
        self, start: datetime, hours: int, unit_ids: Sequence[str] | None = None
    ) -> HourlyWindow:
        """Hourly energy, coverage and lights for the units (default: all known units)."""

    def last_registers(self) -> dict[str, MeterReading]:
        """The newest register reading per unit, so a restarted ingester resumes its deltas."""

    def close(self) -> None: ...
