"""The audit trail: who viewed or changed which unit, flag or register entry, and when."""

from occupancy.audit.log import record

__all__ = ["record"]
