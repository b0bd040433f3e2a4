"""The quality bar, measured with the shipped model on communities it has never seen.

Seeds 777 and 778 are not training seeds (docs/detector.md lists those); the window is built
in memory from the simulator's arrays the same way stores build it from readings.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from occupancy.evaluate import TruthRow, evaluate
from occupancy.flags.record import METER_OFFLINE, REGISTERED_SILENT, UNREGISTERED_ACTIVITY
from occupancy.flags.rules import raise_flags
from occupancy.models import load_model

from .simwindow import community_register, community_truth, community_window

simulator = pytest.importorskip("simulator")

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def shipped():
    model, _ = load_model()
    return model


@pytest.mark.parametrize(
    ("seed", "start", "interval"),
    [(777, datetime(2025, 12, 1, tzinfo=TZ), 15), (778, datetime(2025, 6, 16, tzinfo=TZ), 60)],
)
def test_held_out_community_meets_the_bar(shipped, seed, start, interval):
    community = simulator.generate_community(
        300, 7, seed, start=start, interval_minutes=interval, community=f"held-out-{seed}"
    )
    truth = {k: TruthRow(k, **v) for k, v in community_truth(community).items()}
    flags, probability = raise_flags(
        community_window(community), community_register(community), shipped
    )
    report = evaluate(flags, truth)

    unregistered = report[UNREGISTERED_ACTIVITY]
    assert unregistered.tp >= 25  # about 10% of 300 units are unregistered occupants
    assert unregistered.precision >= 0.9, report.mistakes
    assert unregistered.recall >= 0.9, report.mistakes
    assert report[REGISTERED_SILENT].recall >= 0.9, report.mistakes
    assert report[REGISTERED_SILENT].precision >= 0.9, report.mistakes
    assert report[METER_OFFLINE].recall == 1.0
    assert all(f.urgent for f in flags if f.kind == REGISTERED_SILENT and f.evidence["vulnerable"])
    assert len(probability) == 300
