"""Readings stores behind one protocol; ``open_store(url)`` picks the backend by URL scheme."""

from __future__ import annotations

from occupancy.store.base import ReadingStore, StoreError


def open_store(url: str) -> ReadingStore:
    """Open the store a URL names: ``sqlite:///path/readings.sqlite`` (embedded) for now;
    InfluxDB (``influxdb://`` and ``influxdb2://``) arrives behind the same protocol."""
    from occupancy.store.embedded import EmbeddedStore

    if url.startswith("sqlite:///"):
        return EmbeddedStore(url.removeprefix("sqlite:///"))
    if "://" not in url:
        return EmbeddedStore(url)
    scheme = url.split("://", 1)[0]
    raise StoreError(
        f"unsupported store URL scheme {scheme!r} in OCCUPANCY_STORE_URL; use sqlite:///PATH "
        "or leave it unset for the embedded store"
    )


__all__ = ["ReadingStore", "StoreError", "open_store"]
