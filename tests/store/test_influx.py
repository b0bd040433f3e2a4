"""What only the InfluxDB stores do: retention policies, rollups, escaping, URLs, and how
they behave when the server goes away and comes back. Against a real influxd, no mocks."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from occupancy.readings import IntervalEnergy, LightReading, MeterReading
from occupancy.store import StoreError, open_store
from occupancy.store import influx_schema as schema
from occupancy.store.embedded import EmbeddedStore
from occupancy.store.influx import (
    LINES_PER_REQUEST,
    UNITS_PER_QUERY,
    InfluxQLStore,
    parse_url,
)
from occupancy.store.influx1 import Influx1Store
from occupancy.store.influxd import InfluxServer, find_influxd
from occupancy.timeseries import HourlyWindow

from .conftest import influx2_configured, influx_settings, unique_name

TZ = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 3, 1, tzinfo=TZ)
T0 = DAY.timestamp()
H = 3600.0
Q = 900.0


def at(hour: float) -> float:
    return T0 + hour * H


def count(server: InfluxServer, db: str, measurement: str, rp: str = "raw") -> int:
    doc = server.influxql(f'SELECT count(*) FROM "{rp}"."{measurement}"', db)
    series = doc["results"][0].get("series")
    return int(series[0]["values"][0][1]) if series else 0


@pytest.fixture
def db() -> str:
    return unique_name()


@pytest.fixture
def influx(influx_server: InfluxServer, db: str) -> Iterator[Influx1Store]:
    store = Influx1Store(parse_url(influx_server.url_for(db)), raw_retention_days=3650)
    yield store
    store.close()


@pytest.fixture
def private_server() -> Iterator[InfluxServer]:
    """A server of the test's own, to stop and start (0.1 s to start: cheap)."""
    server = InfluxServer().start()
    yield server
    server.close()


def community_data(
    units: int, hours: int, seed: int = 1, start: float = T0, both: bool = False
) -> tuple[list[MeterReading], list[IntervalEnergy], list[LightReading]]:
    """A small community at 15-minute resolution with gaps and lights at night: even units
    report their register, odd ones interval energy (``both``: every unit reports both,
    which no real meter does, but the stores must still agree on it)."""
    rng = np.random.default_rng(seed)
    registers: list[MeterReading] = []
    energy: list[IntervalEnergy] = []
    lights: list[LightReading] = []
    for u in range(units):
        unit, community = f"{u // 10}-{u % 10:02d}", f"c{u % 3}"
        kwh = 100.0 * u
        for k in range(hours * 4):
            ts = start + k * Q
            if rng.random() < 0.1:
                continue  # a gap
            step = round(float(rng.exponential(0.1)), 3)
            kwh = round(kwh + step, 3)
            if both or u % 2:
                energy.append(IntervalEnergy(community, unit, ts, ts + Q, step))
            if both or not u % 2:
                registers.append(MeterReading(community, unit, ts + Q, kwh))
            if k % 2 == 0:
                lights.append(LightReading(community, unit, ts + 60, bool(rng.random() < 0.4)))
    return registers, energy, lights


def assert_same_window(a: HourlyWindow, b: HourlyWindow) -> None:
    assert a.unit_ids == b.unit_ids
    assert a.communities == b.communities
    assert a.start == b.start
    np.testing.assert_array_equal(a.energy_kwh, b.energy_kwh)
    np.testing.assert_array_equal(a.coverage, b.coverage)
    np.testing.assert_array_equal(a.lights_on, b.lights_on)


# -- schema and escaping ------------------------------------------------------------------

NASTY = [
    "东区-3-501",
    "a b",
    "a,b",
    "a=b",
    "it's",
    'say "hi"',
    "back\\slash",
    "trailing\\",
    "\\ ,=",
    "100%",
    "%41",
    "tab\there",
    "new\nline",
    'x\' OR "unit" =~ /.*/ OR "unit" = \'y',
    ".*",
    "a|b",
    "slash/ed",
    "(group)[set]{1}^$+?",
]


@pytest.mark.parametrize("value", NASTY)
def test_tag_values_round_trip_through_the_stored_form(value: str) -> None:
    stored = schema.stored_tag(value)
    assert "\\" not in stored and "\n" not in stored  # nothing line protocol mangles
    assert schema.decode_tag(stored) == value


def test_line_protocol_escapes_what_it_must_and_nothing_else() -> None:
    [line] = schema.register_lines([MeterReading("东 区", "a,b=c d", T0, 1.5)])
    assert line == f"register,community=东\\ 区,unit=a\\,b\\=c\\ d kwh=1.5 {round(T0 * 1000)}"
    [line] = schema.lights_lines([LightReading("", "u", T0 + 0.001, True)])
    assert line == f"lights,unit=u on=1i {round(T0 * 1000) + 1}"  # no empty community tag


def test_a_non_finite_value_is_refused_before_it_reaches_the_server() -> None:
    with pytest.raises(StoreError, match="non-finite kwh"):
        schema.energy_lines([IntervalEnergy("c", "u", T0, T0 + Q, float("nan"))])


def test_unit_regexes_match_exactly_the_units_named() -> None:
    clause = schema.unit_regex(["a.b", "x$|.*", "a/ OR 1=1 /", "东 区"])
    assert clause == r'"unit" =~ /^(?:a\.b|x\$\|\.\*|a\/ OR 1=1 \/|东 区)$/'


def test_nasty_unit_ids_are_stored_and_selected_exactly(influx: Influx1Store) -> None:
    readings = [
        MeterReading(f"社区 {i}", unit, at(9) + i, float(i)) for i, unit in enumerate(NASTY)
    ]
    energy = [
        IntervalEnergy(r.community, r.unit_id, at(8), at(9), 1.0 + i)
        for i, r in enumerate(readings)
    ]
    influx.write(registers=readings, energy=energy)
    assert influx.last_registers() == {r.unit_id: r for r in readings}
    window = influx.hourly_window(DAY, 24)
    assert window.unit_ids == sorted(NASTY)
    # Each unit alone, including the one that tries to widen the filter.
    for i, unit in enumerate(NASTY):
        one = influx.hourly_window(DAY, 24, [unit])
        assert one.unit_ids == [unit] and one.communities == [f"社区 {i}"]
        assert one.energy_kwh[0, 8] == pytest.approx(1.0 + i)


def test_millisecond_timestamps_round_trip_exactly(influx: Influx1Store) -> None:
    reading = MeterReading("c", "u", T0 + 0.123, 7.25)
    influx.write(registers=[reading])
    assert influx.last_registers() == {"u": reading}
    late = MeterReading("c", "u", 1_800_000_000.999, 8.0)
    influx.write(registers=[late])
    assert influx.last_registers()["u"].ts == late.ts


# -- identical to the embedded store ------------------------------------------------------


def test_windows_equal_the_embedded_stores_for_the_same_data(
    influx: Influx1Store, tmp_path: Path
) -> None:
    """Same ranges, same aggregation: any window, any unit selection, bit for bit."""
    embedded = EmbeddedStore(tmp_path / "readings.sqlite")
    try:
        data = community_data(units=30, hours=72, seed=7, start=at(-5), both=True)
        for store in (embedded, influx):
            store.write(*data)
        cases: list[tuple[datetime, int, list[str] | None]] = [
            (DAY, 24, None),
            (DAY, 48, None),
            (DAY + timedelta(days=1), 24, None),
            (DAY - timedelta(days=1), 72, None),  # starts before the first reading
            (DAY, 24, ["1-05", "ghost", "0-01"]),
            (DAY + timedelta(hours=7), 5, None),  # not at midnight, not whole days
        ]
        for start, hours, units in cases:
            assert_same_window(
                influx.hourly_window(start, hours, units),
                embedded.hourly_window(start, hours, units),
            )
        assert influx.last_registers() == embedded.last_registers()
    finally:
        embedded.close()


def test_more_units_than_one_query_takes(influx: Influx1Store) -> None:
    units = [f"u{k:04d}" for k in range(UNITS_PER_QUERY * 2 + 17)]
    influx.write(energy=[IntervalEnergy("c", u, at(8), at(9), 0.5) for u in units[::2]])
    window = influx.hourly_window(DAY, 24, units)
    assert window.unit_ids == units
    assert window.energy_kwh[::2, 8] == pytest.approx([0.5] * len(units[::2]))
    assert np.isnan(window.energy_kwh[1::2]).all()


def test_a_batch_larger_than_one_request_is_written_whole(
    influx: Influx1Store, influx_server: InfluxServer, db: str
) -> None:
    n = LINES_PER_REQUEST * 2 + 5
    influx.write(registers=[MeterReading("c", f"u{k % 50}", T0 + k, float(k)) for k in range(n)])
    assert count(influx_server, db, "register") == n


# -- retention and rollups ----------------------------------------------------------------


def test_retention_policies_follow_the_settings(influx_server: InfluxServer, db: str) -> None:
    store = open_store(influx_server.url_for(db), influx_settings(raw_retention_days=30))
    try:
        assert isinstance(store, Influx1Store)
        policies = store.retention_policies()
        assert policies is not None
        assert policies["raw"].duration_seconds == 30 * 86400 and policies["raw"].default
        assert policies["rollups"].duration_seconds == 0  # infinite
        assert not policies["rollups"].default
    finally:
        store.close()
    # A changed setting changes the policy on the next open; nothing else is touched.
    store = Influx1Store(parse_url(influx_server.url_for(db)), raw_retention_days=90)
    try:
        policies = store.retention_policies()
        assert policies is not None
        assert policies["raw"].duration_seconds == 90 * 86400 and policies["raw"].default
    finally:
        store.close()


def test_readings_older_than_retention_are_dropped_without_failing_the_batch(
    influx_server: InfluxServer, db: str, caplog: pytest.LogCaptureFixture
) -> None:
    """InfluxDB refuses points beyond the retention policy; failing the write would make the
    ingester retry them forever, so the store warns and keeps the rest."""
    store = Influx1Store(parse_url(influx_server.url_for(db)), raw_retention_days=1)
    try:
        now = time.time()
        with caplog.at_level(logging.WARNING):
            store.write(
                registers=[
                    MeterReading("c", "u", now - 10 * 86400, 1.0),
                    MeterReading("c", "u", now - 60, 2.0),
                ]
            )
        assert "older than the raw retention" in caplog.text
        assert store.last_registers()["u"].kwh == 2.0
        assert count(influx_server, db, "register") == 1
    finally:
        store.close()


def test_rolled_up_hours_survive_the_raw_readings(
    influx: Influx1Store, influx_server: InfluxServer, db: str
) -> None:
    data = community_data(units=12, hours=48, seed=3)
    influx.write(*data)
    before = influx.hourly_window(DAY, 48)
    some = influx.hourly_window(DAY, 48, ["0-03", "ghost", "1-01"])
    assert np.count_nonzero(before.coverage) > 12 * 40  # the data is really there

    written = influx.rollup(DAY, DAY + timedelta(days=2))
    assert written == np.count_nonzero((before.coverage > 0) | ~np.isnan(before.lights_on))
    assert count(influx_server, db, "hourly", rp="rollups") == written

    # Raw expires (here: is deleted) part way into the second day, mid-hour on purpose.
    cut = round(at(30.5) * 1000) * 1_000_000
    for measurement in ("energy", "register", "lights"):
        influx_server.influxql(f'DELETE FROM "{measurement}" WHERE time < {cut}', db)
    partial = influx.hourly_window(DAY, 48)
    assert_same_window(partial, before)
    assert_same_window(influx.hourly_window(DAY, 48, ["0-03", "ghost", "1-01"]), some)

    # All raw gone: still the same window, from rollups alone.
    for measurement in ("energy", "register", "lights"):
        influx_server.influxql(f'DROP MEASUREMENT "{measurement}"', db)
    assert_same_window(influx.hourly_window(DAY, 48), before)
    assert influx.last_registers() == {}
    # A day's window inside the rolled-up range has the same columns as the two-day one.
    second = influx.hourly_window(DAY + timedelta(days=1), 24)
    np.testing.assert_array_equal(second.energy_kwh, before.energy_kwh[:, 24:])

    # Rolling up again after raw expired keeps what the rollup had (never less).
    influx.rollup(DAY, DAY + timedelta(days=2))
    assert_same_window(influx.hourly_window(DAY, 48), before)


def test_late_readings_win_over_an_older_rollup(influx: Influx1Store) -> None:
    influx.write(energy=[IntervalEnergy("c", "u", at(8), at(8) + Q, 0.25)])
    influx.rollup(DAY, DAY + timedelta(days=1))
    assert influx.hourly_window(DAY, 24).coverage[0, 8] == 0.25
    # The rest of the hour arrives after the rollup: raw now covers more, and is used.
    influx.write(energy=[IntervalEnergy("c", "u", at(8) + Q, at(9), 0.75)])
    window = influx.hourly_window(DAY, 24)
    assert window.coverage[0, 8] == 1.0
    assert window.energy_kwh[0, 8] == pytest.approx(1.0)


def test_rollup_needs_whole_hours(influx: Influx1Store) -> None:
    with pytest.raises(ValueError, match="whole hours"):
        influx.rollup(DAY, DAY + timedelta(minutes=90))


# -- failures and recovery ----------------------------------------------------------------


def test_a_stopped_server_is_a_store_error_saying_what_to_check(
    private_server: InfluxServer,
) -> None:
    store = Influx1Store(parse_url(private_server.url), raw_retention_days=3650)
    try:
        private_server.stop()
        reading = MeterReading("c", "u", T0, 1.0)
        hint = r"cannot reach InfluxDB 1\.x at http://127\.0\.0\.1:\d+ .*OCCUPANCY_STORE_URL"
        with pytest.raises(StoreError, match=hint):
            store.write(registers=[reading])
        with pytest.raises(StoreError, match=hint):
            store.hourly_window(DAY, 24)
        with pytest.raises(StoreError, match=hint):
            store.last_registers()
        with pytest.raises(StoreError, match=hint):
            store.ping()
        with pytest.raises(StoreError, match=hint):
            Influx1Store(parse_url(private_server.url))  # opening, too
    finally:
        store.close()


def test_the_store_recovers_when_the_server_comes_back_with_its_data(
    private_server: InfluxServer,
) -> None:
    store = Influx1Store(parse_url(private_server.url), raw_retention_days=3650)
    try:
        store.write(registers=[MeterReading("c", "u", at(9), 101.0)])
        port = private_server.http_port
        private_server.stop()
        with pytest.raises(StoreError):
            store.write(registers=[MeterReading("c", "u", at(10), 102.0)])
        private_server.start()
        assert private_server.http_port == port
        # The very first call after the restart works: no stale pooled connection.
        store.write(registers=[MeterReading("c", "u", at(10), 102.0)])
        assert store.last_registers()["u"] == MeterReading("c", "u", at(10), 102.0)
        store.write(energy=[IntervalEnergy("c", "u", at(8), at(9), 1.0)])
        # Killed hard, like a power cut: what was acknowledged is still there.
        private_server.kill()
        private_server.start()
        assert store.hourly_window(DAY, 24).energy_kwh[0, 8] == pytest.approx(1.0)
        assert store.last_registers()["u"].kwh == 102.0
    finally:
        store.close()


def test_a_closed_store_raises_store_errors(influx: Influx1Store) -> None:
    influx.close()
    with pytest.raises(StoreError, match="closed"):
        influx.write(registers=[MeterReading("c", "u", T0, 1.0)])
    with pytest.raises(StoreError, match="closed"):
        influx.hourly_window(DAY, 24)
    with pytest.raises(StoreError, match="closed"):
        influx.last_registers()


def test_a_server_that_is_not_influxdb_is_a_store_error(tmp_path: Path) -> None:
    """A wrong port in the URL (here: a static file server) must not become a traceback."""
    import http.server
    import threading

    handler = http.server.SimpleHTTPRequestHandler
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(StoreError, match="InfluxDB 1.x at http://127.0.0.1"):
            Influx1Store(parse_url(f"influxdb://127.0.0.1:{server.server_port}/x"))
    finally:
        server.shutdown()
        server.server_close()


def test_foreign_data_under_our_names_is_a_store_error_not_a_crash(
    influx: Influx1Store, influx_server: InfluxServer, db: str
) -> None:
    """Another program wrote ``register`` with a string field: say so, never a ValueError."""
    from occupancy.store.influxd import request

    line = f'register,community=c,unit=u kwh="12.5 kWh" {round(at(9) * 1000)}'
    request(f"{influx_server.http_url}/write?db={db}&rp=raw&precision=ms", data=line.encode())
    with pytest.raises(StoreError, match="field type conflict.*another writer"):
        influx.write(registers=[MeterReading("c", "v", at(9), 1.0)])
    with pytest.raises(StoreError, match="holds data this store did not write"):
        influx.last_registers()
    with pytest.raises(StoreError, match="holds data this store did not write"):
        influx.hourly_window(DAY, 24)


# -- authentication -----------------------------------------------------------------------


def test_credentials_in_the_url_are_used_and_wrong_ones_explained() -> None:
    with InfluxServer(auth=("admin", "s3cret:@/")) as server:
        assert "admin:s3cret%3A%40%2F@" in server.url
        store = open_store(server.url_for("authdb"), influx_settings())
        try:
            store.write(registers=[MeterReading("c", "u", T0, 1.0)])
            assert store.last_registers()["u"].kwh == 1.0
        finally:
            store.close()
        wrong = f"influxdb://admin:nope@127.0.0.1:{server.http_port}/authdb"
        with pytest.raises(StoreError, match="refused access.*user and password") as caught:
            open_store(wrong, influx_settings())
        assert "nope" not in str(caught.value)  # no secrets in messages
        anonymous = f"influxdb://127.0.0.1:{server.http_port}/authdb"
        with pytest.raises(StoreError, match="OCCUPANCY_STORE_URL"):
            open_store(anonymous, influx_settings())


# -- URLs and settings --------------------------------------------------------------------


def test_urls_name_host_port_database_and_credentials() -> None:
    target = parse_url("influxdb://me:p%40ss@db.example:8087/meters")
    assert (target.base_url, target.database) == ("http://db.example:8087", "meters")
    assert (target.username, target.password) == ("me", "p@ss")
    assert "p@ss" not in repr(target)
    assert parse_url("influxdbs://db.example").base_url == "https://db.example:8086"
    assert parse_url("influxdb://[::1]:9/x").base_url == "http://[::1]:9"
    assert parse_url("influxdb://h").database == "occupancy"
    with pytest.raises(StoreError, match="no host"):
        parse_url("influxdb:///db")
    with pytest.raises(StoreError, match="one database name"):
        parse_url("influxdb://h/a/b")


def test_influxdb2_without_org_or_token_says_which_setting_is_missing() -> None:
    with pytest.raises(StoreError, match="OCCUPANCY_INFLUX_ORG"):
        open_store("influxdb2://127.0.0.1:1", influx_settings(influx_token="t"))
    with pytest.raises(StoreError, match="OCCUPANCY_INFLUX_TOKEN"):
        open_store("influxdb2://127.0.0.1:1", influx_settings(influx_org="o"))


def test_influxdb2_unreachable_is_a_store_error(private_server: InfluxServer) -> None:
    port = private_server.http_port
    private_server.stop()
    settings = influx_settings(influx_org="o", influx_token="t")
    with pytest.raises(StoreError, match="cannot reach InfluxDB 2.x/3.x"):
        open_store(f"influxdb2://127.0.0.1:{port}", settings)


def test_find_influxd_finds_debians_binary() -> None:
    found = find_influxd()
    assert found is not None and os.access(found, os.X_OK)


def test_a_missing_binary_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="apt-get install influxdb"):
        InfluxServer(binary=str(tmp_path / "no-influxd")).start()


# -- InfluxDB 2.x (only with a server configured) -----------------------------------------


@pytest.mark.skipif(bool(influx2_configured()), reason=influx2_configured() or "")
def test_influxdb2_creates_buckets_with_the_retention(request: pytest.FixtureRequest) -> None:
    from influxdb_client import InfluxDBClient

    from .conftest import influxdb2

    store = influxdb2(request, Path("."))
    try:
        assert isinstance(store, InfluxQLStore)
        with InfluxDBClient(
            url=store.target.base_url,
            token=os.environ["OCCUPANCY_TEST_INFLUX2_TOKEN"],
            org=os.environ["OCCUPANCY_TEST_INFLUX2_ORG"],
        ) as client:
            bucket = client.buckets_api().find_bucket_by_name(store.raw[0])
            assert bucket is not None
            assert bucket.retention_rules[0].every_seconds == 3650 * 86400
        store.write(registers=[MeterReading("c", "u", T0, 1.0)])
        assert store.last_registers()["u"].kwh == 1.0
    finally:
        store.close()
