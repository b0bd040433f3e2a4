"""The stores every conformance test runs against. A new backend adds one factory here
(skipping itself when its server is not configured) and passes the same suite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from occupancy.store import ReadingStore
from occupancy.store.embedded import EmbeddedStore

StoreFactory = Callable[[Path], ReadingStore]


def embedded(tmp_path: Path) -> ReadingStore:
    return EmbeddedStore(tmp_path / "readings.sqlite")


STORE_FACTORIES = [
    pytest.param(embedded, id="embedded"),
    # pytest.param(influxdb, id="influxdb", marks=needs_influxdb), when it lands
]


@pytest.fixture(params=STORE_FACTORIES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReadingStore]:
    factory: StoreFactory = request.param
    store = factory(tmp_path)
    yield store
    store.close()
