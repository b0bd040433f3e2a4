"""`occupancy mqtt-accounts`: usernames, hashes Mosquitto understands, the files it writes
and what a rerun keeps. The broker-side proof (a real Mosquitto accepting these accounts and
enforcing the ACL) is in test_broker_security.py."""

from __future__ import annotations

import grp
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from occupancy.cli import accounts as accounts_cli
from occupancy.config import get_settings
from occupancy.deploy.mosquitto import (
    ACL_FILE,
    CREDENTIALS_FILE,
    INGESTER_ENV_FILE,
    INGESTER_USERNAME,
    PASSWD_FILE,
    AccountsError,
    MeterUnit,
    acl_text,
    check_units,
    hash_password,
    id_problem,
    read_passwd,
    units_from_list,
    username_for,
    verify_password,
    write_accounts,
)
from occupancy.ingest.mqtt_source import BrokerAddress

PREFIX = "occupancy/v1"
EAST = [MeterUnit("east", "3-501"), MeterUnit("east", "3-502")]
MQTT_SAFE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def credentials(out: Path) -> dict[str, str]:
    import csv

    with (out / CREDENTIALS_FILE).open(newline="", encoding="utf-8-sig") as handle:
        return {row["username"]: row["password"] for row in csv.DictReader(handle)}


# -- usernames ---------------------------------------------------------------------------------


def test_plain_ids_make_readable_usernames() -> None:
    assert username_for("east", "3-501") == "east.3-501"
    assert username_for("Block-7", "B2-1101") == "Block-7.B2-1101"


def test_other_ids_keep_their_ascii_part_and_get_a_stable_hash() -> None:
    """Stable across runs and machines: regenerating must never rename an installed meter."""
    assert username_for("东园", "3栋 2单元 501") == "_a815174a.3-2-501_5b164a21"
    assert username_for("east", "unit_7") == "east.unit-7_61668bf6"
    # A "." inside an id cannot fake the separator.
    assert username_for("a.b", "c") != username_for("a", "b.c")


#: Any id the generator accepts (MQTT topic levels allow nearly all of Unicode).
ids = st.text(min_size=1, max_size=64).filter(lambda value: id_problem(value) is None)


@settings(max_examples=300, deadline=None)
@given(ids, ids, ids, ids)
def test_usernames_are_mqtt_safe_and_tell_units_apart(c1: str, u1: str, c2: str, u2: str) -> None:
    first, second = username_for(c1, u1), username_for(c2, u2)
    assert MQTT_SAFE.fullmatch(first), first
    assert ":" not in first and "%" not in first  # password file and URLs
    assert "." not in INGESTER_USERNAME  # so meters can never take the ingester's name
    if (c1, u1) != (c2, u2):
        assert first != second


@pytest.mark.parametrize(
    "value, words",
    [
        ("", "empty"),
        (" 3-501", "space"),
        ("3-501 ", "space"),
        ("x" * 65, "longer than 64"),
        ("3+501", "reserved"),
        ("3#501", "reserved"),
        ("3/501", "reserved"),
        ("3-5\n01", "control character"),
        ("3-5\u202801", "line break"),
        ("3-5\x0001", "control character"),
        ("3-5\ud80001", "lone surrogate"),
    ],
)
def test_ids_that_would_break_the_acl_are_refused(value: str, words: str) -> None:
    assert words in (id_problem(value, "unit id") or "")


def test_bad_units_are_all_reported_at_once() -> None:
    with pytest.raises(AccountsError) as info:
        check_units(
            [MeterUnit("_rejected", "1"), MeterUnit("east", "a+b"), MeterUnit("", "1"), *EAST]
        )
    assert len(info.value.problems) == 3
    assert any("reserved for the system's own topics" in p for p in info.value.problems)


def test_a_repeated_unit_gets_one_account() -> None:
    assert check_units([*EAST, *EAST]) == EAST


# -- hashes ------------------------------------------------------------------------------------


def test_our_hashes_verify_and_wrong_passwords_do_not() -> None:
    encoded = hash_password("s3cret")
    assert re.fullmatch(r"\$7\$101\$[A-Za-z0-9+/=]{16}\$[A-Za-z0-9+/=]{88}", encoded)
    assert verify_password(encoded, "s3cret")
    assert not verify_password(encoded, "s3cret ")
    assert hash_password("s3cret") != encoded  # salted
    assert not verify_password("$6$rounds$abc", "s3cret")
    assert not verify_password("$7$101$!!!$???", "s3cret")


def test_we_read_mosquitto_passwd_hashes_the_same_way(tmp_path: Path) -> None:
    """Format parity with Mosquitto's own tool; that Mosquitto accepts ours is shown by the
    live broker tests."""
    tool = shutil.which("mosquitto_passwd")
    assert tool, "mosquitto_passwd is not installed (apt-get install mosquitto)"
    path = tmp_path / "passwd"
    subprocess.run([tool, "-c", "-b", str(path), "east.3-501", "pässword"], check=True)
    encoded = read_passwd(path)["east.3-501"]
    assert encoded.startswith("$7$101$")
    assert verify_password(encoded, "pässword")
    assert not verify_password(encoded, "password")


# -- files -------------------------------------------------------------------------------------


def test_acl_text() -> None:
    assert acl_text(EAST, PREFIX).splitlines()[4:] == [
        "# The ingester reads every reading and writes only dead letters.",
        "user occupancy-ingester",
        "topic read occupancy/v1/#",
        "topic write occupancy/v1/_rejected/#",
        "",
        "# Meters: each publishes its own unit's topics, nothing else, and reads nothing.",
        "user east.3-501",
        "topic write occupancy/v1/east/3-501/meter",
        "topic write occupancy/v1/east/3-501/lights",
        "user east.3-502",
        "topic write occupancy/v1/east/3-502/meter",
        "topic write occupancy/v1/east/3-502/lights",
    ]


def test_written_files_and_their_permissions(tmp_path: Path) -> None:
    out = tmp_path / "accounts"
    result = write_accounts(EAST, out, prefix=PREFIX, broker="mosquitto:1883")
    assert (result.meters, len(result.created), result.kept, result.removed) == (2, 2, [], [])
    for name in (PASSWD_FILE, ACL_FILE, CREDENTIALS_FILE, INGESTER_ENV_FILE):
        assert mode(out / name) == 0o600, name
    hashes = read_passwd(out / PASSWD_FILE)
    assert list(hashes) == [INGESTER_USERNAME, "east.3-501", "east.3-502"]
    for username, password in credentials(out).items():
        assert verify_password(hashes[username], password)
    url = (out / INGESTER_ENV_FILE).read_text().split("OCCUPANCY_MQTT_URL=")[1].strip()
    address = BrokerAddress.parse(url)
    assert (address.host, address.port, address.username) == ("mosquitto", 1883, INGESTER_USERNAME)
    assert verify_password(hashes[INGESTER_USERNAME], address.password or "")
    assert (out / ACL_FILE).read_text() == acl_text(EAST, PREFIX)
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no temp leftovers


def test_a_group_may_read_what_the_broker_needs_and_nothing_else(tmp_path: Path) -> None:
    group = grp.getgrgid(os.getgid()).gr_name
    write_accounts(EAST, tmp_path, group=group)
    for name in (PASSWD_FILE, ACL_FILE):
        assert (mode(tmp_path / name), (tmp_path / name).stat().st_gid) == (0o640, os.getgid())
    for name in (CREDENTIALS_FILE, INGESTER_ENV_FILE):
        assert mode(tmp_path / name) == 0o600  # plain passwords: owner only


def test_an_unknown_group_is_an_accounts_error(tmp_path: Path) -> None:
    with pytest.raises(AccountsError, match="no group 'no-such-group-here'"):
        write_accounts(EAST, tmp_path, group="no-such-group-here")
    assert list(tmp_path.iterdir()) == []


def test_a_rerun_keeps_installed_meters_and_follows_the_register(tmp_path: Path) -> None:
    write_accounts(EAST, tmp_path)
    hashes, passwords = read_passwd(tmp_path / PASSWD_FILE), credentials(tmp_path)
    ingester_env = (tmp_path / INGESTER_ENV_FILE).read_text()

    newcomer = MeterUnit("west", "1-101")
    result = write_accounts([EAST[0], newcomer], tmp_path)
    assert (result.created, result.kept, result.removed) == (
        ["west.1-101"],
        ["east.3-501"],
        ["east.3-502"],
    )
    again = read_passwd(tmp_path / PASSWD_FILE)
    assert again["east.3-501"] == hashes["east.3-501"]  # installed meter untouched
    assert again[INGESTER_USERNAME] == hashes[INGESTER_USERNAME]
    assert "east.3-502" not in again
    assert credentials(tmp_path)["east.3-501"] == passwords["east.3-501"]
    assert (tmp_path / INGESTER_ENV_FILE).read_text() == ingester_env
    assert not result.ingester_password_changed


def test_deleting_the_credentials_after_installing_is_fine(tmp_path: Path) -> None:
    """The advice is to delete meter-credentials.csv once meters are installed: the next run
    keeps their accounts and just cannot list their passwords again."""
    write_accounts(EAST, tmp_path)
    hashes = read_passwd(tmp_path / PASSWD_FILE)
    (tmp_path / CREDENTIALS_FILE).unlink()
    (tmp_path / INGESTER_ENV_FILE).unlink()
    result = write_accounts(EAST, tmp_path)
    assert result.unknown_passwords == ["east.3-501", "east.3-502"]
    assert read_passwd(tmp_path / PASSWD_FILE)["east.3-501"] == hashes["east.3-501"]
    assert credentials(tmp_path) == {}
    # The ingester is ours to re-key: it gets a new password and a new ingester.env.
    assert result.ingester_password_changed
    assert (tmp_path / INGESTER_ENV_FILE).exists()


def test_rotate_rekeys_everyone(tmp_path: Path) -> None:
    write_accounts(EAST, tmp_path)
    before = read_passwd(tmp_path / PASSWD_FILE)
    result = write_accounts(EAST, tmp_path, rotate=True)
    after = read_passwd(tmp_path / PASSWD_FILE)
    assert all(after[name] != before[name] for name in before)
    assert len(result.created) == 2 and result.ingester_password_changed


def test_units_list(tmp_path: Path) -> None:
    path = tmp_path / "units.txt"
    path.write_text("# site A\neast/3-501\n\n 东园 / 3栋-501 \n", encoding="utf-8")
    assert units_from_list(path) == [MeterUnit("east", "3-501"), MeterUnit("东园", "3栋-501")]
    path.write_text("east/3-501\neast\neast/3/501\n", encoding="utf-8")
    with pytest.raises(AccountsError) as info:
        units_from_list(path)
    assert [p.split(": ")[0] for p in info.value.problems] == [f"{path}:2", f"{path}:3"]


# -- the command -------------------------------------------------------------------------------


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    """Only this module's command, so other commands being written can't break these tests."""
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("OCCUPANCY_TOPIC_PREFIX", raising=False)
    get_settings.cache_clear()
    app = typer.Typer()
    accounts_cli.attach(app)

    @app.callback()
    def _root() -> None:
        pass

    return app


REGISTER = (
    "单元编号,社区,登记人数,姓名,电话\n"
    "3-501,east,2,王秀英,13800000000\n"
    "3栋-502,east,1,李建国,13900000000\n"
)


def test_the_command_makes_accounts_from_a_register_and_no_names_leak(
    app: typer.Typer, tmp_path: Path
) -> None:
    register = tmp_path / "register.csv"
    register.write_text(REGISTER, encoding="utf-8")
    out = tmp_path / "accounts"
    result = CliRunner().invoke(
        app, ["mqtt-accounts", "--register", str(register), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "2 meter accounts" in result.output and "2 new" in result.output
    assert "systemctl reload mosquitto" in result.output
    assert set(credentials(out)) == {"east.3-501", username_for("east", "3栋-502")}
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8")
        for private in ("王秀英", "李建国", "13800000000", "13900000000"):
            assert private not in text, f"{private} leaked into {path.name}"


def test_the_command_refuses_bad_input_and_writes_nothing(app: typer.Typer, tmp_path: Path) -> None:
    units = tmp_path / "units.txt"
    units.write_text("east/3-501\n_rejected/x\neast/a+b\n", encoding="utf-8")
    out = tmp_path / "accounts"
    runner = CliRunner()
    result = runner.invoke(app, ["mqtt-accounts", "--units", str(units), "--out", str(out)])
    assert result.exit_code == 1
    assert "2 problem(s)" in result.output and "no accounts were written" in result.output
    assert not out.exists()
    result = runner.invoke(app, ["mqtt-accounts", "--out", str(out)])
    assert result.exit_code == 1 and "--register" in result.output


def test_help_says_what_it_writes_and_how_to_apply_it(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["mqtt-accounts", "--help"])
    assert result.exit_code == 0
    for words in (
        "--register",
        "--units",
        "COMMUNITY/UNIT_ID",
        "meter-credentials.csv",
        "ingester.env",
        "keep their passwords",
        "systemctl reload mosquitto",
        "--rotate",
        "--group",
    ):
        assert words in result.output, words
