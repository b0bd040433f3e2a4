"""Readings stores behind one protocol; ``open_store(url)`` picks the backend."""

from occupancy.store.base import ReadingStore, StoreError

__all__ = ["ReadingStore", "StoreError"]
