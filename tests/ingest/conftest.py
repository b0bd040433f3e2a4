"""Fixtures shared by the ingest tests: a real embedded store in a temp file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from occupancy.store.embedded import EmbeddedStore


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "readings.sqlite"


@pytest.fixture
def store(path: Path) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(path)
    yield store
    store.close()
