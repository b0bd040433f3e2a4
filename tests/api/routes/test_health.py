"""``/healthz`` says which backend is down, so an operator knows where to look."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from occupancy.config import Settings

from ..conftest import make_client

UNREACHABLE_DB = "postgresql+psycopg://postgres@127.0.0.1:1/x"


def test_ok_when_db_and_store_answer(empty_client: TestClient) -> None:
    response = empty_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "db": "ok", "store": "ok"}


def test_503_names_the_unreachable_database(settings: Settings) -> None:
    broken = settings.model_copy(update={"db_url": UNREACHABLE_DB})
    for client in make_client(broken, as_admin=False):
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "db": "error", "store": "ok"}
        # No connection string or server message leaks to the probe.
        assert "127.0.0.1" not in response.text


def test_503_names_the_unusable_store(settings: Settings, var_dir: Path) -> None:
    blocker = var_dir / "not-a-directory"
    blocker.write_text("a file where the store's directory should be")
    broken = settings.model_copy(update={"store_url": f"sqlite:///{blocker / 'readings.sqlite'}"})
    for client in make_client(broken, as_admin=False):
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "db": "ok", "store": "error"}


def test_other_routes_answer_503_when_the_database_is_down(settings: Settings) -> None:
    broken = settings.model_copy(update={"db_url": UNREACHABLE_DB})
    for client in make_client(broken, as_admin=False):
        api = client.get("/api/flags")
        assert api.status_code == 503
        assert "unavailable" in api.json()["detail"]
        page = client.get("/")
        assert page.status_code == 503
        assert "暂时无法使用" in page.text
