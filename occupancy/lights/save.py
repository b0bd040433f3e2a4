"""Save checked observations: the readings store (the detector's evidence) and the record.

The store is written first. If the record's transaction then fails, the caller reports the
error and the worker repeats the import: both writes are keyed by unit and moment, so the
repeat stores nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from occupancy.lights.observation import SurveyObservation
from occupancy.lights.record import RecordSummary, record_observations
from occupancy.store.base import ReadingStore


def save_observations(
    store: ReadingStore,
    session: Session,
    observations: Sequence[SurveyObservation],
    *,
    source: str,
) -> RecordSummary:
    """Write the observations as ``LightReading`` to ``store`` and record them in the session's
    transaction (the caller commits). Raises ``StoreError`` before recording if the store fails.
    """
    if observations:
        store.write(lights=[o.reading() for o in observations])
    return record_observations(session, observations, source=source)
