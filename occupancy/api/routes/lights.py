"""``/api/lights/surveys``: night counts a grid worker enters (docs/lights.md).

A count is checked whole before anything is written, like a survey sheet: every unit must be
in the register (in the community, and the building if one is named), the time a past night.
Problems come back as a 422 in FastAPI's own shape (``detail``: a list of ``loc``, ``msg``,
``type``, ``input``), so a client shows a malformed body and an unknown unit the same way.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.exceptions import RequestValidationError
from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from occupancy.api.deps import (
    NowDep,
    Requires,
    SessionDep,
    SettingsDep,
    StoreDep,
    client_address,
)
from occupancy.api.schemas import (
    BuildingCount,
    LightObservationPublic,
    LightObservationsPublic,
    LightsSurveyIn,
    LightsSurveyResult,
)
from occupancy.api.schemas_workflow import MAX_ID
from occupancy.audit.log import record
from occupancy.auth.principal import Principal
from occupancy.db.tables import SECRETARY, Unit
from occupancy.lights import (
    SurveyObservation,
    UnitLocator,
    list_observations,
    parse_lit,
    save_observations,
    tally_by_building,
    time_problem,
)
from occupancy.lights.record import LightsObservation
from occupancy.lights.values import aware
from occupancy.register import RegisterEntry
from occupancy.register.repository import to_entry

router = APIRouter(prefix="/lights", tags=["lights"])

#: ``source`` of observations saved through this endpoint.
API_SOURCE = "api"
#: Unit IDs per ``IN (...)`` query; under every database's bound-parameter limit.
_CHUNK = 500


def _error(loc: tuple[str | int, ...], kind: str, message: str, value: Any) -> dict[str, Any]:
    return {"type": kind, "loc": ("body", *loc), "msg": message, "input": value}


@router.post("/surveys", response_model=LightsSurveyResult, status_code=status.HTTP_201_CREATED)
def create_survey(
    request: Request,
    survey: LightsSurveyIn,
    user: Annotated[Principal, Depends(Requires("lights.write"))],
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
    now: NowDep,
) -> LightsSurveyResult:
    """Save a night count of one building as lights evidence for the detector.

    Writes one ``LightReading`` per unit to the readings store and keeps a record of the
    count; sending the same count again stores nothing new (``new`` is then 0).
    """
    tz = settings.tz
    observed_at = aware(survey.observed_at, tz)
    errors: list[dict[str, Any]] = []
    problem = time_problem(observed_at, tz, now, settings.raw_retention_days)
    if problem:
        errors.append(
            _error(
                ("observed_at",),
                "night_time",
                f"observed_at {problem}",
                survey.observed_at.isoformat(),
            )
        )
    register = _register_entries(session, [item.unit_id.strip() for item in survey.units], user)
    observations = _check_units(survey, register, observed_at.timestamp(), errors)
    if errors:
        raise RequestValidationError(errors)
    summary = save_observations(store, session, observations, source=API_SOURCE)
    lit_units = sum(o.lit for o in observations)
    record(
        session,
        user,
        "create",
        "lights",
        f"{survey.community}/{survey.building}" if survey.building else survey.community,
        community=survey.community,
        detail=f"{len(observations)} units, {lit_units} lit, {summary.new} new",
        address=client_address(request),
    )
    session.commit()
    return LightsSurveyResult(
        community=survey.community,
        building=survey.building,
        observed_at=observed_at.astimezone(tz),
        observer=survey.observer.strip(),
        units=len(observations),
        lit=lit_units,
        dark=len(observations) - lit_units,
        new=summary.new,
        changed=summary.changed,
        unchanged=summary.unchanged,
        buildings=[
            BuildingCount(community=t.community, building=t.building, lit=t.lit, dark=t.dark)
            for t in tally_by_building(observations)
        ],
    )


def _register_entries(
    session: Session, unit_ids: list[str], user: Principal
) -> dict[str, RegisterEntry]:
    """The register rows of the count's units only (a community may hold thousands), of
    those the counter may see: a unit outside their scope reads as not in the register."""
    wanted = sorted(set(unit_ids))
    entries: dict[str, RegisterEntry] = {}
    for start in range(0, len(wanted), _CHUNK):
        query = select(Unit).where(
            Unit.unit_id.in_(wanted[start : start + _CHUNK]), user.unit_clause()
        )
        entries.update((unit.unit_id, to_entry(unit)) for unit in session.scalars(query))
    return entries


def _check_units(
    survey: LightsSurveyIn,
    register: dict[str, RegisterEntry],
    ts: float,
    errors: list[dict[str, Any]],
) -> list[SurveyObservation]:
    """The count's units as observations, appending to ``errors`` each unit that is not in
    the register, the community or the building, repeated, or not clearly lit or dark."""
    locator = UnitLocator(register)
    seen: dict[str, int] = {}
    observations: list[SurveyObservation] = []
    for index, item in enumerate(survey.units):
        unit_id = item.unit_id.strip()
        lit, lit_problem = parse_lit(item.lit)
        if lit_problem:
            errors.append(_error(("units", index, "lit"), "lit", f"lit {lit_problem}", item.lit))
        entry = locator.by_id(unit_id)
        loc = ("units", index, "unit_id")
        if unit_id in seen:
            errors.append(
                _error(
                    loc,
                    "duplicate_unit",
                    f"unit {unit_id} is already units[{seen[unit_id]}]; "
                    "send each unit once per count",
                    unit_id,
                )
            )
            continue
        seen[unit_id] = index
        if entry is None:
            errors.append(
                _error(
                    loc,
                    "unknown_unit",
                    f"unit {unit_id} is not in the register; check the "
                    "ID, or import the register row for this unit first",
                    unit_id,
                )
            )
            continue
        if entry.community != survey.community:
            errors.append(
                _error(
                    loc,
                    "other_community",
                    f"unit {unit_id} is in community "
                    f"{entry.community} in the register, not {survey.community}",
                    unit_id,
                )
            )
            continue
        mismatch = locator.mismatch(entry, {"building": survey.building})
        if mismatch:
            errors.append(_error(loc, "other_building", f"the count {mismatch[1]}", unit_id))
            continue
        observations.append(
            SurveyObservation(
                unit_id=unit_id,
                community=entry.community,
                ts=ts,
                lit=lit,
                building=entry.building or survey.building,
                observer=survey.observer.strip(),
            )
        )
    return observations


@router.get("/surveys", response_model=LightObservationsPublic)
def read_surveys(
    user: Annotated[Principal, Depends(Requires("lights.read"))],
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    community: str | None = None,
    building: str | None = None,
    since: Annotated[
        datetime | None,
        Query(
            description="Oldest observation listed (local time without an offset); "
            "default: the detector's window (OCCUPANCY_WINDOW_DAYS) back from now."
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> LightObservationsPublic:
    """Recorded night-count observations, newest first, from the API and sheet imports."""
    tz = settings.tz
    start = aware(since, tz) if since is not None else now - timedelta(days=settings.window_days)
    rows, count = list_observations(
        session,
        community=community,
        building=building,
        since=start.timestamp(),
        limit=limit,
        offset=offset,
        where=_visible(user),
    )
    return LightObservationsPublic(
        data=[
            LightObservationPublic(
                unit_id=row.unit_id,
                community=row.community,
                building=row.building,
                observed_at=datetime.fromtimestamp(row.ts, tz),
                lit=row.lit,
                observer=row.observer,
                note=row.note,
                source=row.source,
                recorded_at=row.recorded_at,
            )
            for row in rows
        ],
        count=count,
    )


def _visible(user: Principal) -> ColumnElement[bool]:
    """Observations of the units ``user`` may see (a secretary: their whole community)."""
    if user.is_admin:
        return true()
    if user.role == SECRETARY:
        return user.community_clause(LightsObservation.community)
    return LightsObservation.unit_id.in_(select(Unit.unit_id).where(user.unit_clause()))
