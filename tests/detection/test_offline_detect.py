"""`occupancy detect` on files, and the readings/lights file readers it uses."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from occupancy.cli import app
from occupancy.detection.files import (
    FileFormatError,
    read_lights_csv,
    read_readings_csv,
    window_from_files,
)
from occupancy.evaluate import evaluate, load_flags_csv, load_truth_csv
from simulator import generate_community, write_community

SHANGHAI = datetime.fromisoformat("2026-03-01T00:00:00+08:00").tzinfo


@pytest.fixture(scope="module")
def community(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("offline")
    write_community(generate_community(60, 7, 777, community="files"), out)
    return out


def test_detect_from_files_then_evaluate(community: Path, tmp_path: Path) -> None:
    out = tmp_path / "flags.csv"
    result = CliRunner().invoke(
        app,
        [
            "detect",
            "--readings",
            str(community / "readings.csv"),
            "--register",
            str(community / "register.csv"),
            "--lights",
            str(community / "lights.csv"),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    report = evaluate(load_flags_csv(out), load_truth_csv(community / "truth.csv"))
    unregistered = report["unregistered_activity"]
    assert unregistered.tp > 0
    assert unregistered.precision >= 0.9 and unregistered.recall >= 0.9
    assert report["meter_offline"].recall in (None, 1.0)


def test_evaluate_command_prints_metrics(community: Path, tmp_path: Path) -> None:
    out = tmp_path / "flags.csv"
    runner = CliRunner()
    runner.invoke(
        app,
        [
            "detect",
            "--readings",
            str(community / "readings.csv"),
            "--register",
            str(community / "register.csv"),
            "--out",
            str(out),
        ],
    )
    result = runner.invoke(
        app, ["evaluate", "--flags", str(out), "--truth", str(community / "truth.csv")]
    )
    assert result.exit_code == 0, result.output
    assert "unregistered_activity" in result.output and "recall" in result.output


def test_offline_detect_needs_register_and_out(community: Path) -> None:
    result = CliRunner().invoke(app, ["detect", "--readings", str(community / "readings.csv")])
    assert result.exit_code == 1
    assert "--register" in result.output


def test_window_from_files_matches_hand_computed_energy(tmp_path: Path) -> None:
    readings = tmp_path / "readings.csv"
    readings.write_text(
        "unit_id,ts,kwh\n"
        "a,2026-03-01T00:00:00+08:00,100.00\n"
        "a,2026-03-01T00:30:00+08:00,100.50\n"
        "a,2026-03-01T01:00:00+08:00,101.50\n"
        "a,2026-03-01T01:00:00+08:00,101.50\n"  # duplicate: counted once
        "a,2026-03-01T01:30:00+08:00,90.00\n",  # counter reset: no energy
        encoding="utf-8",
    )
    lights = tmp_path / "lights.csv"
    lights.write_text("unit_id,ts,on\na,2026-03-01T00:10:00+08:00,1\n", encoding="utf-8")
    start = datetime(2026, 3, 1, tzinfo=SHANGHAI)
    window = window_from_files(readings, lights, start, 1, communities={"a": "c"})
    assert window.unit_ids == ["a"] and window.communities == ["c"]
    assert window.energy_kwh[0, 0] == pytest.approx(1.5)
    assert window.coverage[0, 1] == 0.0  # the reset interval is unmeasured
    assert window.lights_on[0, 0] == 1.0
    assert window.start + timedelta(hours=24) == window.end


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("unit_id,ts\na,2026-03-01T00:00:00+08:00\n", "missing column(s) kwh"),
        ("unit_id,ts,kwh\na,2026-03-01T00:00:00,1\n", "line 2, column ts"),
        ("unit_id,ts,kwh\na,2026-03-01T00:00:00+08:00,abc\n", "line 2, column kwh"),
        ("unit_id,ts,kwh\na,2026-03-01T00:00:00+08:00,nan\n", "line 2, column kwh"),
        ("unit_id,ts,kwh\na,2026-03-01T00:00:00+08:00,-1\n", "line 2, column kwh"),
        ("unit_id,ts,kwh\na,2026-03-01T00:00:00+08:00,inf\n", "line 2, column kwh"),
    ],
)
def test_bad_readings_file_names_line_and_column(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "readings.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FileFormatError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        read_readings_csv(path)


def test_bad_lights_value(tmp_path: Path) -> None:
    path = tmp_path / "lights.csv"
    path.write_text("unit_id,ts,on\na,2026-03-01T00:00:00+08:00,maybe\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match="line 2, column on"):
        read_lights_csv(path)


def test_registered_unit_without_any_readings_is_flagged_offline(
    community: Path, tmp_path: Path
) -> None:
    register = tmp_path / "register.csv"
    text = (community / "register.csv").read_text(encoding="utf-8")
    register.write_text(text + "NO-READINGS-1,files,G01,B99,1,01,01,2,0\n", encoding="utf-8")
    out = tmp_path / "flags.csv"
    result = CliRunner().invoke(
        app,
        [
            "detect",
            "--readings",
            str(community / "readings.csv"),
            "--register",
            str(register),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert ("NO-READINGS-1", "meter_offline") in load_flags_csv(out)
