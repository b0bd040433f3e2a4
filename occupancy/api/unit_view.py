"""Everything known about one unit, gathered for the JSON API and the unit page alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Annotated

from fastapi import Query
from sqlalchemy.orm import Session

from occupancy.api.consumption import UnitWindow, unit_window
from occupancy.api.queries import CLOSED_STATES, get_unit, list_flags
from occupancy.audit.log import record
from occupancy.auth.principal import Principal
from occupancy.db.tables import Flag, Unit
from occupancy.store.base import ReadingStore

#: Days a window may end on: a year outside them is a typo, and near ``date.min`` the window's
#: first day would not exist (``end=0001-01-01`` was an OverflowError, i.e. a 500).
FIRST_END_DAY = date(2000, 1, 1)
LAST_END_DAY = date(2100, 12, 31)
#: The ``end`` query parameter of the unit's JSON and page: out of range is a 422.
EndDay = Annotated[
    date | None,
    Query(
        ge=FIRST_END_DAY,
        le=LAST_END_DAY,
        description=f"Last local day shown ({FIRST_END_DAY}..{LAST_END_DAY}); default: today.",
    ),
]


@dataclass(frozen=True)
class UnitView:
    unit_id: str
    community: str
    register: Unit | None
    flags: Sequence[Flag]
    window: UnitWindow


def load_unit_view(
    session: Session,
    store: ReadingStore,
    unit_id: str,
    *,
    days: int,
    tz: tzinfo,
    now: datetime,
    last_day: date | None = None,
    open_only: bool = True,
    user: Principal | None = None,
) -> UnitView | None:
    """The unit's register row, flags and recent readings; None when none of the three knows
    the unit (a mistyped id), or when ``user`` may see neither the unit nor any of its flags,
    so the caller can answer 404 without telling whether the unit exists."""
    register = get_unit(session, unit_id)
    every_flag, _ = list_flags(session, unit_id=unit_id)
    if user is not None:
        community = register.community if register is not None else None
        if community is None and every_flag:
            community = every_flag[0].community
        if not user.sees_unit(register, community) and not any(
            user.sees_flag(flag, register) for flag in every_flag
        ):
            return None
        every_flag = [flag for flag in every_flag if user.sees_flag(flag, register)]
    window = unit_window(store, unit_id, days=days, tz=tz, now=now, last_day=last_day)
    if register is None and not every_flag and not window.has_data:
        return None
    if register is not None:
        community = register.community
    elif every_flag:
        community = every_flag[0].community
    else:
        community = window.community
    flags = [f for f in every_flag if f.state not in CLOSED_STATES] if open_only else every_flag
    return UnitView(unit_id, community, register, flags, window)


def audit_unit_view(session: Session, user: Principal, view: UnitView, *, address: str) -> None:
    """Record that ``user`` saw the unit (API and page alike) and commit: who looked at a
    home's readings is asked for even when nothing changed."""
    record(session, user, "view", "unit", view.unit_id, community=view.community, address=address)
    session.commit()
