"""The review actions as the web service performs them, shared by the flag page's forms and
the JSON API: find the flag within the person's scope, run the workflow action, append the
audit record, commit. Both doors behave alike because they go through here.

Domain errors only (``WorkflowError`` and its kinds, ``FlagNotFound``); each route maps them
to its own answer (a page re-rendered with a message, or a JSON error).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from occupancy.audit.log import record
from occupancy.auth.principal import Principal
from occupancy.db.tables import GRID_WORKER, VISITED_FLAG_STATE, Flag, FlagEvent, Unit, User
from occupancy.workflow import actions
from occupancy.workflow.errors import InvalidAction, NotAssignee, TransitionError, WorkflowError
from occupancy.workflow.states import (
    ASSIGN,
    ASSIGNED,
    CLOSE,
    DISMISS,
    REOPEN,
    UNASSIGN,
    VISIT,
    allowed_actions,
)

#: Which permission each action needs (``Principal.can``). Reopening undoes a dismissal, so
#: it needs the right to dismiss.
PERMISSION = {
    ASSIGN: "flags.assign",
    UNASSIGN: "flags.assign",
    VISIT: "flags.visit",
    DISMISS: "flags.dismiss",
    CLOSE: "flags.close",
    REOPEN: "flags.dismiss",
}


#: HTTP status of each kind of refusal: not this person's to do, wrong input, or the flag's
#: state does not allow it (often: someone else acted first).
_REFUSAL_STATUS: tuple[tuple[type[WorkflowError], int], ...] = (
    (NotAssignee, 403),
    (InvalidAction, 422),
    (TransitionError, 409),
)


def refusal_status(error: WorkflowError) -> int:
    for kind, code in _REFUSAL_STATUS:
        if isinstance(error, kind):
            return code
    return 409


class FlagNotFound(LookupError):
    """No such flag, or not one this person may see (the two are never told apart)."""


def find_flag(
    session: Session, user: Principal, flag_id: int, *, for_update: bool = False
) -> tuple[Flag, Unit | None]:
    """The flag and its register row, if ``user`` may see it. ``for_update`` locks the row
    (PostgreSQL) so two people acting at once cannot both pass the state check."""
    flag = session.get(Flag, flag_id, with_for_update=for_update or None)
    if flag is None:
        raise FlagNotFound(flag_id)
    unit = session.get(Unit, flag.unit_id)
    if not user.sees_flag(flag, unit):
        raise FlagNotFound(flag_id)
    return flag, unit


def record_view(
    session: Session, user: Principal, flag: Flag, *, address: str, detail: str = ""
) -> None:
    """Audit a view of the flag and commit it: who saw which flag is asked for even when
    they changed nothing."""
    record(
        session,
        user,
        "view",
        "flag",
        flag.id,
        community=flag.community,
        address=address,
        detail=detail,
    )
    session.commit()


def may_take(user: Principal, flag: Flag, action: str) -> bool:
    """Whether the page should offer ``action``: the state allows it, the role may, and (for a
    grid worker recording a visit) the flag is on their own list."""
    if action not in allowed_actions(flag.state) or not user.can(PERMISSION[action]):
        return False
    if action == VISIT and user.role == GRID_WORKER:
        if flag.state == VISITED_FLAG_STATE:
            return flag.visited_by_id == user.user_id
        return flag.state == ASSIGNED and flag.assigned_to_id == user.user_id
    return True


@dataclass(frozen=True)
class ActionInput:
    """What a person sent with an action; each action reads its own fields."""

    worker_id: int | None = None
    allow_other_grid: bool = False
    outcome: str = ""
    note: str = ""
    reason: str = ""


def _worker(session: Session, flag: Flag, worker_id: int | None) -> User:
    """The chosen worker; any user outside the flag's community reads as unknown, so the
    answer does not tell which user ids exist elsewhere."""
    worker = session.get(User, worker_id) if worker_id is not None else None
    if worker is None or worker.community != flag.community:
        raise InvalidAction(
            ASSIGN, flag.state, "worker_unknown", "no grid worker with that id in this community"
        )
    return worker


def perform(
    session: Session,
    user: Principal,
    flag: Flag,
    action: str,
    given: ActionInput,
    *,
    now: datetime,
    address: str = "",
) -> FlagEvent:
    """Run ``action`` on ``flag`` for ``user``, audit it and commit. Permission and scope are
    the caller's to check first; the workflow checks the state and the input."""
    detail = ""
    if action == ASSIGN:
        worker = _worker(session, flag, given.worker_id)
        event = actions.assign(
            session,
            flag,
            worker,
            by=user,
            now=now,
            note=given.note,
            allow_other_grid=given.allow_other_grid,
        )
        detail = f"to {worker.username}"
    elif action == UNASSIGN:
        event = actions.unassign(session, flag, by=user, now=now, note=given.note)
    elif action == VISIT:
        event = actions.record_visit(session, flag, given.outcome, given.note, by=user, now=now)
        detail = f"outcome {given.outcome}"
    elif action == DISMISS:
        event = actions.dismiss(session, flag, given.reason, by=user, now=now)
    elif action == CLOSE:
        event = actions.close(session, flag, by=user, note=given.note, now=now)
    elif action == REOPEN:
        event = actions.reopen(session, flag, by=user, note=given.note, now=now)
    else:  # pragma: no cover - routes name known actions only
        raise ValueError(f"unknown action {action!r}")
    # Notes and reasons may describe residents: the audit keeps what was done, not the text.
    record(
        session,
        user,
        action,
        "flag",
        flag.id,
        community=flag.community,
        address=address,
        detail=detail,
    )
    session.commit()
    return event
