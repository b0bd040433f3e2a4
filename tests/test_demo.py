"""`occupancy demo --no-serve` end to end, through each embedded broker: Mosquitto (what
this machine has) and amqtt (what a machine without Mosquitto falls back to)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from occupancy.api.main import create_app
from occupancy.cli import app
from occupancy.config import Settings
from tests.accounts import login


@pytest.mark.parametrize("broker", ["mosquitto", "amqtt"])
def test_demo_prints_summary_with_precision_and_recall(broker: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "demo",
            "--no-serve",
            "--units",
            "40",
            "--days",
            "7",
            "--seed",
            "4242",
            "--broker",
            broker,
            "--workdir",
            str(tmp_path / "demo"),
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert f"embedded {broker}" in result.output
    assert "demo summary" in result.output
    row = re.search(
        r"unregistered_activity\s*│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\d+)\s*│\s*([\d.]+)\s*│\s*([\d.]+)",
        result.output,
    )
    assert row, result.output
    tp, _fp, _fn, precision, recall = row.groups()
    assert int(tp) > 0 and float(precision) >= 0.9 and float(recall) >= 0.9
    assert (tmp_path / "demo" / "occupancy.db").is_file()
    # The printed accounts sign in, and the worker's list holds the flags put on it.
    accounts = (tmp_path / "demo" / "accounts.txt").read_text("utf-8").splitlines()
    assert (tmp_path / "demo" / "accounts.txt").stat().st_mode & 0o077 == 0
    passwords = {line.split("\t")[0]: line.split("\t")[1] for line in accounts}
    assert set(passwords) == {"admin", "secretary", "worker"}
    assert passwords["worker"] in result.output
    settings = Settings(
        _env_file=None,
        var_dir=tmp_path / "demo",
        db_url=f"sqlite:///{tmp_path / 'demo' / 'occupancy.db'}",
        store_url=f"sqlite:///{tmp_path / 'demo' / 'readings.sqlite'}",
    )
    with TestClient(create_app(settings)) as client:
        login(client, "worker", passwords["worker"])
        listed = client.get("/api/worklist").json()
    assert listed["worker"] == "worker" and listed["to_visit"] >= 1, listed


def test_demo_refuses_to_delete_a_directory_it_did_not_make(tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work", encoding="utf-8")
    result = CliRunner().invoke(app, ["demo", "--no-serve", "--workdir", str(precious)])
    assert result.exit_code == 1
    assert "not made by the demo" in result.output
    assert (precious / "thesis.txt").read_text(encoding="utf-8") == "years of work"
