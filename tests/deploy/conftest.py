"""Fixtures for the deployment tests: the shipped mosquitto.conf run by a real Mosquitto on a
free loopback port, with accounts made by our own generator.

Only the listener, the three file paths and the log destination are rewritten (and the
user, see ``shipped_config``); every other line is the shipped file's.
"""

from __future__ import annotations

import csv
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from occupancy.broker import EmbeddedBroker, find_mosquitto, free_port
from occupancy.deploy.mosquitto import (
    CREDENTIALS_FILE,
    INGESTER_ENV_FILE,
    MeterUnit,
    override_directives,
    write_accounts,
)
from occupancy.ingest.mqtt_source import BrokerAddress

from .mqtt import Recorder

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SHIPPED_CONF = DEPLOY / "mosquitto" / "mosquitto.conf"
PREFIX = "occupancy/v1"

#: Plain ids, and ids with non-ASCII characters and inner spaces, which the ACL file must
#: carry through unchanged.
UNITS = [
    MeterUnit("east", "3-501"),
    MeterUnit("east", "3-502"),
    MeterUnit("west", "1-101"),
    MeterUnit("东园", "3栋 2单元 501"),
]


@dataclass(frozen=True)
class Account:
    username: str
    password: str


def shipped_config(root: Path, accounts: Path, **overrides: str | None) -> str:
    """The shipped mosquitto.conf, pointed at ``root`` and ``accounts`` and at ``{port}``."""
    assert find_mosquitto(), "mosquitto is not installed (apt-get install mosquitto)"
    paths: dict[str, str | None] = {
        "listener": "{port} 127.0.0.1",
        "password_file": str(accounts / "passwd"),
        "acl_file": str(accounts / "acl"),
        "persistence_location": f"{root / 'data'}/",
        "log_dest": f"file {root / 'mosquitto.log'}",
    }
    if os.geteuid() == 0:
        # Started as root, Mosquitto switches to the "mosquitto" user before reading the
        # password file, which then cannot open pytest's root-only temp dirs. In production
        # the files are root:mosquitto 0640 (`--group mosquitto`), which docs/deploy.md says.
        paths["user"] = "root"
    (root / "data").mkdir(parents=True, exist_ok=True)
    return override_directives(SHIPPED_CONF.read_text(), {**paths, **overrides})


class Site:
    """A generated accounts directory plus brokers started from the shipped config, all in one
    temp dir, so a test can stop a broker and start another on the same data and port."""

    def __init__(self, root: Path, units: list[MeterUnit] = UNITS) -> None:
        self.root = root
        self.accounts_dir = root / "accounts"
        self.port = free_port()
        self.brokers: list[EmbeddedBroker] = []
        self.generate(units)

    def generate(self, units: list[MeterUnit]) -> None:
        """Run the generator, then read the credentials back the way an installer would."""
        write_accounts(units, self.accounts_dir, prefix=PREFIX, broker="127.0.0.1:1883")
        with (self.accounts_dir / CREDENTIALS_FILE).open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
        self.meters = {
            MeterUnit(r["community"], r["unit_id"]): Account(r["username"], r["password"])
            for r in rows
        }
        env = (self.accounts_dir / INGESTER_ENV_FILE).read_text()
        url = next(line for line in env.splitlines() if line.startswith("OCCUPANCY_MQTT_URL="))
        address = BrokerAddress.parse(url.partition("=")[2])
        assert address.username and address.password
        self.ingester = Account(address.username, address.password)

    def start(self, **overrides: str | None) -> EmbeddedBroker:
        config = shipped_config(self.root, self.accounts_dir, **overrides)
        broker = EmbeddedBroker(port=self.port, config=config).start()
        self.brokers.append(broker)
        return broker

    def log(self) -> str:
        path = self.root / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def client(
        self, account: Account | None, tag: str, *, client_id: str | None = None, **options
    ) -> Recorder:
        name = client_id or f"test-{tag}-{uuid.uuid4().hex[:8]}"
        return Recorder(
            self.port,
            account.username if account else None,
            account.password if account else None,
            client_id=name,
            **options,
        )

    def connected(self, account: Account | None, tag: str, **options) -> Recorder:
        client = self.client(account, tag, **options)
        reason = client.connect()
        assert not reason.is_failure, f"{tag}: {reason}\n{self.log()[-2000:]}"
        return client

    def stop(self) -> None:
        for broker in self.brokers:
            broker.stop()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """A fresh site for tests that restart the broker or change its accounts."""
    site = Site(tmp_path)
    yield site
    site.stop()


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One broker from the shipped config, shared by the tests that only connect to it."""
    site = Site(tmp_path_factory.mktemp("site"))
    site.start()
    yield site
    site.stop()
