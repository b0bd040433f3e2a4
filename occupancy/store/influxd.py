"""A private InfluxDB 1.x server for tests, benchmarks and fault drills.

Like ``occupancy.broker.EmbeddedBroker``: it runs Debian's ``influxd`` (``apt-get install
influxdb``) on free loopback ports with a configuration written into a temporary directory,
so it never touches ``/var/lib/influxdb`` or a server already running on the machine. Unlike
the broker, ``stop()`` keeps the data and ``start()`` brings the same server back on the
same ports, which is what a "the database went away for 20 s" test needs.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from occupancy.broker import free_port

log = logging.getLogger(__name__)

#: Quiet, self-contained, no phoning home. Both spellings of the reporting switch: Debian's
#: package renamed ``reporting-disabled`` to ``reporting-enabled``; influxd ignores the
#: one it does not know. No ``_internal`` monitoring database, no query or HTTP access log
#: (a test writes thousands of requests), no continuous queries (we roll up in Python).
INFLUXD_CONF = """\
reporting-disabled = true
reporting-enabled = false
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{root}/meta"
  logging-enabled = false

[data]
  dir = "{root}/data"
  wal-dir = "{root}/wal"
  query-log-enabled = false
  trace-logging-enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false
  log-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:{http_port}"
  auth-enabled = {auth_enabled}
  log-enabled = false
  suppress-write-log = true
  pprof-enabled = false

[logging]
  level = "error"
  suppress-logo = true
"""

INSTALL_HINT = "InfluxDB 1.x is not installed: apt-get install influxdb (Debian/Ubuntu)"

#: Loopback only: an http_proxy in the environment must not intercept our probes.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def request(
    url: str,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> bytes:
    """POST (with ``data``) or GET to the private server, bypassing any proxy; returns the
    body. For tests and tools that talk to an ``InfluxServer`` without a store."""
    req = urllib.request.Request(url, data=data, headers=headers or {})
    with _DIRECT.open(req, timeout=timeout) as resp:
        return bytes(resp.read())


def find_influxd() -> str | None:
    """The ``influxd`` binary: on PATH, else where Debian installs it (/usr/bin), or None."""
    found = shutil.which("influxd")
    if found:
        return found
    for candidate in ("/usr/bin/influxd", "/usr/sbin/influxd", "/usr/local/bin/influxd"):
        if Path(candidate).exists():
            return candidate
    return None


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        # Like influxd itself (Go sets SO_REUSEADDR): TIME_WAIT leftovers don't count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class InfluxServer:
    """``influxd`` on 127.0.0.1, alive between ``start()`` and ``stop()``/``kill()``.

    ``auth=("admin", "secret")`` turns on authentication and creates that admin user on the
    first start; ``url`` then carries the credentials. ``data_dir`` keeps the data somewhere
    you choose (it is left in place); by default it is a temporary directory removed by
    ``close()``. Use it as a context manager for start ... close.
    """

    def __init__(
        self,
        *,
        database: str = "occupancy",
        auth: tuple[str, str] | None = None,
        data_dir: str | Path | None = None,
        binary: str | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        self.database = database
        self.auth = auth
        self.binary = binary or find_influxd()
        self.startup_timeout = startup_timeout
        # Chosen once: a restart must come back where clients already point.
        self.http_port = free_port()
        self.rpc_port = free_port()
        while self.rpc_port == self.http_port:
            self.rpc_port = free_port()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._root: Path | None = Path(data_dir) if data_dir is not None else None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: BinaryIO | None = None
        self._admin_created = False

    # -- addresses ---------------------------------------------------------------------

    @property
    def http_url(self) -> str:
        """Plain HTTP base URL, e.g. for ``/ping`` or ad-hoc InfluxQL."""
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def url(self) -> str:
        """The ``OCCUPANCY_STORE_URL`` for this server's ``database``."""
        return self.url_for(self.database)

    def url_for(self, database: str) -> str:
        """A store URL for another database on the same server (one per test, say)."""
        userinfo = ""
        if self.auth is not None:
            user, password = (urllib.parse.quote(part, safe="") for part in self.auth)
            userinfo = f"{user}:{password}@"
        return f"influxdb://{userinfo}127.0.0.1:{self.http_port}/{database}"

    @property
    def root(self) -> Path:
        """Directory holding the config, meta, data, wal and the server's log."""
        if self._root is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="occupancy-influxd-")
            self._root = Path(self._tmp.name)
        return self._root

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> InfluxServer:
        """Start (or restart, on the same ports and data) and wait until ``/ping`` is 204."""
        if self.running:
            return self
        if self.binary is None or not Path(self.binary).exists():
            raise FileNotFoundError(INSTALL_HINT)
        for port in (self.http_port, self.rpc_port):
            # Another server on our port would answer the readiness probe as if it were us.
            if not _port_is_free(port):
                raise OSError(f"port {port} on 127.0.0.1 is already in use")
        root = self.root
        root.mkdir(parents=True, exist_ok=True)
        conf = root / "influxdb.conf"
        conf.write_text(
            INFLUXD_CONF.format(
                root=root.as_posix(),
                rpc_port=self.rpc_port,
                http_port=self.http_port,
                auth_enabled="true" if self.auth else "false",
            )
        )
        # INFLUXDB_* variables override the config file (INFLUXDB_HTTP_BIND_ADDRESS, ...);
        # a developer's shell must not move our private server onto their real one.
        env = {k: v for k, v in os.environ.items() if not k.startswith("INFLUXDB_")}
        self._log = open(root / "influxd.log", "ab")  # noqa: SIM115 - closed in _reap()
        self._proc = subprocess.Popen(
            [self.binary, "run", "-config", str(conf)],
            stdout=self._log,
            stderr=self._log,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        self._wait_until_ready()
        if self.auth is not None and not self._admin_created:
            self._create_admin()
        log.info("influxd %s on %s (data in %s)", self.binary, self.http_url, root)
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                detail = self.log_tail()
                self._reap()
                raise RuntimeError(f"influxd exited during startup: {detail}")
            try:
                with _DIRECT.open(f"{self.http_url}/ping", timeout=1) as resp:
                    if resp.status == 204:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.05)
        self.kill()
        raise TimeoutError(
            f"influxd did not answer /ping within {self.startup_timeout} s: {self.log_tail()}"
        )

    def _create_admin(self) -> None:
        """With auth on and no users yet, InfluxDB 1.x lets anyone create the first admin."""
        assert self.auth is not None
        user, password = self.auth
        quoted = password.replace("\\", "\\\\").replace("'", "\\'")
        statement = f"CREATE USER \"{user}\" WITH PASSWORD '{quoted}' WITH ALL PRIVILEGES"
        body = urllib.parse.urlencode({"q": statement}).encode()
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        # On a restart the user exists and the anonymous request is refused; retry as that
        # user, which CREATE USER with the same password answers idempotently.
        for headers in ({}, {"Authorization": f"Basic {token}"}):
            try:
                request(f"{self.http_url}/query", data=body, headers=headers)
                self._admin_created = True
                return
            except urllib.error.HTTPError as exc:
                if exc.code not in (401, 403):
                    raise
        raise RuntimeError(f"could not create the admin user {user!r} on {self.http_url}")

    def influxql(self, statement: str, database: str | None = None) -> dict[str, Any]:
        """Run InfluxQL as an operator would (``DELETE``, ``DROP``, ``SHOW``...), outside any
        store; returns the decoded answer and raises ``RuntimeError`` on an error in it."""
        params = {"epoch": "ms", **({"db": database} if database else {})}
        headers = {}
        if self.auth is not None:
            token = base64.b64encode(":".join(self.auth).encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        body = urllib.parse.urlencode({"q": statement}).encode()
        url = f"{self.http_url}/query?{urllib.parse.urlencode(params)}"
        doc: dict[str, Any] = json.loads(request(url, data=body, headers=headers))
        errors = [r["error"] for r in doc.get("results", []) if "error" in r]
        if "error" in doc or errors:
            raise RuntimeError(f"{statement}: {doc.get('error') or errors[0]}")
        return doc

    def log_tail(self, chars: int = 2000) -> str:
        """The end of influxd's own log, for error messages."""
        path = self.root / "influxd.log"
        return path.read_text(errors="replace")[-chars:].strip() if path.exists() else ""

    def stop(self, timeout: float = 30.0) -> None:
        """Graceful shutdown (SIGTERM, then wait); data stays for the next ``start()``."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("influxd did not stop within %s s; killing it", timeout)
                self._proc.kill()
                self._proc.wait()
        self._reap()

    def kill(self) -> None:
        """SIGKILL, as a crash or power cut would; written data survives in the WAL."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._reap()

    def _reap(self) -> None:
        self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def close(self) -> None:
        """Stop and remove the temporary directory (a ``data_dir`` you passed is kept)."""
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
            self._root = None

    def __enter__(self) -> InfluxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
