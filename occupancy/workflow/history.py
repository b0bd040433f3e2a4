"""A flag's history (``FlagEvent`` rows): who changed its state, when, and why.

People's actions (``occupancy.workflow.actions``) and detection's own changes (raised,
escalated, downgraded, withdrawn; actor ``detector``) both append here, through
``event_fields`` so the two kinds of rows look alike. Detection adds its rows in bulk.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from occupancy.db.tables import FlagEvent

#: ``FlagEvent.actor`` of the changes a detection run makes.
DETECTOR = "detector"
#: Detection's own event names.
RAISED = "raised"
ESCALATED = "escalated"
DOWNGRADED = "downgraded"
WITHDRAWN = "withdrawn"


def event_fields(
    flag_id: int,
    *,
    at: datetime,
    actor: str,
    action: str,
    from_state: str | None,
    to_state: str,
    run_id: int | None,
    probability: float | None = None,
    note: str = "",
    outcome: str | None = None,
    assignee: str | None = None,
) -> dict[str, Any]:
    """The columns of one event. ``run_id`` and ``probability`` are the run whose evidence
    the flag showed and its P(occupied) at that moment: what a visit judged, for the labels."""
    return {
        "flag_id": flag_id,
        "at": at,
        "actor": actor,
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "outcome": outcome,
        "note": note,
        "assignee": assignee,
        "run_id": run_id,
        "probability": probability,
    }


def add_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Append many events in one executemany INSERT (detection may change thousands)."""
    if rows:
        # Core, not the ORM's bulk path: no per-row ORM bookkeeping, a plain executemany.
        session.connection().execute(insert(FlagEvent.__table__), list(rows))


def flag_history(session: Session, flag_id: int) -> list[FlagEvent]:
    """The flag's events, oldest first."""
    return list(
        session.scalars(
            select(FlagEvent)
            .where(FlagEvent.flag_id == flag_id)
            .order_by(FlagEvent.at, FlagEvent.id)
        )
    )
