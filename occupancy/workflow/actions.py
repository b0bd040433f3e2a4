"""What people do with a flag: assign, unassign, record a visit, dismiss, close, reopen.

Each action checks the transition (``states.target_state``) and its input, changes the flag's
columns and appends a ``FlagEvent``; nothing is committed (the caller commits, together with
its audit record). A refused action raises a ``WorkflowError`` and changes nothing.

Assignment rule (decided here, tested in tests/workflow): the worker must be an active grid
worker of the flag's community. When the register gives the unit a grid, the worker must walk
that grid, unless the caller passes ``allow_other_grid=True`` (a secretary covering for a
colleague on leave): the authorization scope lets a worker see flags assigned to them, so such
cover works, but it never happens by a slip of the dropdown. A unit without a grid (or not in
the register: unregistered activity) may go to any grid worker of the community.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from occupancy.db.tables import (
    CLOSED_FLAG_STATES,
    GRID_WORKER,
    VISIT_OUTCOMES,
    Flag,
    FlagEvent,
    Unit,
    User,
    utcnow,
)
from occupancy.workflow.errors import InvalidAction, NotAssignee, TransitionError
from occupancy.workflow.history import event_fields, flag_history
from occupancy.workflow.states import (
    ASSIGN,
    ASSIGNED,
    CLOSE,
    DISMISS,
    REOPEN,
    UNASSIGN,
    VISIT,
    VISITED,
    event_name,
    target_state,
)

__all__ = [
    "MAX_NOTE_CHARS",
    "Actor",
    "assign",
    "close",
    "dismiss",
    "eligible_workers",
    "flag_history",
    "record_visit",
    "reopen",
    "unassign",
]

#: Longest note or reason kept (characters): a sentence or two, not a case file. Notes are
#: free text about residents, so the less room the better for privacy.
MAX_NOTE_CHARS = 500
#: Outcomes that say nothing without a note.
NOTE_REQUIRED_OUTCOMES = frozenset({"other"})


class Actor(Protocol):
    """Who acts: ``occupancy.auth.principal.Principal`` fits, so does any object with these."""

    @property
    def user_id(self) -> int | None: ...

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> str: ...


def assign(
    session: Session,
    flag: Flag,
    worker: User,
    *,
    by: Actor,
    now: datetime | None = None,
    note: str = "",
    allow_other_grid: bool = False,
) -> FlagEvent:
    """Put the flag on ``worker``'s door-knock list (also: reassign, or send someone again
    after a visit). A revisit keeps the last outcome on the flag until the next visit
    replaces it; the history keeps every one."""
    to = target_state(flag.state, ASSIGN)
    note = _note(note, ASSIGN, flag.state)
    _check_worker(session, flag, worker, allow_other_grid=allow_other_grid)
    now = _now(now)
    event = _event(flag, ASSIGN, to, by, now, note=note, assignee=worker.username)
    flag.assigned_to_id = worker.id
    flag.assigned_at = now
    return _apply(session, flag, to, event)


def unassign(
    session: Session, flag: Flag, *, by: Actor, now: datetime | None = None, note: str = ""
) -> FlagEvent:
    """Take the flag off its worker's list; it is ``new`` again."""
    to = target_state(flag.state, UNASSIGN)
    note = _note(note, UNASSIGN, flag.state)
    previous = session.get(User, flag.assigned_to_id) if flag.assigned_to_id else None
    event = _event(
        flag,
        UNASSIGN,
        to,
        by,
        _now(now),
        note=note,
        assignee=previous.username if previous else None,
    )
    flag.assigned_to_id = None
    flag.assigned_at = None
    return _apply(session, flag, to, event)


def record_visit(
    session: Session,
    flag: Flag,
    outcome: str,
    note: str = "",
    *,
    by: Actor,
    now: datetime | None = None,
) -> FlagEvent:
    """Record what was found at the door (one of ``VISIT_OUTCOMES``; ``other`` needs a note).

    A grid worker records only on flags assigned to them, or corrects their own visit while
    the flag is still ``visited``; a secretary or admin may record on any open flag, also
    without assigning it first (the route decides who may call this at all).
    """
    to = target_state(flag.state, VISIT)
    if outcome not in VISIT_OUTCOMES:
        raise InvalidAction(
            VISIT, flag.state, "unknown_outcome", f"outcome must be one of {VISIT_OUTCOMES}"
        )
    note = _note(note, VISIT, flag.state)
    if outcome in NOTE_REQUIRED_OUTCOMES and not note:
        raise InvalidAction(VISIT, flag.state, "note_required", f"outcome {outcome!r} needs a note")
    if by.role == GRID_WORKER:
        own = (
            flag.visited_by_id == by.user_id
            if flag.state == VISITED
            else flag.state == ASSIGNED and flag.assigned_to_id == by.user_id
        )
        if by.user_id is None or not own:
            raise NotAssignee(
                VISIT, flag.state, "not_assignee", "a grid worker records visits on their own list"
            )
    now = _now(now)
    if flag.state == VISITED and flag.visited_at is not None:
        # A correction fixes what was entered for the same door-knock: it keeps the visit's
        # time and the run and P(occupied) that visit judged (detection keeps updating a
        # visited flag), so the label still pairs the outcome with the window before the knock.
        judged = _visit_judged(session, flag)
        event = _event(flag, VISIT, to, by, now, note=note, outcome=outcome, judged=judged)
    else:
        event = _event(flag, VISIT, to, by, now, note=note, outcome=outcome)
        flag.visited_at = now
    flag.outcome = outcome
    flag.outcome_note = note
    flag.visited_by_id = by.user_id
    return _apply(session, flag, to, event)


def dismiss(
    session: Session, flag: Flag, reason: str, *, by: Actor, now: datetime | None = None
) -> FlagEvent:
    """Judge the flag not worth a visit (or done with), saying why. Detection then raises no
    new flag of this unit and kind unless the evidence changes materially
    (``occupancy.workflow.reflag``)."""
    to = target_state(flag.state, DISMISS)
    reason = _note(reason, DISMISS, flag.state)
    if not reason:
        raise InvalidAction(DISMISS, flag.state, "reason_required", "a dismissal needs a reason")
    now = _now(now)
    event = _event(flag, DISMISS, to, by, now, note=reason)
    flag.dismiss_reason = reason
    # When a person ended the flag: the re-flag rule counts the dismissal's age from it.
    flag.closed_at = now
    return _apply(session, flag, to, event)


def close(
    session: Session, flag: Flag, *, by: Actor, note: str = "", now: datetime | None = None
) -> FlagEvent:
    """Nothing more to do after the visit. The outcome stays on the flag (and in the labels)."""
    to = target_state(flag.state, CLOSE)
    note = _note(note, CLOSE, flag.state)
    now = _now(now)
    event = _event(flag, CLOSE, to, by, now, note=note)
    flag.closed_at = now
    return _apply(session, flag, to, event)


def reopen(
    session: Session, flag: Flag, *, by: Actor, note: str = "", now: datetime | None = None
) -> FlagEvent:
    """Undo a dismissal: the flag is ``new`` again, unassigned. Refused while detection has
    since raised another open flag of the same unit and kind (work on that one instead):
    detection keeps one open flag per unit and kind."""
    to = target_state(flag.state, REOPEN)
    note = _note(note, REOPEN, flag.state)
    other = session.scalar(
        select(Flag.id).where(
            Flag.unit_id == flag.unit_id,
            Flag.kind == flag.kind,
            Flag.id != flag.id,
            Flag.state.not_in(CLOSED_FLAG_STATES),
        )
    )
    if other is not None:
        raise TransitionError(
            REOPEN,
            flag.state,
            "open_duplicate",
            f"flag {other} of the same unit and kind is open; work on that one",
        )
    event = _event(flag, REOPEN, to, by, _now(now), note=note)
    flag.dismiss_reason = ""
    flag.closed_at = None
    flag.assigned_to_id = None
    flag.assigned_at = None
    return _apply(session, flag, to, event)


def eligible_workers(session: Session, flag: Flag, *, any_grid: bool = False) -> Sequence[User]:
    """The workers ``assign`` accepts for ``flag`` (for the assignment dropdown), by username."""
    grid = _unit_grid(session, flag.unit_id)
    query = select(User).where(
        User.active.is_(True), User.role == GRID_WORKER, User.community == flag.community
    )
    if grid and not any_grid:
        query = query.where(User.grid == grid)
    return session.scalars(query.order_by(User.username)).all()


def _check_worker(session: Session, flag: Flag, worker: User, *, allow_other_grid: bool) -> None:
    def refuse(code: str, reason: str) -> None:
        raise InvalidAction(ASSIGN, flag.state, code, reason)

    if not worker.active:
        refuse("worker_inactive", f"{worker.username} is not an active account")
    if worker.role != GRID_WORKER:
        refuse("worker_not_grid_worker", f"{worker.username} is not a grid worker")
    if worker.community != flag.community:
        refuse("worker_other_community", f"{worker.username} works in another community")
    grid = _unit_grid(session, flag.unit_id)
    if grid and worker.grid != grid and not allow_other_grid:
        refuse("worker_other_grid", f"{worker.username} walks another grid than {grid}")


def _visit_judged(session: Session, flag: Flag) -> tuple[int | None, float | None]:
    """The run and P(occupied) the flag's current visit judged: those of its latest
    ``visited`` event (the door-knock; ``corrected`` events follow it), else the flag's own."""
    judged = session.execute(
        select(FlagEvent.run_id, FlagEvent.probability)
        .where(FlagEvent.flag_id == flag.id, FlagEvent.action == event_name(VISIT, ASSIGNED))
        .order_by(FlagEvent.id.desc())
        .limit(1)
    ).first()
    return (flag.run_id, flag.probability) if judged is None else (judged[0], judged[1])


def _unit_grid(session: Session, unit_id: str) -> str:
    return session.scalar(select(Unit.grid).where(Unit.unit_id == unit_id)) or ""


def _note(text: str | None, action: str, state: str) -> str:
    text = (text or "").strip()
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidAction(
            action, state, "note_too_long", f"at most {MAX_NOTE_CHARS} characters, got {len(text)}"
        )
    return text


def _now(now: datetime | None) -> datetime:
    """UTC: SQLite keeps a time's digits and drops its zone."""
    return (now or utcnow()).astimezone(UTC)


def _event(
    flag: Flag,
    action: str,
    to: str,
    by: Actor,
    now: datetime,
    *,
    note: str = "",
    outcome: str | None = None,
    assignee: str | None = None,
    judged: tuple[int | None, float | None] | None = None,
) -> FlagEvent:
    """The action's event; ``judged`` (run, P) replaces what the flag shows now."""
    if flag.id is None:
        raise ValueError("the flag must be stored (flushed) before people act on it")
    run_id, probability = (flag.run_id, flag.probability) if judged is None else judged
    fields = event_fields(
        flag.id,
        at=now,
        actor=by.username,
        action=event_name(action, flag.state),
        from_state=flag.state,
        to_state=to,
        run_id=run_id,  # the evidence the person acted on
        probability=probability,
        note=note,
        outcome=outcome,
        assignee=assignee,
    )
    return FlagEvent(**fields)


def _apply(session: Session, flag: Flag, to: str, event: FlagEvent) -> FlagEvent:
    flag.state = to
    session.add(event)
    return event
