"""Simulated households for testing the occupancy detector.

Generates smart-meter registers and lights-sensor observations for a community, with ground
truth and meter faults, writes them as files and replays them over MQTT. It deliberately
imports nothing from the ``occupancy`` package, so it can never lean on the detector it is
there to test.
"""

from simulator.files import write_chunks, write_community
from simulator.generate import (
    DEFAULT_FAULT_RATES,
    FAULTS,
    Community,
    CommunityChunk,
    Unit,
    generate_community,
    iter_chunks,
)
from simulator.publish import publish_dir

__all__ = [
    "DEFAULT_FAULT_RATES",
    "FAULTS",
    "Community",
    "CommunityChunk",
    "Unit",
    "generate_community",
    "iter_chunks",
    "publish_dir",
    "write_chunks",
    "write_community",
]
