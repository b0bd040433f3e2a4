"""Readings stores behind one protocol; ``open_store(url)`` picks the backend by URL scheme."""

from __future__ import annotations

from typing import TYPE_CHECKING

from occupancy.store.base import ReadingStore, StoreError

if TYPE_CHECKING:
    from occupancy.config import Settings

INFLUX_SCHEMES = ("influxdb", "influxdbs", "influxdb2", "influxdb2s")


def open_store(url: str, settings: Settings | None = None) -> ReadingStore:
    """Open the store a URL names (docs/store.md):

    - ``sqlite:///path/readings.sqlite`` or a plain path: the embedded store;
    - ``influxdb://[user:pass@]host:port/DBNAME`` (``influxdbs://`` for HTTPS): InfluxDB 1.x;
    - ``influxdb2://host:port`` (``influxdb2s://`` for HTTPS): InfluxDB 2.x/3.x, with org,
      bucket and token from ``settings``.

    InfluxDB takes its retention and 2.x credentials from ``settings``, by default the
    process's ``get_settings()`` (the ``OCCUPANCY_*`` environment).
    """
    from occupancy.store.embedded import EmbeddedStore

    if url.startswith("sqlite:///"):
        return EmbeddedStore(url.removeprefix("sqlite:///"))
    if "://" not in url:
        return EmbeddedStore(url)
    scheme = url.split("://", 1)[0]
    if scheme.lower() in INFLUX_SCHEMES:
        from occupancy.store.influx import open_influx

        if settings is None:
            from occupancy.config import get_settings

            settings = get_settings()
        return open_influx(url, settings)
    raise StoreError(
        f"unsupported store URL scheme {scheme!r} in OCCUPANCY_STORE_URL; use sqlite:///PATH "
        "(or leave it unset) for the embedded store, influxdb://host:8086/DBNAME for "
        "InfluxDB 1.x or influxdb2://host:8086 for InfluxDB 2.x/3.x"
    )


__all__ = ["ReadingStore", "StoreError", "open_store"]
