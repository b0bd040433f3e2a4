"""All settings in one place, read once from ``OCCUPANCY_*`` environment variables.

Unset URLs mean "embedded": the demo and a newcomer's first run need no server installed.
"""

from __future__ import annotations

from datetime import datetime, time
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OCCUPANCY_", env_file=".env", extra="ignore")

    var_dir: Path = Field(Path("var"), description="Where embedded stores keep their files.")
    mqtt_url: str | None = Field(
        None, description="mqtt://[user:pass@]host:port of the broker; unset = embedded broker."
    )
    store_url: str | None = Field(
        None,
        description="Readings store; unset = embedded single-file store var/readings.sqlite "
        "(also accepts sqlite:///path).",
    )
    db_url: str | None = Field(
        None, description="SQLAlchemy URL for register, flags and users; unset = SQLite in var/."
    )
    timezone: str = Field("Asia/Shanghai", description="Local time of the communities served.")
    topic_prefix: str = Field("occupancy/v1", description="Root of every MQTT topic we use.")
    mqtt_client_id: str = Field("occupancy-ingester", description="Fixed so the session persists.")
    mqtt_qos: int = Field(1, ge=0, le=1)
    ingest_batch_size: int = Field(5000, ge=1, description="Readings per store write.")
    ingest_flush_seconds: float = Field(1.0, gt=0, description="Longest a reading waits unwritten.")
    ingest_max_pending: int = Field(
        20000,
        ge=1,
        description="Unacknowledged messages held at most; beyond it the broker keeps the rest "
        "(backpressure while the store is slow or down).",
    )
    ingest_data_format: str = Field(
        "auto", description="Payload format: auto, json, batch, senml or influx (line protocol)."
    )
    mqtt_share_group: str | None = Field(
        None,
        description="Join MQTT 5 shared subscription $share/GROUP/... so several ingesters "
        "split the load; unset = one ingester takes everything.",
    )
    metrics_port: int = Field(
        9108, ge=0, le=65535, description="Ingester's /metrics and /readyz port; 0 = off."
    )
    influx_org: str | None = Field(None, description="InfluxDB 2.x/3.x organisation.")
    influx_bucket: str = Field("occupancy", description="InfluxDB 2.x/3.x bucket.")
    influx_token: str | None = Field(None, description="InfluxDB 2.x/3.x API token.")
    raw_retention_days: int = Field(
        90, ge=1, description="Days raw readings are kept; hourly rollups are kept longer."
    )
    window_days: int = Field(7, ge=1, le=60, description="Days of data the detector looks at.")
    model_path: Path | None = Field(None, description="skops model file; unset = the shipped one.")
    schedule: bool = Field(
        True,
        description="Run detection on a schedule inside `occupancy serve` (welfare checks and "
        "the nightly window); false = detection runs only when `occupancy detect` is called.",
    )
    welfare_interval_minutes: int = Field(
        60,
        ge=1,
        le=24 * 60,
        description="Minutes between welfare checks of vulnerable residents (urgent flags after "
        "24 h without activity).",
    )
    nightly_at: str = Field(
        "02:30",
        description="Local time (HH:MM) of the nightly run over the last window_days whole days; "
        "after midnight so late readings have arrived.",
    )
    dismissal_days: float = Field(
        30,
        gt=0,
        description="Days a person's dismissal keeps detection from flagging the same unit "
        "and kind again, unless the evidence changes materially.",
    )
    session_hours: float = Field(
        12, gt=0, le=24 * 30, description="Hours a web sign-in lasts before signing in again."
    )
    cookie_secure: bool = Field(
        False,
        description="Send the session cookie over HTTPS only; set true whenever the service is "
        "reached through HTTPS (it should be, beyond 127.0.0.1).",
    )
    login_max_failures: int = Field(
        5,
        ge=1,
        description="Failed sign-ins per username within login_window_minutes before "
        "sign-in is refused for a while (four times as many per client address).",
    )
    login_window_minutes: int = Field(15, ge=1, description="Window of login_max_failures.")
    host: str = Field("127.0.0.1", description="Address `occupancy serve` binds to.")
    port: int = Field(8000, ge=1, le=65535)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception as exc:
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Asia/Shanghai"
            ) from exc
        return value

    @field_validator("nightly_at")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        try:
            moment = datetime.strptime(value.strip(), "%H:%M").time()
        except ValueError as exc:
            raise ValueError(
                f"nightly_at {value!r} is not a time of day; use HH:MM such as 02:30"
            ) from exc
        return moment.strftime("%H:%M")

    @property
    def nightly_time(self) -> time:
        """``nightly_at`` as a time of day (local, in ``timezone``)."""
        return time.fromisoformat(self.nightly_at)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def resolved_store_url(self) -> str:
        return self.store_url or f"sqlite:///{self.var_dir / 'readings.sqlite'}"

    @property
    def resolved_db_url(self) -> str:
        return self.db_url or f"sqlite:///{self.var_dir / 'occupancy.db'}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
