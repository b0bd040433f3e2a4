"""The stores every conformance test runs against. A new backend adds one factory here
(skipping itself when its server is not configured) and passes the same suite.

InfluxDB 1.x runs for real: one private ``influxd`` per test session (``InfluxServer``), a
fresh database per test. InfluxDB 2.x/3.x runs when ``OCCUPANCY_TEST_INFLUX2_URL``,
``OCCUPANCY_TEST_INFLUX2_TOKEN`` and ``OCCUPANCY_TEST_INFLUX2_ORG`` name a server (an
all-access token: each test creates and deletes its own buckets).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from occupancy.config import Settings
from occupancy.store import ReadingStore, open_store
from occupancy.store.embedded import EmbeddedStore
from occupancy.store.influxd import InfluxServer, find_influxd

StoreFactory = Callable[[pytest.FixtureRequest, Path], ReadingStore]

#: The conformance data is dated 2026-03-01; InfluxDB drops points older than a retention
#: policy, so test stores keep raw readings for ten years.
TEST_RETENTION_DAYS = 3650

INFLUX2_ENV = (
    "OCCUPANCY_TEST_INFLUX2_URL",
    "OCCUPANCY_TEST_INFLUX2_TOKEN",
    "OCCUPANCY_TEST_INFLUX2_ORG",
)


@pytest.fixture(scope="session")
def influx_server() -> Iterator[InfluxServer]:
    """A private influxd on free loopback ports, data in a temp dir, for the whole session.

    Fails rather than skips without the binary: CI installs it (apt-get install influxdb).
    """
    assert find_influxd(), "influxd is not installed (apt-get install influxdb)"
    server = InfluxServer().start()
    try:
        yield server
    finally:
        server.close()


def unique_name(prefix: str = "test") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def influx_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"raw_retention_days": TEST_RETENTION_DAYS, **overrides}
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def embedded(request: pytest.FixtureRequest, tmp_path: Path) -> ReadingStore:
    return EmbeddedStore(tmp_path / "readings.sqlite")


def influxdb(request: pytest.FixtureRequest, tmp_path: Path) -> ReadingStore:
    """A fresh database on the session's influxd, dropped after the test."""
    server: InfluxServer = request.getfixturevalue("influx_server")
    database = unique_name()
    store = open_store(server.url_for(database), influx_settings())
    request.addfinalizer(lambda: drop_database(server, database))
    return store


def drop_database(server: InfluxServer, database: str) -> None:
    """Keep the session's server small: every test leaves its database behind otherwise."""
    if server.running:
        server.influxql(f'DROP DATABASE "{database}"')


def influx2_configured() -> str | None:
    """Why the 2.x tests cannot run, or None when they can."""
    missing = [name for name in INFLUX2_ENV if not os.environ.get(name)]
    if missing:
        return f"no InfluxDB 2.x/3.x server configured: set {', '.join(missing)}"
    return None


def influxdb2(request: pytest.FixtureRequest, tmp_path: Path) -> ReadingStore:
    """Fresh buckets per test on the configured 2.x server, deleted after the test."""
    reason = influx2_configured()
    if reason:
        pytest.skip(reason)
    bucket = unique_name()
    settings = influx_settings(
        influx_org=os.environ["OCCUPANCY_TEST_INFLUX2_ORG"],
        influx_token=os.environ["OCCUPANCY_TEST_INFLUX2_TOKEN"],
        influx_bucket=bucket,
    )
    store = open_store(os.environ["OCCUPANCY_TEST_INFLUX2_URL"], settings)

    def delete_buckets() -> None:
        from influxdb_client import InfluxDBClient

        url = os.environ["OCCUPANCY_TEST_INFLUX2_URL"].replace("influxdb2s://", "https://")
        url = url.replace("influxdb2://", "http://")
        with InfluxDBClient(url=url, token=settings.influx_token, org=settings.influx_org) as c:
            api = c.buckets_api()
            for name in (bucket, bucket + "_rollups"):
                found = api.find_bucket_by_name(name)
                if found is not None:
                    api.delete_bucket(found)

    request.addfinalizer(delete_buckets)
    return store


STORE_FACTORIES = [
    pytest.param(embedded, id="embedded"),
    pytest.param(influxdb, id="influxdb"),
    pytest.param(influxdb2, id="influxdb2"),
]


@pytest.fixture(params=STORE_FACTORIES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReadingStore]:
    factory: StoreFactory = request.param
    store = factory(request, tmp_path)
    yield store
    store.close()
