"""Detection on a schedule inside ``occupancy serve``: welfare checks hourly, the week nightly.

Why in the web process: a community office runs one ``occupancy serve`` and nothing else, and
a cron entry is one more thing to set up and forget. Why a thread: detection is numpy and
SQL, it must never hold up a page, and one thread running the jobs one after another is
also what keeps two runs from overlapping.

Two jobs:

* **welfare** every ``OCCUPANCY_WELFARE_INTERVAL_MINUTES`` (60): vulnerable residents only,
  up to the last full hour (``welfare_from_store``), so "no activity for 24 hours" is seen
  within the hour instead of the next night.
* **nightly** at ``OCCUPANCY_NIGHTLY_AT`` (02:30, local): the full detector over the last
  ``OCCUPANCY_WINDOW_DAYS`` whole days (``detect_from_store``).

After each nightly run, raw readings older than ``OCCUPANCY_RAW_RETENTION_DAYS`` are deleted
(``occupancy.retention``); a failure there is logged and tried again after the next
nightly run, and never stops detection.

When they run is decided from what the database records, so a restart neither repeats nor
loses a run: the nightly run is due when none has succeeded since the latest 02:30 (a server
that was down over night catches up soon after it starts); the welfare check when the last
one started an interval ago. A failed run is recorded with its error by the run itself and
tried again an interval later; the scheduler carries on.
"""

from __future__ import annotations

import logging
import threading
import time as systime
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta, tzinfo

from sqlalchemy import func, select

from occupancy.config import Settings
from occupancy.db.session import session_scope
from occupancy.db.tables import NIGHTLY_RUN, WELFARE_RUN, DetectionRun, utcnow
from occupancy.detection.run import Clock, detect_from_store, welfare_from_store
from occupancy.retention import ExpiryResult, expire_raw_readings, retention_too_short
from occupancy.store.base import ReadingStore
from occupancy.timeseries import local_midnight

logger = logging.getLogger(__name__)


def latest_slot(now: datetime, at: time, tz: tzinfo) -> datetime:
    """The last local ``at`` (e.g. 02:30) at or before ``now``."""
    local = now.astimezone(tz)
    slot = datetime.combine(local.date(), at, tzinfo=tz)
    if slot > local:
        slot = datetime.combine(local.date() - timedelta(days=1), at, tzinfo=tz)
    return slot


def next_slot(now: datetime, at: time, tz: tzinfo) -> datetime:
    """The first local ``at`` strictly after ``now``."""
    last = latest_slot(now, at, tz)
    return datetime.combine(last.date() + timedelta(days=1), at, tzinfo=tz)


class DetectionScheduler:
    """Runs the welfare and nightly jobs in one background thread.

    ``clock`` (aware datetimes) and the waits are injectable so tests can run a day of
    schedule in a second: ``run_pending(now)`` runs whatever is due at ``now`` in the
    caller's thread; ``start()`` does the same in a loop in a daemon thread.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = utcnow,
        start_delay_seconds: float = 5.0,
        max_wait_seconds: float = 30.0,
        stop_timeout_seconds: float = 10.0,
        store_factory: Callable[[], ReadingStore] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.tz = settings.tz
        self.welfare_every = timedelta(minutes=settings.welfare_interval_minutes)
        self.nightly_at = settings.nightly_time
        #: A failed nightly run is tried again this long after it started.
        self.retry_after = self.welfare_every
        self.start_delay_seconds = start_delay_seconds
        #: Longest sleep between looks at the clock: catches clock jumps (and fast test clocks).
        self.max_wait_seconds = max_wait_seconds
        self.stop_timeout_seconds = stop_timeout_seconds
        self._store_factory = store_factory
        self._store: ReadingStore | None = None
        self._last_started: dict[str, datetime] = {}
        self._last_nightly_ok: datetime | None = None
        self._history_loaded = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: Runs finished by this scheduler, ok or not: (kind, ok), for logs and tests.
        self.completed: list[tuple[str, bool]] = []
        #: What the last expiry did, or the error it failed with.
        self.last_expiry: ExpiryResult | Exception | None = None

    # -- when ---------------------------------------------------------------------------
    def due(self, now: datetime) -> list[str]:
        """The jobs to run at ``now``, welfare first (it is quick and urgent)."""
        jobs = []
        last = self._last_started.get(WELFARE_RUN)
        if last is None or now - last >= self.welfare_every:
            jobs.append(WELFARE_RUN)
        if self._nightly_due_at(now) <= now:
            jobs.append(NIGHTLY_RUN)
        return jobs

    def next_due(self, now: datetime) -> datetime:
        """When the next job is due (``now`` or earlier when one is due already)."""
        last = self._last_started.get(WELFARE_RUN)
        welfare = now if last is None else last + self.welfare_every
        return min(welfare, self._nightly_due_at(now))

    def _nightly_due_at(self, now: datetime) -> datetime:
        slot = latest_slot(now, self.nightly_at, self.tz)
        ok = self._last_nightly_ok
        if ok is not None and ok >= slot:
            return next_slot(now, self.nightly_at, self.tz)
        tried = self._last_started.get(NIGHTLY_RUN)
        if tried is not None and tried >= slot:  # failed since the slot: retry later
            return tried + self.retry_after
        return slot

    # -- running ------------------------------------------------------------------------
    def run_pending(self, now: datetime | None = None) -> list[tuple[str, bool]]:
        """Run every job due at ``now`` (default: the clock), one after the other, and after
        the nightly run the expiry of old raw readings (not listed: it is no detection run,
        see ``last_expiry``)."""
        if not self._history_loaded:
            self.load_history()
        now = now or self.clock()
        done = []
        for kind in self.due(now):
            done.append((kind, self._run(kind, now)))
            if kind == NIGHTLY_RUN:
                self._expire(now)
        return done

    def _expire(self, now: datetime) -> bool:
        """Delete raw readings past the retention; never raises (detection goes on)."""
        settings = self.settings
        try:
            problem = retention_too_short(settings.raw_retention_days, settings.window_days)
            if problem:
                raise ValueError(problem)
            self.last_expiry = expire_raw_readings(
                self._open_store(),
                now=now,
                retention_days=settings.raw_retention_days,
                db_url=settings.resolved_db_url,
            )
        except Exception as exc:
            logger.exception(
                "expiring old raw readings failed (%s); next try after the next nightly run", exc
            )
            self.last_expiry = exc
            self._close_store()
            return False
        return True

    def load_history(self) -> None:
        """Pick up where the last process left off: when each job last started and when the
        nightly run last succeeded (a failed or interrupted one does not count)."""
        with session_scope(self.settings.resolved_db_url) as session:
            started = session.execute(
                select(DetectionRun.kind, func.max(DetectionRun.started_at))
                .where(DetectionRun.kind.in_((WELFARE_RUN, NIGHTLY_RUN)))
                .group_by(DetectionRun.kind)
            ).all()
            ok = session.scalar(
                select(func.max(DetectionRun.started_at)).where(
                    DetectionRun.kind == NIGHTLY_RUN,
                    DetectionRun.error.is_(None),
                    DetectionRun.finished_at.is_not(None),
                )
            )
        self._last_started = {kind: _utc(moment) for kind, moment in started if moment}
        self._last_nightly_ok = _utc(ok) if ok is not None else None
        self._history_loaded = True

    def _run(self, kind: str, now: datetime) -> bool:
        self._last_started[kind] = now
        began = systime.perf_counter()
        settings = self.settings
        try:
            if kind == WELFARE_RUN:
                result = welfare_from_store(
                    self._open_store,
                    settings.resolved_db_url,
                    tz=self.tz,
                    days=settings.window_days,
                    as_of=now,
                    clock=self.clock,
                    dismissal_days=settings.dismissal_days,
                )
            else:
                result = detect_from_store(
                    self._open_store,
                    settings.resolved_db_url,
                    tz=self.tz,
                    days=settings.window_days,
                    end=local_midnight(now, self.tz),
                    model_path=settings.model_path,
                    kind=NIGHTLY_RUN,
                    clock=self.clock,
                    dismissal_days=settings.dismissal_days,
                )
        except Exception as exc:  # the run recorded it; log it and carry on
            logger.exception(
                "%s detection failed (%s); next attempt in %s",
                kind,
                exc,
                self.welfare_every if kind == WELFARE_RUN else self.retry_after,
            )
            self.completed.append((kind, False))
            self._close_store()  # a broken connection is opened afresh next time
            return False
        if kind == NIGHTLY_RUN:
            self._last_nightly_ok = now
        logger.info(
            "%s detection run %s: %d units, %d flags (%d new, %d updated, %d withdrawn) in %.1f s",
            kind,
            result.run_id,
            len(result.window.unit_ids),
            len(result.flags),
            result.created,
            result.updated,
            result.withdrawn,
            systime.perf_counter() - began,
        )
        self.completed.append((kind, True))
        return True

    def _open_store(self) -> ReadingStore:
        """The scheduler's own store connection, so a long read never queues behind (or
        holds up) the pages' shared one; reopened after a failure."""
        if self._store is None:
            if self._store_factory is not None:
                self._store = self._store_factory()
            else:
                from occupancy.store import open_store

                self._store = open_store(self.settings.resolved_store_url)
        return self._store

    # -- the thread -----------------------------------------------------------------------
    def start(self) -> DetectionScheduler:
        if self._thread is not None:
            raise RuntimeError("the detection scheduler is already running")
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, name="occupancy-detection-scheduler", daemon=True
        )
        self._thread.start()
        logger.info(
            "detection scheduled: welfare every %s, nightly at %s %s",
            self.welfare_every,
            self.settings.nightly_at,
            self.settings.timezone,
        )
        return self

    def stop(self) -> None:
        """Stop after the run in progress (waits ``stop_timeout_seconds`` at most; a run cut
        off by the process exiting stays recorded as unfinished)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(self.stop_timeout_seconds)
            if thread.is_alive():
                logger.warning("a detection run is still going; leaving it to the process exit")
                return
        self._close_store()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        if self._stop.wait(self.start_delay_seconds):
            return
        while not self._stop.is_set():
            try:
                self.run_pending()
                wait = (self.next_due(self.clock()) - self.clock()).total_seconds()
            except Exception:  # e.g. the database is down while reading the history
                logger.exception("detection scheduler: could not check what is due")
                wait = self.max_wait_seconds
            if self._stop.wait(min(max(wait, 0.001), self.max_wait_seconds)):
                break

    def _close_store(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            try:
                store.close()
            except Exception:
                logger.exception("closing the scheduler's store failed")


def _utc(moment: datetime) -> datetime:
    """SQLite hands times back without their zone; they were written in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
