"""CLI: ``occupancy lights import SHEET``: a grid worker's night count into the readings store.

Imports of the database, the store and rich happen inside the command so ``--help`` stays
fast.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from occupancy.cli.output import print_sheet_errors, print_sheet_warnings

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from occupancy.config import Settings
    from occupancy.lights import BuildingTally, SurveyObservation


def attach(app: typer.Typer) -> None:
    """Register this module's commands on the main app."""
    lights_app = typer.Typer(
        name="lights",
        help="Lights evidence: import a grid worker's night count (亮灯巡查表).",
        no_args_is_help=True,
    )
    lights_app.command("import")(import_command)
    app.add_typer(lights_app, name="lights")


def import_command(
    sheet: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="Survey CSV (UTF-8 or GB18030), English or Chinese headers; see docs/lights.md.",
        ),
    ],
    community: Annotated[
        str | None,
        typer.Option("--community", "-c", help="Refuse units of any other community."),
    ] = None,
    observer: Annotated[
        str, typer.Option("--observer", help="Observer for rows whose observer cell is empty.")
    ] = "",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the sheet and show the summary; write nothing.")
    ] = False,
    skip_bad: Annotated[
        bool,
        typer.Option(
            "--skip-bad",
            help="Import the good rows and list the bad ones, instead of "
            "importing nothing while any row is bad.",
        ),
    ] = False,
) -> None:
    """Check a night-count sheet against the register and import it as lights readings.

    Any bad row means nothing is imported (unless --skip-bad). Importing the same sheet twice
    stores nothing new.
    """
    from rich.console import Console
    from sqlalchemy.exc import SQLAlchemyError

    from occupancy.config import get_settings
    from occupancy.db.session import session_scope
    from occupancy.lights import (
        SurveyContext,
        SurveyImportError,
        parse_survey_csv,
        tally_by_building,
    )
    from occupancy.register import load_register

    out, err = Console(), Console(stderr=True)
    settings = get_settings()
    try:
        with session_scope(settings.resolved_db_url) as session:
            register = load_register(session)
    except SQLAlchemyError as exc:
        _database_failed(err, settings.resolved_db_url, exc)
    context = SurveyContext(
        register=register,
        tz=settings.tz,
        now=datetime.now(UTC),
        community=community,
        observer=observer.strip(),
        max_age_days=settings.raw_retention_days,
    )
    try:
        parsed = parse_survey_csv(sheet, context, skip_bad=skip_bad)
    except SurveyImportError as exc:
        print_sheet_warnings(err, exc.warnings)
        print_sheet_errors(err, exc.errors, "Problems in the survey sheet")
        count = len(exc.errors)
        hint = " (or add --skip-bad to import the good rows now)" if exc.observations else ""
        err.print(
            f"[bold red]{count} problem{'s' if count != 1 else ''} in {_escape(str(sheet))}; "
            f"nothing was imported.[/] Fix the cells listed above and import the sheet again{hint}."
        )
        raise typer.Exit(1) from None
    print_sheet_warnings(err, parsed.warnings)
    if parsed.skipped:
        print_sheet_errors(err, parsed.skipped, "Rows skipped (--skip-bad)")
        rows = len(parsed.skipped_rows)
        err.print(
            f"[yellow]{rows} bad row{'s' if rows != 1 else ''} skipped;[/] fix and "
            "import them again (the good rows will not be stored twice)."
        )
    observations = parsed.observations
    out.print(_summary_table(tally_by_building(observations), dry_run=dry_run))
    if dry_run:
        out.print(f"Dry run: {len(observations)} observations checked; nothing was written.")
        return
    if not observations:
        out.print("No good rows to import.")
        return
    _write(out, err, settings, observations, source=f"sheet:{sheet.name}")


def _write(
    out: Console,
    err: Console,
    settings: Settings,
    observations: list[SurveyObservation],
    *,
    source: str,
) -> None:
    """Store, then record, the observations; say what was new."""
    from sqlalchemy.exc import SQLAlchemyError

    from occupancy.db.session import session_scope
    from occupancy.lights import save_observations
    from occupancy.store import StoreError, open_store

    url = settings.resolved_store_url
    try:
        store = open_store(url, settings)
    except StoreError as exc:
        err.print(
            "[bold red]Cannot open the readings store; nothing was imported.[/] "
            + _escape(str(exc))
        )
        raise typer.Exit(1) from None
    try:
        with session_scope(settings.resolved_db_url) as session:
            summary = save_observations(store, session, observations, source=source)
    except StoreError as exc:
        err.print(
            "[bold red]Writing to the readings store failed; nothing was imported.[/] "
            + _escape(str(exc))
        )
        raise typer.Exit(1) from None
    except SQLAlchemyError as exc:
        _database_failed(err, settings.resolved_db_url, exc, stored=True)
    finally:
        store.close()
    out.print(
        f"Stored {summary.total} observations: [bold]{summary.new}[/] new, "
        f"[bold]{summary.changed}[/] changed, [bold]{summary.unchanged}[/] already stored."
    )


def _database_failed(
    err: Console, db_url: str, exc: Exception, *, stored: bool = False
) -> NoReturn:
    from sqlalchemy.engine import make_url

    where = make_url(db_url).render_as_string(hide_password=True)
    detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    outcome = (
        "the readings were stored but not recorded; import the sheet again once it is back"
        if stored
        else "nothing was imported"
    )
    err.print(f"[bold red]Database error at {_escape(where)}; {outcome}.[/] {_escape(detail)}")
    raise typer.Exit(1)


def _summary_table(tallies: list[BuildingTally], *, dry_run: bool) -> Table:
    """Units lit and dark per building: what the worker counted, to check against the sheet."""
    from rich.table import Table
    from rich.text import Text

    title = "Night count (dry run)" if dry_run else "Night count"
    table = Table(title=title, title_justify="left")
    table.add_column("community")
    table.add_column("building")
    table.add_column("lit", justify="right")
    table.add_column("dark", justify="right")
    table.add_column("units", justify="right")
    for t in tallies:
        table.add_row(
            Text(t.community), Text(t.building or "-"), str(t.lit), str(t.dark), str(t.units)
        )
    if len(tallies) > 1:
        lit, dark = sum(t.lit for t in tallies), sum(t.dark for t in tallies)
        table.add_row("[bold]total[/]", "", str(lit), str(dark), str(lit + dark))
    return table


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
