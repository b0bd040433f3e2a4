"""Cumulative register readings to interval energy, per unit.

A meter reports its register (total kWh ever); the detector needs energy per interval.
Real register streams have duplicates, counter resets, meter swaps and gaps. Each is
counted under a stable name, and none produces energy that wasn't used: when we cannot
tell what happened in an interval, we leave it unmeasured and re-anchor on the new value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from occupancy.ingest.const import MAX_INTERVAL_SECONDS, MAX_POWER_KW
from occupancy.readings import IntervalEnergy, MeterReading

DUPLICATE = "duplicate"
CONFLICTING_DUPLICATE = "conflicting_duplicate"
OUT_OF_ORDER = "out_of_order"
COUNTER_RESET = "counter_reset"
IMPLAUSIBLE_JUMP = "implausible_jump"
GAP = "gap"
FIRST = "first_reading"


@dataclass(frozen=True, slots=True)
class Step:
    """What one register reading produced: an interval, or why not (``note``)."""

    energy: IntervalEnergy | None
    note: str | None = None

    @property
    def keep_register(self) -> bool:
        """Whether the raw register reading itself is worth storing."""
        return self.note not in (DUPLICATE, OUT_OF_ORDER, CONFLICTING_DUPLICATE)


class IntervalConverter:
    """Keeps the last register reading per unit and turns each new one into a ``Step``.

    Out-of-order readings are dropped and counted: the stream from one meter is in order
    unless something upstream misbehaves, and re-deriving earlier intervals belongs to the
    store, not to a streaming converter.
    """

    def __init__(
        self,
        *,
        max_interval_seconds: float = MAX_INTERVAL_SECONDS,
        max_power_kw: float = MAX_POWER_KW,
        last: Mapping[str, MeterReading] | None = None,
    ) -> None:
        self.max_interval_seconds = max_interval_seconds
        self.max_power_kw = max_power_kw
        self._last: dict[str, MeterReading] = dict(last or {})

    def step(self, reading: MeterReading) -> Step:
        prev = self._last.get(reading.unit_id)
        if prev is None:
            self._last[reading.unit_id] = reading
            return Step(None, FIRST)
        dt = reading.ts - prev.ts
        if dt == 0:
            if reading.kwh == prev.kwh:
                return Step(None, DUPLICATE)
            return Step(None, CONFLICTING_DUPLICATE)
        if dt < 0:
            return Step(None, OUT_OF_ORDER)
        self._last[reading.unit_id] = reading
        delta = reading.kwh - prev.kwh
        if delta < 0:
            return Step(None, COUNTER_RESET)
        if dt > self.max_interval_seconds:
            return Step(None, GAP)
        if delta / (dt / 3600.0) > self.max_power_kw:
            return Step(None, IMPLAUSIBLE_JUMP)
        return Step(
            IntervalEnergy(
                community=reading.community,
                unit_id=reading.unit_id,
                start=prev.ts,
                end=reading.ts,
                kwh=delta,
            )
        )


def to_intervals(
    readings: Iterable[MeterReading], **kwargs: float
) -> tuple[list[IntervalEnergy], dict[str, int]]:
    """Convert a batch (any order across units; sorted per unit by time first)."""
    converter = IntervalConverter(**kwargs)
    energy: list[IntervalEnergy] = []
    notes: dict[str, int] = {}
    for reading in sorted(readings, key=lambda r: (r.unit_id, r.ts)):
        step = converter.step(reading)
        if step.energy is not None:
            energy.append(step.energy)
        if step.note:
            notes[step.note] = notes.get(step.note, 0) + 1
    return energy, notes
