"""``/api/communities``: every community with open flags counted by kind."""

from __future__ import annotations

from fastapi.testclient import TestClient

from occupancy.flags.record import FLAG_KINDS

from ..seed import RIVER, SUNNY, Seeded


def test_counts_open_flags_by_kind(client: TestClient, seeded: Seeded) -> None:
    response = client.get("/api/communities")
    assert response.status_code == 200
    by_name = {c["community"]: c for c in response.json()}
    assert sorted(by_name) == sorted([SUNNY, RIVER])
    sunny = by_name[SUNNY]
    # The dismissed registered_silent flag is not counted.
    assert sunny["flags"] == {
        "unregistered_activity": 2,
        "registered_silent": 1,
        "meter_offline": 1,
    }
    assert sunny["total"] == 4
    assert sunny["urgent"] == 1
    assert sunny["units"] == 4
    assert by_name[RIVER]["flags"]["meter_offline"] == 0
    assert set(by_name[RIVER]["flags"]) == set(FLAG_KINDS)


def test_empty_database_lists_nothing(empty_client: TestClient) -> None:
    assert empty_client.get("/api/communities").json() == []


def test_urgent_counts_every_urgent_flag(client: TestClient, seeded: Seeded, settings) -> None:
    """Regression: sum() over the Boolean column read 3 urgent flags back as True, i.e. 1."""
    from occupancy.db import Flag, session_scope

    with session_scope(settings.resolved_db_url) as session:
        for unit in ("YG-9-9-901", "YG-9-9-902"):
            session.add(
                Flag(
                    unit_id=unit,
                    community=SUNNY,
                    kind="registered_silent",
                    score=0.9,
                    probability=0.1,
                    urgent=True,
                    evidence={},
                    evidence_text="",
                )
            )
    sunny = {c["community"]: c for c in client.get("/api/communities").json()}[SUNNY]
    assert sunny["urgent"] == 3
    assert sunny["flags"]["registered_silent"] == 3
