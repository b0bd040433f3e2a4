"""Helpers for tests that drive real brokers and real ingester processes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from occupancy.broker import free_port
from occupancy.ingest.mqtt_source import BrokerAddress, set_nodelay

TIMEOUT = 20.0


def client_id(tag: str) -> str:
    return f"test-{tag}-{uuid.uuid4().hex[:10]}"


def wait_for(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


class Publisher:
    """A fast QoS 1 publisher (TCP_NODELAY, a wide in-flight window) for volume tests."""

    def __init__(self, url: str, *, username: str | None = None, password: str | None = None):
        address = BrokerAddress.parse(url)
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id("pub"),
            protocol=mqtt.MQTTv5,
        )
        if username:
            self.client.username_pw_set(username, password)
        self.client.on_socket_open = set_nodelay
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.connect(address.host, address.port)
        self.client.loop_start()

    def send(self, messages: Iterable[tuple[str, bytes]], timeout: float = 120.0) -> int:
        """Publish and return once the broker acknowledged every message."""
        infos = [self.client.publish(topic, body, qos=1) for topic, body in messages]
        deadline = time.monotonic() + timeout
        for info in infos:
            info.wait_for_publish(max(deadline - time.monotonic(), 0.1))
            assert info.is_published(), "the broker did not acknowledge a publish in time"
        return len(infos)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Subscriber:
    """Collects every message on a topic filter (for dead letters)."""

    def __init__(self, url: str, topic: str) -> None:
        address = BrokerAddress.parse(url)
        self.messages: list[mqtt.MQTTMessage] = []
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id("sub"),
            protocol=mqtt.MQTTv5,
        )
        self.client.on_socket_open = set_nodelay
        self.client.on_message = lambda _c, _u, message: self.messages.append(message)
        subscribed: list[bool] = []
        self.client.on_subscribe = lambda *_args: subscribed.append(True)
        self.client.connect(address.host, address.port)
        self.client.loop_start()
        self.client.subscribe(topic, qos=1)
        wait_for(lambda: bool(subscribed), f"subscription to {topic}")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class IngesterProcess:
    """``occupancy ingest`` as a real process, so it can be killed with SIGKILL."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.metrics_port = free_port()
        self.env = {
            **os.environ,
            "OCCUPANCY_METRICS_PORT": str(self.metrics_port),
            **env,
        }
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, **overrides: str) -> IngesterProcess:
        env = {**self.env, **overrides}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "occupancy", "ingest", "--stats-every", "0"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(self.ready, "the ingester process to be ready", timeout=30)
        return self

    def ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            pytest.fail(f"ingester exited with {self.process.returncode}: {self.log_tail()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/readyz", timeout=1):
                return True
        except OSError:
            return False

    def metric(self, name: str) -> float:
        """One unlabelled sample from /metrics (counters carry a _total suffix)."""
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            text = response.read().decode()
        match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
        assert match, f"{name} not in /metrics"
        return float(match.group(1))

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(10)

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]
