"""Random secrets handed to clients (cookies, API tokens) and the digests kept of them.

Only a SHA-256 digest is stored: the values are 256-bit random, so a plain hash is enough
(no salt or slow hash needed), and a copy of the database lets nobody sign in.
"""

from __future__ import annotations

import hashlib
import secrets


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()
