"""People's actions on flags against a real SQLite database: state, columns, history, and
every refusal leaving the flag as it was."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from occupancy.db.session import session_scope
from occupancy.db.tables import Flag, FlagEvent, Unit
from occupancy.workflow.actions import (
    MAX_NOTE_CHARS,
    assign,
    close,
    dismiss,
    eligible_workers,
    flag_history,
    record_visit,
    reopen,
    unassign,
)
from occupancy.workflow.errors import InvalidAction, NotAssignee, TransitionError, WorkflowError
from tests.workflow.conftest import NOW, SECRETARY, add_flag, add_run, add_units, add_user, worker


@pytest.fixture
def world(url: str) -> dict:
    add_units(
        url,
        Unit(unit_id="u1", community="east", grid="g1", building="1", registered_occupants=2),
        Unit(unit_id="nogrid", community="east", grid="", registered_occupants=1),
    )
    return {
        "ann": add_user(url, "ann", community="east", grid="g1"),
        "bob": add_user(url, "bob", community="east", grid="g2"),
        "old": add_user(url, "old", community="east", grid="g1", active=False),
        "west": add_user(url, "west", community="west", grid="g1"),
        "sec": add_user(url, "sec2", role="secretary", community="east"),
        "run": add_run(url),
    }


def events(url: str, flag_id: int) -> list[tuple]:
    with session_scope(url) as session:
        return [
            (e.actor, e.action, e.from_state, e.to_state, e.outcome, e.note, e.assignee)
            for e in flag_history(session, flag_id)
        ]


def act(url: str, flag_id: int, fn, *args, **kw):
    """Run one action in its own transaction, like a route would, and commit."""
    with session_scope(url) as session:
        flag = session.get(Flag, flag_id)
        kw.setdefault("now", NOW)
        return fn(session, flag, *args, **kw)


def snapshot(url: str, flag_id: int) -> tuple:
    with session_scope(url) as session:
        f = session.get(Flag, flag_id)
        count = session.scalar(select(func.count()).where(FlagEvent.flag_id == flag_id))
        return (f.state, f.assigned_to_id, f.outcome, f.dismiss_reason, f.closed_at, count)


def test_the_whole_way_from_new_to_closed_is_in_the_history(url: str, world: dict) -> None:
    ann = world["ann"]
    flag = add_flag(url, run_id=world["run"])
    act(url, flag, assign, ann, by=SECRETARY, note="please today")
    with session_scope(url) as session:
        f = session.get(Flag, flag)
        assert (f.state, f.assigned_to_id) == ("assigned", ann.id)
        assert f.assigned_at.replace(tzinfo=NOW.tzinfo) == NOW
    later = NOW + timedelta(hours=3)
    act(
        url,
        flag,
        record_visit,
        "found_needs_help",
        "  elderly, no heating  ",
        by=worker(ann),
        now=later,
    )
    with session_scope(url) as session:
        f = session.get(Flag, flag)
        assert (f.state, f.outcome, f.outcome_note, f.visited_by_id) == (
            "visited",
            "found_needs_help",
            "elderly, no heating",
            ann.id,
        )
    act(
        url,
        flag,
        close,
        by=SECRETARY,
        note="social services informed",
        now=later + timedelta(hours=1),
    )
    assert events(url, flag) == [
        ("sec", "assigned", "new", "assigned", None, "please today", "ann"),
        ("ann", "visited", "assigned", "visited", "found_needs_help", "elderly, no heating", None),
        ("sec", "closed", "visited", "closed", None, "social services informed", None),
    ]
    with session_scope(url) as session:
        f = session.get(Flag, flag)
        assert f.state == "closed" and f.closed_at is not None
        assert f.outcome == "found_needs_help"  # the outcome stays for the labels


def test_reassign_unassign_and_revisit(url: str, world: dict) -> None:
    ann, old_ann = world["ann"], world["ann"]
    flag = add_flag(url)
    act(url, flag, assign, ann, by=SECRETARY)
    act(url, flag, assign, world["bob"], by=SECRETARY, allow_other_grid=True)
    act(url, flag, unassign, by=SECRETARY, note="bob is ill")
    assert snapshot(url, flag)[:2] == ("new", None)
    act(url, flag, assign, old_ann, by=SECRETARY)
    act(url, flag, record_visit, "no_answer", by=worker(ann))
    act(url, flag, assign, ann, by=SECRETARY, note="try the evening")
    with session_scope(url) as session:
        f = session.get(Flag, flag)
        # Sent again: on the list, and the last outcome still shows what happened before.
        assert (f.state, f.assigned_to_id, f.outcome) == ("assigned", ann.id, "no_answer")
    assert [(e[1], e[6]) for e in events(url, flag)] == [
        ("assigned", "ann"),
        ("reassigned", "bob"),
        ("unassigned", "bob"),
        ("assigned", "ann"),
        ("visited", None),
        ("revisit", "ann"),
    ]


def test_a_secretary_records_a_visit_without_assigning(url: str, world: dict) -> None:
    flag = add_flag(url)
    act(url, flag, record_visit, "vacant", "neighbours say empty since May", by=SECRETARY)
    assert snapshot(url, flag)[:3] == ("visited", None, "vacant")
    # ... and corrects it (the flag is not closed yet).
    act(url, flag, record_visit, "found_registered", by=SECRETARY)
    assert [e[1] for e in events(url, flag)] == ["visited", "corrected"]
    assert snapshot(url, flag)[2] == "found_registered"


def test_a_grid_worker_records_only_on_their_own_list(url: str, world: dict) -> None:
    ann, bob = worker(world["ann"]), worker(world["bob"])
    flag = add_flag(url)
    with pytest.raises(NotAssignee):  # new: nobody's yet
        act(url, flag, record_visit, "vacant", by=ann)
    act(url, flag, assign, world["ann"], by=SECRETARY)
    with pytest.raises(NotAssignee):
        act(url, flag, record_visit, "vacant", by=bob)
    act(url, flag, record_visit, "vacant", by=ann)
    with pytest.raises(NotAssignee):  # bob cannot correct ann's visit
        act(url, flag, record_visit, "found_registered", by=bob)
    act(url, flag, record_visit, "found_registered", by=ann)  # ann can
    assert snapshot(url, flag)[2] == "found_registered"


@pytest.mark.parametrize(
    ("who", "kw", "code"),
    [
        ("old", {}, "worker_inactive"),
        ("sec", {}, "worker_not_grid_worker"),
        ("west", {}, "worker_other_community"),
        ("bob", {}, "worker_other_grid"),
        ("west", {"allow_other_grid": True}, "worker_other_community"),
    ],
)
def test_assignment_refuses_the_wrong_worker(
    url: str, world: dict, who: str, kw: dict, code: str
) -> None:
    flag = add_flag(url)
    before = snapshot(url, flag)
    with pytest.raises(InvalidAction) as caught:
        act(url, flag, assign, world[who], by=SECRETARY, **kw)
    assert caught.value.code == code
    assert snapshot(url, flag) == before


def test_grid_rules_follow_the_register(url: str, world: dict) -> None:
    """Another grid's worker only with allow_other_grid; a unit without a grid, or not in
    the register, may go to any grid worker of the community."""
    bob = world["bob"]
    act(url, add_flag(url), assign, bob, by=SECRETARY, allow_other_grid=True)
    act(url, add_flag(url, unit_id="nogrid"), assign, bob, by=SECRETARY)
    act(
        url,
        add_flag(url, unit_id="stranger", kind="unregistered_activity"),
        assign,
        bob,
        by=SECRETARY,
    )
    with session_scope(url) as session:
        flag = session.get(Flag, add_flag(url))
        assert [w.username for w in eligible_workers(session, flag)] == ["ann"]
        assert [w.username for w in eligible_workers(session, flag, any_grid=True)] == [
            "ann",
            "bob",
        ]


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda s, f: dismiss(s, f, "   ", by=SECRETARY, now=NOW), "reason_required"),
        (
            lambda s, f: dismiss(s, f, "x" * (MAX_NOTE_CHARS + 1), by=SECRETARY, now=NOW),
            "note_too_long",
        ),
        (lambda s, f: record_visit(s, f, "maybe", by=SECRETARY, now=NOW), "unknown_outcome"),
        (lambda s, f: record_visit(s, f, "other", " ", by=SECRETARY, now=NOW), "note_required"),
        (
            lambda s, f: record_visit(s, f, "vacant", "x" * 501, by=SECRETARY, now=NOW),
            "note_too_long",
        ),
        (lambda s, f: close(s, f, by=SECRETARY, now=NOW), "not_visited"),
        (lambda s, f: unassign(s, f, by=SECRETARY, now=NOW), "not_assigned"),
        (lambda s, f: reopen(s, f, by=SECRETARY, now=NOW), "not_dismissed"),
    ],
)
def test_refused_actions_change_nothing(url: str, world: dict, call, code: str) -> None:
    flag = add_flag(url)
    before = snapshot(url, flag)
    with pytest.raises(WorkflowError) as caught, session_scope(url) as session:
        call(session, session.get(Flag, flag))
    assert caught.value.code == code
    assert snapshot(url, flag) == before


def test_a_note_of_exactly_the_limit_is_kept(url: str, world: dict) -> None:
    flag = add_flag(url)
    act(url, flag, dismiss, "y" * MAX_NOTE_CHARS, by=SECRETARY)
    assert snapshot(url, flag)[3] == "y" * MAX_NOTE_CHARS


def test_dismiss_and_reopen(url: str, world: dict) -> None:
    flag = add_flag(url)
    act(url, flag, assign, world["ann"], by=SECRETARY)
    act(url, flag, dismiss, "resident in hospital until April", by=SECRETARY)
    state, assigned, _, reason, closed_at, _ = snapshot(url, flag)
    assert (state, reason) == ("dismissed", "resident in hospital until April")
    assert closed_at is not None  # the re-flag rule counts the dismissal's age from it
    for refused in (
        lambda s, f: assign(s, f, world["ann"], by=SECRETARY, now=NOW),
        lambda s, f: record_visit(s, f, "vacant", by=SECRETARY, now=NOW),
        lambda s, f: close(s, f, by=SECRETARY, now=NOW),
    ):
        with pytest.raises(TransitionError), session_scope(url) as session:
            refused(session, session.get(Flag, flag))
    act(url, flag, reopen, by=SECRETARY, note="came home early")
    assert snapshot(url, flag)[:5] == ("new", None, None, "", None)
    assert [e[1:4] for e in events(url, flag)][-2:] == [
        ("dismissed", "assigned", "dismissed"),
        ("reopened", "dismissed", "new"),
    ]


def test_reopen_is_refused_while_another_flag_of_the_unit_and_kind_is_open(
    url: str, world: dict
) -> None:
    dismissed = add_flag(url, state="dismissed", dismiss_reason="known")
    add_flag(url)  # detection raised a fresh one since (material change)
    with pytest.raises(TransitionError) as caught:
        act(url, dismissed, reopen, by=SECRETARY)
    assert caught.value.code == "open_duplicate"
    add_flag(url, unit_id="u1", kind="meter_offline")  # another kind does not matter


@pytest.mark.parametrize("state", ["closed", "withdrawn"])
def test_nothing_can_be_done_with_closed_or_withdrawn_flags(
    url: str, world: dict, state: str
) -> None:
    flag = add_flag(url, state=state)
    for call in (
        lambda s, f: assign(s, f, world["ann"], by=SECRETARY, now=NOW),
        lambda s, f: record_visit(s, f, "vacant", by=SECRETARY, now=NOW),
        lambda s, f: dismiss(s, f, "no", by=SECRETARY, now=NOW),
        lambda s, f: reopen(s, f, by=SECRETARY, now=NOW),
    ):
        with pytest.raises(TransitionError) as caught, session_scope(url) as session:
            call(session, session.get(Flag, flag))
        assert caught.value.state == state
    assert events(url, flag) == []


def test_an_unsaved_flag_is_refused(url: str, world: dict) -> None:
    with session_scope(url) as session, pytest.raises(ValueError, match="stored"):
        dismiss(
            session,
            Flag(unit_id="u1", community="east", kind="x", score=1, state="new"),
            "r",
            by=SECRETARY,
        )
