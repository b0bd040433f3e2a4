"""``/api/flags``: visiting order, filters, paging and 404."""

from __future__ import annotations

from fastapi.testclient import TestClient

from occupancy.config import Settings

from ..seed import METERED_UNIT, RIVER, SUNNY, Seeded
from .flag_support import audited_ids, last_audit


def _ids(response_json: dict) -> list[int]:
    return [flag["id"] for flag in response_json["data"]]


def test_urgent_first_then_score_descending(client: TestClient, seeded: Seeded) -> None:
    response = client.get("/api/flags")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(seeded.flag_ids)
    flags = body["data"]
    # The urgent flag scores 0.71, below three others, yet comes first.
    assert flags[0]["id"] == seeded.flag_ids["urgent"]
    assert flags[0]["urgent"] is True
    scores = [f["score"] for f in flags[1:]]
    assert scores == sorted(scores, reverse=True)
    assert not any(f["urgent"] for f in flags[1:])


def test_flag_fields(client: TestClient, seeded: Seeded) -> None:
    flag = client.get(f"/api/flags/{seeded.flag_ids['urgent']}").json()
    assert flag["unit_id"] == METERED_UNIT
    assert flag["community"] == SUNNY
    assert flag["kind"] == "registered_silent"
    assert flag["evidence"] == {"daily_kwh": 0.1, "silent_days": 5}
    assert flag["evidence_text"].startswith("Almost no use")
    # Stored naive by SQLite, served with an explicit UTC offset.
    assert flag["last_raised_at"].endswith(("Z", "+00:00"))


def test_filter_by_community(client: TestClient, seeded: Seeded) -> None:
    body = client.get("/api/flags", params={"community": RIVER}).json()
    assert body["count"] == 2
    assert {f["community"] for f in body["data"]} == {RIVER}


def test_filter_by_kind_and_state(client: TestClient, seeded: Seeded) -> None:
    silent = client.get("/api/flags", params={"kind": "registered_silent"}).json()
    assert {f["kind"] for f in silent["data"]} == {"registered_silent"}
    assert silent["count"] == 3
    dismissed = client.get(
        "/api/flags", params={"kind": "registered_silent", "state": "dismissed"}
    ).json()
    assert _ids(dismissed) == [seeded.flag_ids["dismissed"]]


def test_unknown_kind_is_rejected_with_the_valid_ones(client: TestClient) -> None:
    response = client.get("/api/flags", params={"kind": "haunted"})
    assert response.status_code == 422
    assert "unregistered_activity" in response.text


def test_limit_and_offset_page_through_in_order(client: TestClient, seeded: Seeded) -> None:
    everything = _ids(client.get("/api/flags").json())
    first = client.get("/api/flags", params={"limit": 3}).json()
    rest = client.get("/api/flags", params={"limit": 3, "offset": 3}).json()
    assert first["count"] == rest["count"] == len(everything)
    assert _ids(first) + _ids(rest) == everything[:6]
    assert client.get("/api/flags", params={"limit": 0}).status_code == 422
    assert client.get("/api/flags", params={"offset": -1}).status_code == 422


def test_huge_offset_is_a_422_not_a_database_overflow(client: TestClient) -> None:
    # 2**63 does not fit a SQLite INTEGER: unbounded, it was an OverflowError (500).
    response = client.get("/api/flags", params={"offset": 2**63})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "offset"]


def test_read_one_and_404(client: TestClient, seeded: Seeded) -> None:
    flag_id = seeded.flag_ids["offline"]
    response = client.get(f"/api/flags/{flag_id}")
    assert response.status_code == 200
    assert response.json()["kind"] == "meter_offline"
    assert response.json()["probability"] is None
    missing = client.get("/api/flags/999999")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/json")


def test_listing_is_audited_with_the_flags_shown(
    client: TestClient, settings: Settings, seeded: Seeded
) -> None:
    shown = _ids(client.get("/api/flags", params={"community": SUNNY, "limit": 3}).json())
    event = last_audit(settings)
    assert (event.action, event.object_type, event.community) == ("view", "flags", SUNNY)
    assert audited_ids(event.detail) == shown and len(shown) == 3
