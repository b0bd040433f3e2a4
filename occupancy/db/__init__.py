"""Relational storage: register, flags, detection runs."""

from occupancy.db.session import get_engine, session_factory, session_scope
from occupancy.db.tables import Base, DetectionRun, Flag, Unit

__all__ = ["Base", "DetectionRun", "Flag", "Unit", "get_engine", "session_factory", "session_scope"]
