"""The transition table, walked pair by pair: every allowed move and every refused one."""

from __future__ import annotations

import pytest

from occupancy.db.tables import FLAG_STATES
from occupancy.workflow.states import (
    ACTIONS,
    TransitionError,
    allowed_actions,
    event_name,
    target_state,
)

ALLOWED = {
    ("new", "assign"): "assigned",
    ("assigned", "assign"): "assigned",
    ("visited", "assign"): "assigned",
    ("assigned", "unassign"): "new",
    ("new", "visit"): "visited",
    ("assigned", "visit"): "visited",
    ("visited", "visit"): "visited",
    ("new", "dismiss"): "dismissed",
    ("assigned", "dismiss"): "dismissed",
    ("visited", "dismiss"): "dismissed",
    ("visited", "close"): "closed",
    ("dismissed", "reopen"): "new",
}
STATES = (*FLAG_STATES, "resolved")
REFUSED = [(s, a) for s in STATES for a in ACTIONS if (s, a) not in ALLOWED]


@pytest.mark.parametrize(("state", "action"), sorted(ALLOWED))
def test_allowed_transitions(state: str, action: str) -> None:
    assert target_state(state, action) == ALLOWED[(state, action)]


@pytest.mark.parametrize(("state", "action"), REFUSED)
def test_every_other_transition_is_refused_with_its_reason(state: str, action: str) -> None:
    with pytest.raises(TransitionError) as caught:
        target_state(state, action)
    error = caught.value
    assert isinstance(error, ValueError)
    assert (error.state, error.action) == (state, action)
    assert error.reason and state in str(error) and action in str(error)
    if state in ("closed", "resolved"):
        assert error.code == "final"
    elif state == "withdrawn":
        assert error.code == "withdrawn"


def test_the_refused_list_is_the_complement() -> None:
    assert len(REFUSED) == len(STATES) * len(ACTIONS) - len(ALLOWED) == 30


def test_terminal_states_allow_nothing_and_others_say_what_they_allow() -> None:
    assert allowed_actions("closed") == allowed_actions("withdrawn") == ()
    assert allowed_actions("new") == ("assign", "visit", "dismiss")
    assert allowed_actions("assigned") == ("assign", "unassign", "visit", "dismiss")
    assert allowed_actions("visited") == ("assign", "visit", "dismiss", "close")
    assert allowed_actions("dismissed") == ("reopen",)


def test_unknown_states_and_actions_are_refused() -> None:
    with pytest.raises(TransitionError, match="unknown flag state"):
        target_state("acknowledged", "assign")
    with pytest.raises(TransitionError, match="unknown action"):
        target_state("new", "delete")


def test_event_names_tell_reassignments_revisits_and_corrections_apart() -> None:
    assert event_name("assign", "new") == "assigned"
    assert event_name("assign", "assigned") == "reassigned"
    assert event_name("assign", "visited") == "revisit"
    assert event_name("visit", "assigned") == "visited"
    assert event_name("visit", "visited") == "corrected"
    assert event_name("reopen", "dismissed") == "reopened"
