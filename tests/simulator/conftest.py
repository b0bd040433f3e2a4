"""Fixtures for the simulator tests: a real Mosquitto broker and small generated communities."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sim_helpers import START, Broker

from simulator.generate import generate_community, write_community


@pytest.fixture(scope="session")
def broker(mosquitto_url: str) -> Broker:
    """The session's Mosquitto (tests/conftest.py), seen as host and port."""
    parts = urlsplit(mosquitto_url)
    assert parts.hostname and parts.port
    return Broker(parts.hostname, parts.port)


@pytest.fixture(scope="session")
def community_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 units, 4 days, with a generous offline share so the fault is always present."""
    out = tmp_path_factory.mktemp("community")
    community = generate_community(60, 4, seed=11, start=START, offline_rate=0.1)
    write_community(community, out)
    return out


@pytest.fixture(scope="session")
def week_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 units for a week: enough homes per archetype for statistics from the data."""
    out = tmp_path_factory.mktemp("week")
    write_community(generate_community(200, 7, seed=5, start=START), out)
    return out
