"""Browser sessions: a random cookie value, its digest in the database, and a CSRF token.

Server-side sessions rather than signed cookies: signing out, disabling an account or
changing a role takes effect at the next request, and there is no signing key to manage.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from occupancy.auth.secrets import digest, new_secret
from occupancy.db.tables import User, WebSession, utcnow

#: The session cookie's name; HttpOnly, SameSite=Lax.
SESSION_COOKIE = "occupancy_session"
#: Form field and header that carry the CSRF token on unsafe requests made with the cookie.
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: User
    session: WebSession


def start_session(
    session: Session, user: User, *, hours: float, now: datetime | None = None
) -> str:
    """Record a new browser session for ``user``; returns the cookie value (shown once)."""
    now = now or utcnow()
    value = new_secret()
    session.add(
        WebSession(
            id=digest(value),
            user_id=user.id,
            csrf_token=new_secret(),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    # Expired sessions are of no use to anyone; sweep them as new ones start.
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.flush()
    return value


def resolve_session(
    session: Session, cookie: str | None, *, now: datetime | None = None
) -> SignedIn | None:
    """The signed-in user for a cookie value, or None when unknown, expired or disabled."""
    if not cookie:
        return None
    row = session.get(WebSession, digest(cookie))
    if row is None:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    if expires <= (now or utcnow()):
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return SignedIn(user=user, session=row)


def end_session(session: Session, cookie: str | None) -> None:
    if cookie:
        session.execute(delete(WebSession).where(WebSession.id == digest(cookie)))


def end_all_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())


def session_ids(session: Session, user_id: int) -> list[str]:
    return list(session.scalars(select(WebSession.id).where(WebSession.user_id == user_id)))
