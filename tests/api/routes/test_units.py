"""``/api/units/{unit_id}``: register entry, open flags and the hourly window."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from fastapi.testclient import TestClient

from occupancy.config import Settings
from occupancy.readings import IntervalEnergy
from occupancy.store import open_store

from ..seed import EVIL_UNIT, METERED_UNIT, SUNNY, UNREGISTERED_UNIT, WINDOW_DAYS, Seeded


def test_registered_unit_with_data(client: TestClient, seeded: Seeded) -> None:
    response = client.get(f"/api/units/{METERED_UNIT}")
    assert response.status_code == 200
    body = response.json()
    assert body["community"] == SUNNY
    assert body["register_entry"]["vulnerable"] is True
    assert body["register_entry"]["room"] == "502"
    assert [f["id"] for f in body["flags"]] == [seeded.flag_ids["urgent"]]

    consumption = body["consumption"]
    start = datetime.fromisoformat(consumption["start"])
    assert start == seeded.window_start
    assert (start.hour, start.minute, start.utcoffset().total_seconds()) == (0, 0, 8 * 3600)
    hourly = consumption["hourly_kwh"]
    assert len(hourly) == WINDOW_DAYS * 24
    assert sum(v is not None for v in hourly) == seeded.measured_hours
    assert hourly[30] is None  # in the seeded gap
    assert hourly[0] == 0.0  # measured at zero, which is not "unmeasured"
    assert hourly[1] == 0.06
    assert hourly[-1] is None  # tonight has not happened yet


def test_end_moves_the_window(client: TestClient, seeded: Seeded) -> None:
    body = client.get(f"/api/units/{METERED_UNIT}", params={"end": "2024-05-10"}).json()
    start = datetime.fromisoformat(body["consumption"]["start"])
    assert start.date().isoformat() == "2024-05-04"
    # Data starts on the 9th, so the window's last two days hold it, less the gap's first
    # 18 hours (10 May 06:00 to midnight).
    assert sum(v is not None for v in body["consumption"]["hourly_kwh"]) == 48 - 18


def test_end_outside_the_plausible_days_is_a_422(client: TestClient) -> None:
    # end=0001-01-01 put the window's first day before date.min: an OverflowError (500).
    for end in ("0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"):
        response = client.get(f"/api/units/{METERED_UNIT}", params={"end": end})
        assert response.status_code == 422, end
        assert response.json()["detail"][0]["loc"] == ["query", "end"]
    assert client.get(f"/api/units/{METERED_UNIT}", params={"end": "2000-01-01"}).is_success


def test_only_open_flags_are_listed(client: TestClient, seeded: Seeded) -> None:
    body = client.get("/api/units/YG-1-1-102").json()
    assert [f["kind"] for f in body["flags"]] == ["meter_offline"]


def test_flagged_but_unregistered_unit(client: TestClient) -> None:
    body = client.get(f"/api/units/{UNREGISTERED_UNIT}").json()
    assert body["register_entry"] is None
    assert body["community"] == SUNNY
    assert body["flags"][0]["kind"] == "unregistered_activity"
    assert set(body["consumption"]["hourly_kwh"]) == {None}


def test_registered_unit_without_flags_or_data(client: TestClient) -> None:
    body = client.get("/api/units/YG-2-1-201").json()
    assert body["register_entry"]["unit_id"] == "YG-2-1-201"
    assert body["flags"] == []


def test_unit_known_only_from_meter_data(
    client: TestClient, settings: Settings, seeded: Seeded
) -> None:
    t0 = seeded.window_start.timestamp()
    store = open_store(settings.resolved_store_url)
    store.write(energy=[IntervalEnergy("新小区", "NEW-1", t0, t0 + 3600, 0.3)])
    store.close()
    body = client.get("/api/units/NEW-1").json()
    assert body["register_entry"] is None
    assert body["community"] == "新小区"
    assert body["consumption"]["hourly_kwh"][0] == 0.3


def test_unknown_unit_is_404(client: TestClient) -> None:
    response = client.get("/api/units/NO-SUCH-UNIT")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")


def test_awkward_unit_ids_round_trip(client: TestClient) -> None:
    response = client.get(f"/api/units/{quote(EVIL_UNIT, safe='')}")
    assert response.status_code == 200
    assert response.json()["unit_id"] == EVIL_UNIT
