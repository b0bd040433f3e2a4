"""`occupancy users ...` through typer's CliRunner against a real SQLite database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from occupancy.auth.accounts import authenticate, user_for_token
from occupancy.cli import app
from occupancy.config import get_settings
from occupancy.db.session import session_scope
from occupancy.db.tables import AuditEvent, User

PASSWORD = "correct horse battery staple"
runner = CliRunner()


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("OCCUPANCY_DB_URL", db_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def _run(*args: str, stdin: str | None = None):
    return runner.invoke(app, ["users", *args], input=stdin)


def test_add_with_prompt_list_and_sign_in(cli_db: str) -> None:
    result = _run(
        "add", "wang", "--role", "grid_worker", "--community", "东湖", "--grid", "3",
        "--display-name", "王丽",
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "added wang (grid_worker, 东湖 3)" in result.output
    assert PASSWORD not in result.output

    listed = _run("list")
    assert listed.exit_code == 0
    assert "wang" in listed.output and "grid_worker" in listed.output and "东湖" in listed.output
    with session_scope(cli_db) as session:
        user = authenticate(session, "wang", PASSWORD)
        assert user is not None and user.display_name == "王丽"
        event = session.scalars(select(AuditEvent)).one()
        assert (event.action, event.object_id) == ("create", "wang")
        assert event.username.startswith("cli")


def test_prompt_needs_the_same_password_twice(cli_db: str) -> None:
    result = _run(
        "add", "boss", "--role", "admin", stdin=f"{PASSWORD}\nother\n{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower()


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--role", "secretary"], PASSWORD, "needs a community"),
        (["--role", "emperor"], PASSWORD, "not one of"),
        (["--role", "admin"], "short", "at least 10"),
        (["--role", "admin"], "", "no password"),
    ],
)
def test_add_errors_exit_2(cli_db: str, args: list[str], stdin: str, message: str) -> None:
    result = _run("add", "boss", *args, "--password-stdin", stdin=stdin + "\n")
    assert result.exit_code == 2, result.output
    assert message in result.output
    with session_scope(cli_db) as session:
        assert session.scalars(select(User)).all() == []


def test_taken_username_exit_2(cli_db: str) -> None:
    assert _run("add", "boss", "--role", "admin", "--password-stdin", stdin=PASSWORD).exit_code == 0
    result = _run("add", "BOSS", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    assert result.exit_code == 2 and "taken" in result.output


def test_passwd_disable_enable_and_token(cli_db: str) -> None:
    assert _run("add", "boss", "--role", "admin", "--password-stdin", stdin=PASSWORD).exit_code == 0
    new = "a different long passphrase"
    result = _run("passwd", "boss", "--password-stdin", stdin=new + "\n")
    assert result.exit_code == 0, result.output
    assert "password reset" in result.output and new not in result.output

    result = _run("token", "boss", "--name", "backup script")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("occ_") and "\n" not in token
    with session_scope(cli_db) as session:
        assert authenticate(session, "boss", PASSWORD) is None
        assert authenticate(session, "boss", new) is not None
        assert user_for_token(session, token).username == "boss"

    assert _run("disable", "boss").exit_code == 0
    with session_scope(cli_db) as session:
        assert user_for_token(session, token) is None
        assert authenticate(session, "boss", new) is None
    assert _run("token", "boss").exit_code == 2
    assert _run("enable", "boss").exit_code == 0
    with session_scope(cli_db) as session:
        assert authenticate(session, "boss", new) is not None
        actions = [(e.action, e.object_type) for e in session.scalars(select(AuditEvent))]
    assert actions == [
        ("create", "user"),
        ("update", "user"),
        ("create", "api_token"),
        ("update", "user"),
        ("update", "user"),
    ]


@pytest.mark.parametrize("command", ["passwd", "disable", "token"])
def test_unknown_user_exit_2(cli_db: str, command: str) -> None:
    result = _run(command, "ghost", stdin=PASSWORD + "\n")
    assert result.exit_code == 2
    assert "there is no user 'ghost'" in result.output
