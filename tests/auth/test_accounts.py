"""Accounts: creation rules, password sign-in, API tokens, and admin changes (auth.admin)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from occupancy.auth.accounts import (
    AccountError,
    authenticate,
    check_scope,
    create_api_token,
    create_user,
    revoke_api_tokens,
    user_for_token,
)
from occupancy.auth.admin import find_user, update_user
from occupancy.auth.passwords import WeakPasswordError
from occupancy.auth.sessions import resolve_session, session_ids, start_session
from occupancy.db.session import session_scope
from occupancy.db.tables import ApiToken, User

PASSWORD = "correct horse battery staple"


def _add(db_url: str, username: str = "wang", role: str = "secretary", **kw: str) -> int:
    kw.setdefault("community", "east" if role in ("secretary", "grid_worker") else "")
    if role == "grid_worker":
        kw.setdefault("grid", "g1")
    with session_scope(db_url) as session:
        return create_user(session, username, PASSWORD, role, **kw).id


def test_created_user_keeps_only_an_argon2_hash(db_url: str) -> None:
    user_id = _add(db_url)
    with session_scope(db_url) as session:
        user = session.get(User, user_id)
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        assert (user.role, user.community, user.grid, user.active) == (
            "secretary",
            "east",
            "",
            True,
        )


@pytest.mark.parametrize(
    ("username", "role", "community", "grid", "message"),
    [
        ("a b", "admin", "", "", "username"),
        ("x", "admin", "", "", "username"),
        ("boss", "king", "", "", "role"),
        ("sec", "secretary", "", "", "community"),
        ("sec", "secretary", "east", "g1", "whole community"),
        ("walker", "grid_worker", "east", "", "grid"),
        ("boss", "admin", "east", "", "not tied"),
        ("tess", "tester", "", "g1", "not tied"),
    ],
)
def test_create_user_refuses_impossible_accounts(
    db_url: str, username: str, role: str, community: str, grid: str, message: str
) -> None:
    with session_scope(db_url) as session, pytest.raises(AccountError, match=message):
        create_user(session, username, PASSWORD, role, community=community, grid=grid)


def test_username_taken_regardless_of_case(db_url: str) -> None:
    _add(db_url, "Wang")
    with session_scope(db_url) as session, pytest.raises(AccountError, match="taken"):
        create_user(session, "wang", PASSWORD, "admin")


def test_short_password_refused(db_url: str) -> None:
    with session_scope(db_url) as session, pytest.raises(WeakPasswordError):
        create_user(session, "boss", "short", "admin")


def test_authenticate(db_url: str) -> None:
    user_id = _add(db_url)
    with session_scope(db_url) as session:
        assert authenticate(session, "wang", PASSWORD).id == user_id
        assert authenticate(session, " wang ", PASSWORD).id == user_id
        assert authenticate(session, "wang", "wrong password here") is None
        assert authenticate(session, "nobody", PASSWORD) is None
        session.get(User, user_id).active = False
    with session_scope(db_url) as session:
        assert authenticate(session, "wang", PASSWORD) is None  # disabled


def test_old_hash_is_upgraded_on_sign_in(db_url: str) -> None:
    user_id = _add(db_url)
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with session_scope(db_url) as session:
        session.get(User, user_id).password_hash = weak
    with session_scope(db_url) as session:
        assert authenticate(session, "wang", PASSWORD) is not None
    with session_scope(db_url) as session:
        stored = session.get(User, user_id).password_hash
        assert stored != weak and stored.startswith("$argon2id$")


def test_api_token_lifecycle(db_url: str) -> None:
    user_id = _add(db_url)
    with session_scope(db_url) as session:
        value = create_api_token(session, session.get(User, user_id), "script")
    assert value.startswith("occ_") and len(value) > 40
    with session_scope(db_url) as session:
        stored = session.scalars(select(ApiToken)).one()
        assert stored.token_hash != value and value not in stored.token_hash
        assert user_for_token(session, value).id == user_id
        assert stored.last_used_at is not None
        assert user_for_token(session, value[:-1] + "x") is None
        assert user_for_token(session, "Bearer " + value) is None
    with session_scope(db_url) as session:
        assert revoke_api_tokens(session, session.get(User, user_id)) == 1
    with session_scope(db_url) as session:
        assert user_for_token(session, value) is None


def test_token_of_disabled_user_stops_working(db_url: str) -> None:
    user_id = _add(db_url)
    with session_scope(db_url) as session:
        value = create_api_token(session, session.get(User, user_id))
        update_user(session, session.get(User, user_id), active=False)
    with session_scope(db_url) as session:
        assert user_for_token(session, value) is None


def test_check_scope_matches_create_rules() -> None:
    check_scope("grid_worker", "east", "g1")
    check_scope("admin", "", "")
    with pytest.raises(AccountError, match="grid"):
        check_scope("grid_worker", "east", "")
    with pytest.raises(AccountError, match="not tied"):
        check_scope("admin", "east", "")


def test_update_user_ends_sessions_on_role_change_disable_and_password(db_url: str) -> None:
    user_id = _add(db_url, "walker", "grid_worker")
    for change in (
        {"role": "secretary", "grid": ""},
        {"active": False},
        {"password": "a brand new passphrase"},
    ):
        with session_scope(db_url) as session:
            user = session.get(User, user_id)
            user.active = True
            cookie = start_session(session, user, hours=1)
        with session_scope(db_url) as session:
            changes = update_user(session, session.get(User, user_id), **change)
            assert changes.sessions_ended, change
            assert "passphrase" not in str(changes)
        with session_scope(db_url) as session:
            assert resolve_session(session, cookie) is None
            assert session_ids(session, user_id) == []


def test_update_user_keeps_sessions_for_a_new_display_name(db_url: str) -> None:
    user_id = _add(db_url)
    with session_scope(db_url) as session:
        cookie = start_session(session, session.get(User, user_id), hours=1)
    with session_scope(db_url) as session:
        changes = update_user(session, find_user(session, "WANG"), display_name="王丽")
        assert not changes.sessions_ended
    with session_scope(db_url) as session:
        assert resolve_session(session, cookie).user.display_name == "王丽"


def test_update_user_refuses_an_incomplete_scope(db_url: str) -> None:
    user_id = _add(db_url)
    with session_scope(db_url) as session, pytest.raises(AccountError, match="grid"):
        update_user(session, session.get(User, user_id), role="grid_worker")
    with session_scope(db_url) as session, pytest.raises(AccountError, match="characters"):
        update_user(session, session.get(User, user_id), password="short")
    with session_scope(db_url) as session, pytest.raises(AccountError, match="no user"):
        find_user(session, "ghost")
