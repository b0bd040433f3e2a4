"""The ingester over a real embedded store: topics, rejections, batching, restarts and a
store that fails for a while."""

from __future__ import annotations

import json
import math
import sqlite3
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from occupancy.ingest.const import (
    MAX_AGE_SECONDS,
    MAX_FUTURE_SECONDS,
    MAX_ID_LENGTH,
    MAX_PAYLOAD_BYTES,
    lights_topic,
    meter_topic,
)
from occupancy.ingest.ingester import Ingester
from occupancy.ingest.intervals import COUNTER_RESET, DUPLICATE, FIRST
from occupancy.store.embedded import EmbeddedStore

TZ = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 3, 1, tzinfo=TZ)
#: 08:00 local on DAY; readings every 15 minutes from here.
EIGHT = DAY.timestamp() + 8 * 3600
Q = 900.0
NOW = DAY.timestamp() + 12 * 3600


def clock() -> float:
    return NOW


def payload(ts: float, **fields: object) -> bytes:
    return json.dumps({"ts": ts, **fields}).encode()


def feed_meter(ingester: Ingester, registers: list[float], unit: str = "3-501", t0=EIGHT) -> None:
    for k, kwh in enumerate(registers):
        ingester.handle(meter_topic("east", unit), payload(t0 + k * Q, kwh=kwh))


@pytest.fixture
def ingester(store: EmbeddedStore) -> Ingester:
    return Ingester(store, clock=clock)


def hour(store: EmbeddedStore, unit: str = "3-501") -> tuple[float, float, float]:
    """Energy, coverage and lights share of 08:00-09:00 local for one unit."""
    window = store.hourly_window(DAY, 24, [unit])
    return (
        float(window.energy_kwh[0, 8]),
        float(window.coverage[0, 8]),
        float(window.lights_on[0, 8]),
    )


# -- topics ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "topic",
    [
        "other/v1/east/3-501/meter",
        "occupancy/v2/east/3-501/meter",
        "/occupancy/v1/east/3-501/meter",
        "occupancy/v1/east/3-501/meter/extra",
        "occupancy/v1/east/meter",
        "occupancy/v1/east/3-501/water",
        "occupancy/v1/east/3-501/",
        "occupancy/v1//3-501/meter",
        "occupancy/v1/east//meter",
        f"occupancy/v1/east/{'x' * (MAX_ID_LENGTH + 1)}/meter",
        f"occupancy/v1/{'c' * (MAX_ID_LENGTH + 1)}/3-501/meter",
        "occupancy/v1/ea+st/3-501/meter",
        "occupancy/v1/east/3-#/meter",
    ],
    ids=[
        "prefix",
        "version",
        "leading-slash",
        "extra-level",
        "missing-level",
        "kind",
        "empty-kind",
        "empty-community",
        "empty-unit",
        "long-unit",
        "long-community",
        "plus",
        "hash",
    ],
)
def test_bad_topics_are_counted_not_stored(ingester: Ingester, topic: str) -> None:
    ingester.handle(topic, payload(EIGHT, kwh=1.0))
    assert ingester.stats.rejected == {"bad_topic": 1}
    assert (ingester.stats.received, ingester.stats.accepted, ingester.pending) == (1, 0, 0)


def test_longest_allowed_ids_and_unicode_are_accepted(ingester: Ingester) -> None:
    unit = "栋" * MAX_ID_LENGTH
    ingester.handle(meter_topic("东区", unit), payload(EIGHT, kwh=1.0))
    assert ingester.stats.rejected == {}
    assert ingester.stats.accepted == 1
    assert ingester.flush() == 1
    assert ingester.store.last_registers()[unit].community == "东区"


def test_custom_topic_prefix(store: EmbeddedStore) -> None:
    ingester = Ingester(store, topic_prefix="site/a/", clock=clock)
    ingester.handle(meter_topic("east", "3-501", prefix="site/a"), payload(EIGHT, kwh=1.0))
    ingester.handle(meter_topic("east", "3-501"), payload(EIGHT + Q, kwh=1.5))
    assert ingester.stats.accepted == 1
    assert ingester.stats.rejected == {"bad_topic": 1}


def test_unknown_data_format_is_refused_with_the_choices(store: EmbeddedStore) -> None:
    with pytest.raises(ValueError, match="'csv'.*json"):
        Ingester(store, data_format="csv")


# -- rejections --------------------------------------------------------------------------


def test_rejections_are_counted_by_reason(ingester: Ingester) -> None:
    meter, lights = meter_topic("east", "3-501"), lights_topic("east", "3-501")
    messages = [
        (meter, payload(EIGHT, kwh=1.0)),
        (meter, b"{"),
        (meter, b"[]"),
        (meter, payload(EIGHT + Q, kwh="1.2")),
        (meter, payload(EIGHT + Q, kwh=-3)),
        (meter, payload("2026-03-01T08:30:00", kwh=1.3)),
        (meter, payload(EIGHT * 1000, kwh=1.3)),
        (meter, payload(EIGHT, kwh=1.0, pad="x" * MAX_PAYLOAD_BYTES)),
        (lights, payload(EIGHT, on="on")),
        (lights, payload(EIGHT, on=True)),
        ("occupancy/v1/east/3-501/gas", payload(EIGHT, kwh=1.0)),
    ]
    for topic, body in messages:
        ingester.handle(topic, body)
    stats = ingester.stats
    assert stats.rejected == {
        "bad_json": 1,
        "no_readings": 1,  # an empty batch
        "bad_kwh": 2,
        "naive_ts": 1,
        "bad_ts": 1,
        "too_large": 1,
        "bad_on": 1,
        "bad_topic": 1,
    }
    assert (stats.received, stats.accepted, stats.handled) == (11, 2, 11)
    assert stats.as_dict()["rejected"] == dict(stats.rejected)
    assert ingester.pending == 2


def test_future_and_stale_timestamps(store: EmbeddedStore) -> None:
    ingester = Ingester(store, clock=clock)
    topic = meter_topic("east", "3-501")
    ingester.handle(topic, payload(NOW + MAX_FUTURE_SECONDS + 1, kwh=1.0))
    ingester.handle(topic, payload(NOW - MAX_AGE_SECONDS - 1, kwh=1.0))
    assert ingester.stats.rejected == {"future_ts": 1, "stale_ts": 1}
    ingester.handle(topic, payload(NOW - MAX_AGE_SECONDS + 1, kwh=1.0))
    ingester.handle(topic, payload(NOW + MAX_FUTURE_SECONDS - 1, kwh=2.0))
    assert ingester.stats.accepted == 2
    # The limits are settings, and a lights reading is checked too.
    strict = Ingester(store, max_future_seconds=0, max_age_seconds=60, clock=clock)
    strict.handle(lights_topic("east", "3-501"), payload(NOW + 1, on=True))
    strict.handle(lights_topic("east", "3-501"), payload(NOW - 61, on=True))
    assert strict.stats.rejected == {"future_ts": 1, "stale_ts": 1}


def test_a_parser_bug_is_counted_not_raised(store: EmbeddedStore) -> None:
    ingester = Ingester(store, clock=clock)

    def broken(*_args: object) -> list:
        raise KeyError("bug")

    ingester.parse = broken
    ingester.handle(meter_topic("east", "3-501"), payload(EIGHT, kwh=1.0))
    assert ingester.stats.rejected == {"parser_error": 1}


# -- batching and energy ------------------------------------------------------------------


def test_batch_is_written_when_batch_size_readings_are_pending(store: EmbeddedStore) -> None:
    ingester = Ingester(store, batch_size=3, clock=clock)
    for _ in range(2):  # a reading and its redelivery: one pending
        ingester.handle(meter_topic("east", "3-501"), payload(EIGHT, kwh=10.0))
    ingester.handle(lights_topic("east", "3-501"), payload(EIGHT, on=True))
    assert ingester.pending == 2
    assert store.last_registers() == {}
    assert ingester.stats.notes == {FIRST: 1, DUPLICATE: 1}
    feed_meter(ingester, [10.5], t0=EIGHT + Q)
    assert ingester.pending == 0
    assert ingester.stats.batches == 1
    s = ingester.stats
    assert (s.stored_registers, s.stored_lights, s.committed_messages) == (2, 1, 4)
    assert store.last_registers()["3-501"].kwh == 10.5


def test_flush_writes_what_is_pending_and_energy_lands_in_the_right_hour(
    ingester: Ingester, store: EmbeddedStore
) -> None:
    # 07:45 to 09:15 local: the 08:00-09:00 hour is covered exactly by four intervals.
    feed_meter(ingester, [99.0, 100.0, 100.1, 100.3, 100.6, 101.0, 101.1], t0=EIGHT - Q)
    for k, on in enumerate([True, True, False, True]):
        ingester.handle(lights_topic("east", "3-501"), payload(EIGHT + k * Q, on=on))
    assert ingester.flush() == 11
    assert ingester.flush() == 0  # nothing left
    assert ingester.stats.batches == 1
    energy, coverage, lights = hour(store)
    assert coverage == 1.0
    assert energy == pytest.approx(1.0)
    assert lights == 0.75
    # The quarters before and after are measured, but too little of their hours to count.
    window = store.hourly_window(DAY, 24, ["3-501"])
    assert window.coverage[0, 7] == window.coverage[0, 9] == 0.25
    assert math.isnan(window.energy_kwh[0, 7]) and math.isnan(window.energy_kwh[0, 9])


def test_counter_reset_inside_the_hour_leaves_it_partly_measured(
    ingester: Ingester, store: EmbeddedStore
) -> None:
    feed_meter(ingester, [100.0, 100.2, 0.0, 0.3, 0.5])
    ingester.flush()
    assert ingester.stats.notes == {FIRST: 1, COUNTER_RESET: 1}
    energy, coverage, _ = hour(store)
    assert coverage == 0.75
    assert energy == pytest.approx((0.2 + 0.3 + 0.2) / 0.75)


# -- restarts ----------------------------------------------------------------------------


def test_restart_resumes_deltas_from_the_store(path: Path) -> None:
    first_store = EmbeddedStore(path)
    first = Ingester(first_store, clock=clock)
    feed_meter(first, [100.0, 100.1, 100.3])  # 08:00, 08:15, 08:30
    first.flush()
    first_store.close()

    store = EmbeddedStore(path)
    second = Ingester(store, clock=clock)
    # The 08:30 reading redelivered by the broker, then 08:45 and 09:00.
    feed_meter(second, [100.3, 100.6, 101.0], t0=EIGHT + 2 * Q)
    second.flush()
    assert second.stats.notes == {DUPLICATE: 1}  # no first_reading: it resumed
    assert second.stats.stored_registers == 2  # the redelivered one is not rewritten
    energy, coverage, _ = hour(store)
    store.close()
    assert coverage == 1.0  # 08:30-08:45 spans the restart
    assert energy == pytest.approx(1.0)


# -- a failing store ---------------------------------------------------------------------


def test_store_failure_keeps_the_batch_and_a_later_flush_succeeds(
    path: Path, store: EmbeddedStore, caplog: pytest.LogCaptureFixture
) -> None:
    commits: list[list[object]] = []
    ingester = Ingester(store, batch_size=3, clock=clock, on_commit=commits.append)
    # Another process breaks the schema under us (a botched migration, say).
    with sqlite3.connect(path) as other:
        other.execute("ALTER TABLE lights RENAME TO lights_moved")
    for k, kwh in enumerate([100.0, 100.2, 100.5]):  # the third triggers a write, which fails
        ingester.handle(meter_topic("east", "3-501"), payload(EIGHT + k * Q, kwh=kwh), token=k)
    # The next message does not hammer the broken store: the retry waits for its backoff.
    ingester.handle(lights_topic("east", "3-501"), payload(EIGHT, on=True), token=3)
    assert ingester.stats.store_errors == 1
    assert not ingester.store_ok
    assert ingester.stats.batches == 0
    assert (ingester.pending, ingester.pending_messages) == (4, 4)
    assert commits == []  # nothing acknowledged while nothing is stored
    assert "kept for retry" in caplog.text
    assert "no such table: lights" in caplog.text
    # The batch is one transaction: the registers written before the failure were undone.
    assert store.last_registers() == {}
    assert ingester.flush() == 0
    assert ingester.stats.store_errors == 2

    with sqlite3.connect(path) as other:
        other.execute("ALTER TABLE lights_moved RENAME TO lights")
    assert ingester.flush() == 4
    assert ingester.store_ok
    assert commits == [[0, 1, 2, 3]]  # acknowledged in arrival order, once committed
    assert ingester.stats.store_errors == 2
    assert ingester.stats.batches == 1
    feed_meter(ingester, [100.6, 101.0], t0=EIGHT + 3 * Q)
    ingester.flush()
    energy, coverage, lights = hour(store)
    assert (energy, coverage, lights) == (pytest.approx(1.0), 1.0, 1.0)


def test_closed_store_keeps_the_batch_for_a_reopened_one(path: Path) -> None:
    store = EmbeddedStore(path)
    ingester = Ingester(store, clock=clock)
    feed_meter(ingester, [100.0, 100.3, 100.5, 100.6, 101.0])
    store.close()
    assert ingester.flush() == 0  # no exception
    assert ingester.stats.store_errors == 1
    assert ingester.pending == 5

    ingester.store = reopened = EmbeddedStore(path)
    assert ingester.flush() == 5
    energy, coverage, _ = hour(reopened)
    reopened.close()
    assert (energy, coverage) == (pytest.approx(1.0), 1.0)


class BuggyOnce:
    """A store that fails once with a bug (not a StoreError), then works."""

    def __init__(self, store: EmbeddedStore) -> None:
        self.store = store
        self.calls = 0

    def write(self, **batch: object) -> None:
        self.calls += 1
        if self.calls == 1:
            raise KeyError("a bug in a store")
        self.store.write(**batch)

    def last_registers(self) -> dict:
        return self.store.last_registers()


def test_a_store_bug_does_not_kill_the_background_writer(
    store: EmbeddedStore, caplog: pytest.LogCaptureFixture
) -> None:
    commits: list[list[object]] = []
    buggy = BuggyOnce(store)
    ingester = Ingester(
        buggy, batch_size=2, flush_seconds=0.02, clock=clock, on_commit=commits.append
    )  # type: ignore[arg-type]
    ingester.start()
    try:
        for k, kwh in enumerate([100.0, 100.2]):
            ingester.handle(meter_topic("east", "3-501"), payload(EIGHT + k * Q, kwh=kwh), token=k)
        deadline = time.monotonic() + 5
        while ingester.stats.stored_registers < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        ingester.stop()
    assert buggy.calls >= 2
    assert ingester.stats.store_errors == 1
    assert ingester.stats.stored_registers == 2
    assert commits == [[0, 1]]
    assert "a bug in a store" in caplog.text and "Traceback" in caplog.text
