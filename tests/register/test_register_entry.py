"""RegisterEntry: who counts as registered on a day, and the JSON kept in the history."""

from __future__ import annotations

from datetime import date

import pytest

from occupancy.register import RegisterEntry

ENTRY = RegisterEntry(
    "u1", "c", 2, vulnerable=True, move_in=date(2024, 3, 1), move_out=date(2024, 6, 1)
)


@pytest.mark.parametrize(
    ("day", "registered"),
    [
        (date(2024, 2, 29), False),  # not moved in yet
        (date(2024, 3, 1), True),  # the move-in day counts
        (date(2024, 5, 31), True),
        (date(2024, 6, 1), False),  # the move-out day does not
        (date(2025, 1, 1), False),
    ],
)
def test_registered_on(day: date, registered: bool) -> None:
    assert ENTRY.registered_on(day) is registered
    effective = ENTRY.as_of(day)
    assert effective.registered_occupants == (2 if registered else 0)
    assert effective.vulnerable is registered
    assert effective.unit_id == "u1" and effective.move_in == ENTRY.move_in


def test_unknown_dates_mean_always_registered() -> None:
    entry = RegisterEntry("u1", "c", 3)
    assert entry.as_of(date(1990, 1, 1)) is entry


def test_positional_fields_keep_their_order() -> None:
    entry = RegisterEntry("u1", "c", 2, "g", "b", "e", "f", "r", True)
    assert (entry.grid, entry.room, entry.vulnerable, entry.district) == ("g", "r", True, "")


def test_to_json_has_every_field_with_iso_dates() -> None:
    assert ENTRY.to_json() == {
        "unit_id": "u1",
        "community": "c",
        "registered_occupants": 2,
        "grid": "",
        "building": "",
        "entrance": "",
        "floor": "",
        "room": "",
        "vulnerable": True,
        "district": "",
        "street": "",
        "move_in": "2024-03-01",
        "move_out": "2024-06-01",
    }
