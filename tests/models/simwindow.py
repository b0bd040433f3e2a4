"""Turn a simulated community into an ``HourlyWindow`` in memory, as the store would.

The simulator's files are its contract; going through CSV for every test would cost seconds
for nothing, so tests rebuild the same window from the community's arrays: the exact rows
readings.csv holds (every meter fault applied: gaps, stuck and reset registers, duplicates,
clock skew, offline meters) go through ``aggregate_arrays``' register path (``r_*``), which
derives interval energy from consecutive readings exactly as stores do on read.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from occupancy.evaluate import TruthRow
from occupancy.register.entry import RegisterEntry
from occupancy.timeseries import HourlyWindow, aggregate_arrays

_TRUTH_FIELDS = {f.name for f in dataclasses.fields(TruthRow)}


def community_window(community) -> HourlyWindow:  # noqa: ANN001 - simulator.Community
    """The community's whole simulated window, hour by hour."""
    tl = community.timeline
    ids = [u.unit_id for u in community.units]
    r_index, r_ts, r_kwh = community.reading_arrays()
    l_index, l_ts, l_on = community.light_arrays()
    id_array = np.array(ids, dtype=object)
    return aggregate_arrays(
        tl.start,
        tl.days * 24,
        unit_ids=ids,
        communities=dict.fromkeys(ids, community.name),
        e_unit=(),
        e_start=np.array([]),
        e_end=np.array([]),
        e_kwh=np.array([]),
        l_unit=id_array[l_index],
        l_ts=l_ts,
        l_on=l_on.astype(float),
        r_unit=id_array[r_index],
        r_ts=r_ts,
        r_kwh=r_kwh,
    )


def community_register(community) -> dict[str, RegisterEntry]:  # noqa: ANN001
    """The move-in register the simulator would write, as entries."""
    return {
        u.unit_id: RegisterEntry(
            unit_id=u.unit_id,
            community=community.name,
            registered_occupants=u.registered_occupants,
            grid=u.grid,
            building=u.building,
            entrance=str(u.entrance),
            floor=f"{u.floor:02d}",
            room=f"{u.room:02d}",
            vulnerable=u.vulnerable,
        )
        for u in community.units
    }


def community_truth(community) -> dict[str, dict[str, object]]:  # noqa: ANN001
    """unit_id -> the truth.csv columns (``TruthRow(unit_id, **row)`` builds a row).

    vulnerable, silent_hours and faults are included only if ``TruthRow`` has them, so this
    works on both sides of that change.
    """
    out: dict[str, dict[str, object]] = {}
    for u in community.units:
        row: dict[str, object] = {
            "archetype": u.archetype,
            "occupied": u.occupied,
            "registered": u.registered,
            "meter_ok": u.meter_ok,
            "vulnerable": u.vulnerable,
            "silent_hours": u.silent_hours,
            "faults": tuple(u.faults),
        }
        out[u.unit_id] = {k: v for k, v in row.items() if k in _TRUTH_FIELDS}
    return out
