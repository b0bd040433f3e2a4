"""A fresh SQLite database per test, migrated like production (``get_engine`` upgrades it)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'occupancy.db'}"
