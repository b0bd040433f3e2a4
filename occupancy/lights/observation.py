"""One unit seen lit or dark at one moment by a person, and the per-building tally of a count."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from occupancy.readings import LightReading


@dataclass(frozen=True, slots=True)
class SurveyObservation:
    """A checked observation: the unit is in the register, the time is a past night.

    ``ts`` is Unix seconds (UTC), the key the stores use with ``unit_id``: the same unit and
    moment stored twice is one reading. ``building`` comes from the register (or the survey
    when the register leaves it empty), for the summary a worker reads. ``row`` is the sheet
    row it came from (None from the API).
    """

    unit_id: str
    community: str
    ts: float
    lit: bool
    building: str = ""
    observer: str = ""
    note: str = ""
    row: int | None = None

    def reading(self) -> LightReading:
        """The observation as the stores and the detector take it, beside sensor readings."""
        return LightReading(community=self.community, unit_id=self.unit_id, ts=self.ts, on=self.lit)


@dataclass(frozen=True, slots=True)
class BuildingTally:
    """Units seen lit and dark in one building of one community."""

    community: str
    building: str
    lit: int
    dark: int

    @property
    def units(self) -> int:
        return self.lit + self.dark


def tally_by_building(observations: Iterable[SurveyObservation]) -> list[BuildingTally]:
    """Lit and dark *units* per building, sorted; a unit counted twice in the sheet (two
    rounds of one night) counts once, as lit if any round saw it lit."""
    lit_units: dict[tuple[str, str, str], bool] = {}
    for o in observations:
        key = (o.community, o.building, o.unit_id)
        lit_units[key] = lit_units.get(key, False) or o.lit
    counts: dict[tuple[str, str], list[int]] = {}
    for (community, building, _unit), lit in lit_units.items():
        pair = counts.setdefault((community, building), [0, 0])
        pair[0 if lit else 1] += 1
    return [
        BuildingTally(community, building, lit, dark)
        for (community, building), (lit, dark) in sorted(counts.items())
    ]
