"""Fixtures for the simulator tests: a real Mosquitto broker and small generated communities."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sim_helpers import START, Broker

from simulator.files import write_community
from simulator.generate import Community, generate_community

#: Fault shares high enough that a couple of hundred meters show every fault.
MANY_FAULTS = {
    "gap": 0.08,
    "stuck": 0.05,
    "reset": 0.05,
    "duplicate": 0.08,
    "clock_skew": 0.08,
    "offline": 0.05,
}


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
    community = generate_community(60, 4, seed=11, start=START, faults={"offline": 0.1})
    write_community(community, out)
    return out


@pytest.fixture(scope="session")
def week_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 units for a week without faults: enough homes per archetype for statistics."""
    out = tmp_path_factory.mktemp("week")
    write_community(generate_community(200, 7, seed=5, start=START, faults=False), out)
    return out


@pytest.fixture(scope="session")
def clean_week() -> Community:
    """800 units for a week, no faults, in memory: every archetype many times over."""
    return generate_community(800, 7, seed=8, start=START, faults=False)


@pytest.fixture(scope="session")
def faulty() -> Community:
    """200 units, 4 days, every fault on several meters."""
    return generate_community(200, 4, seed=12, start=START, faults=MANY_FAULTS)


@pytest.fixture(scope="session")
def faulty_dir(tmp_path_factory: pytest.TempPathFactory, faulty: Community) -> Path:
    out = tmp_path_factory.mktemp("faulty")
    write_community(faulty, out)
    return out
