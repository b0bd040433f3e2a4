"""Accounts: creating them, signing in with a password, and API tokens for scripts."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from occupancy.auth.passwords import (
    check_password_strength,
    hash_password,
    needs_rehash,
    verify_password,
)
from occupancy.auth.secrets import digest, new_secret
from occupancy.db.tables import ADMIN, GRID_WORKER, ROLES, SECRETARY, ApiToken, User, utcnow

#: Letters, digits and ``._-@``; shown in audit logs and URLs, so nothing that needs escaping.
_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{2,64}$")
#: API tokens start with this, so a leaked one is easy to recognise in logs and scanners.
TOKEN_PREFIX = "occ_"


class AccountError(ValueError):
    """An account cannot be created or changed as asked; the message says how to fix it."""


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    *,
    community: str = "",
    grid: str = "",
    display_name: str = "",
) -> User:
    """Add an account (no commit). A secretary needs a community; a grid worker a community
    and a grid: an account without a scope could see nothing, which is never what was meant."""
    username = username.strip()
    if not _USERNAME.match(username):
        raise AccountError(
            f"username {username!r} must be 2-64 letters, digits or . _ - @ (no spaces)"
        )
    community, grid = community.strip(), grid.strip()
    check_scope(role, community, grid)
    check_password_strength(password, username=username)
    if username_taken(session, username):
        raise AccountError(f"username {username!r} is taken")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        community=community,
        grid=grid,
        display_name=display_name.strip()[:64],
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def check_scope(role: str, community: str, grid: str) -> None:
    """A role's scope must be complete and no wider: an account without a scope could see
    nothing, and one with a wider scope than its role would see too much."""
    if role not in ROLES:
        raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if role in (SECRETARY, GRID_WORKER) and not community:
        raise AccountError(f"a {role} needs a community: the community they serve")
    if role == GRID_WORKER and not grid:
        raise AccountError("a grid_worker needs a grid: the grid they walk")
    if role == SECRETARY and grid:
        raise AccountError("a secretary serves a whole community; leave grid empty")
    if role not in (SECRETARY, GRID_WORKER) and (community or grid):
        raise AccountError(f"an {role} account is not tied to a community or grid")


def username_taken(session: Session, username: str) -> bool:
    count = session.scalar(
        select(func.count()).where(func.lower(User.username) == username.strip().lower())
    )
    return bool(count)


def set_password(session: Session, user: User, password: str) -> None:
    check_password_strength(password, username=user.username)
    user.password_hash = hash_password(password)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active account with this username and password, or None (no hint which was wrong).

    A hash made with older parameters is upgraded on success (caller commits)."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    ok = verify_password(user.password_hash if user is not None else None, password)
    if user is None or not ok or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def create_api_token(session: Session, user: User, name: str = "") -> str:
    """A new bearer token for ``user``; the value is returned once and only its digest kept."""
    value = new_secret(TOKEN_PREFIX)
    session.add(ApiToken(user_id=user.id, name=name.strip()[:64], token_hash=digest(value)))
    session.flush()
    return value


def user_for_token(session: Session, value: str, *, now: datetime | None = None) -> User | None:
    """The active account a bearer token belongs to, or None if it is unknown or revoked."""
    if not value.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(value)))
    if token is None or token.revoked_at is not None:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    token.last_used_at = now or utcnow()
    return user


def revoke_api_tokens(session: Session, user: User, *, now: datetime | None = None) -> int:
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for token in tokens:
        token.revoked_at = now or utcnow()
    return len(tokens)


__all__ = [
    "ADMIN",
    "AccountError",
    "authenticate",
    "create_api_token",
    "create_user",
    "revoke_api_tokens",
    "set_password",
    "user_for_token",
]
