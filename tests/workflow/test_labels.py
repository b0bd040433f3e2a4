"""Visit outcomes exported as labels: the right rows, the right columns, nothing private."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from occupancy.db.session import session_scope
from occupancy.db.tables import Flag
from occupancy.workflow.actions import assign, close, dismiss, record_visit
from occupancy.workflow.labels import LABEL_COLUMNS, export_labels
from tests.workflow.conftest import NOW, SECRETARY, add_flag, add_run, add_user

START = datetime(2026, 3, 2, 16, tzinfo=UTC)


def visit(url: str, flag_id: int, outcome: str, note: str = "", *, at: datetime, by=SECRETARY):
    with session_scope(url) as session:
        record_visit(session, session.get(Flag, flag_id), outcome, note, by=by, now=at)


def export(url: str, **kw) -> list[dict[str, str]]:
    out = io.StringIO()
    with session_scope(url) as session:
        count = export_labels(session, out, **kw)
    text = out.getvalue()
    assert not text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == count
    assert text.splitlines()[0].split(",") == list(LABEL_COLUMNS)
    return rows


def test_labels_carry_the_window_outcome_and_occupancy(url: str) -> None:
    run = add_run(
        url, window_start=START, window_end=START + timedelta(days=7), model_version="trees@abc"
    )
    ids = {
        outcome: add_flag(url, unit_id=f"u-{outcome}", run_id=run, probability=0.3)
        for outcome in (
            "found_registered",
            "found_needs_help",
            "vacant",
            "no_answer",
            "refused",
            "other",
        )
    }
    add_flag(url, unit_id="u-open", run_id=run)  # never visited: no label
    for k, (outcome, flag_id) in enumerate(ids.items()):
        visit(url, flag_id, outcome, "Mrs Wang, 3rd floor, said ...", at=NOW + timedelta(minutes=k))
    rows = export(url)
    assert [r["unit_id"] for r in rows] == [f"u-{o}" for o in ids]
    assert [r["occupied"] for r in rows] == ["1", "1", "0", "", "", ""]
    first = rows[0]
    assert first == {
        "unit_id": "u-found_registered",
        "community": "east",
        "kind": "registered_silent",
        "window_start": "2026-03-02T16:00:00+00:00",
        "window_end": "2026-03-09T16:00:00+00:00",
        "visited_at": "2026-03-10T08:00:00+00:00",
        "outcome": "found_registered",
        "occupied": "1",
        "probability": "0.3",
        "model_version": "trees@abc",
    }
    text = str(rows)
    assert "Wang" not in text  # notes never leave
    assert "u-open" not in text


def test_closed_dismissed_and_resent_flags_keep_their_label_and_a_correction_replaces_it(
    url: str,
) -> None:
    run = add_run(url)
    ann = add_user(url, "ann", community="east")
    closed, dismissed, resent, corrected = (add_flag(url, unit_id=u, run_id=run) for u in "abcd")
    for flag_id in (closed, dismissed, resent, corrected):
        visit(url, flag_id, "vacant", at=NOW)
    visit(url, corrected, "found_registered", at=NOW + timedelta(hours=1))
    with session_scope(url) as session:
        close(session, session.get(Flag, closed), by=SECRETARY, now=NOW)
        dismiss(session, session.get(Flag, dismissed), "double entry", by=SECRETARY, now=NOW)
        assign(session, session.get(Flag, resent), ann, by=SECRETARY, now=NOW)
    rows = {r["unit_id"]: (r["outcome"], r["occupied"]) for r in export(url)}
    assert rows == {
        "a": ("vacant", "0"),
        "b": ("vacant", "0"),
        "c": ("vacant", "0"),
        "d": ("found_registered", "1"),
    }


def test_since_and_community_filters(url: str) -> None:
    run = add_run(url)
    early = add_flag(url, unit_id="early", run_id=run)
    late = add_flag(url, unit_id="late", run_id=run)
    west = add_flag(url, unit_id="west", run_id=run, community="west")
    visit(url, early, "vacant", at=NOW - timedelta(days=3))
    visit(url, late, "vacant", at=NOW)
    visit(url, west, "vacant", at=NOW)
    assert [r["unit_id"] for r in export(url, since=NOW - timedelta(days=1))] == ["late", "west"]
    assert [r["unit_id"] for r in export(url, community="east")] == ["early", "late"]
    assert export(url, since=NOW + timedelta(days=1)) == []


def test_the_window_is_the_one_the_visit_judged(url: str) -> None:
    """Detection keeps updating a visited flag; the label keeps the window and P(occupied)
    the visit judged."""
    from occupancy.db.tables import DetectionRun
    from occupancy.detection.run import persist_flags
    from occupancy.flags.record import FlagRecord

    def detect(end: datetime, p: float) -> int:
        record = FlagRecord("u", "east", "registered_silent", 1 - p, p, "", {})
        with session_scope(url) as session:
            run = DetectionRun(kind="nightly", window_start=end - timedelta(days=7), window_end=end)
            session.add(run)
            session.flush()
            persist_flags(session, [record], run, scored_units=["u"], now=end)
            return run.id

    detect(START, 0.3)
    visit(url, 1, "vacant", at=START + timedelta(hours=10))
    detect(START + timedelta(days=1), 0.1)
    (row,) = export(url)
    assert (row["window_end"], row["probability"]) == (START.isoformat(), "0.3")
    with session_scope(url) as session:
        assert session.get(Flag, 1).probability == 0.1  # the flag itself moved on


def test_a_corrected_outcome_keeps_the_window_p_and_time_of_the_visit_it_corrects(
    url: str,
) -> None:
    """A correction fixes what was tapped at the door; it is not a new door-knock: the label
    keeps the visit's window, P(occupied) and time even after detection moved the flag on."""
    from occupancy.db.tables import DetectionRun, FlagEvent
    from occupancy.detection.run import persist_flags
    from occupancy.flags.record import FlagRecord

    def detect(end: datetime, p: float) -> int:
        record = FlagRecord("u", "east", "registered_silent", 1 - p, p, "", {})
        with session_scope(url) as session:
            run = DetectionRun(kind="nightly", window_start=end - timedelta(days=7), window_end=end)
            session.add(run)
            session.flush()
            persist_flags(session, [record], run, scored_units=["u"], now=end)
            return run.id

    first = detect(START, 0.3)
    visited = START + timedelta(hours=10)
    visit(url, 1, "vacant", at=visited)
    detect(START + timedelta(days=1), 0.1)  # the still visited flag moves on
    visit(url, 1, "found_registered", at=START + timedelta(days=1, hours=9))
    (row,) = export(url)
    assert (row["outcome"], row["occupied"]) == ("found_registered", "1")
    assert (row["window_end"], row["probability"]) == (START.isoformat(), "0.3")
    assert row["visited_at"] == visited.isoformat()
    with session_scope(url) as session:
        corrected = session.scalars(select(FlagEvent).where(FlagEvent.action == "corrected")).one()
        assert (corrected.run_id, corrected.probability) == (first, 0.3)
    # Sent again and visited anew: the new visit's window counts, its correction keeps it.
    ann = add_user(url, "ann", community="east")
    with session_scope(url) as session:
        assign(session, session.get(Flag, 1), ann, by=SECRETARY, now=START + timedelta(days=2))
    again = START + timedelta(days=2, hours=5)
    visit(url, 1, "vacant", at=again)
    detect(START + timedelta(days=3), 0.6)
    visit(url, 1, "no_answer", at=START + timedelta(days=3, hours=9))
    (row,) = export(url)
    assert (row["outcome"], row["visited_at"]) == ("no_answer", again.isoformat())
    assert (row["window_end"], row["probability"]) == (
        (START + timedelta(days=1)).isoformat(),
        "0.1",
    )


def test_a_correction_event_carrying_a_later_run_does_not_move_the_window(url: str) -> None:
    """Corrections recorded before they kept the visit's run carry the run detection made
    after the knock; the label takes the window and P of the door-knock's own event."""
    from occupancy.db.tables import FlagEvent

    knocked, later = add_run(url, window_end=START), add_run(url, window_end=NOW)
    flag_id = add_flag(url, run_id=knocked, probability=0.3)
    visit(url, flag_id, "vacant", at=START + timedelta(hours=10))
    with session_scope(url) as session:
        flag = session.get(Flag, flag_id)
        flag.run_id, flag.probability = later, 0.1  # detection moved the visited flag on
        session.add(
            FlagEvent(
                flag_id=flag_id,
                at=NOW,
                actor="sec",
                action="corrected",
                from_state="visited",
                to_state="visited",
                outcome="found_registered",
                run_id=later,
                probability=0.1,
            )
        )
        flag.outcome = "found_registered"
    (row,) = export(url)
    assert (row["outcome"], row["window_end"], row["probability"]) == (
        "found_registered",
        START.isoformat(),
        "0.3",
    )


def test_export_to_a_file(url: str, tmp_path) -> None:
    visit(url, add_flag(url, run_id=add_run(url)), "vacant", at=NOW)
    path = tmp_path / "labels.csv"
    with session_scope(url) as session:
        assert export_labels(session, path) == 1
    assert path.read_text(encoding="utf-8").startswith("unit_id,community,kind,")
