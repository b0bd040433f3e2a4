"""Cumulative register readings to interval energy, per unit.

A meter reports its register (total kWh ever); the detector needs energy per interval.
Real register streams have duplicates, counter resets, meter swaps, late arrivals and gaps.
Each is counted under a stable name, and none produces energy that wasn't used: when we
cannot tell what happened in an interval, we leave it unmeasured and re-anchor on the new
value.

What each case does (``note`` of the ``Step``; energy; whether the raw register is stored):

- ``first_reading``: the unit's baseline; no energy; stored.
- normal (no note): energy = new register - anchor over (anchor time, new time]; stored.
- ``duplicate`` (same time, same register): a redelivery; nothing; not stored again.
- ``conflicting_duplicate`` (same time, another register): the first value is kept, so
  the intervals already derived from it stay true; nothing; not stored.
- ``out_of_order`` (older than the anchor): the interval spanning it was already derived
  from its neighbours, so deriving energy from it would count that energy twice; the anchor
  does not move. The reading is still a fact about the meter, so it is stored (stores derive
  intervals from the raw registers on read, and there it lands in its place). An older
  reading redelivered after a newer one also ends up here; storing it again is harmless, as
  stores replace by (unit, time).
- ``meter_replaced``: the reading names a meter serial (``MeterReading.meter_id``) other
  than the last one this unit reported. Registers of two meters cannot be subtracted, even
  when the new one is higher, so no energy; re-anchored on the new meter; stored. Never
  counted as a counter reset. A reading without a serial says nothing about the meter: it
  neither triggers this nor forgets the known serial (a store's resume point carries none).
- ``counter_reset`` (register went down, same meter as far as we know): no energy; stored.
- ``gap`` (longer than ``max_interval_seconds``): the energy is real but cannot be placed in
  hours; none derived; stored (the raw registers keep the total).
- ``implausible_jump`` (above ``max_power_kw`` on average): a swap without a serial or a
  register glitch; no energy; stored.

Checks run in that order, so a payload that is two things at once is counted once, under the
first: a duplicate time wins over a serial change, a serial change over a reset, gap or jump.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from occupancy.ingest.const import MAX_INTERVAL_SECONDS, MAX_POWER_KW
from occupancy.readings import IntervalEnergy, MeterReading

DUPLICATE = "duplicate"
CONFLICTING_DUPLICATE = "conflicting_duplicate"
OUT_OF_ORDER = "out_of_order"
METER_REPLACED = "meter_replaced"
COUNTER_RESET = "counter_reset"
IMPLAUSIBLE_JUMP = "implausible_jump"
GAP = "gap"
FIRST = "first_reading"

#: Notes whose reading adds nothing to what is stored.
_NOT_KEPT = frozenset({DUPLICATE, CONFLICTING_DUPLICATE})


@dataclass(frozen=True, slots=True)
class Step:
    """What one register reading produced: an interval, or why not (``note``)."""

    energy: IntervalEnergy | None
    note: str | None = None

    @property
    def keep_register(self) -> bool:
        """Whether the raw register reading itself is worth storing: everything but a
        redelivery or the loser of a conflict (an out-of-order reading is kept)."""
        return self.note not in _NOT_KEPT


class IntervalConverter:
    """Keeps the last register reading (the anchor) and the last known meter serial per unit,
    and turns each new reading into a ``Step``.

    Streaming, so it only looks forward: re-deriving earlier intervals around a late reading
    belongs to the store, which holds all of them.
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
        self._serial: dict[str, str] = {
            unit: r.meter_id for unit, r in self._last.items() if r.meter_id is not None
        }

    def step(self, reading: MeterReading) -> Step:
        unit = reading.unit_id
        prev = self._last.get(unit)
        serial = reading.meter_id
        if prev is None:
            self._last[unit] = reading
            if serial is not None:
                self._serial[unit] = serial
            return Step(None, FIRST)
        dt = reading.ts - prev.ts
        if dt == 0:
            if reading.kwh == prev.kwh:
                return Step(None, DUPLICATE)
            return Step(None, CONFLICTING_DUPLICATE)
        if dt < 0:
            return Step(None, OUT_OF_ORDER)
        self._last[unit] = reading
        if serial is not None:
            known = self._serial.get(unit)
            if known != serial:
                self._serial[unit] = serial
                if known is not None:
                    return Step(None, METER_REPLACED)
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
                unit_id=unit,
                start=prev.ts,
                end=reading.ts,
                kwh=delta,
            )
        )


def to_intervals(
    readings: Iterable[MeterReading], **kwargs: float
) -> tuple[list[IntervalEnergy], dict[str, int]]:
    """Convert a batch (any order across units; sorted per unit by time first, stable, so of
    two readings with the same time the first given wins)."""
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
