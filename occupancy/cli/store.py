"""CLI: `occupancy rollup`, keeping hourly rollups before raw readings expire."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import typer

from occupancy.cli.output import console, fail


def rollup(
    days: Annotated[
        int, typer.Option(min=1, max=400, help="Complete local days to roll up, ending today.")
    ] = 2,
    end: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"], help="Exclusive end day (local midnight); default today."
        ),
    ] = None,
) -> None:
    """Write hourly rollups of the last DAYS complete days to the readings store.

    Raw readings expire after OCCUPANCY_RAW_RETENTION_DAYS (InfluxDB retention policy or
    bucket); the detector keeps working on older weeks from these rollups. Run it daily
    (deploy/systemd/occupancy-rollup.timer does); it is idempotent, so re-running after
    late data is safe. The embedded store keeps raw readings and needs no rollups.
    """
    from occupancy.config import get_settings
    from occupancy.store import StoreError, open_store
    from occupancy.timeseries import local_midnight

    settings = get_settings()
    tz = settings.tz
    stop = local_midnight(end.replace(tzinfo=tz) if end else datetime.now(tz), tz)
    start = local_midnight(stop - timedelta(days=days), tz)
    try:
        store = open_store(settings.resolved_store_url)
    except StoreError as exc:
        fail(str(exc))
    try:
        roll = getattr(store, "rollup", None)
        if roll is None:
            console.print(
                f"{type(store).__name__} keeps raw readings and has no rollups; nothing to do"
            )
            return
        with console.status(f"rolling up {start:%Y-%m-%d} .. {stop:%Y-%m-%d} (exclusive)"):
            written = roll(start, stop)
        console.print(
            f"wrote {written:,} hourly rollup points for {start:%Y-%m-%d} .. {stop:%Y-%m-%d}"
        )
    except StoreError as exc:
        fail(str(exc))
    finally:
        store.close()


def attach(app: typer.Typer) -> None:
    app.command("rollup")(rollup)
