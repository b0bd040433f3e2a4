"""The InfluxDB 1.x store: ``influxdb://[user:pass@]host:port/DBNAME`` (``influxdbs://`` for
HTTPS). Writes line protocol to ``/write``, reads InfluxQL from ``/query`` (``influx.py``).

On open it makes sure the database exists with two retention policies: ``raw`` (the
default, ``raw_retention_days`` long) for readings and ``rollups`` (infinite unless told
otherwise) for hourly rollups, and brings their durations in line with the settings.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from occupancy.store.base import StoreError
from occupancy.store.influx import InfluxQLStore
from occupancy.store.influx_http import InfluxTarget, error_text
from occupancy.store.influx_schema import delete_before, ident

log = logging.getLogger(__name__)

RAW_RP = "raw"
ROLLUP_RP = "rollups"

#: A partial write that only dropped points older than the retention policy is a success:
#: those readings can never be kept, and failing would make the ingester retry them forever.
_ONLY_BEYOND_RETENTION = re.compile(r"^partial write: points beyond retention policy dropped=\d+$")
_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|m|s|ms|us|µs|ns)")
_GO_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


@dataclass(frozen=True)
class RetentionPolicy:
    name: str
    duration_seconds: float  # 0 = infinite
    shard_group_seconds: float
    default: bool


def go_duration_seconds(text: str) -> float:
    """``2160h0m0s`` (how InfluxDB shows durations) in seconds; ``0s`` is infinite."""
    return sum(float(n) * _GO_UNITS[unit] for n, unit in _GO_DURATION.findall(text))


class Influx1Store(InfluxQLStore):
    """A ``ReadingStore`` on an InfluxDB 1.x database."""

    product = "InfluxDB 1.x"

    def __init__(
        self,
        target: InfluxTarget,
        *,
        raw_retention_days: int = 90,
        rollup_retention_days: int | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
    ) -> None:
        headers = {}
        if target.username is not None:
            # Basic auth rather than u=/p= parameters: the password stays out of URLs/logs.
            token = f"{target.username}:{target.password or ''}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(token).decode()
        super().__init__(
            target,
            raw=(target.database, RAW_RP),
            rollups=(target.database, ROLLUP_RP),
            headers=headers,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )
        self.raw_retention_days = raw_retention_days
        self.rollup_retention_days = rollup_retention_days
        try:
            self._provision()
        except BaseException:
            self.close()
            raise

    def _auth_hint(self) -> str:
        return (
            "put the user and password of an InfluxDB user with access to database "
            f"{self.target.database!r} in OCCUPANCY_STORE_URL "
            "(influxdb://user:password@host:8086/database)"
        )

    # -- provisioning ------------------------------------------------------------------

    def retention_policies(self) -> dict[str, RetentionPolicy] | None:
        """The database's retention policies, or None when the database does not exist."""
        try:
            series = self._statement(
                f"SHOW RETENTION POLICIES ON {ident(self.target.database)}",
                action="checking the database",
            )
        except StoreError as exc:
            if "database not found" in str(exc):
                return None
            raise
        policies: dict[str, RetentionPolicy] = {}
        for s in series:
            columns = s["columns"]
            for values in s.get("values", []):
                row = dict(zip(columns, values, strict=True))
                policies[row["name"]] = RetentionPolicy(
                    name=row["name"],
                    duration_seconds=go_duration_seconds(row["duration"]),
                    shard_group_seconds=go_duration_seconds(row["shardGroupDuration"]),
                    default=bool(row["default"]),
                )
        return policies

    def _provision(self) -> None:
        """Database and retention policies as the settings say; only what is missing or
        different is changed, so an ordinary user can open a database an admin prepared."""
        db = ident(self.target.database)
        policies = self.retention_policies()
        if policies is None:
            log.info("creating InfluxDB database %s", self.target.database)
            self._admin(f"CREATE DATABASE {db}")
            policies = self.retention_policies() or {}
        wanted = [
            (RAW_RP, f"{self.raw_retention_days}d", self.raw_retention_days * 86400.0, True),
            (
                ROLLUP_RP,
                f"{self.rollup_retention_days}d" if self.rollup_retention_days else "INF",
                (self.rollup_retention_days or 0) * 86400.0,
                False,
            ),
        ]
        for name, duration, seconds, default in wanted:
            have = policies.get(name)
            suffix = " DEFAULT" if default else ""
            if have is None:
                self._admin(
                    f"CREATE RETENTION POLICY {ident(name)} ON {db} DURATION {duration} "
                    f"REPLICATION 1{suffix}"
                )
            elif have.duration_seconds != seconds or (default and not have.default):
                log.warning(
                    "changing retention policy %s on %s to %s (was %ss)",
                    name,
                    self.target.database,
                    duration,
                    have.duration_seconds,
                )
                self._admin(
                    f"ALTER RETENTION POLICY {ident(name)} ON {db} DURATION {duration}{suffix}"
                )

    def _admin(self, statement: str) -> None:
        try:
            self._statement(statement, action="preparing the database")
        except StoreError as exc:
            raise StoreError(
                f"{exc}. The store needs database {self.target.database!r} with retention "
                f"policies {RAW_RP!r} (default) and {ROLLUP_RP!r}; open it once as an admin "
                f"user, or have an admin run: {statement}"
            ) from exc

    # -- writing -----------------------------------------------------------------------

    def _write_lines(self, lines: Sequence[str], *, rollup: bool) -> None:
        if not lines:
            return
        db, rp = self.rollups if rollup else self.raw
        assert rp is not None
        action = f"writing {len(lines)} points to {db}.{rp}"
        resp = self._request(
            "POST",
            "/write",
            {"db": db, "rp": rp, "precision": "ms"},
            body="\n".join(lines).encode(),
            headers={"Content-Type": "text/plain; charset=utf-8"},
            check=False,
            action=action,
        )
        if resp.status < 300:
            return
        text = error_text(resp.data.decode(errors="replace"))
        if resp.status == 400 and _ONLY_BEYOND_RETENTION.match(text):
            log.warning(
                "%s: some readings are older than the raw retention (%s days) and were "
                "dropped by InfluxDB: %s",
                action,
                self.raw_retention_days,
                text,
            )
            return
        if "database not found" in text:
            raise StoreError(
                f"{action}: database {db!r} no longer exists on {self.target.base_url}; "
                "restart the ingester (opening the store creates it) or CREATE DATABASE"
            )
        raise self._status_error(action, resp.status, text)

    # -- expiry ------------------------------------------------------------------------

    def _delete_before(self, measurement: str, cutoff_ms: int) -> None:
        self._statement(
            delete_before(measurement, cutoff_ms),
            self.target.database,
            action=f"deleting expired {measurement} readings",
        )
