"""A night count reaches the detector: sheet -> store -> hourly window -> features.

Runs against the embedded store and a real InfluxDB 1.x, because the evidence is only worth
collecting if every backend hands it to the detector the same way.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from occupancy.db.session import session_scope
from occupancy.lights import parse_survey_bytes, save_observations
from occupancy.models.features import summarize
from occupancy.models.matrix import window_matrix
from occupancy.store import ReadingStore

from .survey_data import NOW, TZ, context

#: The detector's 7-day window ending with the pinned "now" (local midnights).
WINDOW_START = datetime(2024, 5, 9, tzinfo=TZ)
DAYS = 7
SHEET = (
    "单元编号,观察时间,亮灯,观察人\n"
    "YG-3-2-502,2024-05-13 21:30,亮,王芳\n"  # lit on the evening of day 4 (13 May)
    "YG-3-2-501,2024-05-13 21:31,灭,王芳\n"  # dark the same evening
    "YG-1-1-101,2024-05-14 01:10,亮,王芳\n"  # lit after midnight: still the night of 13 May
)


def import_sheet(store: ReadingStore, db_url: str) -> None:
    parsed = parse_survey_bytes(SHEET.encode(), context())
    with session_scope(db_url) as session:
        save_observations(store, session, parsed.observations, source="sheet:test.csv")


def test_a_lit_night_reaches_the_window_and_the_features(
    store: ReadingStore, tmp_path: Path
) -> None:
    import_sheet(store, f"sqlite:///{tmp_path / 'occupancy.db'}")
    window = store.hourly_window(WINDOW_START, DAYS * 24)
    assert window.unit_ids == ["YG-1-1-101", "YG-3-2-501", "YG-3-2-502"]
    late_101, dark_501, lit_502 = 0, 1, 2
    evening = 4 * 24 + 21  # 13 May 21:00-22:00 local
    after_midnight = 5 * 24 + 1  # 14 May 01:00-02:00 local
    assert window.lights_on[lit_502, evening] == 1.0
    assert window.lights_on[dark_501, evening] == 0.0
    assert window.lights_on[late_101, after_midnight] == 1.0
    # Nothing else was observed: the counts add three cells, not a whole night of evidence.
    assert np.count_nonzero(~np.isnan(window.lights_on)) == 3

    summary = summarize(window_matrix(window))
    assert list(summary.nights_observed) == [1, 1, 1]
    assert list(summary.nights_lit) == [1, 0, 1]  # 101, 501, 502 in window order


def test_importing_twice_changes_neither_the_window_nor_the_record(
    store: ReadingStore, tmp_path: Path
) -> None:
    db_url = f"sqlite:///{tmp_path / 'occupancy.db'}"
    import_sheet(store, db_url)
    first = store.hourly_window(WINDOW_START, DAYS * 24)
    parsed = parse_survey_bytes(SHEET.encode(), context())
    with session_scope(db_url) as session:
        again = save_observations(store, session, parsed.observations, source="sheet:test.csv")
    assert (again.new, again.changed, again.unchanged) == (0, 0, 3)
    second = store.hourly_window(WINDOW_START, DAYS * 24)
    np.testing.assert_array_equal(first.lights_on, second.lights_on)


def test_a_corrected_count_replaces_the_first(store: ReadingStore, tmp_path: Path) -> None:
    """The worker marked 501 dark by mistake and imports the corrected sheet."""
    db_url = f"sqlite:///{tmp_path / 'occupancy.db'}"
    import_sheet(store, db_url)
    corrected = SHEET.replace("YG-3-2-501,2024-05-13 21:31,灭", "YG-3-2-501,2024-05-13 21:31,亮")
    parsed = parse_survey_bytes(corrected.encode(), context())
    with session_scope(db_url) as session:
        summary = save_observations(store, session, parsed.observations, source="sheet:fix.csv")
    assert (summary.new, summary.changed, summary.unchanged) == (0, 1, 2)
    window = store.hourly_window(WINDOW_START, DAYS * 24, ["YG-3-2-501"])
    assert window.lights_on[0, 4 * 24 + 21] == 1.0
    assert summarize(window_matrix(window)).nights_lit[0] == 1


def test_the_window_ends_where_now_is() -> None:
    """The fixture's window must hold the sheet's nights (keeps the test data honest)."""
    assert WINDOW_START + timedelta(days=DAYS) > NOW
