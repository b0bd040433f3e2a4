"""Database reads behind the API and the pages. They return rows or None and never raise HTTP
errors: deciding what a missing row means is the route's job."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from occupancy.api.schemas import CommunitySummary
from occupancy.auth.principal import Principal
from occupancy.db.tables import CLOSED_FLAG_STATES, Flag, Unit
from occupancy.flags.record import FLAG_KINDS

#: States after which a flag no longer asks for a visit.
CLOSED_STATES = CLOSED_FLAG_STATES

#: Urgent flags first (a vulnerable resident may need help), then the surest.
#: Counted with CASE: sum() over a Boolean column comes back typed Boolean (5 urgent flags
#: read as True, i.e. 1), and PostgreSQL has no sum(boolean) at all.
URGENT_COUNT = func.sum(case((Flag.urgent.is_(True), 1), else_=0))
FLAG_ORDER = (Flag.urgent.desc(), Flag.score.desc(), Flag.id)


def _filtered(
    statement: Select,
    *,
    community: str | None,
    kind: str | None,
    state: str | None,
    unit_id: str | None,
    open_only: bool,
    user: Principal | None,
) -> Select:
    if user is not None:
        statement = statement.where(user.flag_clause())
    if community is not None:
        statement = statement.where(Flag.community == community)
    if kind is not None:
        statement = statement.where(Flag.kind == kind)
    if state is not None:
        statement = statement.where(Flag.state == state)
    if unit_id is not None:
        statement = statement.where(Flag.unit_id == unit_id)
    if open_only:
        statement = statement.where(Flag.state.not_in(CLOSED_STATES))
    return statement


def list_flags(
    session: Session,
    *,
    community: str | None = None,
    kind: str | None = None,
    state: str | None = None,
    unit_id: str | None = None,
    open_only: bool = False,
    limit: int | None = None,
    offset: int = 0,
    user: Principal | None = None,
) -> tuple[Sequence[Flag], int]:
    """One page of flags, urgent first, and how many match in all; only those ``user`` may
    see when given (every route gives it; detection and the CLI see everything)."""
    where = {
        "community": community,
        "kind": kind,
        "state": state,
        "unit_id": unit_id,
        "open_only": open_only,
        "user": user,
    }
    total = session.scalar(_filtered(select(func.count(Flag.id)), **where)) or 0
    statement = _filtered(select(Flag), **where).order_by(*FLAG_ORDER).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    return session.scalars(statement).all(), total


def get_flag(session: Session, flag_id: int) -> Flag | None:
    return session.get(Flag, flag_id)


def get_unit(session: Session, unit_id: str) -> Unit | None:
    return session.get(Unit, unit_id)


def units_by_id(session: Session, unit_ids: Iterable[str]) -> dict[str, Unit]:
    """Register rows of several units in one query; unregistered ids are simply absent."""
    ids = set(unit_ids)
    if not ids:
        return {}
    return {u.unit_id: u for u in session.scalars(select(Unit).where(Unit.unit_id.in_(ids)))}


def community_summaries(
    session: Session, community: str | None = None, user: Principal | None = None
) -> list[CommunitySummary]:
    """Every community named in the register or in a flag, by name, with open-flag counts.

    A community with flags but no register rows is listed too: flags in a community nobody
    registered are exactly what a secretary must see. With ``user``, only the communities,
    units and flags that person may see are counted.
    """
    units = select(Unit.community, func.count(Unit.unit_id)).group_by(Unit.community)
    flags = select(Flag.community, Flag.kind, func.count(Flag.id), URGENT_COUNT).where(
        Flag.state.not_in(CLOSED_STATES)
    )
    closed_only = select(Flag.community).distinct()
    if user is not None:
        units = units.where(user.unit_clause())
        flags = flags.where(user.flag_clause())
        closed_only = closed_only.where(user.flag_clause())
    if community is not None:
        units = units.where(Unit.community == community)
        flags = flags.where(Flag.community == community)
    flags = flags.group_by(Flag.community, Flag.kind)

    unit_counts: dict[str, int] = {name: count for name, count in session.execute(units).all()}
    flag_counts: dict[str, dict[str, int]] = {}
    urgent_counts: dict[str, int] = {}
    for name, kind, count, urgent in session.execute(flags).all():
        flag_counts.setdefault(name, dict.fromkeys(FLAG_KINDS, 0))[kind] = count
        urgent_counts[name] = urgent_counts.get(name, 0) + int(urgent or 0)

    # Communities where every flag is closed still exist: they are in the register, or
    # have (closed) flags, so look those up too.
    names = set(unit_counts) | set(flag_counts)
    if community is not None:
        closed_only = closed_only.where(Flag.community == community)
    names |= set(session.scalars(closed_only).all())

    return [
        CommunitySummary(
            community=name,
            units=unit_counts.get(name, 0),
            flags=flag_counts.get(name, dict.fromkeys(FLAG_KINDS, 0)),
            urgent=urgent_counts.get(name, 0),
        )
        for name in sorted(names)
    ]


def community_summary(
    session: Session, community: str, user: Principal | None = None
) -> CommunitySummary | None:
    """The community's counts, or None when neither the register nor any flag names it
    (or, with ``user``, nothing in it is theirs to see)."""
    found = community_summaries(session, community, user)
    return found[0] if found else None
