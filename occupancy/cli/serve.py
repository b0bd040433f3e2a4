"""CLI: ``occupancy serve``, the web pages and JSON API, and detection on a schedule."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from occupancy.config import Settings


def serve_app(
    settings: Settings,
    host: str | None = None,
    port: int | None = None,
    schedule: bool | None = None,
) -> None:
    """Run the web service in the foreground until interrupted (the demo calls this too).

    ``host`` and ``port`` default to the settings (127.0.0.1:8000): there are no accounts
    yet, so listening beyond this machine must be a deliberate choice. ``schedule`` (default
    ``OCCUPANCY_SCHEDULE``, on) runs the welfare checks and the nightly detection in the
    background while the service is up.
    """
    import uvicorn

    from occupancy.api.main import create_app

    _log_to_console()
    uvicorn.run(
        create_app(settings, schedule=settings.schedule if schedule is None else schedule),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
    )


def _log_to_console() -> None:
    """Show the service's own INFO lines (each detection run, its counts and time) beside
    uvicorn's; uvicorn configures only its own loggers, and Python's fallback shows warnings
    only. A handler someone configured already is left alone."""
    import logging

    logger = logging.getLogger("occupancy")
    if logger.handlers or logging.getLogger().handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def attach(app: typer.Typer) -> None:
    """Register this module's commands on the main app."""

    @app.command()
    def serve(
        host: Annotated[
            str | None,
            typer.Option(help="Address to bind to.", show_default="OCCUPANCY_HOST, else 127.0.0.1"),
        ] = None,
        port: Annotated[
            int | None,
            typer.Option(
                help="Port to listen on.",
                show_default="OCCUPANCY_PORT, else 8000",
                min=1,
                max=65535,
            ),
        ] = None,
        schedule: Annotated[
            bool | None,
            typer.Option(
                "--schedule/--no-schedule",
                help="Run detection on a schedule: welfare checks every "
                "OCCUPANCY_WELFARE_INTERVAL_MINUTES, the week nightly at OCCUPANCY_NIGHTLY_AT.",
                show_default="OCCUPANCY_SCHEDULE, else on",
            ),
        ] = None,
    ) -> None:
        """Serve the pages for community staff and the JSON API, and run detection on a
        schedule (hourly welfare checks, the 7-day window nightly)."""
        from occupancy.config import get_settings

        serve_app(get_settings(), host=host, port=port, schedule=schedule)
