"""Helpers shared by the simulator tests (a uniquely named module, unlike conftest)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

#: A Monday in early spring: weekdays and a weekend, little air conditioning.
START = datetime(2026, 3, 2)


@dataclass(frozen=True)
class Broker:
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def header(path: Path) -> str:
    with open(path, encoding="utf-8") as f:
        return f.readline().rstrip("\n")


def by_archetype(community) -> dict[str, list[int]]:  # noqa: ANN001 - simulator.Community
    """Archetype -> row indices of its units."""
    out: dict[str, list[int]] = {}
    for i, u in enumerate(community.units):
        out.setdefault(u.archetype, []).append(i)
    return out


def interval_kw(community) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # noqa: ANN001
    """Mean power (kW) per unit and meter interval, and each interval's local day and hour.

    Valid for a community generated without faults and starting at local midnight.
    """
    tl = community.timeline
    kwh = np.diff(community.register_centi_kwh, axis=1) / 100.0
    minute = np.arange(kwh.shape[1]) * tl.interval
    return kwh * 60.0 / tl.interval, minute // 1440, (minute % 1440) // 60
