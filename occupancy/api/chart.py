"""Geometry of the hourly consumption chart, drawn as inline SVG by ``_chart.html``.

Server-side SVG instead of a JavaScript chart library: the pages must work on old office PCs
and cheap phones, offline from any CDN, and a visit decision needs a glance at the daily rhythm,
not interaction. This module only computes coordinates; the template writes (and escapes) the
markup, so no string here ever reaches the page unescaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

#: Drawing size in SVG user units; the SVG scales to its container.
WIDTH = 760.0
HEIGHT = 250.0
MARGIN_LEFT = 46.0
MARGIN_RIGHT = 8.0
#: Room above the plot for the "kWh" unit label.
MARGIN_TOP = 30.0
#: Room under the plot for the lights strip and the day labels (two lines on a phone).
MARGIN_BOTTOM = 78.0
LIGHTS_GAP = 5.0
LIGHTS_HEIGHT = 8.0
#: A measured hour with (almost) no use still gets a sliver, so "measured zero" (a silent
#: home, which is evidence) looks different from "not measured" (a gap).
MIN_BAR_HEIGHT = 1.5
#: Hours shaded as night: steady use then means someone (or something) is home.
NIGHT_HOURS = range(0, 6)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    moment: datetime
    kwh: float


@dataclass(frozen=True)
class Band:
    """A horizontal span of the plot: a run of unmeasured hours, or a night."""

    x: float
    width: float


@dataclass(frozen=True)
class LightMark:
    x: float
    width: float
    share_on: float
    moment: datetime


@dataclass(frozen=True)
class Tick:
    position: float
    value: float


@dataclass(frozen=True)
class DayMark:
    x: float
    center: float
    moment: datetime


@dataclass(frozen=True)
class HourlyChart:
    start: datetime
    hours: int
    width: float = WIDTH
    height: float = HEIGHT
    left: float = MARGIN_LEFT
    right: float = WIDTH - MARGIN_RIGHT
    top: float = MARGIN_TOP
    bottom: float = HEIGHT - MARGIN_BOTTOM
    y_max: float = 1.0
    bars: list[Bar] = field(default_factory=list)
    gaps: list[Band] = field(default_factory=list)
    nights: list[Band] = field(default_factory=list)
    lights: list[LightMark] = field(default_factory=list)
    days: list[DayMark] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)

    @property
    def lights_y(self) -> float:
        return self.bottom + LIGHTS_GAP

    @property
    def lights_height(self) -> float:
        return LIGHTS_HEIGHT

    @property
    def label_y(self) -> float:
        """Baseline of the first line of day labels."""
        return self.bottom + LIGHTS_GAP + LIGHTS_HEIGHT + 24

    @property
    def has_lights(self) -> bool:
        return bool(self.lights)

    @property
    def label_every(self) -> int:
        """Label every n-th day so labels never overlap, however long the window."""
        return max(1, math.ceil(len(self.days) / 10))


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.5, 2, 2.5, 4, 5 x 10^k at or above ``value``: round axis labels
    (the middle tick is half of it) without leaving most of the plot empty."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1.0, 1.5, 2.0, 2.5, 4.0, 5.0, 10.0):
        candidate = step * 10.0**exponent
        if candidate >= value * (1 - 1e-9):
            return candidate
    return 10.0 ** (exponent + 1)  # pragma: no cover - the loop always returns


def _runs(flags: Sequence[bool]) -> list[tuple[int, int]]:
    """(first, length) of each run of True, so a long gap is one rectangle, not 48."""
    runs: list[tuple[int, int]] = []
    begin: int | None = None
    for i, flag in enumerate((*flags, False)):
        if flag and begin is None:
            begin = i
        elif not flag and begin is not None:
            runs.append((begin, i - begin))
            begin = None
    return runs


def hourly_chart(
    start: datetime,
    hourly_kwh: Sequence[float | None],
    lights_on: Sequence[float | None] = (),
) -> HourlyChart:
    """Lay out one bar per measured hour, day separators at local midnights and a y axis
    rounded up to a readable maximum. ``start`` must be a local midnight."""
    hours = len(hourly_kwh)
    left, right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    top, bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM
    step = (right - left) / max(hours, 1)
    measured = [v for v in hourly_kwh if v is not None]
    y_max = nice_ceiling(max(measured, default=0.0))
    scale = (bottom - top) / y_max

    def x_of(hour: int) -> float:
        return round(left + hour * step, 2)

    bars = []
    for hour, kwh in enumerate(hourly_kwh):
        if kwh is None:
            continue
        height = max(max(kwh, 0.0) * scale, MIN_BAR_HEIGHT)
        bars.append(
            Bar(
                x=x_of(hour),
                y=round(bottom - height, 2),
                width=round(step * 0.8, 2),
                height=round(height, 2),
                moment=start + timedelta(hours=hour),
                kwh=kwh,
            )
        )
    gaps = [
        Band(x_of(first), round(length * step, 2))
        for first, length in _runs([v is None for v in hourly_kwh])
    ]
    nights = [
        Band(x_of(first), round(length * step, 2))
        for first, length in _runs([h % 24 in NIGHT_HOURS for h in range(hours)])
    ]
    lights = [
        LightMark(x_of(hour), round(step, 2), share, start + timedelta(hours=hour))
        for hour, share in enumerate(lights_on)
        if share is not None and hour < hours
    ]
    days = [
        DayMark(x_of(h), round(left + (h + 12) * step, 2), start + timedelta(hours=h))
        for h in range(0, hours, 24)
    ]
    y_ticks = [
        Tick(round(bottom - fraction * (bottom - top), 2), y_max * fraction)
        for fraction in (0.0, 0.5, 1.0)
    ]
    return HourlyChart(
        start=start,
        hours=hours,
        y_max=y_max,
        bars=bars,
        gaps=gaps,
        nights=nights,
        lights=lights,
        days=days,
        y_ticks=y_ticks,
    )
