"""CLI: `occupancy rollup`, keeping hourly rollups before raw readings expire, and
`occupancy store expire`, deleting raw readings older than the retention setting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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


def expire(
    days: Annotated[
        int | None,
        typer.Option(min=1, help="Keep this many days; default OCCUPANCY_RAW_RETENTION_DAYS (90)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count what would be deleted.")
    ] = False,
) -> None:
    """Delete raw readings (meter registers, energy, lights) older than the retention.

    Also deletes the database's record of night counts of that age, and writes the deletion
    to the audit log. Hourly rollups are kept. `occupancy serve` does this after every
    nightly detection; run it by hand after lowering OCCUPANCY_RAW_RETENTION_DAYS.
    """
    from occupancy.config import get_settings
    from occupancy.retention import expire_raw_readings, retention_too_short
    from occupancy.store import StoreError, open_store

    settings = get_settings()
    retention = days or settings.raw_retention_days
    problem = retention_too_short(retention, settings.window_days)
    if problem:
        fail(problem)
    try:
        store = open_store(settings.resolved_store_url)
    except StoreError as exc:
        fail(str(exc))
    try:
        with console.status("deleting expired readings" if not dry_run else "counting"):
            result = expire_raw_readings(
                store,
                now=datetime.now(UTC),
                retention_days=retention,
                db_url=settings.resolved_db_url,
                dry_run=dry_run,
            )
    except StoreError as exc:
        fail(str(exc))
    finally:
        store.close()
    console.print(result.summary())


def attach(app: typer.Typer) -> None:
    app.command("rollup")(rollup)
    store_app = typer.Typer(
        name="store",
        help="The readings store: delete raw readings older than the retention setting.",
        no_args_is_help=True,
    )
    store_app.command("expire")(expire)
    app.add_typer(store_app, name="store")
