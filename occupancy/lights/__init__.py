"""Lights evidence from people: a grid worker's night count of a building (亮灯巡查).

A unit seen lit at night is a sign somebody lives there, independent of the meter. Counts
arrive as a survey sheet (``occupancy lights import``, ``parse_survey_csv``) or through
``POST /api/lights/surveys``; both check every observation against the register and the
clock, then ``save_observations`` writes them to the readings store as ``LightReading``
(beside the sensors' readings, so the detector's window and features see them) and keeps a
record for people (``list_observations``). docs/lights.md describes the sheet.
"""

from occupancy.lights.locate import UnitLocator
from occupancy.lights.observation import BuildingTally, SurveyObservation, tally_by_building
from occupancy.lights.record import (
    LightsObservation,
    RecordSummary,
    list_observations,
    record_observations,
)
from occupancy.lights.save import save_observations
from occupancy.lights.sheet import (
    HEADER_ALIASES,
    ParsedSurvey,
    SurveyContext,
    SurveyImportError,
    SurveyRowError,
    parse_survey_bytes,
    parse_survey_csv,
)
from occupancy.lights.values import NIGHT_FROM_HOUR, NIGHT_TO_HOUR, parse_lit, time_problem

__all__ = [
    "HEADER_ALIASES",
    "NIGHT_FROM_HOUR",
    "NIGHT_TO_HOUR",
    "BuildingTally",
    "LightsObservation",
    "ParsedSurvey",
    "RecordSummary",
    "SurveyContext",
    "SurveyImportError",
    "SurveyObservation",
    "SurveyRowError",
    "UnitLocator",
    "list_observations",
    "parse_lit",
    "parse_survey_bytes",
    "parse_survey_csv",
    "record_observations",
    "save_observations",
    "tally_by_building",
    "time_problem",
]
