"""The FastAPI application: wires the routers, templates' static files and error pages.

``create_app(settings)`` takes settings so tests (and the demo) can point one process at
their own database and store without touching the environment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from occupancy.api.deps import StoreRegistry
from occupancy.api.errors import install_error_handlers
from occupancy.api.routes import (
    audit,
    auth,
    communities,
    dashboard,
    flag_pages,
    flags,
    health,
    lights,
    pages,
    register,
    register_pages,
    runs,
    units,
    users,
    worklist,
)
from occupancy.api.templating import STATIC_DIR
from occupancy.config import Settings, get_settings

api_router = APIRouter(prefix="/api")
api_router.include_router(flags.router)
api_router.include_router(units.router)
api_router.include_router(communities.router)
api_router.include_router(lights.router)
api_router.include_router(runs.router)
api_router.include_router(auth.api_router)  # /api/me
api_router.include_router(users.router)  # /api/users
api_router.include_router(audit.router)  # /api/audit
api_router.include_router(audit.csv_router)  # /api/audit.csv
api_router.include_router(worklist.api_router)  # /api/worklist
api_router.include_router(register.router)  # /api/register


def create_app(
    settings: Settings | None = None,
    *,
    schedule: bool = False,
    scheduler_options: dict[str, Any] | None = None,
) -> FastAPI:
    """A new application; ``settings`` replaces ``get_settings()`` for every route.

    With ``schedule`` the app runs detection on a schedule while it is up (started and
    stopped by its lifespan; ``occupancy serve`` passes ``OCCUPANCY_SCHEDULE``). Off by
    default, so an app built by a test or a script never starts writing flags by itself.
    ``scheduler_options`` go to ``DetectionScheduler`` (tests inject a clock there).
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler = None
        if schedule:
            from occupancy.detection.schedule import DetectionScheduler

            scheduler = DetectionScheduler(settings, **(scheduler_options or {})).start()
        app.state.scheduler = scheduler
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.stop()
            app.state.stores.close()

    app = FastAPI(
        title="occupancy",
        summary="Homes whose meters show signs of life the move-in register doesn't explain.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.stores = StoreRegistry()
    app.state.scheduler = None
    app.dependency_overrides[get_settings] = lambda: settings

    app.include_router(health.router)
    app.include_router(api_router)
    # H5: the dashboard before pages.router, whose /communities/{community:path} would
    # otherwise swallow /communities/X/dashboard and /communities/X/flags.
    app.include_router(dashboard.router)  # /communities/X/dashboard, /communities/X/flags
    app.include_router(flag_pages.router)  # /flags/{id} and its form posts
    app.include_router(worklist.router)  # /worklist, /worklist/print, /worklist.csv, /worklists
    app.include_router(register_pages.router)  # /register/import
    app.include_router(pages.router)
    app.include_router(auth.router)  # /login, /logout
    app.include_router(users.pages)  # /admin/users
    app.include_router(audit.pages)  # /admin/audit
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_error_handlers(app)
    return app
