"""A person acting on a flag while a detection run is between reading the open flags and
committing: the person's change stands, detection never overwrites it (on SQLite and on
PostgreSQL, two sessions interleaved)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from occupancy.db.session import session_factory, session_scope
from occupancy.db.tables import DetectionRun, Flag, FlagEvent, User
from occupancy.detection import run as run_module
from occupancy.detection.run import persist_flags
from occupancy.flags.record import REGISTERED_SILENT, UNREGISTERED_ACTIVITY, FlagRecord
from occupancy.workflow.actions import assign, dismiss
from tests.pg import fresh_database
from tests.workflow.conftest import NOW, SECRETARY, add_flag, add_run, add_user

Act = Callable[[Session, Flag], object]


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a fresh database whose first user is ``SECRETARY``."""
    if request.param == "sqlite":
        yield request.getfixturevalue("url")
        return
    with fresh_database("occupancy_race") as url:
        assert add_user(url, "sec", "secretary", community="east").id == SECRETARY.user_id
        yield url


def run_with_a_person_acting(
    url: str,
    monkeypatch: pytest.MonkeyPatch,
    flag_id: int,
    act: Act,
    records: list[FlagRecord],
    **kw,
) -> tuple[int, int, int]:
    """A detection run over unit u1 during which ``act`` is done to the flag in another
    session and committed, after the run read the open flags and before it writes."""
    real = run_module._standing_dismissals  # called between the read and the writes

    def interleaved(session: Session, now, days):
        with session_factory(url)() as other:
            act(other, other.get(Flag, flag_id, with_for_update=True))
            other.commit()
        return real(session, now, days)

    monkeypatch.setattr(run_module, "_standing_dismissals", interleaved)
    run_id = add_run(url, window_start=NOW - timedelta(days=7), window_end=NOW)
    with session_scope(url) as session:
        run = session.get(DetectionRun, run_id)
        return persist_flags(session, records, run, scored_units=["u1"], now=NOW, **kw)


def flag_and_history(url: str, flag_id: int) -> tuple[Flag, list[tuple[str, str, str]]]:
    with session_scope(url) as session:
        flag = session.get(Flag, flag_id)
        events = session.scalars(
            select(FlagEvent).where(FlagEvent.flag_id == flag_id).order_by(FlagEvent.id)
        )
        return flag, [(e.action, str(e.from_state), e.to_state) for e in events]


def an_open_flag(url: str, kind: str = UNREGISTERED_ACTIVITY, **kw) -> int:
    earlier = add_run(url, window_start=NOW - timedelta(days=8), window_end=NOW - timedelta(days=1))
    fields = {"score": 0.8, "evidence": {"n": 1}, "evidence_text": "old", **kw}
    return add_flag(url, "u1", kind, run_id=earlier, state="new", **fields)


def test_a_flag_assigned_during_a_run_is_not_withdrawn(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    flag_id = an_open_flag(db)
    ann = add_user(db, "ann", community="east")

    def hand_out(session: Session, flag: Flag) -> None:
        assign(session, flag, session.get(User, ann.id), by=SECRETARY, now=NOW)

    assert run_with_a_person_acting(db, monkeypatch, flag_id, hand_out, []) == (0, 0, 0)
    flag, events = flag_and_history(db, flag_id)
    assert (flag.state, flag.assigned_to_id) == ("assigned", ann.id)  # still on ann's list
    assert events == [("assigned", "new", "assigned")]


def test_a_flag_dismissed_during_a_run_keeps_the_evidence_it_was_dismissed_on(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    flag_id = an_open_flag(db)
    old_run = flag_and_history(db, flag_id)[0].run_id

    def turn_down(session: Session, flag: Flag) -> None:
        dismiss(session, flag, "known tenant", by=SECRETARY, now=NOW)

    stronger = FlagRecord("u1", "east", UNREGISTERED_ACTIVITY, 0.95, 0.1, "new", {"n": 2}, True)
    assert run_with_a_person_acting(db, monkeypatch, flag_id, turn_down, [stronger]) == (0, 0, 0)
    flag, events = flag_and_history(db, flag_id)
    assert flag.state == "dismissed"
    assert (flag.score, flag.evidence, flag.urgent, flag.run_id) == (0.8, {"n": 1}, False, old_run)
    assert events == [("dismissed", "new", "dismissed")]  # no escalation of a dismissed flag


def test_a_flag_assigned_during_a_run_keeps_its_assignment_and_takes_the_update(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    flag_id = an_open_flag(db)
    ann = add_user(db, "ann", community="east")

    def hand_out(session: Session, flag: Flag) -> None:
        assign(session, flag, session.get(User, ann.id), by=SECRETARY, now=NOW)

    urgent = FlagRecord("u1", "east", UNREGISTERED_ACTIVITY, 0.95, 0.1, "new", {"n": 2}, True)
    assert run_with_a_person_acting(db, monkeypatch, flag_id, hand_out, [urgent]) == (0, 1, 0)
    flag, events = flag_and_history(db, flag_id)
    assert (flag.state, flag.assigned_to_id) == ("assigned", ann.id)
    assert (flag.score, flag.evidence, flag.urgent) == (0.95, {"n": 2}, True)
    # The history tells the states the flag really went through.
    assert events == [("assigned", "new", "assigned"), ("escalated", "assigned", "assigned")]


def test_a_flag_dismissed_during_a_run_is_not_downgraded(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    flag_id = an_open_flag(db, REGISTERED_SILENT, urgent=True, probability=0.9)

    def turn_down(session: Session, flag: Flag) -> None:
        dismiss(session, flag, "daughter visits daily", by=SECRETARY, now=NOW)

    counts = run_with_a_person_acting(
        db,
        monkeypatch,
        flag_id,
        turn_down,
        [],
        may_withdraw=lambda flag, kind: False,
        may_downgrade=lambda flag, kind: True,
    )
    assert counts == (0, 0, 0)
    flag, events = flag_and_history(db, flag_id)
    assert (flag.state, flag.urgent, flag.evidence_text) == ("dismissed", True, "old")
    assert events == [("dismissed", "new", "dismissed")]
