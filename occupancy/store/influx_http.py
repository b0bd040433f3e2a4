"""HTTP to InfluxDB, shared by every version: URLs, one connection pool, InfluxQL over
``/query`` parsed one chunk at a time, and turning every failure into a ``StoreError`` whose
message says what to check.

No retries here: a failed call raises at once and the caller (the ingester keeps its
batch and backs off) decides when to try again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import urllib3
from urllib3 import exceptions as u3

from occupancy.store.base import StoreError

DEFAULT_PORT = 8086
DEFAULT_DATABASE = "occupancy"
#: Points per chunk of a streamed (chunked) query answer.
CHUNK_SIZE = 10_000


@dataclass(frozen=True)
class InfluxTarget:
    """A parsed store URL, without secrets in ``base_url`` (it appears in messages)."""

    base_url: str  # http(s)://host:port
    database: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def parse_url(url: str, default_database: str = DEFAULT_DATABASE) -> InfluxTarget:
    """``influxdb://[user:pass@]host[:port][/db]``; ``influxdbs``/``influxdb2s`` mean https."""
    parts = urlsplit(url)
    https = parts.scheme.endswith("s")
    if parts.query or parts.fragment:
        raise StoreError(f"the store URL {parts.scheme}://... takes no ?query or #fragment")
    if not parts.hostname:
        raise StoreError(
            f"the store URL {parts.scheme}://... names no host; use "
            f"{parts.scheme}://host:8086/database in OCCUPANCY_STORE_URL"
        )
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError as exc:
        raise StoreError(f"bad port in OCCUPANCY_STORE_URL ({exc})") from exc
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    database = unquote(parts.path.strip("/")) or default_database
    if "/" in database:
        raise StoreError(f"the store URL's path must be one database name, not {database!r}")
    return InfluxTarget(
        base_url=f"{'https' if https else 'http'}://{host}:{port}",
        database=database,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


class InfluxHTTP:
    """One urllib3 pool to one server, shared by threads (the ingester writes while the web
    reads); subclasses say what the data is."""

    #: "InfluxDB 1.x" or "InfluxDB 2.x/3.x", for messages.
    product = "InfluxDB"

    def __init__(
        self,
        target: InfluxTarget,
        *,
        headers: Mapping[str, str],
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        pool_size: int = 8,
    ) -> None:
        self.target = target
        self.read_timeout = read_timeout
        self._headers = dict(headers)
        self._pool = urllib3.PoolManager(
            num_pools=2,
            maxsize=pool_size,
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            retries=False,
        )
        self._closed = False

    def _auth_hint(self) -> str:
        return "check the credentials in OCCUPANCY_STORE_URL"

    def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        *,
        body: bytes | None = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        check: bool = True,
        action: str,
    ) -> urllib3.BaseHTTPResponse:
        """One HTTP call; every failure, transport or (with ``check``) an HTTP status that is
        not a success, becomes a StoreError."""
        self._check_open()
        url = f"{self.target.base_url}{path}?{urlencode(params)}"
        all_headers = {**self._headers, **(headers or {})}
        if form is not None:
            body = urlencode(form).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            resp = self._pool.request(
                method, url, body=body, headers=all_headers, preload_content=not stream
            )
        except u3.HTTPError as exc:
            raise self._transport_error(action, exc) from exc
        if check and resp.status >= 300:
            text = (resp.read() if stream else resp.data).decode(errors="replace")
            resp.release_conn()
            raise self._status_error(action, resp.status, error_text(text))
        return resp

    def _transport_error(self, action: str, exc: Exception) -> StoreError:
        where = f"{self.product} at {self.target.base_url}"
        reason = getattr(exc, "reason", None) or exc
        if isinstance(exc, u3.NewConnectionError):
            return StoreError(
                f"{action}: cannot reach {where} ({reason}); check OCCUPANCY_STORE_URL and "
                "that the server (influxd) is running and listening there"
            )
        if isinstance(exc, u3.SSLError):
            return StoreError(
                f"{action}: TLS with {where} failed ({reason}); check its certificate, or use "
                "influxdb:// / influxdb2:// for plain HTTP"
            )
        if isinstance(exc, u3.TimeoutError):
            return StoreError(
                f"{action}: {where} did not answer in time ({reason}); it may be overloaded "
                "or unreachable; check that it is running"
            )
        return StoreError(
            f"{action}: the connection to {where} failed ({reason}); check that the server is "
            "running and OCCUPANCY_STORE_URL points at it"
        )

    def _status_error(self, action: str, status: int, text: str) -> StoreError:
        where = f"{self.product} at {self.target.base_url}"
        if status in (401, 403):
            return StoreError(
                f"{action}: {where} refused access ({status}: {text}); {self._auth_hint()}"
            )
        if status == 404:
            return StoreError(
                f"{action}: {where} answered 404 ({text}); check that OCCUPANCY_STORE_URL "
                "points at an InfluxDB and that the database exists"
            )
        if status == 413:
            return StoreError(f"{action}: {where} refused a too large request ({text})")
        if "field type conflict" in text:
            return StoreError(
                f"{action}: {where} refused the batch: {text}; another writer used these "
                "measurement names with other field types (see docs/store.md for the schema)"
            )
        if "max-series-per-database" in text or "max-values-per-tag" in text:
            return StoreError(
                f"{action}: {where} hit a series limit ({text}); raise max-series-per-database "
                "/ max-values-per-tag in influxdb.conf (see docs/store.md, cardinality)"
            )
        return StoreError(f"{action}: {where} answered {status}: {text}")

    # -- InfluxQL ------------------------------------------------------------------------

    def _statement(
        self,
        statement: str,
        db: str | None = None,
        rp: str | None = None,
        action: str = "running InfluxQL",
    ) -> list[dict[str, Any]]:
        """A non-SELECT statement (CREATE, SHOW...) whose answer is small: its series."""
        return [s for s in self._series(statement, db, rp, action=action, chunked=False)]

    def _series(
        self,
        statement: str,
        db: str | None,
        rp: str | None,
        *,
        action: str,
        chunked: bool = True,
    ) -> Iterator[dict[str, Any]]:
        """Series of a statement's result, parsed one chunk (one JSON line) at a time."""
        params = {"epoch": "ms"}
        if db is not None:
            params["db"] = db
        if rp is not None:
            params["rp"] = rp
        if chunked:
            params |= {"chunked": "true", "chunk_size": str(CHUNK_SIZE)}
        resp = self._request(
            "POST", "/query", params, form={"q": statement}, stream=True, action=action
        )
        done = False
        try:
            pending: list[bytes] = []
            for data in resp.stream(1 << 16):
                while (cut := data.find(b"\n")) >= 0:
                    pending.append(data[:cut])
                    line, pending = b"".join(pending), []
                    yield from self._parse_chunk(line, action)
                    data = data[cut + 1 :]
                pending.append(data)
            yield from self._parse_chunk(b"".join(pending), action)
            done = True
        except u3.HTTPError as exc:
            raise self._transport_error(action, exc) from exc
        finally:
            # A connection with an answer half read must not go back into the pool.
            if done:
                resp.release_conn()
            else:
                resp.close()

    def _parse_chunk(self, line: bytes, action: str) -> Iterator[dict[str, Any]]:
        if not line.strip():
            return
        try:
            doc = json.loads(line)
        except ValueError as exc:
            raise StoreError(
                f"{action}: {self.product} at {self.target.base_url} sent something that is "
                f"not JSON ({line[:200]!r}); is OCCUPANCY_STORE_URL an InfluxDB?"
            ) from exc
        if "error" in doc:
            raise StoreError(f"{action}: {self.product} says: {doc['error']}")
        for result in doc.get("results", []):
            if "error" in result:
                raise StoreError(f"{action}: {self.product} says: {result['error']}")
            yield from result.get("series", [])

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"the {self.product} store was closed; open a new one")

    def ping(self) -> None:
        """Cheap liveness check for readiness probes: the server answers ``/ping``."""
        self._request("GET", "/ping", {}, action="pinging").release_conn()

    def close(self) -> None:
        self._closed = True
        self._pool.clear()


def error_text(body: str) -> str:
    """InfluxDB's error bodies are JSON ``{"error": ...}`` (1.x) or ``{"message": ...}``."""
    try:
        doc = json.loads(body)
    except ValueError:
        return body.strip()[:500]
    if isinstance(doc, dict):
        return str(doc.get("error") or doc.get("message") or doc)[:500]
    return body.strip()[:500]
