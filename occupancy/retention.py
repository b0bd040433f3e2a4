"""Raw readings expire: how long meter and lights readings are kept (privacy, docs/privacy.md).

Raw readings say, quarter-hour by quarter-hour, when someone is at home. The detector needs
the last ``OCCUPANCY_WINDOW_DAYS`` (7) of them; nobody needs them for long after. So readings
older than ``OCCUPANCY_RAW_RETENTION_DAYS`` (90) are deleted from the readings store
(registers, energy intervals, lights) and from the database's record of night counts.
Hourly rollups (InfluxDB) are not raw readings and are kept.

InfluxDB's retention policies would drop old readings on their own, but only a whole shard
group at a time and days late; the embedded store has no expiry at all. ``expire_raw_readings``
makes the setting hold for every store: ``occupancy store expire`` runs it by hand, the
scheduler in ``occupancy serve`` after each nightly detection.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select

from occupancy.store.base import ExpiredReadings, ReadingStore

log = logging.getLogger(__name__)

#: The name the audit log records for deletions nobody in particular asked for.
RETENTION_ACTOR = "retention"


@dataclass(frozen=True)
class ExpiryResult:
    cutoff: datetime  # readings stamped before this moment (UTC)
    retention_days: int
    readings: ExpiredReadings  # from the readings store
    lights_record: int | None  # rows of the night-count record (None: database not given)
    dry_run: bool

    @property
    def total(self) -> int:
        return self.readings.total + (self.lights_record or 0)

    def summary(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        r = self.readings
        text = (
            f"{verb} readings before {self.cutoff:%Y-%m-%d %H:%M} UTC "
            f"({self.retention_days} days): {r.registers} registers, {r.energy} energy "
            f"intervals, {r.lights} lights readings"
        )
        if self.lights_record is not None:
            text += f", {self.lights_record} night-count records"
        return text


def retention_too_short(retention_days: int, window_days: int) -> str | None:
    """Why ``retention_days`` cannot be applied, or None: the detector reads the last
    ``window_days`` of raw readings, so keeping fewer would blind it."""
    if retention_days < window_days:
        return (
            f"keeping {retention_days} days of raw readings would delete readings the "
            f"detector still reads (OCCUPANCY_WINDOW_DAYS={window_days}); keep at least that many"
        )
    return None


def expiry_cutoff(now: datetime, retention_days: int) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if retention_days < 1:
        raise ValueError(f"retention_days must be at least 1, not {retention_days}")
    return (now - timedelta(days=retention_days)).astimezone(UTC)


def expire_raw_readings(
    store: ReadingStore,
    *,
    now: datetime,
    retention_days: int,
    db_url: str | None = None,
    dry_run: bool = False,
) -> ExpiryResult:
    """Delete raw readings older than ``retention_days`` before ``now`` (or, ``dry_run``,
    count them). With ``db_url``, the night-count record too, and the deletion is written
    to the audit log."""
    cutoff = expiry_cutoff(now, retention_days)
    readings = store.expire_before(cutoff.timestamp(), dry_run=dry_run)
    lights_record = None
    if db_url is not None:
        lights_record = _expire_lights_record(db_url, cutoff, dry_run=dry_run)
    result = ExpiryResult(cutoff, retention_days, readings, lights_record, dry_run)
    if db_url is not None and not dry_run and result.total:
        _audit(db_url, result)
    log.info("%s", result.summary())
    return result


def _expire_lights_record(db_url: str, cutoff: datetime, *, dry_run: bool) -> int:
    from occupancy.db.session import session_scope
    from occupancy.lights.record import LightsObservation

    ts = cutoff.timestamp()
    with session_scope(db_url) as session:
        if dry_run:
            return session.scalar(select(func.count()).where(LightsObservation.ts < ts)) or 0
        return session.execute(delete(LightsObservation).where(LightsObservation.ts < ts)).rowcount


def _audit(db_url: str, result: ExpiryResult) -> None:
    from occupancy.audit.log import record
    from occupancy.db.session import session_scope

    with session_scope(db_url) as session:
        record(
            session,
            None,
            "delete",
            "readings",
            f"before {result.cutoff:%Y-%m-%dT%H:%M:%SZ}",
            username=RETENTION_ACTOR,
            detail=result.summary(),
        )
