"""Sign-in rate limiting, kept in the database so it holds across processes and restarts.

Failures are counted per username and per client address over a sliding window; past the
limit, sign-in answers 429 with ``Retry-After`` until the oldest failure leaves the window.
A success clears nothing: the attacker guessing one account must not reset its counter by
signing in to their own.

Checking a password takes long (argon2), so an attempt is claimed before it: the limit check
and the insert of the attempt, as a failure, happen in one short locked transaction that
commits before the password is checked (``claim_attempt``); a right password then turns the
row into a success. Guesses sent all at once thus see each other and get no more password
checks than the limit allows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from occupancy.db.tables import LoginAttempt

#: Key of the PostgreSQL advisory lock that makes check-and-claim one step at a time.
PG_LOCK_KEY = 0x6F63_6C69  # "ocli"

#: Failures from one address (over all usernames) allowed per window, relative to the
#: per-username limit: an office behind one NAT address shares it.
ADDRESS_FACTOR = 4


def retry_after(
    session: Session,
    username: str,
    address: str,
    *,
    now: datetime,
    max_failures: int,
    window: timedelta,
) -> int | None:
    """Seconds to wait before the next attempt, or None when an attempt is allowed now."""
    since = now - window
    waits = []
    for column, value, limit in (
        (LoginAttempt.username, username.strip().lower(), max_failures),
        (LoginAttempt.address, address, max_failures * ADDRESS_FACTOR),
    ):
        if not value:
            continue
        count, oldest = session.execute(
            select(func.count(), func.min(LoginAttempt.at)).where(
                column == value, LoginAttempt.success.is_(False), LoginAttempt.at > since
            )
        ).one()
        if count >= limit and oldest is not None:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
            waits.append(max(1, int((oldest + window - now).total_seconds()) + 1))
    return max(waits) if waits else None


def record_attempt(
    session: Session, username: str, address: str, *, success: bool, now: datetime, keep: timedelta
) -> None:
    session.add(
        LoginAttempt(
            username=username.strip().lower()[:64], address=address[:64], at=now, success=success
        )
    )
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - keep))


def claim_attempt(
    session: Session,
    username: str,
    address: str,
    *,
    now: datetime,
    max_failures: int,
    window: timedelta,
) -> tuple[int | None, LoginAttempt | None]:
    """Check the limit and, when an attempt is allowed, record it as a failure: ``(seconds to
    wait, None)`` or ``(None, the attempt)``. The caller commits at once, before checking the
    password, and marks the attempt a success if it was one (``attempt.success = True``).

    One claim at a time: PostgreSQL takes a transaction-scoped advisory lock; on SQLite the
    first statement is the clean-up ``DELETE``, which takes the database's write lock for the
    rest of the transaction, so no other claim counts between this count and this insert.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - window))
    wait = retry_after(
        session, username, address, now=now, max_failures=max_failures, window=window
    )
    if wait is not None:
        return wait, None
    attempt = LoginAttempt(
        username=username.strip().lower()[:64], address=address[:64], at=now, success=False
    )
    session.add(attempt)
    session.flush()
    return None, attempt
