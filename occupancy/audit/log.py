"""Appending to the audit trail.

One function so every route records the same fields. It adds to the caller's transaction:
a change and its audit row commit together, or neither does. Views are recorded too (the
issue asks "who saw what"), so a page view commits its audit row even though it changes
nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from occupancy.db.tables import AuditEvent, utcnow

#: Longest ``detail`` kept; details are short notes, never dumps of resident data.
MAX_DETAIL = 500


class Actor(Protocol):
    @property
    def user_id(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def role(self) -> str: ...


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    object_type: str,
    object_id: str | int = "",
    *,
    community: str = "",
    detail: str = "",
    address: str = "",
    username: str = "",
    now: datetime | None = None,
) -> AuditEvent:
    """Append one audit event (no commit). ``actor`` None is an anonymous attempt, such as
    a failed sign-in, whose claimed ``username`` is recorded instead."""
    event = AuditEvent(
        at=now or utcnow(),
        user_id=actor.user_id if actor is not None else None,
        username=(actor.username if actor is not None else username)[:64],
        role=actor.role if actor is not None else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:200],
        community=(community or "")[:64],
        address=(address or "")[:64],
        detail=(detail or "")[:MAX_DETAIL],
    )
    session.add(event)
    return event


def listed(prefix: str, ids: Iterable[object], *, limit: int = MAX_DETAIL) -> str:
    """``prefix`` and the ids a list view showed, e.g. ``list of 3 flags: 12,15,19``, so the
    trail can answer "who saw flag 15". A list too long for ``detail`` keeps its first ids and
    says how many more there were: ``list of 300 flags: 12,15 …(+298)``."""
    values = [str(value) for value in ids]
    if not values:
        return prefix[:limit]
    text = f"{prefix}: {','.join(values)}"
    if len(text) <= limit:
        return text
    shown: list[str] = []
    for value in values:
        more = f" …(+{len(values) - len(shown) - 1})"
        if len(prefix) + 2 + len(",".join([*shown, value])) + len(more) > limit:
            break
        shown.append(value)
    return f"{prefix}: {','.join(shown)} …(+{len(values) - len(shown)})"[:limit]
