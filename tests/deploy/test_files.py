"""The deployment files checked against the code they configure.

Docker cannot run where the tests run, so compose.yaml and the Dockerfile are parsed and
cross-checked instead: every OCCUPANCY_* name is a real setting, every setting is documented,
the paths the broker container prepares are the ones the shipped mosquitto.conf reads. The
systemd units go through `systemd-analyze verify`. The mosquitto.conf itself runs in the live
broker tests; here its numbers are checked against the ingester's.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml  # PyYAML comes with amqtt, a runtime dependency

from occupancy.cli import app as cli_app
from occupancy.config import Settings
from occupancy.deploy.mosquitto import directives, duration_seconds
from occupancy.ingest import const
from occupancy.ingest.mqtt_source import SESSION_EXPIRY_SECONDS
from occupancy.store import INFLUX_SCHEMES

from .conftest import DEPLOY, ROOT, SHIPPED_CONF

ENV_EXAMPLE = DEPLOY / ".env.example"
COMPOSE = DEPLOY / "compose.yaml"
SYSTEMD = DEPLOY / "systemd"
SETTINGS = {f"OCCUPANCY_{name.upper()}": field for name, field in Settings.model_fields.items()}
OCCUPANCY_NAME = re.compile(r"OCCUPANCY_[A-Z0-9_]+")
#: An assignment, or a commented-out one showing the default: [#]NAME=value
ASSIGNMENT = re.compile(r"^(#?)([A-Z][A-Z0-9_]*)=(.*)$")


def conf() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in directives(SHIPPED_CONF.read_text()):
        found.setdefault(name, []).append(value)
    return found


def single(name: str) -> str:
    [value] = conf()[name]
    return value


def env_lines(path: Path) -> list[tuple[bool, str, str]]:
    """(is set, name, value) of each assignment line, commented-out ones included."""
    found = []
    for line in path.read_text().splitlines():
        match = ASSIGNMENT.match(line)
        if match:
            found.append((not match.group(1), match.group(2), match.group(3)))
    return found


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def cli_commands() -> set[str]:
    """Names as typer derives them: explicit, else the function's name with dashes."""
    return {
        command.name or command.callback.__name__.replace("_", "-")  # type: ignore[union-attr]
        for command in cli_app.registered_commands
    }


# -- mosquitto.conf --------------------------------------------------------------------------


def test_broker_security_settings() -> None:
    assert single("per_listener_settings") == "false"
    assert single("allow_anonymous") == "false"
    assert single("password_file") == "/etc/mosquitto/occupancy/passwd"
    assert single("acl_file") == "/etc/mosquitto/occupancy/acl"
    assert conf()["listener"] == ["1883"]  # TLS stays commented until certificates exist


def test_broker_keeps_a_day_of_readings_for_the_ingester() -> None:
    assert single("persistence") == "true"
    assert 0 < int(single("autosave_interval")) <= 300
    # The sizing in the file's comment: 5,000 homes x 8 messages an hour x 24 hours.
    assert int(single("max_queued_messages")) >= 5000 * 8 * 24
    assert int(single("max_queued_bytes")) > 0  # the memory guard; 0 would be unlimited
    expiry = duration_seconds(single("persistent_client_expiration"))
    assert expiry >= SESSION_EXPIRY_SECONDS
    assert single("set_tcp_nodelay") == "true"


def test_broker_flow_limits_fit_the_ingester() -> None:
    # Announced to MQTT 5 publishers as their Receive Maximum: 1..65535 is all MQTT allows.
    assert 20 < int(single("max_inflight_messages")) <= 65535
    # Room for the largest payload the ingester accepts plus the longest topic (two ids of
    # 64 characters, up to 4 UTF-8 bytes each) and the packet's headers.
    largest = max(
        value
        for name, value in vars(const).items()
        if name.startswith("MAX_") and name.endswith("PAYLOAD_BYTES")
    )
    assert int(single("max_packet_size")) >= largest + 2 * 4 * const.MAX_ID_LENGTH + 1024
    # Mosquitto 2.0 calls message_size_limit deprecated; one limit, not two.
    assert "message_size_limit" not in conf()


# -- compose.yaml ----------------------------------------------------------------------------


def test_compose_has_the_four_services_from_two_images_and_the_project() -> None:
    services = compose()["services"]
    assert set(services) == {"mosquitto", "influxdb", "ingest", "serve"}
    assert services["mosquitto"]["image"] == "eclipse-mosquitto:2"
    assert services["influxdb"]["image"] == "influxdb:2"
    ingest, serve = services["ingest"], services["serve"]
    assert ingest["image"] == serve["image"] and ingest["build"] == serve["build"]
    assert (DEPLOY / ingest["build"]["context"] / ingest["build"]["dockerfile"]).is_file()
    assert ingest["command"][0] in cli_commands() and ingest["command"][0] == "ingest"
    assert serve["command"] == ["serve"]
    # Unauthenticated pages and metrics stay on the Docker host.
    for name in ("ingest", "serve"):
        assert all(port.startswith("127.0.0.1:") for port in services[name]["ports"])


def test_compose_runs_the_shipped_broker_config_with_its_paths() -> None:
    mosquitto = compose()["services"]["mosquitto"]
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in mosquitto["volumes"]}
    assert (DEPLOY / mounts["/mosquitto/config/mosquitto.conf"]).resolve() == SHIPPED_CONF
    assert mounts["/var/lib/mosquitto"] == "mosquitto-data"
    assert single("persistence_location").rstrip("/") == "/var/lib/mosquitto"
    script = mosquitto["command"][-1]
    for path in (single("password_file"), single("acl_file")):
        # Copied in and handed to the mosquitto user, which reads them after dropping root.
        assert Path(path).parent.as_posix() in script and Path(path).name in script
    assert "chown -R mosquitto:mosquitto" in script
    assert script.rstrip().endswith("exec /usr/sbin/mosquitto -c /mosquitto/config/mosquitto.conf")


def test_compose_influxdb_setup_comes_from_the_settings() -> None:
    env = compose()["services"]["influxdb"]["environment"]
    assert env["DOCKER_INFLUXDB_INIT_MODE"] == "setup"
    assert "OCCUPANCY_INFLUX_TOKEN" in env["DOCKER_INFLUXDB_INIT_ADMIN_TOKEN"]
    assert "OCCUPANCY_INFLUX_ORG" in env["DOCKER_INFLUXDB_INIT_ORG"]
    assert "OCCUPANCY_INFLUX_BUCKET" in env["DOCKER_INFLUXDB_INIT_BUCKET"]
    retention = env["DOCKER_INFLUXDB_INIT_RETENTION"]
    assert retention == "${OCCUPANCY_RAW_RETENTION_DAYS:-90}d"
    assert Settings.model_fields["raw_retention_days"].default == 90


def test_every_occupancy_variable_in_compose_is_a_setting() -> None:
    used = set(OCCUPANCY_NAME.findall(COMPOSE.read_text()))
    assert used, "compose.yaml uses no settings?"
    assert used <= set(SETTINGS), f"not settings: {sorted(used - set(SETTINGS))}"


def test_every_variable_compose_interpolates_is_in_env_example() -> None:
    interpolated = set(re.findall(r"\$\{([A-Z0-9_]+)", COMPOSE.read_text()))
    documented = {name for _, name, _ in env_lines(ENV_EXAMPLE)}
    assert interpolated - documented == set()


# -- .env.example and the systemd EnvironmentFile ---------------------------------------------


def test_env_example_documents_every_setting() -> None:
    documented = {name for _, name, _ in env_lines(ENV_EXAMPLE)}
    missing = {
        name: field.description for name, field in SETTINGS.items() if name not in documented
    }
    assert not missing, f"add to deploy/.env.example: {missing}"


@pytest.mark.parametrize("path", [ENV_EXAMPLE, SYSTEMD / "occupancy.env"], ids=lambda p: p.name)
def test_env_files_name_only_real_settings_with_valid_values(path: Path) -> None:
    lines = env_lines(path)
    unknown = {name for _, name, _ in lines if name.startswith("OCCUPANCY_")} - set(SETTINGS)
    assert not unknown, f"not settings: {sorted(unknown)}"
    values = {
        name.removeprefix("OCCUPANCY_").lower(): value
        for is_set, name, value in lines
        if is_set and name.startswith("OCCUPANCY_")
    }
    Settings(_env_file=None, **values)  # raises on a value the service would refuse
    if "store_url" in values:
        scheme = values["store_url"].split("://")[0]
        assert scheme in {"sqlite", *INFLUX_SCHEMES}, values["store_url"]


def test_env_example_shows_the_real_defaults() -> None:
    """A commented-out line shows the default; a stale one would mislead whoever sets it."""
    for is_set, name, value in env_lines(ENV_EXAMPLE):
        if not is_set and name in SETTINGS:
            default = SETTINGS[name].default
            shown = "" if default is None else str(default)
            assert value == shown, f"{name}: .env.example says {value!r}, the default is {shown!r}"


# -- Dockerfile --------------------------------------------------------------------------------


def test_dockerfile_installs_the_project_and_runs_unprivileged() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", text, re.M)
    copied = re.findall(r"^COPY (.+) \S+$", text, re.M)
    sources = [source for line in copied for source in line.split()]
    assert sources, "nothing copied"
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    for source in sources:
        assert (ROOT / source).exists(), source
        # The build context lets it through (everything is excluded, then re-included).
        assert f"!{source}" in ignore or f"!{source}/**" in ignore, source
    assert "RUN pip install ." in text
    assert re.search(r"^USER occupancy$", text, re.M)
    assert 'ENTRYPOINT ["occupancy"]' in text
    assert "ENV OCCUPANCY_VAR_DIR=/var/lib/occupancy" in text


# -- systemd -----------------------------------------------------------------------------------


def unit(path: Path) -> dict[str, dict[str, str]]:
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
        elif "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            assert key not in current, f"{path.name}: {key} twice"
            current[key] = value
    return sections


@pytest.mark.parametrize("command", ["ingest", "serve", "rollup"])
def test_systemd_units_run_the_command_hardened(command: str) -> None:
    service = unit(SYSTEMD / f"occupancy-{command}.service")["Service"]
    assert service["ExecStart"].split()[:2] == ["/opt/occupancy/venv/bin/occupancy", command]
    assert command in cli_commands()
    assert service["User"] == "occupancy"
    # Daemons restart forever; the daily rollup is a oneshot its timer starts.
    if command == "rollup":
        assert service["Type"] == "oneshot"
        timer = unit(SYSTEMD / "occupancy-rollup.timer")
        assert timer["Timer"]["OnCalendar"] and timer["Install"]["WantedBy"] == "timers.target"
    else:
        assert service["Restart"] == "always"
    assert service["EnvironmentFile"] == "/etc/occupancy/occupancy.env"
    var_dir = dict((n, v) for _, n, v in env_lines(SYSTEMD / "occupancy.env"))["OCCUPANCY_VAR_DIR"]
    assert service["ReadWritePaths"] == var_dir == service["WorkingDirectory"]
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "CapabilityBoundingSet": "",
    }.items():
        assert service[key] == value, key


def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed")
    # It checks that ExecStart exists: point it at this checkout's entry point.
    here = str(Path(sys.executable).parent / "occupancy")
    assert Path(here).exists(), "the occupancy entry point is not installed next to python"
    copies = []
    for path in sorted([*SYSTEMD.glob("*.service"), *SYSTEMD.glob("*.timer")]):
        copy = tmp_path / path.name
        copy.write_text(path.read_text().replace("/opt/occupancy/venv/bin/occupancy", here))
        copies.append(str(copy))
    result = subprocess.run([tool, "verify", *copies], capture_output=True, text=True)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_deploy_docs_cover_what_operators_need() -> None:
    text = (ROOT / "docs" / "deploy.md").read_text()
    for words in (
        "occupancy mqtt-accounts",
        "max_queued_messages",
        "systemctl reload mosquitto",
        "docker compose",
        "/metrics",
        "/readyz",
        "OCCUPANCY_METRICS_PORT",
    ):
        assert words in text, words
