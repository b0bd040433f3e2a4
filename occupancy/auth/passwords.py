"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile).

A stolen database must not give away passwords people reuse elsewhere; argon2 makes each
guess cost memory as well as time, which is what slows down GPU guessing.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()

#: Shortest password accepted for a new account; long passphrases beat complexity rules.
MIN_PASSWORD_LENGTH = 10
#: Verified against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("occupancy-timing-equaliser")


class WeakPasswordError(ValueError):
    """The password is too short or trivially guessable."""


def check_password_strength(password: str, *, username: str = "") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(
            f"password must have at least {MIN_PASSWORD_LENGTH} characters; "
            "a few unrelated words are easy to remember and hard to guess"
        )
    if username and username.lower() in password.lower():
        raise WeakPasswordError("password must not contain the username")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; never raises on a corrupt or missing hash."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's defaults."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
