"""CLI: detect commands (being written)."""

from __future__ import annotations

import typer


def attach(app: typer.Typer) -> None:
    """Register this module's commands on the main app."""
