"""``/healthz``: can this process reach the database and the readings store?

For a load balancer or a supervisor: 200 when both answer, 503 naming the one that doesn't.
Failures are logged with their cause but answered only as "error", so a probe open to the
network never shows connection strings or server messages.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse
from sqlalchemy import text

from occupancy.api.deps import SettingsDep, StoreRegistry, StoreRegistryDep
from occupancy.api.schemas import HealthStatus
from occupancy.db.session import get_engine

logger = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


def _db_ok(url: str) -> bool:
    try:
        with get_engine(url).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        logger.exception("health check: the database is unreachable")
        return False
    return True


def _store_ok(stores: StoreRegistry, url: str) -> bool:
    try:
        # An empty unit list still runs the store's queries, but reads nothing.
        stores.get(url).hourly_window(datetime.now(UTC), 1, [])
    except Exception:
        logger.exception("health check: the readings store is unreachable")
        return False
    return True


@router.get(
    "/healthz",
    response_model=HealthStatus,
    responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"model": HealthStatus}},
)
def healthz(settings: SettingsDep, stores: StoreRegistryDep) -> JSONResponse:
    db = _db_ok(settings.resolved_db_url)
    store = _store_ok(stores, settings.resolved_store_url)
    health = HealthStatus(
        status="ok" if db and store else "unavailable",
        db="ok" if db else "error",
        store="ok" if store else "error",
    )
    return JSONResponse(
        health.model_dump(),
        status_code=status.HTTP_200_OK if db and store else status.HTTP_503_SERVICE_UNAVAILABLE,
    )
