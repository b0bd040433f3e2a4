"""Fixtures shared by test packages: a real Mosquitto broker for the MQTT tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from occupancy.broker import EmbeddedBroker, find_mosquitto


@pytest.fixture(scope="session")
def mosquitto_url() -> Iterator[str]:
    """A private Mosquitto on a free loopback port (unbounded queues, no persistence).

    Fails rather than skips without the binary: CI installs it, and production runs it.
    """
    assert find_mosquitto(), "mosquitto is not installed (apt-get install mosquitto)"
    broker = EmbeddedBroker(prefer="mosquitto").start()
    try:
        assert broker.kind == "mosquitto"
        yield broker.url
    finally:
        broker.stop()
