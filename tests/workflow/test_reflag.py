"""The re-flag rule: unit cases of ``materially_changed``, then through ``persist_flags``
with a real database, with detection's own events in the flags' history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from occupancy.db.session import session_scope
from occupancy.db.tables import DetectionRun, Flag, FlagEvent
from occupancy.detection.run import persist_flags, welfare_may_downgrade
from occupancy.flags.record import (
    METER_OFFLINE,
    REGISTERED_SILENT,
    UNREGISTERED_ACTIVITY,
    FlagRecord,
)
from occupancy.workflow.actions import assign, close, dismiss, record_visit
from occupancy.workflow.reflag import (
    DISMISSAL_DAYS,
    blocks,
    change_reason,
    dismissal_expired,
    materially_changed,
    offline_hours,
)
from tests.workflow.conftest import SECRETARY

T0 = datetime(2026, 3, 1, 16, tzinfo=UTC)


def dismissed(
    kind: str, probability: float | None = None, urgent: bool = False, **evidence
) -> Flag:
    return Flag(
        unit_id="u",
        community="c",
        kind=kind,
        score=0.5,
        state="dismissed",
        probability=probability,
        urgent=urgent,
        evidence=dict(evidence),
        closed_at=T0,
    )


def rec(
    kind: str, probability: float | None = None, urgent: bool = False, **evidence
) -> FlagRecord:
    return FlagRecord("u", "c", kind, 0.5, probability, "", dict(evidence), urgent=urgent)


SILENT, ACTIVE, OFFLINE = REGISTERED_SILENT, UNREGISTERED_ACTIVITY, METER_OFFLINE


@pytest.mark.parametrize(
    ("old", "new", "changed"),
    [
        # 1. became urgent
        (dismissed(SILENT, 0.3), rec(SILENT, 0.3, urgent=True), True),
        (dismissed(SILENT, None, urgent=True), rec(SILENT, 0.2), False),  # less, not more
        # 2. a new silence after activity (urgent both times); the same silence stays dismissed
        (
            dismissed(SILENT, urgent=True, last_activity_at="2026-03-01T08:00:00+08:00"),
            rec(SILENT, urgent=True, last_activity_at="2026-03-03T19:00:00+08:00"),
            True,
        ),
        (
            dismissed(SILENT, urgent=True, last_activity_at="2026-03-01T08:00:00+08:00"),
            rec(SILENT, urgent=True, last_activity_at="2026-03-01T09:00:00+08:00"),
            False,  # an hour apart: the same silence placed differently
        ),
        (
            dismissed(SILENT, 0.3, last_activity_at="2026-03-01T08:00:00+08:00"),
            rec(SILENT, 0.3, last_activity_at="2026-03-05T08:00:00+08:00"),
            False,  # not urgent: a weekly visitor must not re-raise it every week
        ),
        # 3. P(occupied) 0.25 further to the flag's side
        (dismissed(ACTIVE, 0.55), rec(ACTIVE, 0.8), True),
        (dismissed(ACTIVE, 0.55), rec(ACTIVE, 0.79), False),
        (dismissed(ACTIVE, 0.8), rec(ACTIVE, 0.6), False),  # weaker evidence
        (dismissed(SILENT, 0.45), rec(SILENT, 0.2), True),
        (dismissed(SILENT, 0.6 - 0.35 + 0.2), rec(SILENT, 0.2), True),  # float noise
        (dismissed(SILENT, 0.45), rec(SILENT, 0.21), False),
        (dismissed(SILENT, None, urgent=True), rec(SILENT, 0.05, urgent=True), False),
        # 4. the silence doubled and grew by 24 h
        (
            dismissed(SILENT, 0.3, hours_since_activity=30.0),
            rec(SILENT, 0.3, hours_since_activity=60.0),
            True,
        ),
        (
            dismissed(SILENT, 0.3, hours_since_activity=30.0),
            rec(SILENT, 0.3, hours_since_activity=59.0),
            False,
        ),
        (
            dismissed(SILENT, 0.3, hours_since_activity=10.0),
            rec(SILENT, 0.3, hours_since_activity=30.0),
            False,
        ),
        (
            dismissed(SILENT, 0.3, hours_since_activity=10.0),
            rec(SILENT, 0.3, hours_since_activity=34.0),
            True,
        ),
        (
            dismissed(SILENT, 0.3, hours_since_activity=None),
            rec(SILENT, 0.3, hours_since_activity=168.0),
            False,
        ),
        # 5. the outage doubled and grew by 24 h
        (
            dismissed(OFFLINE, hours_total=168, hours_measured=140, hours_since_measured=28),
            rec(OFFLINE, hours_total=168, hours_measured=100, hours_since_measured=68),
            True,
        ),
        (
            dismissed(OFFLINE, hours_total=168, hours_measured=140, hours_since_measured=28),
            rec(OFFLINE, hours_total=168, hours_measured=120, hours_since_measured=48),
            False,
        ),
        (
            dismissed(OFFLINE, hours_total=168, in_window=False),
            rec(OFFLINE, hours_total=168, in_window=False),
            False,  # dead all week both times: the same outage
        ),
        (
            dismissed(OFFLINE, hours_total=168, hours_measured=168, register_frozen_hours=5),
            rec(OFFLINE, hours_total=168, hours_measured=168, register_frozen_hours=40),
            True,
        ),
    ],
)
def test_materially_changed(old: Flag, new: FlagRecord, changed: bool) -> None:
    assert materially_changed(old, new) is changed
    assert (change_reason(old, new) is not None) is changed


def test_offline_hours_takes_the_largest_sign_of_an_outage() -> None:
    assert offline_hours({"hours_total": 168, "in_window": False}) == 168
    assert (
        offline_hours({"hours_total": 168, "hours_measured": 100, "hours_since_measured": 3}) == 68
    )
    assert (
        offline_hours({"hours_total": 168, "hours_measured": 160, "register_frozen_hours": 30})
        == 30
    )
    assert offline_hours({}) is None


def test_a_dismissal_expires() -> None:
    old = dismissed(ACTIVE, 0.6)
    same = rec(ACTIVE, 0.6)
    assert blocks(old, same, now=T0 + timedelta(days=29))
    assert not blocks(old, same, now=T0 + timedelta(days=DISMISSAL_DAYS))
    assert not blocks(old, same, now=T0 + timedelta(days=10), days=7)
    naive = dismissed(ACTIVE, 0.6)
    naive.closed_at = T0.replace(tzinfo=None)  # as SQLite hands it back
    assert not dismissal_expired(naive, T0 + timedelta(days=1))
    unknown = dismissed(ACTIVE, 0.6)
    unknown.closed_at = None
    assert dismissal_expired(unknown, T0)


# --- through persist_flags -------------------------------------------------------------


def run(url: str, records: list[FlagRecord], scored: list[str], *, at: datetime, **kw) -> tuple:
    with session_scope(url) as session:
        r = DetectionRun(kind=kw.pop("kind", "nightly"), window_start=at, window_end=at)
        session.add(r)
        session.flush()
        return persist_flags(session, records, r, scored_units=scored, now=at, **kw)


def flags(url: str) -> list[tuple[int, str, str]]:
    with session_scope(url) as session:
        return [(f.id, f.unit_id, f.state) for f in session.scalars(select(Flag).order_by(Flag.id))]


def history(url: str) -> list[tuple]:
    with session_scope(url) as session:
        return [
            (e.flag_id, e.actor, e.action, e.from_state, e.to_state, e.note)
            for e in session.scalars(select(FlagEvent).order_by(FlagEvent.id))
        ]


def act(url: str, flag_id: int, fn, *args, at: datetime, **kw) -> None:
    with session_scope(url) as session:
        fn(session, session.get(Flag, flag_id), *args, now=at, **kw)


def test_a_dismissed_unit_is_not_flagged_again_until_the_evidence_changes(url: str) -> None:
    quiet = rec(SILENT, 0.4, hours_since_activity=30.0)
    assert run(url, [quiet], ["u"], at=T0) == (1, 0, 0)
    act(url, 1, dismiss, "lives with her daughter in winter", by=SECRETARY, at=T0)
    night = timedelta(days=1)
    # The same evidence, night after night: nothing new.
    assert run(url, [quiet], ["u"], at=T0 + night) == (0, 0, 0)
    assert run(url, [rec(SILENT, 0.3, hours_since_activity=50.0)], ["u"], at=T0 + 2 * night) == (
        0,
        0,
        0,
    )
    assert flags(url) == [(1, "u", "dismissed")]
    # P(occupied) fell by 0.25: a new flag, saying why the dismissal was overridden.
    assert run(url, [rec(SILENT, 0.15)], ["u"], at=T0 + 3 * night) == (1, 0, 0)
    assert flags(url) == [(1, "u", "dismissed"), (2, "u", "new")]
    assert history(url)[-1] == (
        2,
        "detector",
        "raised",
        None,
        "new",
        "raised again despite the dismissal of flag 1: P(occupied) fell from 0.40 to 0.15",
    )


def test_an_urgent_silence_overrides_the_dismissal_of_a_quiet_week(url: str) -> None:
    run(url, [rec(SILENT, 0.4)], ["u"], at=T0)
    act(url, 1, dismiss, "known", by=SECRETARY, at=T0)
    urgent = rec(SILENT, None, urgent=True, hours_since_activity=25.0)
    assert run(url, [urgent], ["u"], at=T0 + timedelta(hours=5), kind="welfare") == (1, 0, 0)
    assert history(url)[-1][-1].endswith("became urgent")


def test_a_dismissal_expires_after_thirty_days_and_can_be_shortened(url: str) -> None:
    same = rec(UNREGISTERED_ACTIVITY, 0.7)
    run(url, [same], ["u"], at=T0)
    act(url, 1, dismiss, "tenant registered last week, paperwork pending", by=SECRETARY, at=T0)
    assert run(url, [same], ["u"], at=T0 + timedelta(days=29)) == (0, 0, 0)
    assert run(url, [same], ["u"], at=T0 + timedelta(days=29, hours=1), dismissal_days=7) == (
        1,
        0,
        0,
    )
    assert history(url)[-1][-1] == ""  # an expired dismissal overrides nothing: a plain raise


def test_a_later_closed_visit_supersedes_the_dismissal(url: str) -> None:
    run(url, [rec(SILENT, 0.4)], ["u"], at=T0)
    act(url, 1, dismiss, "known", by=SECRETARY, at=T0)
    day = timedelta(days=1)
    run(url, [rec(SILENT, 0.1)], ["u"], at=T0 + day)  # material: flag 2
    act(url, 2, record_visit, "found_registered", by=SECRETARY, at=T0 + 2 * day)
    act(url, 2, close, by=SECRETARY, at=T0 + 2 * day)
    assert run(url, [rec(SILENT, 0.4)], ["u"], at=T0 + 3 * day) == (1, 0, 0)


def test_only_the_same_unit_and_kind_are_held(url: str) -> None:
    run(url, [rec(SILENT, 0.4)], ["u"], at=T0)
    act(url, 1, dismiss, "known", by=SECRETARY, at=T0)
    other_kind = rec(OFFLINE, hours_total=168, in_window=False)
    other_unit = FlagRecord("v", "c", SILENT, 0.6, 0.4, "", {})
    assert run(
        url, [rec(SILENT, 0.4), other_kind, other_unit], ["u", "v"], at=T0 + timedelta(days=1)
    ) == (2, 0, 0)


def test_detection_records_raised_withdrawn_downgraded_and_escalated(url: str) -> None:
    at = T0
    calm = FlagRecord("a", "c", SILENT, 0.6, 0.4, "quiet week", {})
    urgent = FlagRecord("a", "c", SILENT, 0.9, 0.4, "silent 25 h", {}, urgent=True)
    gone = FlagRecord("b", "c", OFFLINE, 0.9, None, "offline", {})
    assert run(url, [calm, gone], ["a", "b"], at=at) == (2, 0, 0)
    assert run(url, [urgent], ["a", "b"], at=at + timedelta(hours=1)) == (0, 1, 1)

    def never(flag: Flag, raised_by: str | None) -> bool:
        return False

    assert run(
        url,
        [],
        ["a"],
        at=at + timedelta(hours=2),
        kind="welfare",
        may_withdraw=never,
        may_downgrade=welfare_may_downgrade,
    ) == (0, 1, 0)
    assert [(e[0], e[1], e[2], e[3], e[4]) for e in history(url)] == [
        (1, "detector", "raised", None, "new"),
        (2, "detector", "raised", None, "new"),
        (1, "detector", "escalated", "new", "new"),
        (2, "detector", "withdrawn", "new", "withdrawn"),
        (1, "detector", "downgraded", "new", "new"),
    ]


def test_flags_in_review_keep_being_updated_and_are_never_withdrawn(url: str) -> None:
    from tests.workflow.conftest import add_user

    ann = add_user(url, "ann", community="c")
    run(url, [rec(SILENT, 0.4), FlagRecord("v", "c", SILENT, 0.6, 0.4, "", {})], ["u", "v"], at=T0)
    act(url, 1, assign, ann, by=SECRETARY, at=T0)
    act(url, 2, record_visit, "no_answer", by=SECRETARY, at=T0)
    later = T0 + timedelta(days=1)
    assert run(
        url,
        [rec(SILENT, 0.1), FlagRecord("v", "c", SILENT, 0.8, 0.2, "", {})],
        ["u", "v"],
        at=later,
    ) == (0, 2, 0)
    assert run(url, [], ["u", "v"], at=later + timedelta(days=1)) == (0, 0, 0)
    with session_scope(url) as session:
        got = {f.unit_id: (f.state, f.probability) for f in session.scalars(select(Flag))}
    assert got == {"u": ("assigned", 0.1), "v": ("visited", 0.2)}
