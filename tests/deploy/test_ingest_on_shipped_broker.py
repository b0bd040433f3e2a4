"""The real ingester behind the shipped broker configuration and generated accounts."""

from __future__ import annotations

import json
import time
from pathlib import Path

from occupancy.ingest.const import meter_topic
from occupancy.ingest.ingester import Ingester
from occupancy.ingest.mqtt_source import DEAD_LETTER_PAYLOAD_BYTES, MqttSource
from occupancy.store.embedded import EmbeddedStore

from .conftest import UNITS, Site
from .mqtt import wait_until

EAST_501 = UNITS[0]


def test_an_oversized_rejection_is_dead_lettered_without_stalling_the_session(
    running: Site, tmp_path: Path
) -> None:
    """1.5 MiB of quotes fits the broker's packet limit, but its JSON-escaped dead letter
    would not: the letter must carry a cut payload, or the broker disconnects the ingester
    and the message comes back forever."""
    store = EmbeddedStore(tmp_path / "readings.sqlite")
    ingester = Ingester(store, flush_seconds=0.05)
    account = running.ingester
    url = f"mqtt://{account.username}:{account.password}@127.0.0.1:{running.port}"
    source = MqttSource(url, ingester, client_id=f"ingester-{time.time_ns()}")
    source.start()
    meter = running.connected(running.meters[EAST_501], "meter")
    topic = meter_topic(EAST_501.community, EAST_501.unit_id)
    try:
        assert not meter.publish(topic, b'"' * (1536 * 1024)).is_failure
        good = json.dumps({"ts": time.time() - 60, "kwh": 12.5}).encode()
        assert not meter.publish(topic, good).is_failure
        wait_until(lambda: ingester.stats.stored_registers == 1, "the good reading")
        wait_until(lambda: source.dead_lettered == 1, "the dead letter")
    finally:
        meter.close()
        source.stop()
        store.close()
    assert ingester.stats.rejected == {"too_large": 1}
    assert source.dead_letter_failures == 0
    assert source.acked == 2
    assert "oversize" not in running.log()
    assert DEAD_LETTER_PAYLOAD_BYTES < 64 * 1024
