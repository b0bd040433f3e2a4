"""Chart geometry: bars only where measured, inside the plot, on a round y axis."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from occupancy.api.chart import MIN_BAR_HEIGHT, hourly_chart, nice_ceiling

START = datetime(2024, 5, 9, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.0, 1.0), (0.07, 0.1), (0.3, 0.4), (1.0, 1.0), (1.2, 1.5), (2.2, 2.5), (7.0, 10.0)],
)
def test_nice_ceiling(value: float, expected: float) -> None:
    assert nice_ceiling(value) == pytest.approx(expected)


def test_bars_gaps_and_days() -> None:
    hourly = [0.5] * 24 + [None] * 10 + [0.0] + [2.0] * 13
    chart = hourly_chart(START, hourly, lights_on=[None] * 20 + [1.0] + [None] * 27)
    assert len(chart.bars) == 38
    assert chart.y_max == 2.0
    step = (chart.right - chart.left) / 48
    (gap,) = chart.gaps  # ten missing hours are one rectangle
    assert gap.x == pytest.approx(chart.left + 24 * step, abs=0.01)
    assert gap.width == pytest.approx(10 * step, abs=0.01)
    assert len(chart.days) == 2
    assert chart.days[1].moment == datetime(2024, 5, 10, tzinfo=START.tzinfo)
    assert len(chart.lights) == 1
    tallest = max(chart.bars, key=lambda b: b.height)
    assert tallest.y == pytest.approx(chart.top)
    for bar in chart.bars:
        assert chart.left <= bar.x < chart.right
        assert bar.y + bar.height == pytest.approx(chart.bottom)
    # A measured zero is a sliver, visibly different from a gap.
    assert chart.bars[24].height == MIN_BAR_HEIGHT


def test_all_unmeasured_draws_no_bars() -> None:
    chart = hourly_chart(START, [None] * 48)
    assert chart.bars == []
    assert len(chart.gaps) == 1
    assert chart.y_max == 1.0


def test_long_windows_label_fewer_days() -> None:
    assert hourly_chart(START, [1.0] * 24 * 7).label_every == 1
    assert hourly_chart(START, [1.0] * 24 * 30).label_every == 3
