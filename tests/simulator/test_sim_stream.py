"""Streaming: chunks of units give the same community as generating it all at once, with flat
memory, and the files written chunk by chunk are byte-identical."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
from conftest import MANY_FAULTS
from sim_helpers import START, read_csv
from typer.testing import CliRunner

from simulator import generate_community, iter_chunks, write_chunks, write_community
from simulator.cli import app
from simulator.generate import block_units

FILES = ("readings.csv", "lights.csv", "register.csv", "truth.csv", "meta.json")
ARGS = {"units": 300, "days": 4, "seed": 7, "start": START, "faults": MANY_FAULTS}


def test_chunks_are_consecutive_blocks_equal_to_the_whole() -> None:
    whole = generate_community(**ARGS)
    for chunk_units in (None, 300):
        chunks = list(iter_chunks(**ARGS, chunk_units=chunk_units))
        assert [c.first for c in chunks] == list(
            range(0, 300, chunk_units or block_units(whole.timeline))
        )
        assert [u for c in chunks for u in c.units] == whole.units
        for name in ("register_centi_kwh", "reported", "duplicated", "lights_on"):
            joined = np.concatenate([getattr(c, name) for c in chunks])
            assert np.array_equal(joined, getattr(whole, name)), name
        rows = [c.reading_arrays() for c in chunks]
        unit = np.concatenate([r[0] + c.first for r, c in zip(rows, chunks, strict=True)])
        ts = np.concatenate([r[1] for r in rows])
        kwh = np.concatenate([r[2] for r in rows])
        w_unit, w_ts, w_kwh = whole.reading_arrays()
        a = np.lexsort((kwh, ts, unit))
        b = np.lexsort((w_kwh, w_ts, w_unit))
        assert np.array_equal(unit[a], w_unit[b]) and np.array_equal(ts[a], w_ts[b])
        assert np.array_equal(kwh[a], w_kwh[b])
    assert len(list(iter_chunks(**ARGS))) == 2  # 256-unit blocks for a 4-day window


def test_streamed_files_are_byte_identical(tmp_path: Path) -> None:
    write_community(generate_community(**ARGS), tmp_path / "whole")
    write_chunks(iter_chunks(**ARGS), tmp_path / "streamed")
    for name in FILES:
        whole = (tmp_path / "whole" / name).read_bytes()
        assert whole == (tmp_path / "streamed" / name).read_bytes(), name
    # Live-feed order: tick by tick across all chunks, not chunk after chunk.
    rows = read_csv(tmp_path / "whole" / "readings.csv")
    first_units = [r["unit_id"] for r in rows[:350]]
    assert len(set(first_units)) == 300


def _peak_mb(units: int) -> float:
    tracemalloc.start()
    for chunk in iter_chunks(units, 4, seed=3, start=START):
        chunk.reading_arrays()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def test_memory_stays_flat_as_the_community_grows() -> None:
    small, large = _peak_mb(256), _peak_mb(768)
    assert large < 1.3 * small + 5, (small, large)


def test_cli_generate_streams_the_same_files(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cli"
    run = runner.invoke(
        app,
        ["generate", "--units", "120", "--days", "2", "--seed", "9", "--out", str(out),
         "--start", "2026-03-02", "--fault-rate", "stuck=0.1"],
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    assert "stuck 12" in run.output
    rates = {"gap": 0.03, "stuck": 0.1, "reset": 0.01, "duplicate": 0.02, "clock_skew": 0.02}
    ref = generate_community(120, 2, seed=9, start=START, faults={**rates, "offline": 0.02})
    write_community(ref, tmp_path / "ref")
    for name in FILES:
        assert (out / name).read_bytes() == (tmp_path / "ref" / name).read_bytes(), name
    quiet = tmp_path / "quiet"
    run = runner.invoke(
        app, ["generate", "--units", "50", "--days", "1", "--out", str(quiet), "--no-faults"]
    )
    assert run.exit_code == 0, run.output
    truth = read_csv(quiet / "truth.csv")
    assert all(t["faults"] == "" and t["meter_ok"] == "1" for t in truth)
    bad = runner.invoke(
        app, ["generate", "--units", "5", "--out", str(quiet), "--fault-rate", "lightning=0.1"]
    )
    assert bad.exit_code == 2 and "gap=0.05" in bad.output
