"""Visit outcomes as training labels: what a grid worker found at the door, next to the window
of meter data the flag was raised on.

Only the fields retraining needs leave the database (privacy: no notes, no names, no
addresses, no evidence). ``occupied`` is 1 when the worker found someone living there
(``found_registered``, ``found_needs_help``), 0 for ``vacant``, and empty when the door told
nothing (``no_answer``, ``refused``, ``other``): those rows stay in the file so a reader can
count them, but must not be trained on.

Which flags: every flag with a recorded outcome, whatever happened to it after the visit
(closed, dismissed, sent again): what was found at the door stays true. A corrected outcome
replaces the first one.

Which window: the detection run whose evidence the visit judged, and the P(occupied) the flag
showed then, both recorded on the visit's ``FlagEvent`` (the door-knock's, not a correction's:
a corrected outcome keeps the window and time of the visit it corrects). Detection keeps
updating a visited flag until it is closed, so the flag's own run and P may be later than the
visit; they are used only for a visit whose event has no run (a flag no run has judged, or an
old event). Welfare
runs' windows end on an hour, not at midnight, and their model_version says so
(``welfare-rule@...``): a trainer wanting whole-day windows should filter on it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import astuple, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from occupancy.db.tables import DetectionRun, Flag, FlagEvent
from occupancy.workflow.states import VISIT, event_name

#: Outcomes that answer "does someone live here?"; the others leave ``occupied`` empty.
OCCUPIED_BY_OUTCOME = {"found_registered": 1, "found_needs_help": 1, "vacant": 0}
#: FlagEvent action of a recorded visit (a door-knock; its corrections are ``corrected``).
_DOOR_KNOCK = event_name(VISIT, "assigned")


@dataclass(frozen=True)
class Label:
    """One row of the labels file (its columns, in this order)."""

    unit_id: str
    community: str
    kind: str
    window_start: str
    window_end: str
    visited_at: str
    outcome: str
    occupied: int | None
    probability: float | None
    model_version: str


LABEL_COLUMNS = tuple(f.name for f in fields(Label))


def labels(
    session: Session, *, since: datetime | None = None, community: str | None = None
) -> Iterator[Label]:
    """Labels of the flags visited at or after ``since`` (aware), oldest visit first."""
    query = _query()
    if since is not None:
        query = query.where(Flag.visited_at >= since.astimezone(UTC))
    if community is not None:
        query = query.where(Flag.community == community)
    for row in session.execute(query):
        flag, run, at_visit, visit_run = row
        # A visit event without a run (none had judged the flag yet) has no P either.
        p = flag.probability if visit_run is None else at_visit
        yield Label(
            unit_id=flag.unit_id,
            community=flag.community,
            kind=flag.kind,
            window_start=_iso(run.window_start) if run else "",
            window_end=_iso(run.window_end) if run else "",
            visited_at=_iso(flag.visited_at),
            outcome=str(flag.outcome),
            occupied=OCCUPIED_BY_OUTCOME.get(str(flag.outcome)),
            probability=None if p is None else round(float(p), 4),
            model_version=run.model_version if run else "",
        )


def export_labels(
    session: Session,
    out: str | Path | TextIO,
    *,
    since: datetime | None = None,
    community: str | None = None,
) -> int:
    """Write the labels as UTF-8 CSV to a path or an open text stream; returns the rows
    written. Plain UTF-8 without BOM: it is read by programs, not by Excel."""
    opened = (
        open(out, "w", encoding="utf-8", newline="")  # noqa: SIM115
        if isinstance(out, str | Path)
        else nullcontext(out)
    )
    count = 0
    with opened as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(LABEL_COLUMNS)
        for label in labels(session, since=since, community=community):
            writer.writerow("" if v is None else v for v in astuple(label))
            count += 1
    return count


def _query() -> Select:
    """Flags with an outcome, the run their latest door-knock judged (the flag's own run for
    a visit recorded without one), and the P(occupied) at that visit.

    The door-knock is the latest ``visited`` event: the first visit since the flag was last
    (re)assigned. The ``corrected`` events after it fix the outcome, not the window: taking
    them would pair the outcome with a run detection made after the knock.
    """
    latest = (
        select(func.max(FlagEvent.id).label("id"))
        .where(FlagEvent.action == _DOOR_KNOCK)
        .group_by(FlagEvent.flag_id)
        .subquery()
    )
    visit = (
        select(FlagEvent.flag_id, FlagEvent.run_id, FlagEvent.probability)
        .join(latest, latest.c.id == FlagEvent.id)
        .subquery("visit")
    )
    return (
        select(Flag, DetectionRun, visit.c.probability, visit.c.run_id)
        .outerjoin(visit, visit.c.flag_id == Flag.id)
        .outerjoin(DetectionRun, DetectionRun.id == func.coalesce(visit.c.run_id, Flag.run_id))
        .where(Flag.outcome.is_not(None), Flag.visited_at.is_not(None))
        .order_by(Flag.visited_at, Flag.id)
    )


def _iso(moment: datetime | None) -> str:
    """ISO 8601 in UTC (SQLite hands times back without their zone; they were UTC)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()
