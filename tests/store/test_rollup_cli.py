"""`occupancy rollup` against a real InfluxDB 1.x and the embedded store."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from typer.testing import CliRunner

from occupancy.cli import app
from occupancy.config import get_settings
from occupancy.readings import MeterReading
from occupancy.store import open_store
from occupancy.store.influxd import InfluxServer
from tests.store.conftest import drop_database, influx_settings, unique_name

TZ = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 3, 1, tzinfo=TZ)


def run(monkeypatch: pytest.MonkeyPatch, store_url: str, *args: str):
    monkeypatch.setenv("OCCUPANCY_STORE_URL", store_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, ["rollup", *args])
    finally:
        get_settings.cache_clear()


def test_rollup_keeps_the_window_after_raw_readings_expire(
    monkeypatch: pytest.MonkeyPatch, influx_server: InfluxServer
) -> None:
    database = unique_name("rollup")
    url = influx_server.url_for(database)
    store = open_store(url, influx_settings())
    try:
        registers = [
            MeterReading("east", unit, DAY.timestamp() + k * 900.0, 100.0 + 0.05 * k)
            for unit in ("3-501", "3-502")
            for k in range(96)
        ]
        store.write(registers=registers)
        before = store.hourly_window(DAY, 24)
        result = run(monkeypatch, url, "--days", "1", "--end", "2026-03-02")
        assert result.exit_code == 0, result.output
        assert "wrote" in result.output and "2026-03-01" in result.output
        written = int(result.output.split("wrote ")[1].split()[0].replace(",", ""))
        assert written == 2 * 24
        # Raw readings expire (here: deleted); the detector's window is unchanged.
        influx_server.influxql("DELETE FROM register", database)
        after = store.hourly_window(DAY, 24)
        assert after.unit_ids == before.unit_ids == ["3-501", "3-502"]
        np.testing.assert_allclose(after.energy_kwh, before.energy_kwh)
        # 0.2 kWh an hour; the last hour (three quarters measured) is scaled to the full hour.
        assert np.nansum(after.energy_kwh) == pytest.approx(2 * 24 * 0.2)
        # The day before had nothing: rolling it up writes nothing and fails nothing.
        empty = run(
            monkeypatch, url, "--days", "1", "--end", (DAY - timedelta(days=1)).date().isoformat()
        )
        assert empty.exit_code == 0 and "wrote 0 " in empty.output
    finally:
        store.close()
        drop_database(influx_server, database)


def test_the_embedded_store_needs_no_rollups(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result = run(monkeypatch, f"sqlite:///{tmp_path / 'r.sqlite'}")
    assert result.exit_code == 0, result.output
    assert "nothing to do" in result.output


def test_an_unreachable_store_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from occupancy.broker import free_port

    result = run(monkeypatch, f"influxdb://127.0.0.1:{free_port()}/x")
    assert result.exit_code == 1
    assert "error" in result.output.lower() and "127.0.0.1" in result.output
