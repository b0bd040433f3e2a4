"""Prometheus ``/metrics``, liveness ``/healthz`` and readiness ``/readyz`` for the ingester.

A tiny HTTP server of its own rather than the web service: the ingester runs without the
web (and often on another host), and an orchestrator must be able to tell that this
process, not the API, has lost its broker or store.

The counters live in ``IngestStats``; a collector reads them at scrape time, so the hot
path pays nothing for observability.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from occupancy.ingest.ingester import Histogram, Ingester

log = logging.getLogger(__name__)

#: How long readiness waits for the store's own check before calling it unreachable.
STORE_CHECK_SECONDS = 2.0


class IngestCollector:
    """Exports one ingester's stats (and its source's, when there is one)."""

    def __init__(self, ingester: Ingester, source: object | None = None) -> None:
        self.ingester = ingester
        self.source = source

    def collect(self) -> Iterator[Metric]:
        s = self.ingester.stats
        yield _counter("occupancy_ingest_received", "Messages received.", s.received)
        yield _counter("occupancy_ingest_accepted", "Messages accepted.", s.accepted)
        rejected = CounterMetricFamily(
            "occupancy_ingest_rejected", "Messages rejected, by reason.", labels=["reason"]
        )
        for reason, n in sorted(s.rejected.items()):
            rejected.add_metric([reason], n)
        yield rejected
        notes = CounterMetricFamily(
            "occupancy_ingest_conversion_notes",
            "Register readings that were duplicates, resets, gaps... (see docs/mqtt.md).",
            labels=["note"],
        )
        for note, n in sorted(s.notes.items()):
            notes.add_metric([note], n)
        yield notes
        stored = CounterMetricFamily(
            "occupancy_ingest_stored_readings", "Readings committed to the store.", labels=["kind"]
        )
        stored.add_metric(["register"], s.stored_registers)
        stored.add_metric(["lights"], s.stored_lights)
        yield stored
        yield _counter(
            "occupancy_ingest_committed_messages",
            "Messages whose readings the store committed (then acknowledged).",
            s.committed_messages,
        )
        yield _counter("occupancy_ingest_batches", "Batches committed.", s.batches)
        yield _counter("occupancy_ingest_store_errors", "Failed store writes.", s.store_errors)
        yield GaugeMetricFamily(
            "occupancy_ingest_queue_depth",
            "Accepted messages waiting for the store (bounded by OCCUPANCY_INGEST_MAX_PENDING).",
            value=self.ingester.pending_messages,
        )
        yield GaugeMetricFamily(
            "occupancy_ingest_store_up",
            "1 while store writes succeed.",
            value=self.ingester.store_ok,
        )
        yield GaugeMetricFamily(
            "occupancy_ingest_lag_last_seconds",
            "Newest reading's timestamp to its commit, last batch.",
            value=s.last_lag_seconds,
        )
        yield _histogram(
            "occupancy_ingest_store_write_seconds",
            "Store write latency per batch.",
            s.store_latency,
        )
        yield _histogram(
            "occupancy_ingest_lag_seconds",
            "Newest reading's timestamp to its commit, per batch.",
            s.lag,
        )
        source = self.source
        if source is not None:
            yield _counter(
                "occupancy_ingest_dead_lettered",
                "Rejected messages published to the dead-letter topic.",
                getattr(source, "dead_lettered", 0),
            )
            yield _counter(
                "occupancy_ingest_dead_letter_failures",
                "Dead letters the broker refused or that could not be sent.",
                getattr(source, "dead_letter_failures", 0),
            )
            yield GaugeMetricFamily(
                "occupancy_ingest_broker_connected",
                "1 while connected and subscribed.",
                value=bool(getattr(source, "connected", False)),
            )


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=value)


def _histogram(name: str, doc: str, hist: Histogram) -> HistogramMetricFamily:
    return HistogramMetricFamily(name, doc, buckets=hist.cumulative(), sum_value=hist.sum)


def readiness(ingester: Ingester, source: object | None) -> tuple[bool, dict[str, str]]:
    """Ready when connected and subscribed to the broker and the store answers."""
    checks: dict[str, str] = {}
    if source is not None:
        checks["broker"] = "ok" if getattr(source, "connected", False) else "not connected"
    checks["store"] = _store_check(ingester)
    return all(v == "ok" for v in checks.values()), checks


def _store_check(ingester: Ingester) -> str:
    if not ingester.store_ok:
        down = ingester.stats.store_down_since
        since = f" for {time.monotonic() - down:.0f} s" if down is not None else ""
        return f"writes failing{since}"
    ping: Callable[[], object] | None = getattr(ingester.store, "ping", None)
    if ping is None:
        return "ok"
    result: list[str] = []

    def run() -> None:
        try:
            ping()
            result.append("ok")
        except Exception as exc:  # any failure means "not ready", with the reason shown
            result.append(f"unreachable: {exc}")

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(STORE_CHECK_SECONDS)
    return result[0] if result else f"no answer within {STORE_CHECK_SECONDS:.0f} s"


class MetricsServer:
    """Serves ``/metrics``, ``/healthz`` and ``/readyz`` from a daemon thread."""

    def __init__(
        self, ingester: Ingester, source: object | None = None, host: str = "127.0.0.1", port=0
    ) -> None:
        self.ingester = ingester
        self.source = source
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(IngestCollector(ingester, source))  # type: ignore[arg-type]
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._send(200, generate_latest(server.registry), "text/plain; version=0.0.4")
                elif path == "/healthz":
                    self._send(200, b'{"status":"ok"}', "application/json")
                elif path == "/readyz":
                    ready, checks = readiness(server.ingester, server.source)
                    body = json.dumps({"ready": ready, "checks": checks}).encode()
                    self._send(200 if ready else 503, body, "application/json")
                else:
                    self._send(404, b"not found: try /metrics, /healthz or /readyz", "text/plain")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:  # scrapes every 15 s: stay quiet
                pass

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> MetricsServer:
        self._thread.start()
        log.info("metrics on %s/metrics, readiness on %s/readyz", self.url, self.url)
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
