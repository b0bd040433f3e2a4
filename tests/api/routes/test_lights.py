"""``/api/lights/surveys``: a night count entered through the API reaches the store and the
record; bad counts get a 422 naming each bad item and write nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from occupancy.config import Settings
from occupancy.db.session import session_scope
from occupancy.lights import SurveyObservation, save_observations
from occupancy.store import open_store

from ..conftest import ADMIN_USER
from ..seed import METERED_UNIT, NOW, RIVER, SUNNY, Seeded
from .flag_support import last_audit

URL = "/api/lights/surveys"
#: 14 May 2024 21:30 in Shanghai, the evening before the pinned NOW.
EVENING = "2024-05-14T21:30:00+08:00"


def survey(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "community": SUNNY,
        "building": "1",
        "observed_at": "2024-05-14T21:30",  # no offset: local time
        "observer": "王芳",
        "units": [{"unit_id": "YG-1-1-101", "lit": True}, {"unit_id": "YG-1-1-102", "lit": "灭"}],
    }
    return {**body, **overrides}


def lights_at(settings: Settings, seeded: Seeded, unit_id: str, moment: str) -> float:
    """The lights share the detector's window holds for ``unit_id`` in the hour of ``moment``."""
    store = open_store(settings.resolved_store_url)
    try:
        window = store.hourly_window(seeded.window_start, 7 * 24, [unit_id])
    finally:
        store.close()
    hour = int((datetime.fromisoformat(moment) - seeded.window_start) / timedelta(hours=1))
    return float(window.lights_on[0, hour])


def test_a_count_is_stored_recorded_and_summarised(
    client: TestClient, settings: Settings, seeded: Seeded
) -> None:
    response = client.post(URL, json=survey())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["observed_at"] == EVENING
    assert (body["units"], body["lit"], body["dark"]) == (2, 1, 1)
    assert (body["new"], body["changed"], body["unchanged"]) == (2, 0, 0)
    assert body["buildings"] == [{"community": SUNNY, "building": "1", "lit": 1, "dark": 1}]
    assert lights_at(settings, seeded, "YG-1-1-101", EVENING) == 1.0
    assert lights_at(settings, seeded, "YG-1-1-102", EVENING) == 0.0

    listed = client.get(URL, params={"community": SUNNY}).json()
    assert listed["count"] == 2
    first = listed["data"][0]
    assert first["observed_at"] == EVENING
    assert (first["observer"], first["source"], first["building"]) == ("王芳", "api", "1")
    assert {(o["unit_id"], o["lit"]) for o in listed["data"]} == {
        ("YG-1-1-101", True),
        ("YG-1-1-102", False),
    }


def test_sending_the_same_count_again_stores_nothing_new(
    client: TestClient, settings: Settings, seeded: Seeded
) -> None:
    assert client.post(URL, json=survey()).status_code == 201
    store = open_store(settings.resolved_store_url)
    try:
        before = store.hourly_window(seeded.window_start, 7 * 24).lights_on.copy()
    finally:
        store.close()
    again = client.post(URL, json=survey())
    assert again.status_code == 201
    assert (again.json()["new"], again.json()["unchanged"]) == (0, 2)
    store = open_store(settings.resolved_store_url)
    try:
        after = store.hourly_window(seeded.window_start, 7 * 24).lights_on
    finally:
        store.close()
    np.testing.assert_array_equal(before, after)
    assert client.get(URL).json()["count"] == 2

    # A corrected count for the same moment replaces the first.
    fixed = survey(units=[{"unit_id": "YG-1-1-102", "lit": "亮"}])
    assert client.post(URL, json=fixed).json()["changed"] == 1
    assert lights_at(settings, seeded, "YG-1-1-102", EVENING) == 1.0


def test_bad_items_are_each_named_and_nothing_is_written(
    client: TestClient, settings: Settings, seeded: Seeded
) -> None:
    body = survey(
        units=[
            {"unit_id": "YG-1-1-101", "lit": "maybe"},
            {"unit_id": "YG-9-9-909", "lit": True},
            {"unit_id": "RS-A-0801", "lit": True},
            {"unit_id": METERED_UNIT, "lit": True},
            {"unit_id": "YG-1-1-102", "lit": False},
            {"unit_id": "YG-1-1-102", "lit": False},
        ]
    )
    response = client.post(URL, json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    found = [(tuple(d["loc"]), d["type"]) for d in detail]
    assert found == [
        (("body", "units", 0, "lit"), "lit"),
        (("body", "units", 1, "unit_id"), "unknown_unit"),
        (("body", "units", 2, "unit_id"), "other_community"),
        (("body", "units", 3, "unit_id"), "other_building"),
        (("body", "units", 5, "unit_id"), "duplicate_unit"),
    ]
    messages = [d["msg"] for d in detail]
    assert "亮/灭" in messages[0]
    assert "not in the register" in messages[1]
    assert f"community {RIVER} in the register, not {SUNNY}" in messages[2]
    assert "register has unit YG-3-2-502 in building 3" in messages[3]
    assert "already units[4]" in messages[4]
    assert [d["input"] for d in detail][:2] == ["maybe", "YG-9-9-909"]
    # The good units of a bad count are not written either.
    assert np.isnan(lights_at(settings, seeded, "YG-1-1-102", EVENING))
    assert client.get(URL).json()["count"] == 0


def test_daylight_and_future_counts_are_refused(client: TestClient) -> None:
    daylight = client.post(URL, json=survey(observed_at="2024-05-14T14:30"))
    assert daylight.status_code == 422
    [error] = daylight.json()["detail"]
    assert error["loc"] == ["body", "observed_at"]
    assert error["type"] == "night_time"
    assert "in daylight" in error["msg"]

    # 13:30 UTC is 21:30 in Shanghai: with its offset it is night.
    assert client.post(URL, json=survey(observed_at="2024-05-14T13:30:00Z")).status_code == 201

    future = client.post(URL, json=survey(observed_at="2024-05-15T21:00+08:00"))
    assert future.status_code == 422
    assert "in the future" in future.json()["detail"][0]["msg"]

    old = client.post(URL, json=survey(observed_at="2023-05-14T21:00+08:00"))
    assert old.status_code == 422
    assert "check the year" in old.json()["detail"][0]["msg"]


def test_malformed_bodies_get_pydantics_422(client: TestClient) -> None:
    empty = client.post(URL, json=survey(units=[]))
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["loc"] == ["body", "units"]
    no_time = client.post(URL, json={k: v for k, v in survey().items() if k != "observed_at"})
    assert no_time.status_code == 422
    assert no_time.json()["detail"][0]["loc"] == ["body", "observed_at"]
    no_id = client.post(URL, json=survey(units=[{"lit": True}]))
    assert no_id.json()["detail"][0]["loc"] == ["body", "units", 0, "unit_id"]
    assert client.get(URL).json()["count"] == 0


def test_listing_filters_and_pages(client: TestClient, settings: Settings) -> None:
    assert client.post(URL, json=survey()).status_code == 201
    river = survey(community=RIVER, building="A", units=[{"unit_id": "RS-A-0801", "lit": 1}])
    assert client.post(URL, json=river).status_code == 201
    # A sheet import from nine days ago: recorded, but before the default window.
    old = SurveyObservation(
        "YG-2-1-201", SUNNY, (NOW - timedelta(days=9)).timestamp(), True, building="2"
    )
    store = open_store(settings.resolved_store_url)
    try:
        with session_scope(settings.resolved_db_url) as session:
            save_observations(store, session, [old], source="sheet:old.csv")
    finally:
        store.close()

    assert client.get(URL).json()["count"] == 3
    assert client.get(URL, params={"community": RIVER}).json()["count"] == 1
    assert client.get(URL, params={"community": SUNNY, "building": "1"}).json()["count"] == 2
    since = client.get(URL, params={"since": "2024-05-01T00:00"}).json()
    assert since["count"] == 4
    assert since["data"][-1]["source"] == "sheet:old.csv"  # newest first
    page = client.get(URL, params={"since": "2024-05-01", "limit": 1, "offset": 3}).json()
    assert (page["count"], [o["unit_id"] for o in page["data"]]) == (4, ["YG-2-1-201"])
    # The seeded sensor readings of METERED_UNIT are lights evidence, but not a night count.
    assert all(o["unit_id"] != METERED_UNIT for o in since["data"])


def test_huge_offset_is_a_422_not_a_database_overflow(client: TestClient) -> None:
    response = client.get(URL, params={"offset": 2**63})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "offset"]


def test_empty_listing(empty_client: TestClient) -> None:
    assert empty_client.get(URL).json() == {"data": [], "count": 0}


def test_a_count_is_audited(client: TestClient, settings: Settings) -> None:
    assert client.post(URL, json=survey()).status_code == 201
    event = last_audit(settings)
    assert (event.username, event.action, event.object_type) == (ADMIN_USER, "create", "lights")
    assert (event.object_id, event.community) == (f"{SUNNY}/1", SUNNY)
    assert event.detail.startswith("2 units")
