"""Who is asking, and what they may see and do.

Every query that lists units or flags goes through ``unit_clause``/``flag_clause`` and every
single object through ``sees_unit``/``sees_flag``: scoping lives here once, not in each route,
so a new route cannot forget it by accident (the authorization matrix test checks each one).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, or_, select, true

from occupancy.db.tables import (
    ADMIN,
    ASSIGNED_FLAG_STATE,
    GRID_WORKER,
    SECRETARY,
    TESTER,
    VISITED_FLAG_STATE,
    Flag,
    Unit,
    User,
)

#: States in which an assignment still puts a flag on the worker's list (and so in sight).
_ON_A_LIST = (ASSIGNED_FLAG_STATE, VISITED_FLAG_STATE)

#: What each role may do. Seeing is further limited to the role's scope (community, grid or
#: simulated units); admins only are unscoped.
PERMISSIONS: dict[str, frozenset[str]] = {
    "flags.read": frozenset({ADMIN, SECRETARY, GRID_WORKER, TESTER}),
    "flags.assign": frozenset({ADMIN, SECRETARY}),
    "flags.dismiss": frozenset({ADMIN, SECRETARY}),
    "flags.close": frozenset({ADMIN, SECRETARY}),
    "flags.visit": frozenset({ADMIN, SECRETARY, GRID_WORKER}),
    "register.read": frozenset({ADMIN, SECRETARY, GRID_WORKER, TESTER}),
    "register.write": frozenset({ADMIN, SECRETARY}),
    "labels.export": frozenset({ADMIN, SECRETARY}),
    "runs.read": frozenset({ADMIN, SECRETARY, TESTER}),
    "lights.read": frozenset({ADMIN, SECRETARY, GRID_WORKER, TESTER}),
    "lights.write": frozenset({ADMIN, SECRETARY, GRID_WORKER}),
    "worklist.read": frozenset({ADMIN, SECRETARY, GRID_WORKER}),
    "audit.read": frozenset({ADMIN}),
    "users.manage": frozenset({ADMIN}),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in person, detached from the database session that loaded them."""

    user_id: int
    username: str
    role: str
    community: str = ""
    grid: str = ""
    display_name: str = ""

    @classmethod
    def from_user(cls, user: User) -> Principal:
        return cls(
            user_id=user.id,
            username=user.username,
            role=user.role,
            community=user.community or "",
            grid=user.grid or "",
            display_name=user.display_name or "",
        )

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    def can(self, permission: str) -> bool:
        roles = PERMISSIONS.get(permission)
        if roles is None:
            raise KeyError(f"unknown permission {permission!r}")
        return self.role in roles

    # -- lists -------------------------------------------------------------------------------

    def unit_clause(self) -> ColumnElement[bool]:
        """WHERE condition on ``Unit`` for the units this person may see."""
        if self.role == ADMIN:
            return true()
        if self.role == SECRETARY and self.community:
            return Unit.community == self.community
        if self.role == GRID_WORKER and self.community and self.grid:
            return (Unit.community == self.community) & (Unit.grid == self.grid)
        if self.role == TESTER:
            return Unit.simulated.is_(True)
        return false()

    def flag_clause(self) -> ColumnElement[bool]:
        """WHERE condition on ``Flag``: flags of visible units, plus (for a grid worker) the
        flags on their list, which may be of units outside the register or their grid.

        Where a flag is depends on the register, not on ``Flag.community`` (the community the
        meter reported under when the flag was raised): a unit moved to another community in
        the register takes its flags with it. Only an unregistered unit's flags go by
        ``Flag.community``.
        """
        if self.role == ADMIN:
            return true()
        in_scope = Flag.unit_id.in_(select(Unit.unit_id).where(self.unit_clause()))
        if self.role == SECRETARY and self.community:
            return or_(in_scope, self._unregistered_here())
        if self.role == GRID_WORKER and self.community:
            on_my_list = and_(
                Flag.assigned_to_id == self.user_id,
                Flag.state.in_(_ON_A_LIST),
                or_(
                    Flag.unit_id.in_(select(Unit.unit_id).where(Unit.community == self.community)),
                    self._unregistered_here(),
                ),
            )
            return or_(in_scope, on_my_list)
        if self.role == TESTER:
            return in_scope
        return false()

    def _unregistered_here(self) -> ColumnElement[bool]:
        """Flags of units in no register row, seen in this person's community."""
        return and_(Flag.community == self.community, Flag.unit_id.not_in(select(Unit.unit_id)))

    def community_clause(self, column: ColumnElement[str]) -> ColumnElement[bool]:
        """WHERE condition on a community-name column (summaries, runs, surveys)."""
        if self.role == ADMIN:
            return true()
        if self.role == TESTER:
            return column.in_(select(Unit.community).where(Unit.simulated.is_(True)))
        if self.community:
            return column == self.community
        return false()

    # -- single objects ----------------------------------------------------------------------

    def sees_unit(self, unit: Unit | None, community: str | None = None) -> bool:
        """Whether this person may see a unit, given its register row (None when the unit is
        not in the register, e.g. activity in a flat nobody registered) and the community
        its flags or readings name."""
        if self.role == ADMIN:
            return True
        if unit is not None:
            if self.role == SECRETARY:
                return bool(self.community) and unit.community == self.community
            if self.role == GRID_WORKER:
                return (
                    bool(self.community and self.grid)
                    and unit.community == self.community
                    and unit.grid == self.grid
                )
            if self.role == TESTER:
                return bool(unit.simulated)
            return False
        # Not in the register: only a secretary of the community it was seen in.
        return self.role == SECRETARY and bool(self.community) and community == self.community

    def sees_flag(self, flag: Flag, unit: Unit | None) -> bool:
        """``unit``: the flag's register row (None when the unit is not registered); the
        register decides the community, as in ``flag_clause``."""
        if (
            self.role == GRID_WORKER
            and self.community
            and flag.assigned_to_id == self.user_id
            and flag.state in _ON_A_LIST
        ):
            community = unit.community if unit is not None else flag.community
            if community == self.community:
                return True
        return self.sees_unit(unit, flag.community)

    def sees_community(self, community: str, *, simulated: bool = False) -> bool:
        """``simulated``: the community has simulated units (the only ones a tester sees)."""
        if self.role == ADMIN:
            return True
        if self.role == TESTER:
            return simulated
        return bool(self.community) and community == self.community
