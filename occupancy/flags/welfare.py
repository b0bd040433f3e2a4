"""The welfare check: a vulnerable resident whose home shows no human activity for a day.

This is deliberately *not* the occupancy model. P(occupied) answers "does someone live here?"
over a week, and a home whose resident was taken ill yesterday still looks lived in over the
week. The welfare question is narrower and more urgent: has anyone used electricity the way a
person does in the last ``silent_hours``? What counts as a person is decided by
``occupancy.models.activity.human_hours``: sustained use, or use bigger than anything the
home's own appliances (fridge, water heater, heater left on) do at night, so a storage water
heater reheating every few hours does not keep the check quiet.

Rules, for registered units marked vulnerable (``registered_occupants > 0`` and
``vulnerable``), as of ``as_of`` (hours after it are ignored):

* no measured hour in the last ``silent_hours``, or the register stood still for
  ``STUCK_HOURS`` or more although the meter kept reporting: **meter_offline** (not urgent;
  we cannot tell a silent home from a silent meter, but someone should look);
* no human hour in the last ``silent_hours`` but more than ``GAP_TOLERANCE_HOURS`` of them
  unmeasured: **meter_offline** too. The silence is not proven (the resident may have been
  up while the gateway was down), and it is not disproven either;
* otherwise no human hour in the last ``silent_hours``, the meter reporting now (within
  ``RECENT_HOURS``) and at most ``GAP_TOLERANCE_HOURS`` of those hours unmeasured:
  **registered_silent, urgent**. A meter that just stopped reporting gets no flag while the
  rest of the last ``silent_hours`` is measured well enough: its silence is unknown.

Silence is counted over the hours actually looked at: a window (or an ``as_of``) that holds
fewer than ``silent_hours`` hours with no human hour in them is not yet a silence of
``silent_hours``, whatever came before it.

It reads only the energy of the window, so it runs hourly on whatever the store holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from occupancy.flags.evidence import welfare_evidence, welfare_text
from occupancy.flags.record import METER_OFFLINE, REGISTERED_SILENT, FlagRecord
from occupancy.models.activity import HumanActivity, frozen_hours, hours_since_last, human_hours
from occupancy.register.entry import RegisterEntry
from occupancy.timeseries import HourlyWindow, plus_hours

#: Hours without human activity after which a vulnerable resident is checked on.
WELFARE_SILENT_HOURS: float = 24.0
#: A register that moved and then stood still this long while reporting is a stuck meter. A
#: flat with 8 W of standby moves a 0.01 kWh register every 75 minutes.
STUCK_HOURS: float = 3.0
#: The meter must have reported within this many hours for a silence to be called: a meter
#: that just went quiet is a meter question first (it becomes meter_offline after
#: ``silent_hours``), not proof that the resident is.
RECENT_HOURS: float = 2.0
#: Unmeasured hours (a gap in the readings) tolerated inside a silence: at least
#: ``silent_hours - GAP_TOLERANCE_HOURS`` of it must be measured and quiet.
GAP_TOLERANCE_HOURS: float = 6.0


@dataclass(frozen=True)
class Silence:
    """Per-unit silence as of the end of the energy array the numbers were computed from."""

    #: Hours from the end of the last human hour to the end; NaN if none in the array.
    hours_since_activity: np.ndarray
    #: Hours from the end of the last measured hour to the end; NaN if none.
    hours_since_measured: np.ndarray
    #: Measured hours among the last ``silent_hours`` columns that follow the last human hour
    #: (all measured hours of those columns if there was none in them).
    quiet_measured_hours: np.ndarray
    #: Hours the register stood still at the end while reporting (0 if never moved).
    frozen_hours: np.ndarray
    #: Whether the register ever moved.
    moved: np.ndarray
    #: Measured hours and mean daily energy, for the evidence.
    measured_hours: np.ndarray
    mean_daily_kwh: np.ndarray
    standby_daily_kwh: np.ndarray
    #: Columns of the array (hours looked at): the silence of a unit with no human hour in
    #: them is this long, not endless.
    hours_looked_at: int


def silence(
    energy: np.ndarray,
    first_hour_of_day: int = 0,
    activity: HumanActivity | None = None,
    silent_hours: float = WELFARE_SILENT_HOURS,
) -> Silence:
    """How long each unit has been without human activity, as of the array's end.

    ``energy`` is hourly kWh (NaN = unmeasured), its first column at local hour
    ``first_hour_of_day``. ``activity`` is ``human_hours`` of the same array if the caller
    already has it (the feature step computes it too). ``silent_hours`` is the span whose
    measured quiet hours ``is_silent`` counts: a gap before it does not make up for one
    inside it.
    """
    energy = np.asarray(energy, dtype=float)
    hours = energy.shape[1]
    if activity is None:
        activity = human_hours(energy, first_hour_of_day + np.arange(hours))
    measured = ~np.isnan(energy)
    frozen, moved = frozen_hours(energy)
    since = hours_since_last(activity.human)
    column = np.arange(hours)[None, :]
    after = column >= (hours - np.nan_to_num(since, nan=hours))[:, None]
    recent = column >= hours - silent_hours
    with np.errstate(invalid="ignore"):
        count = measured.sum(axis=1)
        mean = np.where(count > 0, np.nansum(energy, axis=1) / np.maximum(count, 1), np.nan)
    return Silence(
        hours_since_activity=since,
        hours_since_measured=hours_since_last(measured),
        quiet_measured_hours=(measured & after & recent).sum(axis=1),
        frozen_hours=frozen,
        moved=moved,
        measured_hours=count,
        mean_daily_kwh=mean * 24.0,
        standby_daily_kwh=activity.baseline_kwh * 24.0,
        hours_looked_at=hours,
    )


def welfare_flags(
    window: HourlyWindow,
    register: Mapping[str, RegisterEntry],
    *,
    as_of: datetime | None = None,
    silent_hours: float = WELFARE_SILENT_HOURS,
) -> list[FlagRecord]:
    """Urgent ``registered_silent`` and ``meter_offline`` flags for vulnerable residents.

    Parameters
    ----------
    window : HourlyWindow
        Hourly energy from a local midnight; it may end on any hour. A week of history makes
        the night-time appliance signature reliable; a day or two works.
    register : mapping of unit_id to RegisterEntry
        Only entries with ``registered_occupants > 0`` and ``vulnerable`` are looked at; one
        that the window lacks is ``meter_offline``.
    as_of : datetime, optional
        The moment to judge at (default ``window.end``), time-zone aware and not before
        ``window.start``; hours after it are ignored (a later one judges at the window end).
    silent_hours : float, default=24
        Hours without human activity that make the flag.

    Returns
    -------
    list of FlagRecord
        Urgent flags first, then meter_offline, each group by descending silence.

    Raises
    ------
    ValueError
        ``silent_hours`` not positive, ``as_of`` without a time zone, or before the window.
    """
    if silent_hours <= 0:
        raise ValueError(f"silent_hours must be positive, got {silent_hours}")
    cut = _hours_until(window, as_of)
    judged_at = plus_hours(window.start, cut)
    vulnerable = {
        unit_id: entry
        for unit_id, entry in register.items()
        if entry.vulnerable and entry.registered_occupants > 0
    }
    rows = [i for i, unit_id in enumerate(window.unit_ids) if unit_id in vulnerable]
    energy = np.asarray(window.energy_kwh, dtype=float)[rows, :cut]
    status = silence(energy, window.start.hour, silent_hours=silent_hours)
    flags = [
        flag
        for j, i in enumerate(rows)
        if (
            flag := _judge(
                window.unit_ids[i],
                window.communities[i] or vulnerable[window.unit_ids[i]].community,
                vulnerable[window.unit_ids[i]],
                status,
                j,
                judged_at,
                cut,
                silent_hours,
            )
        )
        is not None
    ]
    present = set(window.unit_ids)
    for unit_id, entry in vulnerable.items():
        if unit_id not in present:
            flags.append(_offline(unit_id, entry, judged_at, cut))
    flags.sort(key=lambda f: (not f.urgent, -f.score, f.unit_id))
    return flags


def _hours_until(window: HourlyWindow, as_of: datetime | None) -> int:
    """Whole real hours of ``window`` before ``as_of`` (all of them if None or later)."""
    if as_of is None:
        return window.hours
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError(
            f"as_of {as_of.isoformat()} has no time zone; pass an aware datetime, e.g. "
            "datetime.now(UTC) or one with tzinfo=ZoneInfo('Asia/Shanghai')"
        )
    # Timestamps, not ``as_of - window.start``: that is wall-clock time when both share a
    # tzinfo, an hour off across a daylight saving change.
    offset = (as_of.timestamp() - window.start.timestamp()) / 3600.0
    if offset < 0:
        raise ValueError(
            f"as_of {as_of.isoformat()} is before the window start "
            f"{window.start.isoformat()}; nothing in the window can be judged at that time. "
            "Pass a later as_of or a window that starts earlier."
        )
    return int(min(np.floor(offset), window.hours))


def silence_so_far(status: Silence) -> np.ndarray:
    """Hours without human activity; the hours looked at where none was seen in them."""
    since = status.hours_since_activity
    return np.where(np.isnan(since), float(status.hours_looked_at), since)


def is_silent(status: Silence, silent_hours: float = WELFARE_SILENT_HOURS) -> np.ndarray:
    """Units silent for ``silent_hours`` whose meter is working (the urgent condition)."""
    reporting = np.nan_to_num(status.hours_since_measured, nan=np.inf) <= RECENT_HOURS
    measured = status.quiet_measured_hours >= silent_hours - GAP_TOLERANCE_HOURS
    return (
        (silence_so_far(status) >= silent_hours)
        & reporting
        & measured
        & ~meter_unusable(status, silent_hours)
    )


def silence_unmeasured(status: Silence, silent_hours: float = WELFARE_SILENT_HOURS) -> np.ndarray:
    """No human hour in the last ``silent_hours``, but too few of them measured to say so.

    More than ``GAP_TOLERANCE_HOURS`` unmeasured: the resident may have been up in the gap.
    Such a unit gets meter_offline, not an urgent flag and not nothing.
    """
    measured = status.quiet_measured_hours >= silent_hours - GAP_TOLERANCE_HOURS
    return (silence_so_far(status) >= silent_hours) & ~measured


def meter_unusable(status: Silence, silent_hours: float = WELFARE_SILENT_HOURS) -> np.ndarray:
    """No reading in the last ``silent_hours``, or a register stuck while reporting."""
    since = np.where(np.isnan(status.hours_since_measured), np.inf, status.hours_since_measured)
    return (since >= silent_hours) | (status.frozen_hours >= STUCK_HOURS)


def _judge(
    unit_id: str,
    community: str,
    entry: RegisterEntry,
    status: Silence,
    j: int,
    judged_at: datetime,
    hours: int,
    silent_hours: float,
) -> FlagRecord | None:
    unusable = bool(meter_unusable(status, silent_hours)[j]) or bool(
        silence_unmeasured(status, silent_hours)[j]
    )
    silent = bool(is_silent(status, silent_hours)[j])
    if not unusable and not silent:
        return None
    kind = METER_OFFLINE if unusable else REGISTERED_SILENT
    evidence = welfare_evidence(
        kind=kind,
        judged_at=judged_at,
        hours_total=hours,
        registered_occupants=entry.registered_occupants,
        hours_since_activity=_maybe(status.hours_since_activity[j]),
        hours_since_measured=_maybe(status.hours_since_measured[j]),
        frozen_hours=float(status.frozen_hours[j]),
        hours_measured=int(status.measured_hours[j]),
        mean_daily_kwh=_maybe(status.mean_daily_kwh[j], 2),
        standby_daily_kwh=_maybe(status.standby_daily_kwh[j], 2),
    )
    # Measured hours of the silence that counted (at most ``silent_hours``): why a patchy
    # silence is meter_offline rather than urgent.
    evidence["silence_measured_hours"] = int(status.quiet_measured_hours[j])
    since = evidence["hours_since_activity"]
    score = 1.0 if since is None else min(1.0, since / (silent_hours * 7))
    return FlagRecord(
        unit_id=unit_id,
        community=community,
        kind=kind,
        score=round(score, 4),
        probability=None,
        evidence_text=welfare_text(evidence),
        evidence=evidence,
        urgent=kind == REGISTERED_SILENT,
    )


def _offline(unit_id: str, entry: RegisterEntry, judged_at: datetime, hours: int) -> FlagRecord:
    evidence = welfare_evidence(
        kind=METER_OFFLINE,
        judged_at=judged_at,
        hours_total=hours,
        registered_occupants=entry.registered_occupants,
        hours_since_activity=None,
        hours_since_measured=None,
        frozen_hours=0.0,
        hours_measured=0,
        mean_daily_kwh=None,
        standby_daily_kwh=None,
        in_window=False,
    )
    evidence["silence_measured_hours"] = 0
    return FlagRecord(
        unit_id=unit_id,
        community=entry.community,
        kind=METER_OFFLINE,
        score=1.0,
        probability=None,
        evidence_text=welfare_text(evidence),
        evidence=evidence,
    )


def _maybe(value: float, digits: int = 0) -> float | None:
    value = float(value)
    if np.isnan(value):
        return None
    return round(value, digits) if digits else float(round(value))


__all__: Sequence[str] = (
    "GAP_TOLERANCE_HOURS",
    "RECENT_HOURS",
    "STUCK_HOURS",
    "WELFARE_SILENT_HOURS",
    "Silence",
    "is_silent",
    "meter_unusable",
    "silence",
    "silence_so_far",
    "silence_unmeasured",
    "welfare_flags",
)
