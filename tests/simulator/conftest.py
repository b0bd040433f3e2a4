"""Fixtures for the simulator tests: a real Mosquitto broker and small generated communities."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sim_helpers import START, Broker

from simulator.generate import generate_community, write_community

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """A private Mosquitto on a free loopback port, with unbounded queues so a slow test
    subscriber never loses QoS 1 messages."""
    if not Path(MOSQUITTO).is_file():
        pytest.skip(f"mosquitto not installed (looked for {MOSQUITTO})")
    port = _free_port()
    workdir = tmp_path_factory.mktemp("mosquitto")
    config = workdir / "mosquitto.conf"
    config.write_text(
        "\n".join(
            [
                f"listener {port} 127.0.0.1",
                "allow_anonymous true",
                "set_tcp_nodelay true",
                "max_queued_messages 0",
                "max_inflight_messages 0",
                "persistence false",
                "log_dest stderr",
                "log_type error",
                "log_type warning",
                "",
            ]
        )
    )
    log = open(workdir / "mosquitto.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([MOSQUITTO, "-c", str(config)], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"mosquitto exited: {(workdir / 'mosquitto.log').read_text(errors='replace')}"
                )
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield Broker("127.0.0.1", port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def community_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 units, 4 days, with a generous offline share so the fault is always present."""
    out = tmp_path_factory.mktemp("community")
    community = generate_community(60, 4, seed=11, start=START, offline_rate=0.1)
    write_community(community, out)
    return out


@pytest.fixture(scope="session")
def week_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 units for a week: enough homes per archetype for statistics from the data."""
    out = tmp_path_factory.mktemp("week")
    write_community(generate_community(200, 7, seed=5, start=START), out)
    return out
