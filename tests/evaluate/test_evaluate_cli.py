"""`occupancy evaluate`: flags files with scores, and a simulator directory side by side."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from occupancy.cli import app
from simulator import generate_community, write_community

TRUTH = """unit_id,archetype,occupied,registered,meter_ok,vulnerable,silent_hours,faults
u1,unregistered_occupants,1,0,1,0,0.0,
u2,vacant_standby,0,0,1,0,168.0,
r1,elderly_silent,0,1,1,1,40.0,
f1,registered_family,1,1,1,0,0.0,
"""
FLAGS = """unit_id,kind,urgent
u1,unregistered_activity,1
r1,registered_silent,1
"""
SCORES = """unit_id,probability
u1,0.8
u2,0.2
r1,0.1
f1,
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, text in (("truth", TRUTH), ("flags", FLAGS), ("scores", SCORES)):
        out[name] = tmp_path / f"{name}.csv"
        out[name].write_text(text, encoding="utf-8")
    return out


def test_flags_scores_and_days_table(files: dict[str, Path]) -> None:
    args = ["evaluate", "--flags", str(files["flags"]), "--truth", str(files["truth"])]
    result = CliRunner().invoke(app, [*args, "--scores", str(files["scores"]), "--days", "7"])
    assert result.exit_code == 0, result.output
    for title in ("ROC AUC", "Per archetype", "Urgent welfare flags", "Reliability"):
        assert title in result.output
    # u1's urgent flag is false: 1 of 4 x 7 unit-days = 35.71 per 1,000.
    assert "35.71" in result.output


def test_flags_json(files: dict[str, Path]) -> None:
    args = ["evaluate", "--flags", str(files["flags"]), "--truth", str(files["truth"])]
    result = CliRunner().invoke(app, [*args, "--scores", str(files["scores"]), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["urgent"]["caught"] == 1 and data["urgent"]["false_urgent"] == 1
    assert data["urgent"]["false_per_1000_unit_days"] is None  # no --days
    assert data["kinds"]["unregistered_activity"]["roc_auc"] == 1.0
    assert data["calibration"]["units"] == 3  # f1 unscored


def test_usage_errors_say_what_to_give(files: dict[str, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["evaluate", "--truth", str(files["truth"])])
    assert result.exit_code == 2
    assert "--flags FILE and --truth FILE, or --data DIR" in _flat(result.output)
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["evaluate", "--data", str(empty)])
    assert result.exit_code == 2
    assert "lacks readings.csv, register.csv, truth.csv, meta.json" in _flat(result.output)
    bad = tmp_path / "bad.csv"
    bad.write_text("unit_id,probability\nu1,high\n", encoding="utf-8")
    args = ["evaluate", "--flags", str(files["flags"]), "--truth", str(files["truth"])]
    result = runner.invoke(app, [*args, "--scores", str(bad)])
    assert result.exit_code == 2 and "probability must be a number" in _flat(result.output)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("evaldata")
    write_community(generate_community(120, 7, 9091, community="eval"), out)
    return out


def test_data_directory_compares_detector_and_reference_rules(simulated: Path) -> None:
    result = CliRunner().invoke(app, ["evaluate", "--data", str(simulated)])
    assert result.exit_code == 0, result.output
    for text in ("detector", "daily energy", "NIOM", "Per archetype", "Urgent", "Reliability"):
        assert text in result.output, text
    assert "kWh/day" in result.output  # the tuned threshold is stated


def test_data_directory_json(simulated: Path) -> None:
    result = CliRunner().invoke(app, ["evaluate", "--data", str(simulated), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data["methods"]) == ["detector", "daily_energy", "niom"]
    assert data["rules"]["daily_energy"]["threshold_"] > 0
    assert 0 <= data["rules"]["niom"]["threshold_"] <= 1
    for report in data["methods"].values():
        assert report["units"] == 120 and report["days"] == 7
        assert report["calibration"]["units"] > 100
        assert report["kinds"]["registered_silent"]["roc_auc"] is not None
        assert set(report["archetypes"]) >= {"registered_family", "unregistered_occupants"}


def _flat(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())
