"""``/healthz`` says which backend is down, so an operator knows where to look."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from occupancy.api.errors import install_error_handlers
from occupancy.config import Settings
from occupancy.db.session import get_engine

from ..conftest import make_client
from ..seed import Seeded

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


#: Free text a resident's details might be in: it must not reach the service log.
NOTE = "王秀英 moved to her son's flat, phone 13800000000"


def test_503_log_leaves_out_the_sql_parameters(
    client: TestClient, settings: Settings, seeded: Seeded, caplog: pytest.LogCaptureFixture
) -> None:
    engine = get_engine(settings.resolved_db_url)

    def locked(conn, cursor, statement, params, context, executemany) -> None:  # noqa: ANN001
        if statement.startswith("UPDATE flags"):  # as a lock timeout on this statement would
            raise sqlite3.OperationalError("database is locked")

    event.listen(engine, "before_cursor_execute", locked)
    try:
        with caplog.at_level(logging.INFO):
            response = client.post(
                f"/api/flags/{seeded.flag_ids['urgent']}/dismiss", json={"reason": NOTE}
            )
    finally:
        event.remove(engine, "before_cursor_execute", locked)
    assert response.status_code == 503
    assert "database is locked" in caplog.text
    assert "13800000000" not in caplog.text and "王秀英" not in caplog.text


def test_503_handler_logs_the_error_but_not_its_statement_or_parameters(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Even an error from an engine made elsewhere (without ``hide_parameters``)."""
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/api/boom")
    def boom() -> None:
        raise OperationalError(
            "UPDATE flags SET dismiss_reason=? WHERE flags.id = ?",
            (NOTE, 1),
            sqlite3.OperationalError("database is locked"),
        )

    with caplog.at_level(logging.INFO), TestClient(app) as client:
        assert client.get("/api/boom").status_code == 503
    assert "OperationalError" in caplog.text and "database is locked" in caplog.text
    assert "13800000000" not in caplog.text and "dismiss_reason" not in caplog.text
