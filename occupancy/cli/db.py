"""CLI: ``occupancy db upgrade|current|history``, the database schema's migrations.

Every command that opens the database upgrades it anyway; ``db upgrade`` is for doing it at
a chosen moment (before starting the services after an update, or to see it succeed).
"""

from __future__ import annotations

from typing import Annotated

import typer

from occupancy.cli.output import console, fail


def attach(app: typer.Typer) -> None:
    """Register this module's commands on the main app."""
    db_app = typer.Typer(
        name="db",
        help="The application database (register, flags, accounts, audit): schema migrations.",
        no_args_is_help=True,
    )
    db_app.command("upgrade")(upgrade)
    db_app.command("current")(current)
    db_app.command("history")(history)
    app.add_typer(db_app, name="db")


def _url() -> tuple[str, str]:
    """The database URL, and how to show it (without the password)."""
    from sqlalchemy.engine import make_url

    from occupancy.config import get_settings

    url = get_settings().resolved_db_url
    return url, make_url(url).render_as_string(hide_password=True)


def upgrade(
    revision: Annotated[
        str, typer.Argument(help="Revision to reach; default the newest (head).")
    ] = "head",
) -> None:
    """Bring the database (OCCUPANCY_DB_URL) to the newest schema.

    A database made before migrations existed is recognised and stamped first; its data is
    kept. Safe to run while other processes start: they wait for each other.
    """
    from occupancy.db.migrate import upgrade_database

    url, shown = _url()
    try:
        result = upgrade_database(url, revision)
    except Exception as exc:  # a migration failed: nothing was changed (one transaction)
        fail(f"upgrading {shown} failed, the database is unchanged: {exc}")
    if result.stamped_legacy:
        console.print(f"{shown}: made before migrations, recognised as revision 0001")
    if result.before == result.after:
        console.print(f"{shown} is at revision {result.after} already; nothing to do")
    else:
        console.print(f"{shown}: upgraded from {result.before or 'empty'} to {result.after}")


def current() -> None:
    """Show the revision the database is at, and whether it is the newest."""
    from occupancy.db.migrate import current_revision, head_revision

    url, shown = _url()
    try:
        revision = current_revision(url)
    except Exception as exc:
        fail(f"cannot read {shown}: {exc}")
    head = head_revision()
    if revision is None:
        console.print(f"{shown}: no revision (empty, or made before migrations); head is {head}")
    elif revision == head:
        console.print(f"{shown}: {revision} (head)")
    else:
        console.print(f"{shown}: {revision}; head is {head}: run `occupancy db upgrade`")


def history() -> None:
    """List the migrations, oldest first."""
    from alembic.script import ScriptDirectory

    from occupancy.db.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    for rev in reversed(list(script.walk_revisions())):
        title = (rev.doc or "").strip().splitlines()[0] if rev.doc else ""
        console.print(f"{rev.revision}  {title}", markup=False, highlight=False, soft_wrap=True)
