"""CLI: ``occupancy serve``, the web pages and JSON API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from occupancy.config import Settings


def serve_app(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Run the web service in the foreground until interrupted (the demo calls this too).

    ``host`` and ``port`` default to the settings (127.0.0.1:8000): there are no accounts
    yet, so listening beyond this machine must be a deliberate choice.
    """
    import uvicorn

    from occupancy.api.main import create_app

    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
    )


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
    ) -> None:
        """Serve the pages for community staff and the JSON API."""
        from occupancy.config import get_settings

        serve_app(get_settings(), host=host, port=port)
