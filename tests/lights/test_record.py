"""The record of night counts on SQLite and PostgreSQL: keyed like the store, listed newest
first, and created in a database that predates it."""

from __future__ import annotations

import pytest

from occupancy.db.session import session_scope
from occupancy.lights import SurveyObservation, list_observations, record_observations
from occupancy.lights.record import LightsObservation

from .survey_data import RIVER, SUNNY, local_ts

EVENING = local_ts("2024-05-14 21:30")


def obs(unit_id: str, ts: float = EVENING, lit: bool = True, **fields: str) -> SurveyObservation:
    community = RIVER if unit_id.startswith("RS") else SUNNY
    return SurveyObservation(unit_id, community, ts, lit, **fields)


def test_new_changed_unchanged(db_url: str) -> None:
    first = [obs("YG-3-2-502", building="3"), obs("YG-3-2-501", lit=False, building="3")]
    with session_scope(db_url) as session:
        summary = record_observations(session, first, source="sheet:a.csv")
    assert (summary.new, summary.changed, summary.unchanged, summary.total) == (2, 0, 0, 2)

    again = [
        obs("YG-3-2-502", building="3"),  # the same: unchanged
        obs("YG-3-2-501", lit=True, building="3"),  # corrected: changed
        obs("YG-3-2-501", ts=EVENING + 7200, building="3"),  # a second round: new
    ]
    with session_scope(db_url) as session:
        summary = record_observations(session, again, source="api")
    assert (summary.new, summary.changed, summary.unchanged) == (1, 1, 1)

    with session_scope(db_url) as session:
        rows, count = list_observations(session, since=0)
        listed = [(r.unit_id, r.ts, r.lit, r.source) for r in rows]
    assert count == 3
    assert listed == [
        ("YG-3-2-501", EVENING + 7200, True, "api"),  # newest first
        ("YG-3-2-501", EVENING, True, "api"),  # the correction names its source
        ("YG-3-2-502", EVENING, True, "sheet:a.csv"),
    ]


def test_filters_and_paging(db_url: str) -> None:
    observations = [
        obs("YG-3-2-502", building="3"),
        obs("YG-1-1-101", ts=EVENING - 86400, building="1"),
        obs("RS-A-0801", ts=EVENING - 2 * 86400, building="A"),
    ]
    with session_scope(db_url) as session:
        record_observations(session, observations, source="api")
        assert list_observations(session, community=SUNNY, since=0)[1] == 2
        assert list_observations(session, building="A", since=0)[1] == 1
        recent, count = list_observations(session, since=EVENING - 86400)
        assert count == 2 and {r.unit_id for r in recent} == {"YG-3-2-502", "YG-1-1-101"}
        page, count = list_observations(session, since=0, limit=1, offset=1)
        assert count == 3 and [r.unit_id for r in page] == ["YG-1-1-101"]


def test_many_observations_in_one_go(db_url: str) -> None:
    """More keys than one ``IN`` query takes: the lookup is chunked."""
    observations = [obs(f"U-{i:04d}", ts=EVENING + i) for i in range(1000)]
    with session_scope(db_url) as session:
        assert record_observations(session, observations, source="api").new == 1000
    with session_scope(db_url) as session:
        assert record_observations(session, observations, source="api").unchanged == 1000


@pytest.mark.parametrize("column", ["unit_id", "ts"])
def test_key_is_unit_and_moment(column: str) -> None:
    """The record must be keyed exactly like the stores, or a repeat would differ."""
    constraint = next(
        c for c in LightsObservation.__table__.constraints if c.name == "uq_lights_observation"
    )
    assert column in constraint.columns
    assert len(constraint.columns) == 2
