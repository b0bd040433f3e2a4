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


def test_seed_mistakes_are_refused_before_any_fitting(sim_dirs, tmp_path):
    """A holdout from a training seed, or one seed twice in training (the same households at
    another interval would sit on both sides of every fold), stops before the fit."""
    out = tmp_path / "m.skops"
    twice = tmp_path / "11-again"
    twice.mkdir()
    for name in ("readings.csv", "lights.csv", "truth.csv", "meta.json", "register.csv"):
        (twice / name).write_bytes((sim_dirs[11] / name).read_bytes())
    for args, says in (
        (["--data", str(sim_dirs[11]), "--holdout", str(sim_dirs[11])], "uses training seed 11"),
        (["--data", str(sim_dirs[11]), "--data", str(twice)], "share seed(s) [11]"),
    ):
        result = CliRunner().invoke(app, ["train", *args, "--out", str(out)])
        assert result.exit_code == 2, result.output
        assert says in " ".join(result.output.split())
        assert "out-of-fold" not in result.output  # refused before fitting
        assert not out.exists()


def test_holdouts_with_the_same_directory_name_keep_both_results(sim_dirs, tmp_path):
    a, b = tmp_path / "a" / "sim", tmp_path / "b" / "sim"
    for dest, seed in ((a, 12), (b, 13)):
        dest.mkdir(parents=True)
        for name in ("readings.csv", "lights.csv", "truth.csv", "meta.json", "register.csv"):
            (dest / name).write_bytes((sim_dirs[seed] / name).read_bytes())
    out = tmp_path / "m.skops"
    args = ["train", "--data", str(sim_dirs[11]), "--holdout", str(a), "--holdout", str(b)]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    _, meta = load_model(out)
    assert sorted(h["seed"] for h in meta["metrics"]["holdout"].values()) == [12, 13]
