"""``occupancy serve`` starts uvicorn on the settings' address unless told otherwise, and
runs detection on a schedule unless ``--no-schedule`` or ``OCCUPANCY_SCHEDULE=false``."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from occupancy.cli import app as cli
from occupancy.cli.serve import serve_app
from occupancy.config import Settings, get_settings
from occupancy.detection.schedule import DetectionScheduler


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def fake_run(app: Any, **kwargs: Any) -> None:
        calls.append({"app": app, **kwargs})

    monkeypatch.setattr(uvicorn, "run", fake_run)
    return calls


def test_serve_app_defaults_to_settings(
    settings: Settings, uvicorn_calls: list[dict[str, Any]]
) -> None:
    serve_app(settings)
    (call,) = uvicorn_calls
    assert isinstance(call["app"], FastAPI)
    assert (call["host"], call["port"]) == ("127.0.0.1", 8000)


def test_cli_options_override(
    settings: Settings, uvicorn_calls: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("occupancy.config.get_settings", lambda: settings)
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "8123"])
    assert result.exit_code == 0, result.output
    (call,) = uvicorn_calls
    assert (call["host"], call["port"]) == ("0.0.0.0", 8123)
    assert call["app"].state.settings is settings


def test_create_app_without_settings_uses_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, uvicorn_calls: list[dict[str, Any]]
) -> None:
    monkeypatch.setenv("OCCUPANCY_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("OCCUPANCY_PORT", "8765")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["serve"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert uvicorn_calls[0]["port"] == 8765


def started_scheduler(app: Any) -> Any:
    """Run the app's lifespan and return the scheduler it started (None when off)."""
    with TestClient(app):
        scheduler = app.state.scheduler
        assert scheduler is None or scheduler.running
    assert scheduler is None or not scheduler.running  # the lifespan stops it
    return scheduler


def test_serve_schedules_detection_by_default(
    settings: Settings, uvicorn_calls: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("occupancy.config.get_settings", lambda: settings)
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 0, result.output
    scheduler = started_scheduler(uvicorn_calls[0]["app"])
    assert isinstance(scheduler, DetectionScheduler)
    assert scheduler.welfare_every == timedelta(minutes=60)
    assert scheduler.nightly_at == time(2, 30)


@pytest.mark.parametrize(
    ("args", "setting"), [(["serve", "--no-schedule"], True), (["serve"], False)]
)
def test_no_schedule_option_and_setting(
    settings: Settings,
    uvicorn_calls: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    setting: bool,
) -> None:
    configured = settings.model_copy(update={"schedule": setting})
    monkeypatch.setattr("occupancy.config.get_settings", lambda: configured)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert started_scheduler(uvicorn_calls[0]["app"]) is None


def test_schedule_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCCUPANCY_SCHEDULE", "false")
    monkeypatch.setenv("OCCUPANCY_WELFARE_INTERVAL_MINUTES", "15")
    monkeypatch.setenv("OCCUPANCY_NIGHTLY_AT", "3:05")
    configured = Settings(_env_file=None)
    assert (configured.schedule, configured.welfare_interval_minutes) == (False, 15)
    assert configured.nightly_time == time(3, 5)
    monkeypatch.setenv("OCCUPANCY_NIGHTLY_AT", "25:00")
    with pytest.raises(ValueError, match="use HH:MM"):
        Settings(_env_file=None)
