"""The few value types that cross module seams (ingest -> store -> detect).

Timestamps are Unix seconds (float, UTC): cheap to compare and sort in the hot ingest path;
conversion to local time happens only where a human or an hour-of-day feature needs it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MeterReading:
    """One cumulative energy-register reading, as a meter reports it.

    ``meter_id`` is the meter's serial when the payload names it: a change of serial is a
    meter replacement, which the interval converter must not mistake for consumption or a
    counter reset. Stores keep it as ``meter_key`` (last in the field list so positional
    construction keeps working).
    """

    community: str
    unit_id: str
    ts: float
    kwh: float
    meter_id: str | None = None


def meter_key(meter_id: str | None) -> int:
    """A 48-bit number for a meter serial (0 = not given), so stores keep it as a number
    beside the register (exact in a float64 column) and ``timeseries.register_steps`` can tell,
    with numpy alone, that two consecutive readings came from different meters."""
    if not meter_id:
        return 0
    # surrogatepass: a key for any str, so a serial can never make a batch unstorable.
    digest = hashlib.blake2b(meter_id.encode("utf-8", "surrogatepass"), digest_size=6).digest()
    return int.from_bytes(digest, "big") or 1


@dataclass(frozen=True, slots=True)
class LightReading:
    """Whether a unit's lights were seen on at a moment (sensor or a night count)."""

    community: str
    unit_id: str
    ts: float
    on: bool


@dataclass(frozen=True, slots=True)
class IntervalEnergy:
    """Energy used in (start, end], derived from two consecutive register readings."""

    community: str
    unit_id: str
    start: float
    end: float
    kwh: float
