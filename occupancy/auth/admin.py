"""Changing accounts after they exist: the web admin page, the API and the CLI share these.

Anything that changes what a person may see (role, community, grid, disabling) or how they
prove who they are (a new password) ends their browser sessions, so the change holds from
their next click rather than from their next sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from occupancy.audit.log import Actor
from occupancy.auth.accounts import AccountError, check_scope, set_password
from occupancy.auth.passwords import WeakPasswordError
from occupancy.auth.sessions import end_all_sessions
from occupancy.db.tables import ASSIGNED_FLAG_STATE, Flag, User


def find_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None:
        raise AccountError(f"there is no user {username!r}")
    return user


@dataclass
class Changes:
    """What ``update_user`` changed, for the audit detail (never a password)."""

    fields: list[str] = field(default_factory=list)
    sessions_ended: bool = False
    flags_unassigned: int = 0

    def __str__(self) -> str:
        text = "; ".join(self.fields)
        if self.flags_unassigned:
            text += f"; {self.flags_unassigned} flags taken off their list"
        return f"{text}; sessions ended" if self.sessions_ended else text


def update_user(
    session: Session,
    user: User,
    *,
    role: str | None = None,
    community: str | None = None,
    grid: str | None = None,
    active: bool | None = None,
    display_name: str | None = None,
    password: str | None = None,
    by: Actor | None = None,
) -> Changes:
    """Apply the given changes (None = leave as is; no commit). Raises ``AccountError`` with
    a message for people when the result would be an account with an impossible scope."""
    changes = Changes()
    new_role = user.role if role is None else role
    new_community = user.community if community is None else community.strip()
    new_grid = user.grid if grid is None else grid.strip()
    check_scope(new_role, new_community, new_grid)
    scope_changed = False
    for name, old, new in (
        ("role", user.role, new_role),
        ("community", user.community, new_community),
        ("grid", user.grid, new_grid),
    ):
        if old != new:
            setattr(user, name, new)
            changes.fields.append(f"{name}: {old or '-'} -> {new or '-'}")
            scope_changed = True
    if display_name is not None and display_name.strip()[:64] != user.display_name:
        user.display_name = display_name.strip()[:64]
        changes.fields.append("display_name changed")
    disabled = False
    if active is not None and active != user.active:
        user.active = active
        changes.fields.append("enabled" if active else "disabled")
        disabled = not active
    if password is not None:
        try:
            set_password(session, user, password)
        except WeakPasswordError as exc:
            raise AccountError(str(exc)) from exc
        changes.fields.append("password reset")
    if scope_changed or disabled or password is not None:
        end_all_sessions(session, user.id)
        changes.sessions_ended = True
    if scope_changed:
        changes.flags_unassigned = _unassign_all(session, user, by)
    session.flush()
    return changes


def _unassign_all(session: Session, user: User, by: Actor | None) -> int:
    """Take a worker who moved community, grid or role off the flags still on their list:
    they are no longer theirs to visit, and a list nobody walks must go back to the
    secretary (``new`` again) rather than keep the old scope visible to the worker."""
    from occupancy.workflow.actions import unassign

    actor = by or _System()
    flags = session.scalars(
        select(Flag).where(Flag.assigned_to_id == user.id, Flag.state == ASSIGNED_FLAG_STATE)
    ).all()
    for flag in flags:
        unassign(session, flag, by=actor, note="the worker's scope changed")
    return len(flags)


class _System:
    """The actor of changes made without a signed-in person (the command line)."""

    user_id = None
    username = "system"
    role = "admin"
