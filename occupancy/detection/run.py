"""One detection pass: readings store + register -> flags, recorded in the database.

This is the only place that joins the store, the register and the detector, so each of
them stays ignorant of the others. Two passes exist: the full one over whole days
(``detect_from_store``: nightly and ``occupancy detect``) and the welfare check of
vulnerable residents up to the last full hour (``welfare_from_store``: hourly).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from occupancy.db.session import session_scope
from occupancy.db.tables import (
    CLOSED_FLAG_STATE,
    CLOSED_FLAG_STATES,
    DISMISSED_FLAG_STATE,
    MANUAL_RUN,
    NEW_FLAG_STATE,
    WELFARE_RUN,
    WITHDRAWN_FLAG_STATE,
    DetectionRun,
    Flag,
    utcnow,
)
from occupancy.flags.record import REGISTERED_SILENT, FlagRecord
from occupancy.flags.rules import raise_flags
from occupancy.models.persistence import load_detector
from occupancy.register.entry import RegisterEntry
from occupancy.register.repository import load_register
from occupancy.store.base import ReadingStore
from occupancy.timeseries import HourlyWindow, local_midnight, window_bounds
from occupancy.workflow import history
from occupancy.workflow.reflag import DISMISSAL_DAYS, change_reason

logger = logging.getLogger(__name__)

#: Held for the whole of a run, so two runs in one process never overlap (the scheduler's
#: nightly and welfare jobs, or a later API trigger): each would withdraw the other's flags.
RUN_LOCK = threading.Lock()
#: A welfare check warns when the newest data is older than this (hours).
STALE_DATA_HOURS = 2
#: Hours of every meter a welfare check reads to find the newest data (``ingest_end``).
INGEST_PROBE_HOURS = 6
#: Longest error text kept on a failed run.
MAX_ERROR_CHARS = 2000

Clock = Callable[[], datetime]
#: A store, or a function opening one: opening inside the run records a store that cannot be
#: opened as a failed run instead of losing it in a log.
StoreSource = ReadingStore | Callable[[], ReadingStore]
#: Whether a run may withdraw (or downgrade) an open flag it no longer raises, given the kind
#: of run that last raised or changed it.
WithdrawRule = Callable[[Flag, str | None], bool]


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
    store: StoreSource,
    db_url: str,
    *,
    tz: tzinfo,
    days: int = 7,
    end: datetime | None = None,
    communities: Sequence[str] | None = None,
    model_path: Path | None = None,
    kind: str = MANUAL_RUN,
    clock: Clock = utcnow,
    dismissal_days: float = DISMISSAL_DAYS,
) -> DetectionResult:
    """Detect over the last ``days`` whole local days before ``end`` and record the run.

    ``end`` defaults to the last local midnight by ``clock``. ``kind`` is recorded on the run
    (``manual`` for ``occupancy detect``, ``nightly`` from the scheduler). A failing run is
    recorded with its error and the exception re-raised. ``dismissal_days``: see
    ``persist_flags`` (``Settings.dismissal_days``).
    """
    start, stop = window_bounds(end or local_midnight(clock(), tz), days, tz)
    with _recorded_run(db_url, kind, start, stop, clock) as run_id:
        with session_scope(db_url) as session:
            register: dict[str, RegisterEntry] = {}
            # Who is registered on the window's last day: a household that moved out before
            # it counts nobody, one not yet moved in too.
            last_day = (stop.astimezone(tz) - timedelta(days=1)).date()
            for community in communities or [None]:
                register.update(load_register(session, community, as_of=last_day))
        window = _open(store).hourly_window(start, days * 24)
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
        # The register says where a unit is; the meter's topic may still name an old one.
        moved = [
            register[u].community if u in register else c
            for u, c in zip(ids, window.communities, strict=True)
        ]
        window = dataclasses.replace(window, communities=moved)
        result = detect_window(window, register, model_path)
        counts = _finish(
            db_url,
            run_id,
            result.flags,
            scored_units=window.unit_ids,
            model_version=result.model_version,
            units_scored=int(np.isfinite(result.probability).sum()),
            clock=clock,
            dismissal_days=dismissal_days,
        )
    return dataclasses.replace(result, run_id=run_id, **counts)


def welfare_from_store(
    store: StoreSource,
    db_url: str,
    *,
    tz: tzinfo,
    days: int = 7,
    as_of: datetime | None = None,
    clock: Clock = utcnow,
    dismissal_days: float = DISMISSAL_DAYS,
) -> DetectionResult:
    """Check vulnerable residents up to the last full hour before ``as_of`` and record the run.

    The window runs from the local midnight ``days`` days before that hour up to it (not
    whole days: a resident silent since yesterday morning cannot wait for the night run).
    Only the register's vulnerable, registered units are read and judged, by
    ``occupancy.flags.welfare.welfare_flags``; the run may add or update their urgent
    ``registered_silent`` and ``meter_offline`` flags. It calls an urgent silence over only
    for residents it saw active in the last 24 hours (``active_units``): it withdraws what
    only the welfare rule raised (``welfare_may_withdraw``) and takes the urgency off, but
    leaves open, a quiet week the 7-day model found (``welfare_may_downgrade``).

    Residents are judged as of the newest hour any meter of the store has data for
    (``ingest_end``), recorded as the run's ``window_end``: when ingestion stops, the hours
    since are a gap in our data, not hours in which nobody boiled a kettle.
    """
    from occupancy.flags.welfare import WELFARE_SILENT_HOURS, welfare_flags

    moment = (as_of or clock()).astimezone(tz)
    stop = moment.replace(minute=0, second=0, microsecond=0)
    start = local_midnight(stop, tz) - timedelta(days=days)
    hours = round((stop.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 3600)
    with _recorded_run(db_url, WELFARE_RUN, start, stop, clock) as run_id:
        with session_scope(db_url) as session:
            register = {
                u: e
                for u, e in load_register(session, as_of=moment.date()).items()
                if e.vulnerable and e.registered_occupants > 0
            }
        ids = list(register)
        opened = _open(store)
        window = opened.hourly_window(start, hours, ids).reindex(ids)
        # A unit without readings has no community in the store; the register knows it.
        names = [register[u].community or c for u, c in zip(ids, window.communities, strict=True)]
        window = dataclasses.replace(window, communities=names)
        judged_at = ingest_end(opened, start, stop) if ids else stop
        flags = welfare_flags(window, register, as_of=judged_at)
        active = active_units(window, judged_at)
        version = f"welfare-rule@{WELFARE_SILENT_HOURS:g}h"
        counts = _finish(
            db_url,
            run_id,
            flags,
            scored_units=ids,
            model_version=version,
            units_scored=int((window.coverage.sum(axis=1) > 0).sum()),
            clock=clock,
            may_withdraw=welfare_withdraw_rule(active),
            may_downgrade=welfare_withdraw_rule(active, welfare_may_downgrade),
            window_end=judged_at,
            dismissal_days=dismissal_days,
        )
    return DetectionResult(window, flags, np.full(len(ids), np.nan), version, run_id, **counts)


def ingest_end(store: ReadingStore, start: datetime, stop: datetime) -> datetime:
    """The end of the newest hour in ``[start, stop)`` in which any meter of the store (every
    unit, not only the vulnerable residents) was measured; ``stop`` when none was.

    Judged from the whole store because a vulnerable resident's dead meter must not pass for
    an ingest outage: with one vulnerable resident, or all of them behind one gateway, their
    own newest reading is the dead meter's. The last ``INGEST_PROBE_HOURS`` of every unit
    are read first (cheap, and enough whenever ingestion runs); the whole window only when
    they hold nothing, i.e. during an outage.
    """
    probe_from = max(
        start.astimezone(UTC), stop.astimezone(UTC) - timedelta(hours=INGEST_PROBE_HOURS)
    )
    probe_hours = round((stop.astimezone(UTC) - probe_from).total_seconds() / 3600)
    recent = store.hourly_window(probe_from, probe_hours)
    if (np.asarray(recent.coverage) > 0).any():
        return newest_data_hour(recent, stop)
    hours = round((stop.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 3600)
    return newest_data_hour(store.hourly_window(start, hours), stop)


def active_units(window: HourlyWindow, as_of: datetime) -> set[str]:
    """Units of ``window`` with human activity (``occupancy.models.activity``) in the last
    ``WELFARE_SILENT_HOURS`` before ``as_of``: the only ones whose urgent silence a welfare
    check may call over. A meter whose last hours have not arrived yet, or a register that
    stands still, shows nobody, so it proves nothing about the resident."""
    from occupancy.flags.welfare import WELFARE_SILENT_HOURS, silence

    offset = (as_of.astimezone(UTC) - window.start.astimezone(UTC)).total_seconds() / 3600
    cut = int(np.clip(np.floor(offset), 0, window.hours))
    if not window.unit_ids or cut == 0:
        return set()
    status = silence(np.asarray(window.energy_kwh, dtype=float)[:, :cut], window.start.hour)
    since = np.nan_to_num(status.hours_since_activity, nan=np.inf)
    return {u for u, s in zip(window.unit_ids, since, strict=True) if s < WELFARE_SILENT_HOURS}


def newest_data_hour(window: HourlyWindow, stop: datetime) -> datetime:
    """The end of the newest hour in which any unit of ``window`` was measured (``stop`` at
    most, and ``stop`` when nothing was measured at all: then every meter is offline).

    An ingest outage (broker down, store full) silences every meter at once; judging as of
    ``stop`` would count its hours as silence and mark active residents urgent. One meter
    going quiet while others report is still seen, as of the others' newest hour.
    """
    measured = np.flatnonzero((np.asarray(window.coverage) > 0).any(axis=0))
    if measured.size == 0:
        return stop
    # In UTC: hours added to a local time would count a DST change's hour twice or never.
    newest = window.start.astimezone(UTC) + timedelta(hours=int(measured[-1]) + 1)
    late = (stop.astimezone(UTC) - newest).total_seconds() / 3600
    if late > STALE_DATA_HOURS:
        logger.warning(
            "the newest reading of any meter ends at %s, %.0f h before %s: is ingestion "
            "running? Judging as of %s",
            newest.astimezone(stop.tzinfo),
            late,
            stop,
            newest.astimezone(stop.tzinfo),
        )
    return stop if late <= 0 else newest.astimezone(stop.tzinfo)


def welfare_may_withdraw(flag: Flag, raised_by: str | None) -> bool:
    """What a welfare check that no longer sees a problem may withdraw: an urgent
    ``registered_silent`` flag that only the welfare rule raised (no P(occupied) on it: no
    7-day run found the unit silent), and the ``meter_offline`` flags a welfare check raised.

    A ``registered_silent`` flag carrying P(occupied) was raised or confirmed by the 7-day
    model (nightly or manual): a quiet week is not disproved by one active hour, so the
    welfare check only takes its urgency away (``welfare_may_downgrade``) and leaves it for
    the next nightly run. A ``meter_offline`` of the 7-day window (a patchy week) stays too.
    Whether the resident was active at all is ``welfare_withdraw_rule``'s question."""
    if flag.kind == REGISTERED_SILENT:
        return bool(flag.urgent) and flag.probability is None
    return raised_by == WELFARE_RUN


def welfare_may_downgrade(flag: Flag, raised_by: str | None) -> bool:
    """An urgent ``registered_silent`` flag the 7-day model also stands behind (it carries
    P(occupied)) loses its urgency, not its place, when the resident is active again."""
    return flag.kind == REGISTERED_SILENT and bool(flag.urgent) and flag.probability is not None


def welfare_withdraw_rule(
    active: Collection[str], rule: WithdrawRule = welfare_may_withdraw
) -> WithdrawRule:
    """``rule``, and a silence is called over only for ``active`` units,
    those the check saw a person in within the last 24 hours. A meter whose last hours lag,
    or whose register stands still, makes ``welfare_flags`` return nothing or a
    ``meter_offline`` for the unit; neither shows the resident up and about."""
    seen = frozenset(active)

    def gated(flag: Flag, raised_by: str | None) -> bool:
        if flag.kind == REGISTERED_SILENT and flag.unit_id not in seen:
            return False
        return rule(flag, raised_by)

    return gated


def _open(store: StoreSource) -> ReadingStore:
    return store() if callable(store) else store


@contextmanager
def _recorded_run(
    db_url: str, kind: str, start: datetime, stop: datetime, clock: Clock
) -> Iterator[int]:
    """Record the run before it starts, so it shows while running and when it fails; hold
    ``RUN_LOCK`` throughout so runs never overlap."""
    with RUN_LOCK:
        with session_scope(db_url) as session:
            # UTC: SQLite drops the zone, and naive times read back as UTC everywhere else.
            run = DetectionRun(
                kind=kind,
                started_at=_utc_now(clock),
                window_start=start.astimezone(UTC),
                window_end=stop.astimezone(UTC),
            )
            session.add(run)
            session.flush()
            run_id = run.id
        try:
            yield run_id
        except Exception as exc:  # recorded here; logging it is the caller's to decide
            try:
                with session_scope(db_url) as session:
                    failed = session.get(DetectionRun, run_id)
                    if failed is not None:
                        failed.error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
                        failed.finished_at = _utc_now(clock)
            except Exception:
                logger.exception("could not record the failure of run %d", run_id)
            raise


def _finish(
    db_url: str,
    run_id: int,
    flags: Sequence[FlagRecord],
    *,
    scored_units: Sequence[str],
    model_version: str,
    units_scored: int,
    clock: Clock,
    may_withdraw: WithdrawRule | None = None,
    may_downgrade: WithdrawRule | None = None,
    window_end: datetime | None = None,
    dismissal_days: float = DISMISSAL_DAYS,
) -> dict[str, int]:
    """Store the flags and the run's numbers in one transaction: all of them or none.
    ``window_end`` replaces the recorded one when the run judged as of an earlier time."""
    with session_scope(db_url) as session:
        run = session.get(DetectionRun, run_id)
        if run is None:
            raise RuntimeError(f"detection run {run_id} vanished from the database mid-run")
        if window_end is not None:
            run.window_end = window_end.astimezone(UTC)
        created, updated, withdrawn = persist_flags(
            session,
            flags,
            run,
            scored_units=scored_units,
            may_withdraw=may_withdraw,
            may_downgrade=may_downgrade,
            now=_utc_now(clock),
            dismissal_days=dismissal_days,
        )
        run.model_version = model_version
        run.units_scored = units_scored
        run.flags_raised = len(flags)
        run.flags_created, run.flags_updated, run.flags_withdrawn = created, updated, withdrawn
        run.finished_at = _utc_now(clock)
    return {"created": created, "updated": updated, "withdrawn": withdrawn}


def persist_flags(
    session: Session,
    flags: Sequence[FlagRecord],
    run: DetectionRun,
    scored_units: Sequence[str] = (),
    *,
    may_withdraw: WithdrawRule | None = None,
    may_downgrade: WithdrawRule | None = None,
    now: datetime | None = None,
    dismissal_days: float = DISMISSAL_DAYS,
) -> tuple[int, int, int]:
    """Update the open flag of each unit and kind, or add one: re-running never duplicates.

    A flag still ``new`` (nobody has acted on it) whose unit this run looked at but no
    longer flags for that kind is withdrawn, so the list shows what the data says now;
    ``may_withdraw(flag, kind of the run that last raised it)`` narrows that (the welfare
    check must not withdraw what the 7-day window found), and ``may_downgrade`` picks, of
    the flags kept, the urgent ones that lose their urgency (counted as updated). Flags a
    person has taken up are left for that person to close. The run that withdraws or
    downgrades a flag becomes its ``run_id``: the change rests on that run's data.

    The freshest data wins: a flag last raised or changed by a run whose window ended later
    than this run's is neither updated nor withdrawn (the 02:30 night run, ending at
    midnight, must not downgrade an urgent flag the 01:00 welfare check raised), and no flag
    is added where the latest closed one of that unit and kind came from such a run (the
    night run must not bring back what the 02:00 welfare check withdrew, nor
    ``occupancy detect --end <past>`` what newer data disproved). A record without a
    probability (the welfare rule's) keeps the P(occupied) the 7-day model put on the flag.

    A person's dismissal holds: no flag is added for a unit and kind whose latest dismissed
    flag is younger than ``dismissal_days``, unless the evidence changed materially
    (``occupancy.workflow.reflag``; a later flag a person closed supersedes the dismissal).
    Flags in review (assigned, visited) keep being updated like new ones, never withdrawn.
    What the run changes goes into the flags' history as ``detector`` events: raised (with
    the reason when a dismissal was overridden), escalated (became urgent), downgraded and
    withdrawn; plain updates are not recorded, they would bury the history.

    People act on flags while a run is going: each change to a flag the run read is one
    conditional UPDATE that applies only while the flag is still in a state the change allows
    (open, for an update; ``new``, to withdraw or downgrade it), so a person's assignment,
    visit or dismissal committed meanwhile is never overwritten, and a dismissed flag keeps
    the evidence it was dismissed on. Such a flag is skipped, not counted; the next run sees it.
    Returns (created, updated, withdrawn).
    """
    now = (now or utcnow()).astimezone(UTC)
    this_end = _utc(run.window_end)
    rows = session.execute(
        select(Flag, DetectionRun.kind, DetectionRun.window_end)
        .outerjoin(DetectionRun, Flag.run_id == DetectionRun.id)
        .where(Flag.state.not_in(CLOSED_FLAG_STATES))
    ).all()
    open_flags: dict[tuple[str, str], Flag] = {}
    raised_by: dict[tuple[str, str], tuple[str | None, datetime | None]] = {}
    for flag, kind, end in rows:
        key = (flag.unit_id, flag.kind)
        open_flags[key] = flag
        raised_by[key] = (kind, _utc(end) if end is not None else None)
    # Newest window behind each unit's and kind's closed flags: one row per unit and kind.
    closed_ends = {
        (unit_id, kind): _utc(end)
        for unit_id, kind, end in session.execute(
            select(Flag.unit_id, Flag.kind, func.max(DetectionRun.window_end))
            .join(DetectionRun, Flag.run_id == DetectionRun.id)
            .where(Flag.state.in_(CLOSED_FLAG_STATES))
            .group_by(Flag.unit_id, Flag.kind)
        ).all()
        if end is not None
    }

    def later(end: datetime | None) -> bool:
        return end is not None and this_end is not None and end > this_end

    def newer(key: tuple[str, str]) -> bool:
        return later(raised_by[key][1])

    dismissals = _standing_dismissals(session, now, dismissal_days)
    events: list[dict[str, Any]] = []

    def event(row: Flag, action: str, from_state: str | None, note: str = "") -> None:
        events.append(
            history.event_fields(
                row.id,
                at=now,
                actor=history.DETECTOR,
                action=action,
                from_state=from_state,
                to_state=row.state,
                run_id=run.id,
                probability=row.probability,
                note=note,
            )
        )

    created = updated = held = 0
    raised = set()
    new_rows: list[tuple[Flag, str]] = []
    for record in flags:
        key = (record.unit_id, record.kind)
        raised.add(key)
        row = open_flags.get(key)
        if row is None:
            if later(closed_ends.get(key)):
                continue  # newer data already closed it
            note = ""
            dismissed = dismissals.get(key)
            if dismissed is not None:
                reason = change_reason(dismissed, record)
                if reason is None:
                    held += 1
                    continue  # a person dismissed this evidence
                note = f"raised again despite the dismissal of flag {dismissed.id}: {reason}"
            row = Flag(
                unit_id=record.unit_id,
                kind=record.kind,
                first_raised_at=now,
                state=NEW_FLAG_STATE,
                **_raised_fields(record, None, run.id, now),
            )
            session.add(row)
            new_rows.append((row, note))
            created += 1
        elif newer(key):
            continue
        else:
            escalated = bool(record.urgent) and not row.urgent
            fields = _raised_fields(record, row.probability, run.id, now)
            if _write_if(session, row, Flag.state.not_in(CLOSED_FLAG_STATES), fields) is None:
                continue  # a person closed it since the read: it keeps what they judged
            updated += 1
            if escalated:
                event(row, history.ESCALATED, row.state, "became urgent")
    withdrawn = 0
    looked_at = set(scored_units)
    for key, row in open_flags.items():
        if (
            key in raised
            or row.unit_id not in looked_at
            or row.state != NEW_FLAG_STATE
            or newer(key)
        ):
            continue
        if may_withdraw is None or may_withdraw(row, raised_by[key][0]):
            fields = {"state": WITHDRAWN_FLAG_STATE, "run_id": run.id}
            if _write_if(session, row, Flag.state == NEW_FLAG_STATE, fields) is None:
                continue  # a person took it up since the read
            withdrawn += 1
            event(row, history.WITHDRAWN, NEW_FLAG_STATE, "no longer seen in the data")
        elif may_downgrade is not None and may_downgrade(row, raised_by[key][0]):
            fields = {**_downgraded(row, _utc(run.window_end)), "run_id": run.id}
            if _write_if(session, row, Flag.state == NEW_FLAG_STATE, fields) is None:
                continue
            updated += 1
            event(row, history.DOWNGRADED, row.state, "active again: no longer urgent")
    if new_rows:
        session.flush()  # the new flags' ids, for their "raised" events
        for row, note in new_rows:
            event(row, history.RAISED, None, note)
    history.add_events(session, events)
    if held:
        logger.info("%d flags not raised again: a person dismissed them (same evidence)", held)
    return created, updated, withdrawn


def _standing_dismissals(
    session: Session, now: datetime, days: float
) -> dict[tuple[str, str], Flag]:
    """Each unit's and kind's latest dismissed flag younger than ``days``, unless a person
    closed a later flag of that unit and kind (a visit since supersedes the dismissal)."""
    cutoff = now - timedelta(days=days)
    dismissed = session.scalars(
        select(Flag)
        .where(Flag.state == DISMISSED_FLAG_STATE, Flag.closed_at > cutoff)
        .order_by(Flag.closed_at, Flag.id)
    ).all()
    if not dismissed:
        return {}
    latest = {(f.unit_id, f.kind): f for f in dismissed}
    closed = session.execute(
        select(Flag.unit_id, Flag.kind, func.max(Flag.closed_at))
        .where(Flag.state == CLOSED_FLAG_STATE, Flag.closed_at > cutoff)
        .group_by(Flag.unit_id, Flag.kind)
    ).all()
    for unit_id, kind, at in closed:
        flag = latest.get((unit_id, kind))
        if flag is not None and _utc(at) >= _utc(flag.closed_at):
            del latest[(unit_id, kind)]
    return latest


def _raised_fields(
    record: FlagRecord, probability: float | None, run_id: int, now: datetime
) -> dict[str, Any]:
    """The columns a run writes on the flag it raises (again) from ``record``; ``probability``
    is the flag's current P(occupied)."""
    fields: dict[str, Any] = {
        "community": record.community,
        "score": float(record.score),
        "urgent": bool(record.urgent),
        "evidence_text": record.evidence_text,
        "evidence": dict(record.evidence),
        "run_id": run_id,
        "last_raised_at": now,
    }
    if record.probability is not None:
        fields["probability"] = float(record.probability)
    elif probability is not None and record.kind != REGISTERED_SILENT:
        fields["probability"] = None
    return fields


def _write_if(
    session: Session, row: Flag, state_check: ColumnElement[bool], fields: dict[str, Any]
) -> str | None:
    """Write ``fields`` to the flag's row only if its state still passes ``state_check``, in
    one UPDATE, so a person's change committed since the run read the flag is not overwritten.
    Returns the state the row then has (the in-memory flag takes the written values), or
    None when nothing was written (the in-memory flag is expired: it reloads what is stored).
    """
    state = session.execute(
        update(Flag)
        .where(Flag.id == row.id, state_check)
        .values(**fields)
        .returning(Flag.state)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if state is None:
        session.expire(row)
        return None
    for name, value in {**fields, "state": state}.items():
        set_committed_value(row, name, value)
    return state


def _downgraded(row: Flag, active_by: datetime | None) -> dict[str, Any]:
    """The columns that take the urgency off a flag whose resident is active again, saying
    so in its text."""
    evidence = dict(row.evidence or {})
    evidence["urgent"] = False
    if active_by is not None:
        evidence["active_again_by"] = active_by.isoformat()
    text = row.evidence_text or ""
    note = "active again: no longer urgent, the nightly run judges the week"
    if note not in text:
        text = f"{text}; {note}" if text else note
    return {"urgent": False, "evidence": evidence, "evidence_text": text}


def _utc_now(clock: Clock) -> datetime:
    """The clock's time in UTC: SQLite keeps a time's digits and drops its zone."""
    return clock().astimezone(UTC)


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite hands times back without their zone; they were written in UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment
