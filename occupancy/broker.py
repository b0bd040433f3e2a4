"""An MQTT broker for the demo and tests when none is configured.

Mosquitto when its binary is installed (it is what production runs), otherwise amqtt, a
pure-Python broker from PyPI, so `make demo` works on a machine with nothing installed.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

log = logging.getLogger(__name__)

#: Tuned for loopback replay: no Nagle delay, and no per-client queue or in-flight caps
#: (Mosquitto's defaults of 1000 queued and 20 in flight silently drop or throttle a busy
#: subscriber).
MOSQUITTO_CONF = """\
listener {port} 127.0.0.1
allow_anonymous true
set_tcp_nodelay true
max_queued_messages 0
max_inflight_messages 0
persistence false
log_dest file {log}
log_type error
log_type warning
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_mosquitto() -> str | None:
    """Debian puts it in /usr/sbin, which is not on every user's PATH."""
    found = shutil.which("mosquitto")
    if found:
        return found
    return "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None


class EmbeddedBroker:
    """A broker on 127.0.0.1 that lives as long as this object (use it as a context manager)."""

    def __init__(
        self, port: int | None = None, prefer: str = "mosquitto", config: str | None = None
    ) -> None:
        """``config``: a whole mosquitto.conf to run instead of ours (Mosquitto only), with
        ``{port}`` standing for the port; the deployment tests run the shipped file this way.
        Mosquitto's own output then goes to ``log_path`` as well, since configuration errors
        are printed before any ``log_dest`` applies."""
        self.port = port or free_port()
        self.kind = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._log: BinaryIO | None = None
        self.prefer = prefer
        self.config = config

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> EmbeddedBroker:
        # A broker already on the port would answer our readiness probe and be mistaken
        # for ours; refuse early instead.
        with socket.socket() as probe:
            # Like the brokers themselves: TIME_WAIT leftovers don't count, a listener does.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", self.port))
            except OSError as exc:
                raise OSError(f"port {self.port} on 127.0.0.1 is already in use") from exc
        binary = find_mosquitto() if self.prefer == "mosquitto" else None
        if self.config is not None and not binary:
            raise RuntimeError("a custom broker configuration needs mosquitto installed")
        if binary:
            self._start_mosquitto(binary)
        else:
            self._start_amqtt()
        self._wait_until_listening()
        log.info("embedded %s broker on %s", self.kind, self.url)
        return self

    def _wait_until_listening(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                log_file = self.log_path
                detail = log_file.read_text(errors="replace")[-1000:] if log_file else ""
                self.stop()
                raise RuntimeError(f"the embedded {self.kind} broker exited: {detail.strip()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"the embedded {self.kind} broker did not listen within {timeout} s")

    @property
    def log_path(self) -> Path | None:
        """The broker's log (and, with a custom ``config``, its console output)."""
        return Path(self._tmp.name) / "log" if self._tmp else None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def reload(self) -> None:
        """SIGHUP: Mosquitto rereads its password and ACL files (and reloadable settings)."""
        if self._proc is None or self.kind != "mosquitto":
            raise RuntimeError("only a running embedded mosquitto can reload")
        self._proc.send_signal(signal.SIGHUP)

    def _start_mosquitto(self, binary: str) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="occupancy-mosquitto-")
        conf = Path(self._tmp.name) / "mosquitto.conf"
        log_file = Path(self._tmp.name) / "log"
        if self.config is None:
            conf.write_text(MOSQUITTO_CONF.format(port=self.port, log=log_file))
            output: int | BinaryIO = subprocess.DEVNULL
        else:
            conf.write_text(self.config.replace("{port}", str(self.port)))
            self._log = output = open(log_file, "ab")  # noqa: SIM115 - closed in stop()
        self._proc = subprocess.Popen([binary, "-c", str(conf)], stdout=output, stderr=output)
        self.kind = "mosquitto"

    def _start_amqtt(self) -> None:
        # Its own process, like Mosquitto: in-process, the broker's event loop competes with
        # the ingester for the GIL, stalls past the keep-alive and drops the connection.
        self._tmp = tempfile.TemporaryDirectory(prefix="occupancy-amqtt-")
        self._log = open(Path(self._tmp.name) / "log", "wb")  # noqa: SIM115 - closed in stop()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "occupancy.broker", str(self.port)],
            stdout=self._log,
            stderr=self._log,
        )
        self.kind = "amqtt"

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


async def _serve_amqtt(port: int) -> None:
    from amqtt.broker import Broker

    broker = Broker(
        {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
            },
        }
    )
    await broker.start()
    await asyncio.Event().wait()  # until the parent terminates us


if __name__ == "__main__":
    # amqtt logs its own retries and port probes as tracebacks; they are not ours to fix.
    logging.basicConfig(level=logging.CRITICAL)
    asyncio.run(_serve_amqtt(int(sys.argv[1])))
