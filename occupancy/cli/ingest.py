"""CLI: `occupancy ingest`, the long-running MQTT-to-store ingester."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Annotated

import typer

from occupancy.cli.output import console, fail

#: Port the embedded broker takes when OCCUPANCY_MQTT_URL is unset (MQTT's standard port).
EMBEDDED_BROKER_PORT = 1883


def ingest(
    stats_every: Annotated[
        float, typer.Option(help="Seconds between progress lines (0 = quiet).")
    ] = 10.0,
    broker_port: Annotated[
        int, typer.Option(help="Port of the embedded broker when OCCUPANCY_MQTT_URL is unset.")
    ] = EMBEDDED_BROKER_PORT,
) -> None:
    """Subscribe to meter and lights readings and write them to the readings store.

    Broker: OCCUPANCY_MQTT_URL, or an embedded broker on 127.0.0.1 when unset. Store:
    OCCUPANCY_STORE_URL, or the embedded file store under var/. Runs until Ctrl-C or
    SIGTERM. Bad payloads are logged with their reason, counted and dead-lettered to
    {prefix}/_rejected/..., never fatal. A message is acknowledged only after the store
    committed it. Prometheus /metrics and /readyz on OCCUPANCY_METRICS_PORT (0 = off);
    several ingesters split the load with OCCUPANCY_MQTT_SHARE_GROUP.
    """
    from occupancy.broker import EmbeddedBroker
    from occupancy.config import get_settings
    from occupancy.ingest.const import MAX_AGE_SECONDS
    from occupancy.ingest.ingester import Ingester
    from occupancy.ingest.metrics import MetricsServer
    from occupancy.ingest.mqtt_source import MqttSource, MqttUrlError
    from occupancy.store import StoreError, open_store

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = get_settings()
    broker = None
    url = settings.mqtt_url
    if url is None:
        try:
            broker = EmbeddedBroker(port=broker_port).start()
        except (OSError, TimeoutError, RuntimeError) as exc:
            fail(
                f"could not start the embedded broker on port {broker_port} ({exc}); if a broker "
                f"already runs there, set OCCUPANCY_MQTT_URL=mqtt://127.0.0.1:{broker_port}"
            )
        url = broker.url
        console.print(f"embedded {broker.kind} broker listening on {url}")
    try:
        store = open_store(settings.resolved_store_url)
        ingester = Ingester(
            store,
            topic_prefix=settings.topic_prefix,
            data_format=settings.ingest_data_format,
            batch_size=settings.ingest_batch_size,
            flush_seconds=settings.ingest_flush_seconds,
            max_pending=settings.ingest_max_pending,
            # Older than the raw retention would be dropped by the store: dead-letter it
            # as stale instead, where an operator can see it.
            max_age_seconds=min(MAX_AGE_SECONDS, settings.raw_retention_days * 86400.0),
        )
        source = MqttSource(
            url,
            ingester,
            client_id=settings.mqtt_client_id,
            qos=settings.mqtt_qos,
            topic_prefix=settings.topic_prefix,
            share_group=settings.mqtt_share_group,
        )
        metrics = None
        if settings.metrics_port:
            metrics = MetricsServer(ingester, source, settings.host, settings.metrics_port)
        source.start()
        if metrics is not None:
            metrics.start()
            console.print(f"metrics on {metrics.url}/metrics, readiness on {metrics.url}/readyz")
    except (MqttUrlError, StoreError, ConnectionError, ValueError, OSError) as exc:
        if broker is not None:
            broker.stop()
        fail(str(exc))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        while not stop.wait(stats_every or None):
            console.print(ingester.stats.as_dict())
    finally:
        source.stop()
        if metrics is not None:
            metrics.stop()
        store.close()
        if broker is not None:
            broker.stop()
        console.print("stopped;", ingester.stats.as_dict())


def attach(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
