"""Fixtures shared by test packages: a real Mosquitto broker for the MQTT tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from occupancy.auth import passwords
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


@pytest.fixture(autouse=True)
def fast_argon2(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Still argon2id, with the cheapest parameters: every API test creates an account and
    many sign in, and at the production cost (~0.6 s per hash on a 2-core CI box) that would
    add minutes. Tests marked ``production_argon2`` (tests/auth/test_passwords.py) keep the
    real parameters and check them."""
    if request.node.get_closest_marker("production_argon2") is None:
        monkeypatch.setattr(
            passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        )
