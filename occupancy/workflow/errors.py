"""Why the review workflow refused an action. Domain errors only: routes turn them into HTTP
answers (a ``TransitionError`` is a conflict with the flag's state, an ``InvalidAction`` bad
input, ``NotAssignee`` a forbidden action), the CLI into messages.

Each carries a stable ``code`` so pages can show the reason in zh-CN or English, and an
English ``reason`` for logs and API clients.
"""

from __future__ import annotations


class WorkflowError(ValueError):
    """An action on a flag that was refused; nothing was changed."""

    def __init__(self, action: str, state: str, code: str, reason: str) -> None:
        self.action = action
        self.state = state
        self.code = code
        self.reason = reason
        super().__init__(f"cannot {action} a flag in state {state!r}: {reason}")


class TransitionError(WorkflowError):
    """The flag's current state does not allow the action (e.g. closing a flag nobody
    visited, or anything on a closed one)."""


class InvalidAction(WorkflowError):
    """The state allows the action but its input does not: an inactive or out-of-community
    worker, a dismissal without a reason, an unknown outcome, a note that is too long."""


class NotAssignee(WorkflowError):
    """A grid worker tried to record a visit on a flag that is not on their list."""
