"""One detection pass: readings store + register -> flags, recorded in the database.

This is the only place that joins the store, the register and the detector, so each of
them stays ignorant of the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from occupancy.db.session import session_scope
from occupancy.db.tables import (
    CLOSED_FLAG_STATES,
    NEW_FLAG_STATE,
    WITHDRAWN_FLAG_STATE,
    DetectionRun,
    Flag,
    utcnow,
)
from occupancy.flags.record import FlagRecord
from occupancy.flags.rules import raise_flags
from occupancy.models.persistence import load_detector
from occupancy.register.entry import RegisterEntry
from occupancy.register.repository import load_register
from occupancy.store.base import ReadingStore
from occupancy.timeseries import HourlyWindow, window_bounds


@dataclass(frozen=True)
class DetectionResult:
    window: HourlyWindow
    flags: list[FlagRecord]
    probability: np.ndarray
    model_version: str
    run_id: int | None = None
    created: int = 0
    updated: int = 0
    withdrawn: int = 0


def model_version(metadata: dict[str, Any]) -> str:
    """A short label saying which model raised a flag."""
    if not metadata:
        return "unknown"
    sha = str(metadata.get("sha256", ""))[:12]
    kind = str(metadata.get("kind") or metadata.get("estimator") or "model")
    return f"{kind}@{sha}" if sha else kind


def detect_window(
    window: HourlyWindow,
    register: dict[str, RegisterEntry],
    model_path: Path | None = None,
) -> DetectionResult:
    """Score a window against the register; no database involved (offline files use it)."""
    model, metadata = load_detector(model_path)
    flags, probability = raise_flags(window, register, model)
    return DetectionResult(window, flags, probability, model_version(metadata))


def detect_from_store(
    store: ReadingStore,
    db_url: str,
    *,
    tz: tzinfo,
    days: int = 7,
    end: datetime | None = None,
    communities: Sequence[str] | None = None,
    model_path: Path | None = None,
) -> DetectionResult:
    """Detect over the last ``days`` whole local days before ``end`` and record the run."""
    start, stop = window_bounds(end, days, tz)
    with session_scope(db_url) as session:
        register: dict[str, RegisterEntry] = {}
        for community in communities or [None]:
            register.update(load_register(session, community))
    window = store.hourly_window(start, days * 24)
    wanted = set(communities or ())
    ids = [
        u
        for u, c in zip(window.unit_ids, window.communities, strict=True)
        if not wanted or c in wanted
    ]
    # Registered units that never reported belong in the window as all-missing rows.
    present = set(ids)
    ids += [u for u in register if u not in present]
    window = window.reindex(ids, {u: e.community for u, e in register.items()})
    result = detect_window(window, register, model_path)
    with session_scope(db_url) as session:
        # UTC: SQLite drops the zone, and naive times read back as UTC everywhere else.
        run = DetectionRun(
            window_start=start.astimezone(UTC),
            window_end=stop.astimezone(UTC),
            model_version=result.model_version,
            units_scored=int(np.isfinite(result.probability).sum()),
        )
        session.add(run)
        session.flush()
        created, updated, withdrawn = persist_flags(
            session, result.flags, run, scored_units=window.unit_ids
        )
        run.flags_raised = len(result.flags)
        run.finished_at = utcnow()
        run_id = run.id
    return DetectionResult(
        window,
        result.flags,
        result.probability,
        result.model_version,
        run_id,
        created,
        updated,
        withdrawn,
    )


def persist_flags(
    session: Session,
    flags: Sequence[FlagRecord],
    run: DetectionRun,
    scored_units: Sequence[str] = (),
) -> tuple[int, int, int]:
    """Update the open flag of each unit and kind, or add one: re-running never duplicates.

    A flag still ``new`` (nobody has acted on it) whose unit this run looked at but no
    longer flags for that kind is withdrawn, so the list shows what the data says now.
    Flags a person has taken up are left for that person to close.
    Returns (created, updated, withdrawn).
    """
    open_flags = {
        (f.unit_id, f.kind): f
        for f in session.scalars(select(Flag).where(Flag.state.not_in(CLOSED_FLAG_STATES)))
    }
    now = utcnow()
    created = updated = 0
    raised = set()
    for record in flags:
        raised.add((record.unit_id, record.kind))
        row = open_flags.get((record.unit_id, record.kind))
        if row is None:
            row = Flag(
                unit_id=record.unit_id,
                kind=record.kind,
                first_raised_at=now,
                state=NEW_FLAG_STATE,
            )
            session.add(row)
            created += 1
        else:
            updated += 1
        row.community = record.community
        row.score = float(record.score)
        row.probability = None if record.probability is None else float(record.probability)
        row.urgent = bool(record.urgent)
        row.evidence_text = record.evidence_text
        row.evidence = dict(record.evidence)
        row.run_id = run.id
        row.last_raised_at = now
    withdrawn = 0
    looked_at = set(scored_units)
    for key, row in open_flags.items():
        if key not in raised and row.unit_id in looked_at and row.state == NEW_FLAG_STATE:
            row.state = WITHDRAWN_FLAG_STATE
            withdrawn += 1
    return created, updated, withdrawn
