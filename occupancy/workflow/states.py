"""The review workflow's states and the transitions people may make between them.

::

    new ──assign──▶ assigned ──visit──▶ visited ──close──▶ closed
     ▲  ◀─unassign─┘  ▲ │ (reassign)      │ ▲ (correct)
     │                └─┴───assign (revisit, e.g. after no_answer)
     │   new|assigned|visited ──dismiss (reason)──▶ dismissed ──reopen──▶ new
     └── new ──visit──▶ visited   (a secretary records what was found without assigning)

``withdrawn`` is set by detection only (its evidence is gone; a later run raises a fresh
flag if it comes back) and ``closed`` is final: people can do nothing more with either, nor
with ``resolved`` flags of databases from before this workflow. The table is data
(``TRANSITIONS``) so pages can ask ``allowed_actions(state)`` which buttons to show and the
tests can walk every refused pair.

Who may take an action (permissions, scope) is the route's question; the only rule about
people here is in ``actions.record_visit``: a grid worker records visits on their own list.
"""

from __future__ import annotations

from occupancy.db.tables import (
    ASSIGNED_FLAG_STATE,
    CLOSED_FLAG_STATE,
    DISMISSED_FLAG_STATE,
    FLAG_STATES,
    NEW_FLAG_STATE,
    VISITED_FLAG_STATE,
    WITHDRAWN_FLAG_STATE,
)
from occupancy.workflow.errors import TransitionError

__all__ = [
    "ACTIONS",
    "ASSIGN",
    "CLOSE",
    "DISMISS",
    "REOPEN",
    "TRANSITIONS",
    "UNASSIGN",
    "VISIT",
    "TransitionError",
    "allowed_actions",
    "event_name",
    "target_state",
]

ASSIGN = "assign"
UNASSIGN = "unassign"
VISIT = "visit"
DISMISS = "dismiss"
CLOSE = "close"
REOPEN = "reopen"
ACTIONS = (ASSIGN, UNASSIGN, VISIT, DISMISS, CLOSE, REOPEN)

NEW, ASSIGNED, VISITED = NEW_FLAG_STATE, ASSIGNED_FLAG_STATE, VISITED_FLAG_STATE
DISMISSED, CLOSED, WITHDRAWN = DISMISSED_FLAG_STATE, CLOSED_FLAG_STATE, WITHDRAWN_FLAG_STATE

#: action -> {state it may start from: state it leads to}. Anything not listed is refused.
TRANSITIONS: dict[str, dict[str, str]] = {
    # new: hand it out; assigned: hand it to someone else; visited: go again (no answer).
    ASSIGN: {NEW: ASSIGNED, ASSIGNED: ASSIGNED, VISITED: ASSIGNED},
    UNASSIGN: {ASSIGNED: NEW},
    # visited -> visited corrects an outcome entered wrongly, until the flag is closed: a
    # wrong outcome would otherwise become a wrong training label.
    VISIT: {NEW: VISITED, ASSIGNED: VISITED, VISITED: VISITED},
    DISMISS: {NEW: DISMISSED, ASSIGNED: DISMISSED, VISITED: DISMISSED},
    CLOSE: {VISITED: CLOSED},
    REOPEN: {DISMISSED: NEW},
}

#: What the FlagEvent of a transition is called, by (action, from state); default
#: ``_PAST[action]``.
_PAST = {
    ASSIGN: "assigned",
    UNASSIGN: "unassigned",
    VISIT: "visited",
    DISMISS: "dismissed",
    CLOSE: "closed",
    REOPEN: "reopened",
}
_SPECIAL_EVENTS = {
    (ASSIGN, ASSIGNED): "reassigned",
    (ASSIGN, VISITED): "revisit",
    (VISIT, VISITED): "corrected",
}

#: Why a state refuses every action: (code, reason).
_FINAL = {
    CLOSED: (
        "final",
        "a closed flag is final; detection raises a new flag if it sees the unit again",
    ),
    WITHDRAWN: (
        "withdrawn",
        "detection withdrew it because its evidence is gone; it raises a new flag if the "
        "evidence comes back",
    ),
    "resolved": ("final", "a resolved flag (from before the review workflow) is final"),
}
#: Why an action is refused from a state that allows other actions: action -> (code, reason).
_NEEDS = {
    ASSIGN: ("not_open", "only a new, assigned or visited flag can be assigned"),
    UNASSIGN: ("not_assigned", "only an assigned flag can be unassigned"),
    VISIT: ("not_open", "a visit can be recorded only on a new, assigned or visited flag"),
    DISMISS: ("not_open", "only a new, assigned or visited flag can be dismissed"),
    CLOSE: ("not_visited", "only a visited flag can be closed: record the visit or dismiss it"),
    REOPEN: ("not_dismissed", "only a dismissed flag can be reopened"),
}


def target_state(state: str, action: str) -> str:
    """The state ``action`` leads to from ``state``; ``TransitionError`` if it is refused."""
    if action not in TRANSITIONS:
        raise TransitionError(action, state, "unknown_action", f"unknown action {action!r}")
    to = TRANSITIONS[action].get(state)
    if to is not None:
        return to
    if state in _FINAL:
        code, reason = _FINAL[state]
    elif state not in FLAG_STATES:
        code, reason = "unknown_state", f"unknown flag state {state!r}"
    else:
        code, reason = _NEEDS[action]
    raise TransitionError(action, state, code, reason)


def allowed_actions(state: str) -> tuple[str, ...]:
    """The actions a flag in ``state`` allows, in ``ACTIONS`` order (which buttons to show)."""
    return tuple(a for a in ACTIONS if state in TRANSITIONS[a])


def event_name(action: str, from_state: str) -> str:
    """The ``FlagEvent.action`` recorded for ``action`` taken from ``from_state``."""
    return _SPECIAL_EVENTS.get((action, from_state), _PAST[action])
