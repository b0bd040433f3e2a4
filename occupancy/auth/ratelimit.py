"""Sign-in rate limiting, kept in the database so it holds across processes and restarts.

Failures are counted per username and per client address over a sliding window; past the
limit, sign-in answers 429 with ``Retry-After`` until the oldest failure leaves the window.
A success clears nothing: the attacker guessing one account must not reset its counter by
signing in to their own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from occupancy.db.tables import LoginAttempt

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
