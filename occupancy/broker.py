"""An MQTT broker for the demo and tests when none is configured.

Mosquitto when its binary is installed (it is what production runs), otherwise amqtt, a
pure-Python broker from PyPI, so `make demo` works on a machine with nothing installed.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

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


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"broker did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


class EmbeddedBroker:
    """A broker on 127.0.0.1 that lives as long as this object (use it as a context manager)."""

    def __init__(self, port: int | None = None, prefer: str = "mosquitto") -> None:
        self.port = port or free_port()
        self.kind = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._amqtt = None
        self.prefer = prefer

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> EmbeddedBroker:
        binary = find_mosquitto() if self.prefer == "mosquitto" else None
        if binary:
            self._start_mosquitto(binary)
            wait_for_port(self.port)
        else:
            self._start_amqtt()  # returns once listening; a bare probe would only log noise
        log.info("embedded %s broker on %s", self.kind, self.url)
        return self

    def _start_mosquitto(self, binary: str) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="occupancy-mosquitto-")
        conf = Path(self._tmp.name) / "mosquitto.conf"
        conf.write_text(MOSQUITTO_CONF.format(port=self.port, log=Path(self._tmp.name) / "log"))
        self._proc = subprocess.Popen(
            [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.kind = "mosquitto"

    def _start_amqtt(self) -> None:
        from amqtt.broker import Broker

        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
            },
        }
        ready = threading.Event()
        failure: list[BaseException] = []

        # amqtt logs its own retries (PUBACK timeouts under load, probes) as tracebacks; they
        # are not ours to fix and would bury the demo's output. Keep them for --debug only.
        logging.getLogger("amqtt").setLevel(logging.CRITICAL)

        def run() -> None:
            loop = asyncio.new_event_loop()
            loop.set_exception_handler(
                lambda _loop, ctx: log.debug(
                    "amqtt: %s", ctx.get("message"), exc_info=ctx.get("exception")
                )
            )
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                self._amqtt = Broker(config, loop=loop)
                loop.run_until_complete(self._amqtt.start())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()

        self._thread = threading.Thread(target=run, name="amqtt-broker", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise RuntimeError(f"the embedded amqtt broker failed to start: {failure[0]}")
        self.kind = "amqtt"

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
            self._proc = None
        if self._loop is not None and self._amqtt is not None:
            fut = asyncio.run_coroutine_threadsafe(self._amqtt.shutdown(), self._loop)
            try:
                fut.result(5)
            except Exception:  # shutting down anyway
                log.debug("amqtt shutdown raised", exc_info=True)
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(5)
            self._loop = None
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
