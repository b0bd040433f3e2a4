"""The InfluxDB 2.x/3.x store: ``influxdb2://host:port`` (``influxdb2s://`` for HTTPS), with
``OCCUPANCY_INFLUX_ORG``, ``OCCUPANCY_INFLUX_BUCKET`` and ``OCCUPANCY_INFLUX_TOKEN``.

Writes go through influxdb-client's ``WriteApi`` in SYNCHRONOUS mode, never its background
batching writer: a failed write must raise here, in the caller's thread, so the ingester
acknowledges MQTT messages only after InfluxDB has committed them. Reads are InfluxQL over
the v1-compatible ``/query`` with token auth, the same code as 1.x (``influx.py``).

Raw readings live in the bucket ``OCCUPANCY_INFLUX_BUCKET`` (retention
``raw_retention_days``), rollups in ``<bucket>_rollups`` (no expiry by default); 2.x needs a
DBRP mapping per bucket for InfluxQL, created here when missing (database = bucket name).
On 3.x, which has no buckets or DBRP API, databases of those names are created by the
first write, and the missing APIs are logged, not fatal.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from urllib3 import exceptions as u3

from occupancy.store.base import StoreError
from occupancy.store.influx import InfluxQLStore
from occupancy.store.influx_http import InfluxTarget, error_text

log = logging.getLogger(__name__)

ROLLUP_SUFFIX = "_rollups"


class Influx2Store(InfluxQLStore):
    """A ``ReadingStore`` on an InfluxDB 2.x (or 3.x) bucket."""

    product = "InfluxDB 2.x/3.x"

    def __init__(
        self,
        target: InfluxTarget,
        *,
        org: str | None,
        token: str | None,
        raw_retention_days: int = 90,
        rollup_retention_days: int | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
    ) -> None:
        if not org:
            raise StoreError("InfluxDB 2.x needs an organisation: set OCCUPANCY_INFLUX_ORG")
        if not token:
            raise StoreError(
                "InfluxDB 2.x needs an API token with read and write access to the bucket: "
                "set OCCUPANCY_INFLUX_TOKEN"
            )
        from influxdb_client import InfluxDBClient
        from influxdb_client.client.write_api import SYNCHRONOUS

        self.org = org
        self.bucket = target.database
        self.rollup_bucket = target.database + ROLLUP_SUFFIX
        self.raw_retention_days = raw_retention_days
        self.rollup_retention_days = rollup_retention_days
        super().__init__(
            target,
            # 2.x/3.x: one database per bucket; no rp, so 3.x (which reads rp as part of the
            # database name) and 2.x (default DBRP mapping) agree.
            raw=(self.bucket, None),
            rollups=(self.rollup_bucket, None),
            headers={"Authorization": f"Token {token}"},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )
        self._client = InfluxDBClient(
            url=target.base_url,
            token=token,
            org=org,
            timeout=int((connect_timeout + read_timeout) * 1000),
        )
        self._write_api = self._client.write_api(write_options=SYNCHRONOUS)
        try:
            self._provision()
        except BaseException:
            self.close()
            raise

    def _auth_hint(self) -> str:
        return (
            "check OCCUPANCY_INFLUX_TOKEN: it needs read and write access to buckets "
            f"{self.bucket!r} and {self.rollup_bucket!r} (and to create them, or have an "
            "admin create them) in organisation OCCUPANCY_INFLUX_ORG"
        )

    # -- provisioning ------------------------------------------------------------------

    def _provision(self) -> None:
        from influxdb_client import BucketRetentionRules, DBRPCreate, DBRPsService

        try:
            orgs = self._client.organizations_api().find_organizations(org=self.org)
        except Exception as exc:
            if getattr(exc, "status", None) == 404:
                log.warning(
                    "%s has no /api/v2/orgs (InfluxDB 3?): not creating buckets or DBRP "
                    "mappings; databases %s and %s are created by the first write",
                    self.target.base_url,
                    self.bucket,
                    self.rollup_bucket,
                )
                return
            raise self._client_error("looking up the organisation", exc) from exc
        if not orgs:
            raise StoreError(
                f"organisation {self.org!r} not found on {self.target.base_url} (or the token "
                "cannot see it); check OCCUPANCY_INFLUX_ORG and OCCUPANCY_INFLUX_TOKEN"
            )
        org_id = orgs[0].id
        buckets = self._client.buckets_api()
        dbrps = DBRPsService(self._client.api_client)
        for name, days in (
            (self.bucket, self.raw_retention_days),
            (self.rollup_bucket, self.rollup_retention_days),
        ):
            action = f"preparing bucket {name!r}"
            rules = (
                [BucketRetentionRules(type="expire", every_seconds=days * 86400)] if days else []
            )
            try:
                bucket = buckets.find_bucket_by_name(name)
                if bucket is None:
                    log.info("creating InfluxDB bucket %s", name)
                    bucket = buckets.create_bucket(
                        bucket_name=name, org_id=org_id, retention_rules=rules
                    )
                elif _expiry(bucket) != (days or 0) * 86400:
                    log.warning("changing retention of bucket %s to %s days", name, days)
                    bucket.retention_rules = rules
                    buckets.update_bucket(bucket)
                mapped = dbrps.get_dbr_ps(org_id=org_id, db=name).content or []
                if not mapped:
                    dbrps.post_dbrp(
                        DBRPCreate(
                            org_id=org_id,
                            bucket_id=bucket.id,
                            database=name,
                            retention_policy="autogen",
                            default=True,
                        )
                    )
            except StoreError:
                raise
            except Exception as exc:
                raise self._client_error(action, exc) from exc

    # -- writing -----------------------------------------------------------------------

    def _write_lines(self, lines: Sequence[str], *, rollup: bool) -> None:
        if not lines:
            return
        self._check_open()
        from influxdb_client import WritePrecision

        bucket = self.rollup_bucket if rollup else self.bucket
        action = f"writing {len(lines)} points to bucket {bucket}"
        try:
            self._write_api.write(
                bucket=bucket, org=self.org, record=list(lines), write_precision=WritePrecision.MS
            )
        except Exception as exc:
            error = self._client_error(action, exc)
            if "points beyond retention policy dropped" in str(error) and "partial write" in str(
                error
            ):
                # The other points were written; retrying would fail the same way forever.
                log.warning(
                    "%s: readings older than the bucket's retention dropped: %s", action, error
                )
                return
            raise error from exc

    # -- expiry ------------------------------------------------------------------------

    def _delete_before(self, measurement: str, cutoff_ms: int) -> None:
        """The delete API on the raw bucket only (rollups live in another bucket). Its
        ``stop`` is inclusive, so it is the last millisecond before the cutoff."""
        self._check_open()
        action = f"deleting expired {measurement} readings from bucket {self.bucket}"
        try:
            self._client.delete_api().delete(
                start=datetime(1970, 1, 1, tzinfo=UTC),
                stop=datetime.fromtimestamp((cutoff_ms - 1) / 1000, UTC),
                predicate=f'_measurement="{measurement}"',
                bucket=self.bucket,
                org=self.org,
            )
        except Exception as exc:
            raise self._client_error(action, exc) from exc

    def _client_error(self, action: str, exc: Exception) -> StoreError:
        """influxdb-client raises ApiException (HTTP status) or urllib3 errors; map both."""
        if isinstance(exc, u3.HTTPError):
            return self._transport_error(action, exc)
        status = getattr(exc, "status", None)
        if isinstance(status, int):
            body = getattr(exc, "body", None) or b""
            text = body.decode(errors="replace") if isinstance(body, bytes) else str(body)
            return self._status_error(action, status, error_text(text) or str(exc))
        return StoreError(f"{action}: {self.product} at {self.target.base_url} failed: {exc}")

    def close(self) -> None:
        super().close()
        write_api = getattr(self, "_write_api", None)
        if write_api is not None:
            write_api.close()
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()


def _expiry(bucket: Any) -> int:
    """A bucket's expiry in seconds, 0 for never."""
    for rule in bucket.retention_rules or []:
        if rule.type == "expire":
            return int(rule.every_seconds or 0)
    return 0
