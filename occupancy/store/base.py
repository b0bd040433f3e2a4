"""The readings-store contract. A new backend is one module implementing it, plus the
shared conformance tests in ``tests/store/``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from occupancy.readings import IntervalEnergy, LightReading, MeterReading
from occupancy.timeseries import HourlyWindow


class StoreError(RuntimeError):
    """The store could not do what was asked; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class ExpiredReadings:
    """Raw readings older than a moment, per kind: removed, or (dry run) that would be."""

    registers: int = 0
    energy: int = 0
    lights: int = 0

    @property
    def total(self) -> int:
        return self.registers + self.energy + self.lights


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

    def expire_before(self, ts: float, *, dry_run: bool = False) -> ExpiredReadings:
        """Delete raw readings (registers, energy, lights) stamped before ``ts`` (Unix
        seconds), so the retention setting is honoured now, not whenever the backend gets
        round to it; hourly rollups are kept. ``dry_run`` only counts them."""

    def close(self) -> None: ...
