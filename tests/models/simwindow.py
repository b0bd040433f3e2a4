"""Turn a simulated community into an ``HourlyWindow`` in memory, as the files would.

The simulator's files are its contract; going through CSV for every test would cost seconds
for nothing, so tests rebuild the same window from the community's arrays: consecutive meter
register readings become interval energy, spread over hours by ``aggregate_arrays`` exactly as
stores do. (The register is in hundredths of a kWh, like the 0.01 kWh the files carry.)
"""

from __future__ import annotations

import numpy as np

from occupancy.register.entry import RegisterEntry
from occupancy.timeseries import HourlyWindow, aggregate_arrays


def community_window(community) -> HourlyWindow:  # noqa: ANN001 - simulator.Community
    """The community's whole simulated window, hour by hour."""
    tl = community.timeline
    ids = [u.unit_id for u in community.units]
    t0 = tl.start.timestamp()
    register = community.register_centi_kwh / 100.0
    n, readings = register.shape
    k = np.arange(readings - 1)
    valid = (k[None, :] + 1) < community.readings_reported[:, None]
    rows, cols = np.nonzero(valid)
    kwh = register[rows, cols + 1] - register[rows, cols]
    starts = t0 + cols * tl.interval * 60.0
    sensors = np.array([u.has_lights_sensor for u in community.units])
    l_rows, l_cols = np.nonzero(sensors[:, None] & np.ones(tl.light_minute.size, dtype=bool))
    return aggregate_arrays(
        tl.start,
        tl.days * 24,
        unit_ids=ids,
        communities=dict.fromkeys(ids, community.name),
        e_unit=[ids[r] for r in rows],
        e_start=starts,
        e_end=starts + tl.interval * 60.0,
        e_kwh=kwh,
        l_unit=[ids[r] for r in l_rows],
        l_ts=t0 + tl.light_minute[l_cols] * 60.0,
        l_on=community.lights_on[l_rows, l_cols].astype(float),
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


def community_truth(community) -> dict[str, dict[str, bool | str]]:  # noqa: ANN001
    """unit_id -> archetype, occupied, registered, meter_ok, as truth.csv holds them."""
    return {
        u.unit_id: {
            "archetype": u.archetype,
            "occupied": u.occupied,
            "registered": u.registered,
            "meter_ok": u.meter_ok,
        }
        for u in community.units
    }
