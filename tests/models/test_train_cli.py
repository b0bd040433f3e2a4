"""``occupancy train`` end to end on small simulator output directories (files only)."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from occupancy.cli import app
from occupancy.models import load_model

simulator = pytest.importorskip("simulator")
pytest.importorskip("occupancy.detection.files")

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def sim_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("sim")
    out = {}
    for seed, month, interval in ((11, 1, 15), (12, 7, 60), (13, 10, 30)):
        community = simulator.generate_community(
            150, 7, seed, start=datetime(2025, month, 6, tzinfo=TZ), interval_minutes=interval
        )
        simulator.write_community(community, root / str(seed))
        out[seed] = root / str(seed)
    return out


def test_train_writes_a_loadable_model_with_metadata_and_holdout_metrics(sim_dirs, tmp_path):
    model_path = tmp_path / "m.skops"
    args = ["train", "--data", str(sim_dirs[11]), "--data", str(sim_dirs[12])]
    args += ["--holdout", str(sim_dirs[13]), "--out", str(model_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "unregistered_activity" in result.output

    model, meta = load_model(model_path)
    assert meta["training_seeds"] == [11, 12]
    assert meta["window_days"] == 7
    assert meta["metrics"]["cross_validation"]["roc_auc"] > 0.95
    holdout = meta["metrics"]["holdout"]["13"]
    assert holdout["seed"] == 13
    assert holdout["kinds"]["unregistered_activity"]["recall"] >= 0.9
    assert json.loads(model_path.with_suffix(".json").read_text())["sha256"] == meta["sha256"]


def test_train_reports_a_directory_that_is_not_simulator_output(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(app, ["train", "--data", str(empty), "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "readings.csv" in result.output
