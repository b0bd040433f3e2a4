"""Every table of the application database in one ``MetaData``.

Tables are declared next to the code that owns them (most in ``tables.py``, the night-count
record in ``occupancy/lights/record.py``); importing this module registers them all, so
the migrations can be compared with the full set (``tests/db``).
"""

from __future__ import annotations

from occupancy.db.tables import Base
from occupancy.lights.record import LightsObservation

metadata = Base.metadata

__all__ = ["Base", "LightsObservation", "metadata"]
