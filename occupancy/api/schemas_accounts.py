"""What the accounts and audit API takes and returns. No model here has a password hash or a
token digest: ``UserPublic`` is built field by field from the row, never dumped whole."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from occupancy.db.tables import ROLES


def _assume_utc(value: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _known_role(value: str | None) -> str | None:
    if value is not None and value not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    return value


class Me(BaseModel):
    """The signed-in person; ``csrf_token`` is what form posts and unsafe requests made with
    the session cookie must echo (null when signed in with an API token, which needs none)."""

    username: str
    display_name: str
    role: str
    community: str
    grid: str
    csrf_token: str | None


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=64, examples=["wang.li"])
    password: str = Field(min_length=1, max_length=1024)
    role: str = Field(description=f"One of {', '.join(ROLES)}.")
    community: str = Field("", max_length=64)
    grid: str = Field("", max_length=64)
    display_name: str = Field("", max_length=64)

    _role = field_validator("role")(_known_role)


class UserUpdate(BaseModel):
    """Only the fields given change. A new role, community or grid, disabling the account or
    a new password ends the person's browser sessions."""

    model_config = ConfigDict(extra="forbid")

    role: str | None = None
    community: str | None = Field(None, max_length=64)
    grid: str | None = Field(None, max_length=64)
    active: bool | None = None
    display_name: str | None = Field(None, max_length=64)
    password: str | None = Field(None, min_length=1, max_length=1024)

    _role = field_validator("role")(_known_role)


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: str
    community: str
    grid: str
    active: bool
    created_at: datetime

    _utc = field_validator("created_at")(_assume_utc)


class TokenPublic(BaseModel):
    """An API token's bookkeeping; the value itself is shown only when it is made."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    _utc = field_validator("created_at", "last_used_at", "revoked_at")(_assume_utc)


class UserDetail(UserPublic):
    tokens: list[TokenPublic]


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=64, description="What the token is for, e.g. a script.")


class TokenCreated(BaseModel):
    """The token value, shown this once; only its digest is kept."""

    id: int
    name: str
    token: str


class TokensRevoked(BaseModel):
    revoked: int


class AuditEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    username: str
    role: str
    action: str
    object_type: str
    object_id: str
    community: str
    address: str
    detail: str

    _utc = field_validator("at")(_assume_utc)


class AuditEventsPublic(BaseModel):
    """One page of audit events, newest first; ``count`` is the total matching."""

    data: list[AuditEventPublic]
    count: int
