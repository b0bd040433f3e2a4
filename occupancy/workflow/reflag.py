"""When detection may flag a unit again after a person dismissed its flag.

A dismissal is a person's judgement of the evidence they saw ("the resident is in hospital",
"the flat is being renovated"). Detection respects it: while a unit's latest dismissed flag of
a kind is younger than ``DISMISSAL_DAYS``, no new flag of that unit and kind is raised unless
the evidence changed materially against the evidence stored on the dismissed flag, i.e. any
of (``change_reason``):

1. **became urgent**: the new finding is urgent (a vulnerable resident silent for 24 h) and
   the dismissed flag was not;
2. **a new silence**: both urgent ``registered_silent``, and the resident was active after
   the last activity the dismissed flag knew of (more than an hour later), then went silent
   again (a dismissal of last week's silence says nothing about this one);
3. **P(occupied) moved ``PROBABILITY_STEP`` (0.25) further to the flag's side**: up for
   ``unregistered_activity``, down for ``registered_silent`` (only when both carry one);
4. **the silence at least doubled** (``registered_silent``): hours since activity at least
   twice those at the dismissal and ``MIN_GROWTH_HOURS`` (24 h) more;
5. **the outage at least doubled** (``meter_offline``): offline hours (unmeasured hours of the
   window, hours since the last reading or hours the register stood still, whichever is
   largest) at least twice and 24 h more.

A dismissal older than ``DISMISSAL_DAYS`` (counted from ``Flag.closed_at``) no longer blocks:
circumstances change, and a flag a month later costs one more look. A dismissed flag without
``closed_at`` (dismissed before the workflow recorded it) blocks nothing. A later flag of the
same unit and kind that a person *closed* after a visit supersedes the dismissal.

Everything else (P(occupied) wobbling, a day more of silence, the window sliding) is the
same evidence the person already judged, and stays dismissed.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from occupancy.db.tables import Flag
from occupancy.flags.record import (
    METER_OFFLINE,
    REGISTERED_SILENT,
    UNREGISTERED_ACTIVITY,
    FlagRecord,
)

#: Days a dismissal keeps detection from flagging the unit (same kind) again.
DISMISSAL_DAYS = 30.0
#: How much further P(occupied) must move to the flag's side to count as new evidence.
PROBABILITY_STEP = 0.25
#: Silence or outage hours must double *and* grow by at least this much.
MIN_GROWTH_HOURS = 24.0
_EPSILON = 1e-9
#: Two runs may place the same last activity an hour apart (hour boundaries, the window's
#: own standby baseline); only a later activity beyond that starts a new silence.
_SAME_HOUR = timedelta(hours=1)


def materially_changed(dismissed: Flag, record: FlagRecord) -> bool:
    """Whether ``record`` (this run's finding) differs materially from the evidence on the
    dismissed flag of the same unit and kind (rules in the module docstring)."""
    return change_reason(dismissed, record) is not None


def change_reason(dismissed: Flag, record: FlagRecord) -> str | None:
    """The first rule by which the evidence changed materially, as a short English note for
    the flag's history; None when it did not."""
    old: dict[str, Any] = dict(dismissed.evidence or {})
    new: dict[str, Any] = dict(record.evidence or {})
    if record.urgent and not dismissed.urgent:
        return "became urgent"
    if record.kind == REGISTERED_SILENT and record.urgent and dismissed.urgent:
        before, after = _moment(old.get("last_activity_at")), _moment(new.get("last_activity_at"))
        if before is not None and after is not None and after - before > _SAME_HOUR:
            return "active again since the dismissal, then silent again"
    p_old, p_new = dismissed.probability, record.probability
    if p_old is not None and p_new is not None:
        if record.kind == UNREGISTERED_ACTIVITY and p_new - p_old >= PROBABILITY_STEP - _EPSILON:
            return f"P(occupied) rose from {p_old:.2f} to {p_new:.2f}"
        if record.kind == REGISTERED_SILENT and p_old - p_new >= PROBABILITY_STEP - _EPSILON:
            return f"P(occupied) fell from {p_old:.2f} to {p_new:.2f}"
    if record.kind == REGISTERED_SILENT:
        grown = _doubled(
            _number(old.get("hours_since_activity")), _number(new.get("hours_since_activity"))
        )
        if grown:
            return f"silence grew to {grown}"
    if record.kind == METER_OFFLINE:
        grown = _doubled(offline_hours(old), offline_hours(new))
        if grown:
            return f"outage grew to {grown}"
    return None


def dismissal_expired(dismissed: Flag, now: datetime, days: float = DISMISSAL_DAYS) -> bool:
    """Whether the dismissal is too old (or of unknown age) to keep blocking."""
    at = dismissed.closed_at
    if at is None:
        return True
    if at.tzinfo is None:  # SQLite hands times back without their zone; they were UTC
        at = at.replace(tzinfo=now.tzinfo)
    return now - at >= timedelta(days=days)


def blocks(
    dismissed: Flag, record: FlagRecord, *, now: datetime, days: float = DISMISSAL_DAYS
) -> bool:
    """Whether the dismissal keeps ``record`` from becoming a new flag."""
    return not dismissal_expired(dismissed, now, days) and not materially_changed(dismissed, record)


def offline_hours(evidence: dict[str, Any]) -> float | None:
    """How long a meter_offline flag's meter has been out, in hours (rule 5)."""
    total = _number(evidence.get("hours_total"))
    if evidence.get("in_window") is False:
        return total
    candidates = [
        _number(evidence.get("hours_since_measured")),
        _number(evidence.get("register_frozen_hours")),
    ]
    measured = _number(evidence.get("hours_measured"))
    if total is not None and measured is not None:
        candidates.append(total - measured)
    known = [c for c in candidates if c is not None]
    return max(known) if known else None


def _doubled(before: float | None, after: float | None) -> str | None:
    if before is None or after is None:
        return None
    if after >= 2 * before and after >= before + MIN_GROWTH_HOURS:
        return f"{after:.0f} h from {before:.0f} h"
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if math.isnan(value) else float(value)


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
