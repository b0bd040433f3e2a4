"""`occupancy detect` on files, and the readings/lights file readers it uses.

Offline detection must take 1- to 60-minute readings: the same simulated community (the
simulator draws the same households at every resolution) written at 1, 15 and 60 minutes
must give nearly the same hourly window and flags.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from occupancy.cli import app
from occupancy.detection import files
from occupancy.detection.files import (
    FileFormatError,
    last_reading_time,
    read_lights,
    read_lights_csv,
    read_readings,
    read_readings_csv,
    typical_last_reading,
    window_from_files,
)
from occupancy.evaluate import evaluate, load_flags_csv, load_scores_csv, load_truth_csv
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


def test_window_at_a_block_boundary_and_careful_rows_match_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks of a few bytes, quotes, blank lines, CRLF and a BOM give the same arrays."""
    plain = (
        "unit_id,ts,kwh\n"
        "a,2026-03-01T00:00:00+08:00,100.00\n"
        "b,2026-03-01T00:00:00+08:00,5.00\n"
        "a,2026-03-01T00:15:00+08:00,100.25\n"
        "b,1772295300,5.50\n"  # Unix seconds for 2026-03-01T00:15:00+08:00
    )
    fancy = (
        "\ufeffunit_id,ts,kwh\r\n"
        '"a",2026-03-01T00:00:00+08:00,100.00\r\n'
        "\r\n"
        "b,2026-03-01T00:00:00+08:00,5.00\r\n"
        "a, 2026-03-01T00:15:00+08:00 ,100.25\r\n"
        "b,1772295300,5.50"
    )
    (tmp_path / "plain.csv").write_text(plain, encoding="utf-8")
    (tmp_path / "fancy.csv").write_text(fancy, encoding="utf-8")
    want = read_readings(tmp_path / "plain.csv")
    for size in (1 << 20, 7):
        monkeypatch.setattr(files, "BLOCK_BYTES", size)
        for name in ("plain.csv", "fancy.csv"):
            got = read_readings(tmp_path / name)
            assert got.unit.tolist() == ["a", "b", "a", "b"], (name, size)
            np.testing.assert_array_equal(got.ts, want.ts)
            np.testing.assert_array_equal(got.kwh, [100.0, 5.0, 100.25, 5.5])
    assert want.ts[3] - want.ts[1] == 900.0


def test_errors_name_the_right_line_in_any_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [f"a,2026-03-01T00:{m:02d}:00+08:00,{100 + m / 100:.2f}" for m in range(40)]
    rows[30] = "a,2026-03-01T00:30:00+08:00,lots"
    path = tmp_path / "readings.csv"
    path.write_text("unit_id,ts,kwh\n" + "\n".join(rows) + "\n", encoding="utf-8")
    for size in (1 << 20, 50):
        monkeypatch.setattr(files, "BLOCK_BYTES", size)
        with pytest.raises(FileFormatError, match="line 32, column kwh: 'lots' is not a number"):
            read_readings(path)
    rows[30] = "a,2026-03-01T00:30:00+08:00"
    path.write_text("unit_id,ts,kwh\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match="line 32: expected 3 columns"):
        read_readings(path)
    rows[30] = "a,yesterday,1"
    path.write_text("unit_id,ts,kwh\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match="line 32, column ts"):
        read_readings(path)


def test_community_column_and_lights_words(tmp_path: Path) -> None:
    readings = tmp_path / "readings.csv"
    readings.write_text(
        "unit_id,ts,kwh,community\n"
        "a,2026-03-01T00:00:00+08:00,1.00,\n"
        "a,2026-03-01T00:30:00+08:00,1.50,north\n",
        encoding="utf-8",
    )
    assert read_readings(readings).communities == {"a": "north"}
    assert read_readings_csv(readings)[0].community == "north"
    lights = tmp_path / "lights.csv"
    lights.write_text("unit_id,ts,on\na,1772294400,on\na,1772294400,No\n", encoding="utf-8")
    assert read_lights(lights).on.tolist() == [1.0, 0.0]
    start = datetime(2026, 3, 1, tzinfo=SHANGHAI)
    window = window_from_files(readings, lights, start, 1, communities={"a": "south", "z": "s"})
    assert window.unit_ids == ["a", "z"] and window.communities == ["north", "s"]
    assert window.energy_kwh[0, 0] == pytest.approx(1.0)  # 0.5 kWh in half an hour
    assert np.isnan(window.energy_kwh[1]).all()  # z: registered, no readings


@pytest.fixture(scope="module")
def resolutions(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """One community written at 1, 15 and 60 minutes (same households, same truth)."""
    out: dict[int, Path] = {}
    for minutes in (1, 15, 60):
        path = tmp_path_factory.mktemp(f"every{minutes}")
        community = generate_community(60, 3, 4711, interval_minutes=minutes, community="res")
        write_community(community, path)
        out[minutes] = path
    return out


def test_hourly_window_is_the_same_at_1_15_and_60_minutes(resolutions: dict[int, Path]) -> None:
    meta_start = {}
    windows = {}
    for minutes, path in resolutions.items():
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        meta_start[minutes] = datetime.fromisoformat(meta["start"])
        windows[minutes] = window_from_files(
            path / "readings.csv", path / "lights.csv", meta_start[minutes], meta["days"]
        )
    base = windows[15]
    for minutes in (1, 60):
        w = windows[minutes]
        assert w.unit_ids == base.unit_ids
        both = np.isfinite(w.energy_kwh) & np.isfinite(base.energy_kwh)
        assert both.sum() > 0.9 * np.isfinite(base.energy_kwh).sum()
        # Registers carry 0.01 kWh, so an hour may differ by a rounding step or two; hours
        # at a gap's edge or of a skewed clock are scaled up from partial coverage, which
        # depends on the interval, so a few differ more.
        diff = np.abs(w.energy_kwh[both] - base.energy_kwh[both])
        assert np.quantile(diff, 0.99) <= 0.021, minutes
        total = base.energy_kwh[both].sum()
        assert abs(w.energy_kwh[both].sum() - total) <= 0.01 * total, minutes


def test_detect_gives_comparable_flags_at_1_15_and_60_minutes(
    resolutions: dict[int, Path], tmp_path: Path
) -> None:
    flagged: dict[int, set[tuple[str, str]]] = {}
    for minutes, path in resolutions.items():
        out = tmp_path / f"flags{minutes}.csv"
        scores = tmp_path / f"scores{minutes}.csv"
        result = CliRunner().invoke(
            app,
            [
                "detect",
                "--readings",
                str(path / "readings.csv"),
                "--register",
                str(path / "register.csv"),
                "--lights",
                str(path / "lights.csv"),
                "--out",
                str(out),
                "--scores",
                str(scores),
                "--days",
                "3",
            ],
        )
        assert result.exit_code == 0, result.output
        flagged[minutes] = set(load_flags_csv(out))
        p = load_scores_csv(scores)
        assert len(p) >= 60 and any(v == v for v in p.values())
        report = evaluate(flagged[minutes], load_truth_csv(path / "truth.csv"))
        assert report["unregistered_activity"].tp > 0, minutes
    for minutes in (1, 60):
        differ = flagged[minutes] ^ flagged[15]
        assert len(differ) <= 3, (minutes, sorted(differ))


def test_default_window_end_ignores_one_fast_clock(tmp_path: Path) -> None:
    """One meter 5 minutes fast must not push the default window a day past the data."""
    path = tmp_path / "readings.csv"
    path.write_text(
        "unit_id,ts,kwh\n"
        "a,2026-03-01T23:45:00+08:00,1.0\n"
        "a,2026-03-02T00:00:00+08:00,1.1\n"
        "b,2026-03-02T00:00:00+08:00,2.0\n"
        "c,2026-03-02T00:05:00+08:00,3.0\n",  # fast clock
        encoding="utf-8",
    )
    data = read_readings(path)
    midnight = datetime(2026, 3, 2, tzinfo=SHANGHAI).timestamp()
    assert typical_last_reading(data) == midnight
    assert last_reading_time(data) == midnight + 300
