"""Fixtures for the night-count tests: sheet files written as a spreadsheet would, real
stores (embedded SQLite, and InfluxDB 1.x on the store tests' private ``influxd``) and real
databases for the record (SQLite, and the local PostgreSQL the register tests use)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from occupancy.lights import LightsObservation
from occupancy.store import ReadingStore
from tests.pg import emptied_database
from tests.register.conftest import postgres_url  # noqa: F401 (fixture)
from tests.store.conftest import embedded, influx_server, influxdb  # noqa: F401 (fixture)


@pytest.fixture
def write_sheet(tmp_path: Path) -> Callable[..., Path]:
    """Write CSV text to a file, as a spreadsheet would (choose encoding, optional BOM)."""

    def write(text: str, encoding: str = "utf-8", name: str = "survey.csv") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write


@pytest.fixture(
    params=[pytest.param(embedded, id="embedded"), pytest.param(influxdb, id="influxdb")]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReadingStore]:
    """Each real backend the evidence must reach the detector through."""
    store = request.param(request, tmp_path)
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty record of each database dialect the project supports."""
    with emptied_database(request, tmp_path, LightsObservation) as url:
        yield url
