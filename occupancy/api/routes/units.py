"""``/api/units/{unit_id}``: one unit's register entry, open flags and recent readings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request

from occupancy.api.deps import NowDep, Requires, SessionDep, SettingsDep, StoreDep, client_address
from occupancy.api.schemas import FlagPublic, HourlyConsumption, UnitDetail, UnitPublic
from occupancy.api.unit_view import EndDay, audit_unit_view, load_unit_view
from occupancy.auth.principal import Principal

router = APIRouter(prefix="/units", tags=["units"])


@router.get("/{unit_id:path}", response_model=UnitDetail)
def read_unit(
    request: Request,
    unit_id: str,
    user: Annotated[Principal, Depends(Requires("register.read"))],
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
    now: NowDep,
    end: EndDay = None,
) -> UnitDetail:
    """The last ``window_days`` local days up to and including today (or ``end``), hour by
    hour; ``null`` marks hours with too little meter data to tell."""
    view = load_unit_view(
        session,
        store,
        unit_id,
        days=settings.window_days,
        tz=settings.tz,
        now=now,
        last_day=end,
        user=user,
    )
    if view is None:
        raise HTTPException(
            status_code=404,
            detail=f"unit {unit_id!r} has no register entry, flags or data you may see",
        )
    audit_unit_view(session, user, view, address=client_address(request))
    return UnitDetail(
        unit_id=view.unit_id,
        community=view.community,
        register_entry=UnitPublic.model_validate(view.register) if view.register else None,
        flags=[FlagPublic.model_validate(f) for f in view.flags],
        consumption=HourlyConsumption(start=view.window.start, hourly_kwh=view.window.hourly_kwh),
    )
