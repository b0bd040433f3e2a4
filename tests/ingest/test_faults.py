"""The fault test: 200,000 readings at QoS 1 into a real InfluxDB 1.x while the ingester
is SIGKILLed three times and restarted, and the database is stopped for 20 seconds and
restarted. Every reading must be stored exactly once (count and sum match what was
published), nothing may crash, and the ingester's memory must stay bounded.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from occupancy.broker import EmbeddedBroker, find_mosquitto
from occupancy.ingest.const import meter_topic
from occupancy.store.influxd import InfluxServer, find_influxd
from tests.ingest.mqtt_tools import IngesterProcess, client_id, wait_for

READINGS = 200_000
METERS = 8
STEP = 60.0
#: Meters publish while the faults happen, at this many readings a second in all (the
#: ingester alone would drain the broker faster than we could kill it).
PUBLISH_RATE = 4000
MAX_PENDING = 20_000
#: The ingester's resident memory may not exceed this, whatever the outage: it holds at
#: most MAX_PENDING messages, the broker keeps the rest.
RSS_LIMIT_MB = 400
DATABASE = "faults"


def influx_count_and_sum(server: InfluxServer) -> tuple[int, float]:
    query = urllib.parse.urlencode(
        {"db": DATABASE, "q": "SELECT count(kwh), sum(kwh) FROM register"}
    )
    with urllib.request.urlopen(f"{server.http_url}/query?{query}", timeout=10) as response:
        doc = json.load(response)
    series = doc["results"][0].get("series")
    if not series:
        return 0, 0.0
    _, count, total = series[0]["values"][0]
    return int(count), float(total)


def stored_count(server: InfluxServer) -> int:
    try:
        return influx_count_and_sum(server)[0]
    except OSError:  # the database is down right now
        return -1


def write_publisher_files(folder: Path) -> tuple[list[tuple[str, Path]], float]:
    per_meter = READINGS // METERS
    start = time.time() - (per_meter + 10) * STEP
    files, total = [], 0.0
    for m in range(METERS):
        path = folder / f"meter{m}.txt"
        with path.open("w") as out:
            for k in range(per_meter):
                kwh = round(500.0 + m + 0.01 * k, 3)
                total += kwh
                out.write(json.dumps({"ts": start + k * STEP, "kwh": kwh}) + "\n")
        files.append((meter_topic("faults", f"m{m:02d}"), path))
    return files, total


class PacedPublisher(threading.Thread):
    """``mosquitto_pub -l -q 1`` fed line by line at a steady rate, like live meters."""

    def __init__(self, port: int, topic: str, path: Path, per_second: float) -> None:
        super().__init__(daemon=True)
        self.lines = path.read_bytes().splitlines(keepends=True)
        self.per_second = per_second
        self.process = subprocess.Popen(
            ["mosquitto_pub", "-p", str(port), "-q", "1", "-M", "500", "-t", topic, "-l"],
            stdin=subprocess.PIPE,
        )
        self.start()

    def run(self) -> None:
        assert self.process.stdin is not None
        started = time.monotonic()
        chunk = max(int(self.per_second / 10), 1)
        for i in range(0, len(self.lines), chunk):
            self.process.stdin.write(b"".join(self.lines[i : i + chunk]))
            self.process.stdin.flush()
            ahead = started + (i + chunk) / self.per_second - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
        self.process.stdin.close()

    def wait(self) -> int:
        self.join(300)
        return self.process.wait(60)

    def kill(self) -> None:
        self.process.kill()


class RssSampler(threading.Thread):
    """Peak resident memory of whichever ingester process is current."""

    def __init__(self, ingester: IngesterProcess) -> None:
        super().__init__(daemon=True)
        self.ingester = ingester
        self.peak_mb = 0.0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.1):
            process = self.ingester.process
            if process is None:
                continue
            try:
                status = Path(f"/proc/{process.pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    self.peak_mb = max(self.peak_mb, int(line.split()[1]) / 1024)


@pytest.mark.skipif(not find_mosquitto(), reason="mosquitto is not installed")
def test_kills_and_a_database_outage_lose_nothing_and_duplicate_nothing(tmp_path: Path) -> None:
    assert find_influxd(), "influxd is not installed (apt-get install influxdb)"
    files, expected_sum = write_publisher_files(tmp_path)
    with EmbeddedBroker(prefer="mosquitto") as broker, InfluxServer() as influx:
        ingester = IngesterProcess(
            {
                "OCCUPANCY_MQTT_URL": broker.url,
                "OCCUPANCY_STORE_URL": influx.url_for(DATABASE),
                "OCCUPANCY_MQTT_CLIENT_ID": client_id("faults"),
                "OCCUPANCY_INGEST_MAX_PENDING": str(MAX_PENDING),
                "OCCUPANCY_INGEST_FLUSH_SECONDS": "0.2",
            },
            tmp_path / "ingest.log",
        ).start()
        sampler = RssSampler(ingester)
        sampler.start()
        publishers = [
            PacedPublisher(broker.port, topic, path, PUBLISH_RATE / METERS) for topic, path in files
        ]
        try:
            events = []
            for share in (0.15, 0.35):
                wait_for(lambda s=share: stored_count(influx) >= s * READINGS, f"{share:.0%}", 120)
                ingester.kill()
                events.append(("kill", stored_count(influx)))
                ingester.start()
            wait_for(lambda: stored_count(influx) >= 0.5 * READINGS, "50%", 120)
            influx.stop()
            down_at = time.monotonic()
            time.sleep(20)
            # While the database is down the ingester stays up and holds its window.
            assert ingester.process is not None and ingester.process.poll() is None
            assert ingester.metric("occupancy_ingest_store_up") == 0
            assert ingester.metric("occupancy_ingest_queue_depth") <= MAX_PENDING
            influx.start()
            events.append(("db outage s", round(time.monotonic() - down_at, 1)))
            wait_for(lambda: stored_count(influx) >= 0.75 * READINGS, "75%", 180)
            ingester.kill()
            events.append(("kill", stored_count(influx)))
            ingester.start()
            for publisher in publishers:
                assert publisher.wait() == 0, "mosquitto_pub failed"
            wait_for(lambda: stored_count(influx) >= READINGS, "every reading", 300)
            time.sleep(1.0)  # anything extra (a duplicate series) would show up now
            count, total = influx_count_and_sum(influx)
            assert ingester.stop() == 0, ingester.log_tail()  # a clean stop after all that
        finally:
            sampler.stopping.set()
            for publisher in publishers:
                publisher.kill()
            ingester.stop()
    print(f"fault events: {events}; peak ingester RSS {sampler.peak_mb:.0f} MB")
    assert [e for e, _ in events] == ["kill", "kill", "db outage s", "kill"]
    assert count == READINGS
    assert total == pytest.approx(expected_sum, rel=1e-12)
    assert 0 < sampler.peak_mb < RSS_LIMIT_MB
