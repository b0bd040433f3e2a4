"""Counts behind the community dashboard, always limited to what the reader may see.

Every statement here takes the reader's ``Principal`` and applies ``flag_clause()``: a grid
worker opening the dashboard of their community sees their grid's numbers, never the rest.
Reads only; no HTTP errors (the route decides what "nothing found" means).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import Session

from occupancy.api.queries import CLOSED_STATES, FLAG_ORDER
from occupancy.auth.principal import Principal
from occupancy.db.tables import (
    ASSIGNED_FLAG_STATE,
    FLAG_STATES,
    VISITED_FLAG_STATE,
    Flag,
    Unit,
)
from occupancy.flags.record import FLAG_KINDS
from occupancy.workflow.walking import natural_key

#: The ``building`` filter value meaning "flags of units not in the register" (no building
#: known). A building is never called this: register buildings are numbers or short names.
NOT_REGISTERED = "-"


@dataclass(frozen=True)
class KindStateCounts:
    """Flags of one community per kind and state; rows and columns in workflow order, with
    any kind or state found beyond the known ones (an older database's ``resolved``) added."""

    kinds: list[str]
    states: list[str]
    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    def get(self, kind: str, state: str) -> int:
        return self.counts.get((kind, state), 0)

    def kind_total(self, kind: str) -> int:
        return sum(n for (k, _), n in self.counts.items() if k == kind)

    def state_total(self, state: str) -> int:
        return sum(n for (_, s), n in self.counts.items() if s == state)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class BuildingCounts:
    """Open flags of one building. ``building`` None: units not in the register."""

    building: str | None
    open: int
    urgent: int
    assigned: int
    visited: int

    @property
    def filter_value(self) -> str:
        return NOT_REGISTERED if self.building is None else self.building


def community_known(session: Session, community: str) -> tuple[bool, bool]:
    """(whether the register or any flag names the community, whether it has simulated
    units): the second is what a tester's scope turns on."""
    named = session.scalar(
        select(
            or_(
                exists().where(Unit.community == community),
                exists().where(Flag.community == community),
            )
        )
    )
    simulated = session.scalar(
        select(exists().where(Unit.community == community, Unit.simulated.is_(True)))
    )
    return bool(named), bool(simulated)


def kind_state_counts(session: Session, user: Principal, community: str) -> KindStateCounts:
    statement = (
        select(Flag.kind, Flag.state, func.count(Flag.id))
        .where(Flag.community == community, user.flag_clause())
        .group_by(Flag.kind, Flag.state)
    )
    counts = {(kind, state): n for kind, state, n in session.execute(statement).all()}
    kinds = list(FLAG_KINDS) + sorted({k for k, _ in counts} - set(FLAG_KINDS))
    states = list(FLAG_STATES) + sorted({s for _, s in counts} - set(FLAG_STATES))
    return KindStateCounts(kinds=kinds, states=states, counts=counts)


def building_counts(session: Session, user: Principal, community: str) -> list[BuildingCounts]:
    """Open flags per building (urgent, assigned and visited among them)."""

    def count_if(condition: object) -> object:
        return func.sum(case((condition, 1), else_=0))  # type: ignore[arg-type]

    statement = (
        select(
            Unit.building,
            func.count(Flag.id),
            count_if(Flag.urgent.is_(True)),
            count_if(Flag.state == ASSIGNED_FLAG_STATE),
            count_if(Flag.state == VISITED_FLAG_STATE),
        )
        .select_from(Flag)
        .outerjoin(Unit, Unit.unit_id == Flag.unit_id)
        .where(
            Flag.community == community,
            Flag.state.not_in(CLOSED_STATES),
            user.flag_clause(),
        )
        .group_by(Unit.building)
    )
    rows = [
        BuildingCounts(b, int(n), int(u or 0), int(a or 0), int(v or 0))
        for b, n, u, a, v in session.execute(statement).all()
    ]
    # Buildings in the order people number them (2 before 10, 3栋 before B1); unregistered last.
    return sorted(rows, key=lambda r: (r.building is None, natural_key(r.building)))


def community_flags(
    session: Session,
    user: Principal,
    community: str,
    *,
    kind: str | None = None,
    state: str | None = None,
    building: str | None = None,
    open_only: bool = False,
    limit: int = 500,
) -> tuple[Sequence[tuple[Flag, Unit | None]], int]:
    """Flags of the community matching the dashboard's filters, urgent first, each with its
    register row; and how many match in all (the list is capped at ``limit``)."""
    statement = (
        select(Flag, Unit)
        .outerjoin(Unit, Unit.unit_id == Flag.unit_id)
        .where(Flag.community == community, user.flag_clause())
    )
    if kind is not None:
        statement = statement.where(Flag.kind == kind)
    if state is not None:
        statement = statement.where(Flag.state == state)
    if open_only:
        statement = statement.where(Flag.state.not_in(CLOSED_STATES))
    if building == NOT_REGISTERED:
        statement = statement.where(Unit.unit_id.is_(None))
    elif building is not None:
        statement = statement.where(Unit.building == building)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = session.execute(statement.order_by(*FLAG_ORDER).limit(limit)).all()
    return [(flag, unit) for flag, unit in rows], total
