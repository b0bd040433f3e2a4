"""Browser sessions: only a digest is stored, they expire, and disabled users lose them."""

from __future__ import annotations

from datetime import timedelta

from occupancy.auth.accounts import create_user
from occupancy.auth.secrets import digest
from occupancy.auth.sessions import (
    csrf_matches,
    end_all_sessions,
    end_session,
    resolve_session,
    start_session,
)
from occupancy.db.session import session_scope
from occupancy.db.tables import User, WebSession, utcnow

PASSWORD = "correct horse battery staple"


def _user(db_url: str) -> int:
    with session_scope(db_url) as session:
        return create_user(session, "boss", PASSWORD, "admin").id


def test_cookie_value_is_not_stored(db_url: str) -> None:
    user_id = _user(db_url)
    with session_scope(db_url) as session:
        cookie = start_session(session, session.get(User, user_id), hours=2)
    with session_scope(db_url) as session:
        assert session.get(WebSession, cookie) is None
        row = session.get(WebSession, digest(cookie))
        assert row is not None and row.user_id == user_id and len(row.csrf_token) >= 32
        signed_in = resolve_session(session, cookie)
        assert signed_in.user.id == user_id
        assert signed_in.session.csrf_token == row.csrf_token


def test_session_expires(db_url: str) -> None:
    user_id = _user(db_url)
    start = utcnow()
    with session_scope(db_url) as session:
        cookie = start_session(session, session.get(User, user_id), hours=2, now=start)
    with session_scope(db_url) as session:
        assert resolve_session(session, cookie, now=start + timedelta(hours=1, minutes=59))
        assert resolve_session(session, cookie, now=start + timedelta(hours=2)) is None


def test_expired_sessions_are_swept_when_a_new_one_starts(db_url: str) -> None:
    user_id = _user(db_url)
    start = utcnow()
    with session_scope(db_url) as session:
        old = start_session(session, session.get(User, user_id), hours=1, now=start)
        start_session(session, session.get(User, user_id), hours=1, now=start + timedelta(hours=3))
    with session_scope(db_url) as session:
        assert session.get(WebSession, digest(old)) is None


def test_unknown_disabled_and_ended_sessions(db_url: str) -> None:
    user_id = _user(db_url)
    with session_scope(db_url) as session:
        first = start_session(session, session.get(User, user_id), hours=1)
        second = start_session(session, session.get(User, user_id), hours=1)
        third = start_session(session, session.get(User, user_id), hours=1)
    with session_scope(db_url) as session:
        assert resolve_session(session, None) is None
        assert resolve_session(session, "made-up") is None
        end_session(session, first)
    with session_scope(db_url) as session:
        assert resolve_session(session, first) is None
        assert resolve_session(session, second) is not None
        session.get(User, user_id).active = False
    with session_scope(db_url) as session:
        assert resolve_session(session, second) is None  # disabled
        end_all_sessions(session, user_id)
    with session_scope(db_url) as session:
        assert session.get(WebSession, digest(third)) is None


def test_csrf_matches() -> None:
    assert csrf_matches("abc123", "abc123")
    assert not csrf_matches("abc123", "abc124")
    assert not csrf_matches("abc123", "")
    assert not csrf_matches("abc123", None)
