"""Accounts, sign-in and rows shared by the flag page, action and dashboard tests.

Browsers are signed in by starting a real session (``start_session``) and setting its cookie,
so these tests exercise the same cookie and CSRF checks as the sign-in form would, without
depending on that form's own flow (tested elsewhere).
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from fastapi.testclient import TestClient
from sqlalchemy import select

from occupancy.auth.passwords import hash_password
from occupancy.auth.secrets import digest
from occupancy.auth.sessions import SESSION_COOKIE, start_session
from occupancy.config import Settings
from occupancy.db.session import session_scope
from occupancy.db.tables import AuditEvent, Flag, FlagEvent, User, WebSession
from occupancy.lights.record import LightsObservation
from tests.accounts import PASSWORD, add_user, bearer, token_for

from ..seed import METERED_UNIT, NOW, RIVER, SUNNY

#: username -> (role, community, grid)
ACCOUNTS = {
    "sec": ("secretary", SUNNY, ""),
    "sec-river": ("secretary", RIVER, ""),
    "worker": ("grid_worker", SUNNY, "G1"),
    "worker-g2": ("grid_worker", SUNNY, "G2"),
    "boss": ("admin", "", ""),
}
#: Night counts of METERED_UNIT: two within the page's 14 days, one older (not shown).
LIGHTS = [
    (NOW - timedelta(days=1, hours=4), True, "night-owl"),
    (NOW - timedelta(days=3, hours=5), False, "second-round"),
    (NOW - timedelta(days=20), True, "too-old-observer"),
]


@cache
def _password_hash() -> str:
    """One argon2 hash for every account: these tests sign in by session, never by password,
    and hashing five passwords per test (argon2 is slow on purpose) dominated their runtime."""
    return hash_password(PASSWORD)


def add_accounts(settings: Settings) -> dict[str, int]:
    """Every account of ``ACCOUNTS`` (the first through ``create_user``, the rest as rows with
    a shared hash); returns their user ids."""
    first, *rest = ACCOUNTS.items()
    username, (role, community, grid) = first
    ids = {username: add_user(settings.resolved_db_url, username, role, community, grid).id}
    with session_scope(settings.resolved_db_url) as session:
        users = [
            User(
                username=name,
                password_hash=_password_hash(),
                role=role,
                community=community,
                grid=grid,
            )
            for name, (role, community, grid) in rest
        ]
        session.add_all(users)
        session.flush()
        ids.update({u.username: u.id for u in users})
    return ids


def add_lights(settings: Settings) -> None:
    with session_scope(settings.resolved_db_url) as session:
        for moment, lit, observer in LIGHTS:
            session.add(
                LightsObservation(
                    unit_id=METERED_UNIT,
                    ts=moment.timestamp(),
                    community=SUNNY,
                    building="3",
                    lit=lit,
                    observer=observer,
                    source="api",
                )
            )


def sign_in(client: TestClient, settings: Settings, username: str) -> str:
    """Make ``client`` a browser signed in as ``username``; returns its CSRF token."""
    with session_scope(settings.resolved_db_url) as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        cookie = start_session(session, user, hours=8)
        csrf = session.get(WebSession, digest(cookie)).csrf_token  # type: ignore[union-attr]
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, cookie)
    return csrf


def api_headers(settings: Settings, username: str) -> dict[str, str]:
    return bearer(token_for(settings.resolved_db_url, username))


def load_flag(settings: Settings, flag_id: int) -> Flag:
    with session_scope(settings.resolved_db_url) as session:
        flag = session.get(Flag, flag_id)
        assert flag is not None
        session.expunge(flag)
        return flag


def flag_events(settings: Settings, flag_id: int) -> list[FlagEvent]:
    with session_scope(settings.resolved_db_url) as session:
        events = list(
            session.scalars(
                select(FlagEvent).where(FlagEvent.flag_id == flag_id).order_by(FlagEvent.id)
            )
        )
        session.expunge_all()
        return events


def audit_rows(settings: Settings, action: str, flag_id: int) -> list[AuditEvent]:
    with session_scope(settings.resolved_db_url) as session:
        rows = list(
            session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == action,
                    AuditEvent.object_type == "flag",
                    AuditEvent.object_id == str(flag_id),
                )
            )
        )
        session.expunge_all()
        return rows


def last_audit(settings: Settings) -> AuditEvent:
    """The newest audit event."""
    with session_scope(settings.resolved_db_url) as session:
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
        session.expunge(event)
        return event


def audited_ids(detail: str) -> list[int]:
    """The flag ids a list view's audit ``detail`` names (``list of 3 flags: 12,15,19``)."""
    _, _, ids = detail.partition(": ")
    return [int(i) for i in ids.split(" ")[0].split(",") if i]
