"""The move-in register (入住登记表): who is registered as living where."""

from occupancy.register.entry import RegisterEntry

__all__ = ["RegisterEntry"]
