"""occupancy: signs of life that the move-in register doesn't explain.

Data flows one way: ingest -> store -> detect -> flags -> API/UI.
"""

__version__ = "0.1.0"
