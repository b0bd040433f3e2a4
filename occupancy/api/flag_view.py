"""Everything the flag page shows, gathered in one place: the flag, its unit's register row,
the last week of hourly readings, night counts of the unit, the history, and whom it can be
assigned to.

The page is where a secretary decides whether to send someone and a worker checks what they
are walking into, so the evidence (readings, lights, what others already did) sits next to
the buttons. Reads only; scope checks are the route's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from occupancy.api.chart import HourlyChart, hourly_chart
from occupancy.api.unit_view import UnitView, load_unit_view
from occupancy.db.tables import GRID_WORKER, Flag, FlagEvent, Unit, User
from occupancy.lights.record import LightsObservation
from occupancy.store.base import ReadingStore
from occupancy.workflow.actions import flag_history

#: The chart covers the last week: long enough for the daily rhythm and a weekend.
CHART_DAYS = 7
#: Night counts shown: two weeks, so the last two or three rounds are there.
LIGHTS_DAYS = 14


@dataclass(frozen=True)
class LightsSeen:
    """One night-count observation of the unit, for the page."""

    observed_at: datetime
    lit: bool
    observer: str


@dataclass(frozen=True)
class FlagPage:
    flag: Flag
    unit: Unit | None
    view: UnitView
    chart: HourlyChart
    lights: Sequence[LightsSeen]
    history: Sequence[FlagEvent]
    #: Users named by the flag (assignee, visitor), by id, for their names.
    people: dict[int, User]
    #: Grid workers the flag can be assigned to: the unit's grid first.
    workers: Sequence[User]

    @property
    def unit_grid(self) -> str:
        return self.unit.grid if self.unit is not None else ""

    def name_of(self, user_id: int | None) -> str:
        user = self.people.get(user_id) if user_id is not None else None
        if user is None:
            return ""
        return user.display_name or user.username


def unit_lights(
    session: Session, unit_id: str, *, since: datetime, limit: int = 200
) -> list[LightsSeen]:
    """Recorded night-count observations of one unit since ``since``, newest first."""
    statement = (
        select(LightsObservation)
        .where(LightsObservation.unit_id == unit_id, LightsObservation.ts >= since.timestamp())
        .order_by(LightsObservation.ts.desc())
        .limit(limit)
    )
    return [
        LightsSeen(datetime.fromtimestamp(o.ts, UTC), bool(o.lit), o.observer)
        for o in session.scalars(statement)
    ]


def community_workers(session: Session, community: str, grid: str = "") -> list[User]:
    """Active grid workers of a community; those walking ``grid`` first, then by grid and
    name, so the usual choice is at the top of the dropdown."""
    statement = select(User).where(
        User.active.is_(True), User.role == GRID_WORKER, User.community == community
    )
    workers = list(session.scalars(statement))
    return sorted(workers, key=lambda u: (u.grid != grid, u.grid, u.username))


def users_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(wanted)))}


def load_flag_page(
    session: Session,
    store: ReadingStore,
    flag: Flag,
    *,
    tz: tzinfo,
    now: datetime,
    with_workers: bool,
) -> FlagPage:
    """The flag page's data; ``with_workers`` only for people who may assign (the list of
    colleagues is not for everyone)."""
    view = load_unit_view(
        session, store, flag.unit_id, days=CHART_DAYS, tz=tz, now=now, open_only=False
    )
    assert view is not None  # the flag itself names the unit
    chart = hourly_chart(view.window.start, view.window.hourly_kwh, view.window.lights_on)
    unit = view.register
    return FlagPage(
        flag=flag,
        unit=unit,
        view=view,
        chart=chart,
        lights=unit_lights(session, flag.unit_id, since=now - timedelta(days=LIGHTS_DAYS)),
        history=flag_history(session, flag.id),
        people=users_by_id(session, (flag.assigned_to_id, flag.visited_by_id)),
        workers=(
            community_workers(session, flag.community, unit.grid if unit else "")
            if with_workers
            else []
        ),
    )
