"""Sign-in rate limiting per username and per address, over a sliding window."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from occupancy.auth.ratelimit import ADDRESS_FACTOR, claim_attempt, record_attempt, retry_after
from occupancy.db.session import get_engine, session_scope
from occupancy.db.tables import LoginAttempt
from tests.pg import fresh_database

T0 = datetime(2024, 5, 15, 2, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


def _fail(db_url: str, username: str, address: str, at: datetime, times: int = 1) -> None:
    with session_scope(db_url) as session:
        for _ in range(times):
            record_attempt(session, username, address, success=False, now=at, keep=WINDOW)


def _wait(db_url: str, username: str, address: str, at: datetime) -> int | None:
    with session_scope(db_url) as session:
        return retry_after(session, username, address, now=at, max_failures=3, window=WINDOW)


def test_limit_per_username_until_the_oldest_failure_leaves_the_window(db_url: str) -> None:
    _fail(db_url, "wang", "10.0.0.1", T0)
    _fail(db_url, "Wang", "10.0.0.2", T0 + timedelta(minutes=5), times=2)
    assert _wait(db_url, "wang", "10.0.0.3", T0 + timedelta(minutes=5)) == 10 * 60 + 1
    assert _wait(db_url, "WANG", "10.0.0.3", T0 + timedelta(minutes=14)) == 61
    assert _wait(db_url, "other", "10.0.0.3", T0 + timedelta(minutes=5)) is None
    assert _wait(db_url, "wang", "10.0.0.3", T0 + timedelta(minutes=15, seconds=1)) is None


def test_success_does_not_reset_the_count(db_url: str) -> None:
    _fail(db_url, "wang", "10.0.0.1", T0, times=3)
    with session_scope(db_url) as session:
        record_attempt(session, "wang", "10.0.0.1", success=True, now=T0, keep=WINDOW)
    assert _wait(db_url, "wang", "10.0.0.1", T0 + timedelta(seconds=1)) is not None


def test_limit_per_address_over_all_usernames(db_url: str) -> None:
    for n in range(3 * ADDRESS_FACTOR):
        _fail(db_url, f"user{n}", "10.9.9.9", T0)
    assert _wait(db_url, "fresh", "10.9.9.9", T0 + timedelta(minutes=1)) is not None
    assert _wait(db_url, "fresh", "10.0.0.1", T0 + timedelta(minutes=1)) is None


def test_old_attempts_are_deleted(db_url: str) -> None:
    _fail(db_url, "wang", "10.0.0.1", T0, times=2)
    _fail(db_url, "wang", "10.0.0.1", T0 + timedelta(hours=1))
    with session_scope(db_url) as session:
        assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 1


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request: pytest.FixtureRequest, db_url: str) -> Iterator[str]:
    if request.param == "sqlite":
        yield db_url
        return
    with fresh_database("occupancy_test_ratelimit") as url:
        yield url


def test_concurrent_claims_grant_no_more_attempts_than_the_limit(any_db_url: str) -> None:
    """Claims racing each other (the count of one made between another's count and insert)
    still grant exactly ``max_failures`` attempts."""
    engine = get_engine(any_db_url)
    counted = threading.Barrier(8, timeout=2)

    def after_count(conn, cursor, statement, params, context, executemany) -> None:  # noqa: ANN001
        if "count(*)" in statement.lower() and "login_attempts" in statement:
            # Let every claim that can reach this point count before any of them inserts.
            with contextlib.suppress(threading.BrokenBarrierError):
                counted.wait()

    def claim(n: int) -> bool:
        with session_scope(any_db_url) as session:
            wait, attempt = claim_attempt(
                session, "wang", f"10.0.0.{n}", now=T0, max_failures=3, window=WINDOW
            )
            return attempt is not None and wait is None

    event.listen(engine, "after_cursor_execute", after_count)
    try:
        with ThreadPoolExecutor(8) as pool:
            granted = list(pool.map(claim, range(8)))
    finally:
        event.remove(engine, "after_cursor_execute", after_count)
    assert granted.count(True) == 3
    with session_scope(any_db_url) as session:
        rows = session.scalars(select(LoginAttempt)).all()
        assert [(r.username, r.success) for r in rows] == [("wang", False)] * 3
