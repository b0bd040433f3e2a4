"""CLI: ``occupancy register import FILE`` and ``occupancy register list``.

Imports of the database and rich happen inside the commands so ``occupancy --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from occupancy.cli.output import print_sheet_errors, print_sheet_warnings

if TYPE_CHECKING:
    from rich.table import Table

    from occupancy.register import RegisterEntry


def attach(app: typer.Typer) -> None:
    """Register this module's commands on the main app."""
    register_app = typer.Typer(
        name="register",
        help="The move-in register (入住登记表): import it from CSV, list what is stored.",
        no_args_is_help=True,
    )
    register_app.command("import")(import_command)
    register_app.command("list")(list_command)
    app.add_typer(register_app, name="register")


def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="Register CSV (UTF-8 or GB18030); English or Chinese headers.",
        ),
    ],
) -> None:
    """Import a register CSV into the database. Any bad row means nothing is imported."""
    from rich.console import Console
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from occupancy.config import get_settings
    from occupancy.register import RegisterImportError, import_register_file

    out, err = Console(), Console(stderr=True)
    db_url = get_settings().resolved_db_url
    try:
        summary = import_register_file(db_url, file)
    except RegisterImportError as exc:
        print_sheet_warnings(err, exc.warnings)
        print_sheet_errors(err, exc.errors, "Problems in the register file")
        count = len(exc.errors)
        err.print(
            f"[bold red]{count} problem{'s' if count != 1 else ''} in {_escape(str(file))}; "
            "nothing was imported.[/] Fix the cells listed above and import the file again."
        )
        raise typer.Exit(1) from None
    except SQLAlchemyError as exc:
        where = make_url(db_url).render_as_string(hide_password=True)
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        err.print(
            f"[bold red]Database error at {_escape(where)}; nothing was imported.[/] "
            f"{_escape(detail)}"
        )
        raise typer.Exit(1) from None
    print_sheet_warnings(err, list(summary.warnings))
    out.print(
        f"Imported {_escape(str(file))}: [bold]{summary.created}[/] created, "
        f"[bold]{summary.updated}[/] updated, [bold]{summary.unchanged}[/] unchanged."
    )


def list_command(
    community: Annotated[
        str | None, typer.Option("--community", "-c", help="Only units of this community.")
    ] = None,
) -> None:
    """List the registered units stored in the database."""
    from rich.console import Console

    from occupancy.config import get_settings
    from occupancy.db.session import session_scope
    from occupancy.register import load_register

    with session_scope(get_settings().resolved_db_url) as session:
        entries = load_register(session, community)
    out = Console()
    if not entries:
        scope = f" for community {_escape(community)}" if community is not None else ""
        out.print(f"No units registered{scope}. Add some with: occupancy register import FILE")
        return
    out.print(_units_table(list(entries.values())))


def _units_table(entries: list[RegisterEntry]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(caption=f"{len(entries)} units")
    for name in ("unit_id", "community", "grid", "building", "entrance", "floor", "room"):
        table.add_column(name)
    table.add_column("registered", justify="right")
    table.add_column("vulnerable")
    for e in entries:
        texts = (e.unit_id, e.community, e.grid, e.building, e.entrance, e.floor, e.room)
        table.add_row(
            *(Text(t) for t in texts),
            str(e.registered_occupants),
            "yes" if e.vulnerable else "",
        )
    return table


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
