"""Simulated households for testing the occupancy detector.

Generates smart-meter registers and lights-sensor observations for a community, with ground
truth, writes them as files and replays them over MQTT. It deliberately imports nothing from
the ``occupancy`` package, so it can never lean on the detector it is there to test.
"""

from simulator.generate import generate_community, write_community
from simulator.publish import publish_dir

__all__ = ["generate_community", "publish_dir", "write_community"]
