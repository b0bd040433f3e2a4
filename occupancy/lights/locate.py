"""Find the registered unit a survey row means: by its ID, or by building, entrance, floor and
room as a worker writes them on the stairs ("3号楼", "2单元", "0502").

Only the register can say which unit a lit window belongs to; an observation of a unit the
register does not know is refused, because the detector would then see lights for a unit no
meter or flag can ever be joined to.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from occupancy.register import RegisterEntry

#: The address fields a survey may use instead of a unit ID, in the order people say them.
LOCATION_FIELDS: tuple[str, ...] = ("building", "entrance", "floor", "room")
#: Words people add to address parts that the register usually leaves out.
_SUFFIXES = re.compile(r"(号楼|楼栋|栋|幢|座|号|单元|楼层|层|楼|室|房)$")
_PREFIXES = re.compile(r"^(第|no\.?|#)")
#: How many candidates an ambiguous address error names.
_SHOWN = 5


def normalize_part(raw: str) -> str:
    """An address part reduced to what identifies it: "3号楼", " 3 " and "03" are all "3"."""
    value = unicodedata.normalize("NFKC", raw).strip().lower().replace(" ", "")
    value = _PREFIXES.sub("", _SUFFIXES.sub("", value))
    if value.isdigit():
        return value.lstrip("0") or "0"
    return value


def describe(location: Mapping[str, str]) -> str:
    """An address for a message, e.g. ``building 3, entrance 2, room 502``."""
    return ", ".join(f"{name} {location[name]}" for name in LOCATION_FIELDS if location.get(name))


class UnitLocator:
    """Look up register entries by unit ID or by address.

    An address index is built once per set of address parts a row fills in, so a sheet with
    building and room only matches on those two and ignores the register's other parts.
    """

    def __init__(self, register: Mapping[str, RegisterEntry]) -> None:
        self.register = register
        self._indexes: dict[tuple[str, ...], dict[tuple[str, ...], list[RegisterEntry]]] = {}

    def __len__(self) -> int:
        return len(self.register)

    def by_id(self, unit_id: str) -> RegisterEntry | None:
        return self.register.get(unit_id.strip())

    def by_location(
        self, location: Mapping[str, str], fields: Sequence[str]
    ) -> tuple[RegisterEntry | None, str | None]:
        """The one entry at ``location``, or a problem to report.

        Compared on the ``fields`` the row fills in: an empty entrance cell matches any
        entrance, and an address that then fits several units is reported as ambiguous.
        """
        parts = {name: normalize_part(location.get(name, "")) for name in fields}
        fields = tuple(name for name in LOCATION_FIELDS if parts.get(name))
        if not fields:
            return None, "is empty; give the unit's ID or its building and room"
        key = tuple(parts[name] for name in fields)
        found = self._index(fields).get(key, [])
        if not found:
            return None, (
                f"no unit in the register at {describe(location)}; check the address against "
                "the register, or give the unit's ID"
            )
        if len(found) > 1:
            ids = ", ".join(e.unit_id for e in found[:_SHOWN])
            more = f" and {len(found) - _SHOWN} more" if len(found) > _SHOWN else ""
            return None, (
                f"{describe(location)} matches {len(found)} units in the register ({ids}{more}); "
                "add the missing address columns (entrance, floor) or give the unit's ID"
            )
        return found[0], None

    def mismatch(self, entry: RegisterEntry, location: Mapping[str, str]) -> tuple[str, str] | None:
        """The first address part written beside a unit ID that disagrees with the register,
        and why; None when they agree.

        Parts the register leaves empty are not compared: the sheet may know more.
        """
        for name in LOCATION_FIELDS:
            written = location.get(name, "")
            registered = getattr(entry, name)
            if written and registered and normalize_part(written) != normalize_part(registered):
                return name, (
                    f"says {name} {written}, but the register has unit {entry.unit_id} in "
                    f"{name} {registered}; correct the unit ID or the address"
                )
        return None

    def _index(self, fields: tuple[str, ...]) -> dict[tuple[str, ...], list[RegisterEntry]]:
        index = self._indexes.get(fields)
        if index is None:
            index = {}
            for entry in self.register.values():
                key = tuple(normalize_part(getattr(entry, name)) for name in fields)
                index.setdefault(key, []).append(entry)
            self._indexes[fields] = index
        return index
