"""CLI: ``occupancy users``, accounts from the server's shell.

The first admin has to come from somewhere: ``occupancy users add NAME --role admin``.
Passwords are read from a prompt (typed twice) or, for scripts, from standard input, never
from the command line, where they would end up in the shell history and ``ps``. Changes made
here are audited like the web's, with the operating-system user as the actor's name.
"""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from occupancy.cli.output import console, fail

#: Exit code for "you asked for something invalid" (a usage error), as Typer uses.
USAGE_ERROR = 2

users_app = typer.Typer(
    name="users",
    help="Manage sign-in accounts: add, list, set a password, disable, make an API token.",
    no_args_is_help=True,
)


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail("no password on standard input", USAGE_ERROR)
        return password
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


def _db_url() -> str:
    from occupancy.config import get_settings

    return get_settings().resolved_db_url


def _shell_actor() -> str:
    """Who ran the command, for the audit trail (there is no signed-in user in a shell)."""
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except Exception:  # no login name (a container); still say it came from the shell
        return "cli"


def _audit(session, action: str, object_type: str, username: str, detail: str = "") -> None:
    from occupancy.audit.log import record

    record(session, None, action, object_type, username, username=_shell_actor(), detail=detail)


@users_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Letters, digits and . _ - @ (no spaces).")],
    role: Annotated[
        str, typer.Option(help="admin, secretary, grid_worker or tester.", show_default=False)
    ],
    community: Annotated[str, typer.Option(help="A secretary's or grid worker's community.")] = "",
    grid: Annotated[str, typer.Option(help="A grid worker's grid.")] = "",
    display_name: Annotated[str, typer.Option(help="Name shown in the pages.")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add an account; the password is asked for twice (or read with --password-stdin)."""
    from occupancy.auth.accounts import AccountError, check_scope, create_user, username_taken
    from occupancy.auth.passwords import WeakPasswordError
    from occupancy.db.session import session_scope

    try:
        # Say what is wrong before asking for a password that would be thrown away.
        check_scope(role, community.strip(), grid.strip())
        with session_scope(_db_url()) as session:
            if username_taken(session, username):
                raise AccountError(f"username {username!r} is taken")
        password = _read_password(password_stdin)
        with session_scope(_db_url()) as session:
            user = create_user(
                session,
                username,
                password,
                role,
                community=community,
                grid=grid,
                display_name=display_name,
            )
            _audit(session, "create", "user", user.username, f"role={role}")
    except (AccountError, WeakPasswordError) as exc:
        fail(str(exc), USAGE_ERROR)
    scope = " ".join(part for part in (user.community, user.grid) if part)
    console.print(
        f"added {user.username} ({user.role}{', ' + scope if scope else ''})",
        markup=False,
        highlight=False,
    )


@users_app.command("list")
def list_users() -> None:
    """Every account with its role, scope and whether it is active."""
    from rich.table import Table
    from sqlalchemy import select

    from occupancy.db.session import session_scope
    from occupancy.db.tables import User

    with session_scope(_db_url()) as session:
        users = session.scalars(select(User).order_by(User.username)).all()
    if not users:
        console.print("no accounts yet: occupancy users add NAME --role admin")
        return
    table = Table(title_justify="left")
    for column in ("username", "role", "community", "grid", "active", "display name"):
        table.add_column(column, overflow="fold")
    for user in users:
        table.add_row(
            user.username,
            user.role,
            user.community,
            user.grid,
            "yes" if user.active else "no",
            user.display_name,
        )
    console.print(table)


def _change(username: str, **changes: object) -> None:
    from occupancy.auth.accounts import AccountError
    from occupancy.auth.admin import find_user, update_user
    from occupancy.db.session import session_scope

    try:
        with session_scope(_db_url()) as session:
            user = find_user(session, username)
            result = update_user(session, user, **changes)  # type: ignore[arg-type]
            if result.fields:
                _audit(session, "update", "user", user.username, str(result))
    except AccountError as exc:
        fail(str(exc), USAGE_ERROR)
    console.print(f"{user.username}: {result or 'unchanged'}", markup=False, highlight=False)


@users_app.command("passwd")
def passwd(
    username: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set a new password (ends the person's browser sessions)."""
    from occupancy.auth.accounts import AccountError
    from occupancy.auth.admin import find_user
    from occupancy.db.session import session_scope

    try:
        with session_scope(_db_url()) as session:
            find_user(session, username)
    except AccountError as exc:
        fail(str(exc), USAGE_ERROR)
    _change(username, password=_read_password(password_stdin))


@users_app.command("disable")
def disable(username: str) -> None:
    """Disable an account: its sessions end and its API tokens stop working."""
    _change(username, active=False)


@users_app.command("enable")
def enable(username: str) -> None:
    """Re-enable a disabled account."""
    _change(username, active=True)


@users_app.command("token")
def token(
    username: str,
    name: Annotated[str, typer.Option(help="What the token is for, e.g. a script's name.")] = "",
) -> None:
    """Make an API token for scripts (Authorization: Bearer ...). It is printed once."""
    from occupancy.auth.accounts import AccountError, create_api_token
    from occupancy.auth.admin import find_user
    from occupancy.db.session import session_scope

    try:
        with session_scope(_db_url()) as session:
            user = find_user(session, username)
            if not user.active:
                raise AccountError(f"{user.username} is disabled; enable it first")
            value = create_api_token(session, user, name)
            _audit(session, "create", "api_token", user.username, name)
    except AccountError as exc:
        fail(str(exc), USAGE_ERROR)
    # The value alone on stdout, so `TOKEN=$(occupancy users token NAME)` works.
    print(value)
    typer.echo("store it like a password; it cannot be shown again", err=True)


def attach(app: typer.Typer) -> None:
    """Register this module's commands on the main app."""
    app.add_typer(users_app)
