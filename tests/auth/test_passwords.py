"""argon2id hashing: the stored format, verification, and the strength rule."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from occupancy.auth.passwords import (
    MIN_PASSWORD_LENGTH,
    WeakPasswordError,
    check_password_strength,
    hash_password,
    needs_rehash,
    verify_password,
)

PASSWORD = "correct horse battery staple"

#: The rest of the suite hashes with cheap parameters (tests/conftest.py); not here.
pytestmark = pytest.mark.production_argon2


def test_production_parameters_are_rfc_9106_low_memory() -> None:
    """argon2id, 64 MiB, 3 passes, 4 lanes: what a stolen hash costs an attacker per guess."""
    assert "$m=65536,t=3,p=4$" in hash_password(PASSWORD)


def test_hash_is_argon2id_and_salted() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("$argon2id$v=19$")
    assert PASSWORD not in first
    assert first != second  # a random salt each time


def test_verify_right_and_wrong_password() -> None:
    stored = hash_password(PASSWORD)
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + " ")
    assert not verify_password(stored, "")


@pytest.mark.parametrize("stored", [None, "", "not-a-hash", "$argon2id$v=19$broken"])
def test_verify_never_raises_on_missing_or_corrupt_hash(stored: str | None) -> None:
    assert verify_password(stored, PASSWORD) is False


def test_weaker_parameters_need_a_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    assert verify_password(weak, PASSWORD)
    assert needs_rehash(weak)
    assert not needs_rehash(hash_password(PASSWORD))


def test_strength_rule() -> None:
    with pytest.raises(WeakPasswordError, match=str(MIN_PASSWORD_LENGTH)):
        check_password_strength("a" * (MIN_PASSWORD_LENGTH - 1))
    with pytest.raises(WeakPasswordError, match="username"):
        check_password_strength("wang.li-is-my-name", username="Wang.Li")
    check_password_strength("a" * MIN_PASSWORD_LENGTH, username="wang")
