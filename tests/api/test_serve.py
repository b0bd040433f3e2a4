"""``occupancy serve`` starts uvicorn on the settings' address unless told otherwise."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from typer.testing import CliRunner

from occupancy.cli import app as cli
from occupancy.cli.serve import serve_app
from occupancy.config import Settings, get_settings


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
