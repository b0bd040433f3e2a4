"""The audit trail for admins: ``/api/audit`` (JSON), ``/api/audit.csv`` and ``/admin/audit``.

Reading the trail is itself recorded: an admin looking up who viewed a resident's flat is
one more person who saw it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from sqlalchemy import Select, func, select

from occupancy.api.deps import (
    NowDep,
    PageDep,
    Requires,
    SessionDep,
    SettingsDep,
    client_address,
)
from occupancy.api.schemas_accounts import AuditEventPublic, AuditEventsPublic
from occupancy.audit.export import iter_csv
from occupancy.audit.log import record
from occupancy.auth.principal import Principal
from occupancy.db.session import session_factory
from occupancy.db.tables import AuditEvent

router = APIRouter(prefix="/audit", tags=["audit"])
csv_router = APIRouter(tags=["audit"])
pages = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

AuditReader = Annotated[Principal, Depends(Requires("audit.read"))]
#: Rows per page of the admin page.
PAGE_SIZE = 100


@dataclass(frozen=True)
class AuditFilters:
    """Exact matches on the text columns; ``since`` inclusive, ``until`` exclusive."""

    username: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    community: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def describe(self) -> str:
        """The filters as ``name=value`` pairs, for the audit row recording this view."""
        return " ".join(
            f"{name}={value.isoformat() if isinstance(value, datetime) else value}"
            for name, value in vars(self).items()
            if value not in (None, "")
        )

    def query(self, tz: tzinfo) -> Select[tuple[AuditEvent]]:
        """Matching events, newest first; naive ``since``/``until`` are local time."""
        stmt = select(AuditEvent)
        for name in ("username", "action", "object_type", "object_id", "community"):
            value = getattr(self, name)
            if value:
                stmt = stmt.where(getattr(AuditEvent, name) == value)
        if self.since is not None:
            stmt = stmt.where(AuditEvent.at >= _aware(self.since, tz))
        if self.until is not None:
            stmt = stmt.where(AuditEvent.at < _aware(self.until, tz))
        return stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def _aware(moment: datetime, tz: tzinfo) -> datetime:
    """In UTC, as the events are written: SQLite compares the stored text, not instants.
    Instants beyond what ``datetime`` holds (year 1 east of Greenwich) are clamped."""
    try:
        return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).astimezone(UTC)
    except OverflowError:
        return (datetime.min if moment.year < 2 else datetime.max).replace(tzinfo=UTC)


def api_filters(
    username: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=16)] = None,
    object_type: Annotated[str | None, Query(max_length=16)] = None,
    object_id: Annotated[str | None, Query(max_length=200)] = None,
    community: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[
        datetime | None, Query(description="Inclusive; without a zone: local time.")
    ] = None,
    until: Annotated[
        datetime | None, Query(description="Exclusive; without a zone: local time.")
    ] = None,
) -> AuditFilters:
    return AuditFilters(username, action, object_type, object_id, community, since, until)


FiltersDep = Annotated[AuditFilters, Depends(api_filters)]


def _record_read(
    session: SessionDep,
    user: Principal,
    request: Request,
    action: str,
    filters: AuditFilters,
    now: datetime,
) -> None:
    record(
        session,
        user,
        action,
        "audit",
        address=client_address(request),
        detail=filters.describe(),
        now=now,
    )
    session.commit()


@router.get("", response_model=AuditEventsPublic)
def list_audit(
    request: Request,
    user: AuditReader,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    filters: FiltersDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> AuditEventsPublic:
    """Audit events, newest first. This request is recorded before it is answered, so it
    shows up in its own result when the filters match it."""
    _record_read(session, user, request, "view", filters, now)
    stmt = filters.query(settings.tz)
    count = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = session.scalars(stmt.limit(limit).offset(offset)).all()
    return AuditEventsPublic(
        data=[AuditEventPublic.model_validate(row) for row in rows], count=count or 0
    )


@csv_router.get(
    "/audit.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with a BOM."}},
)
def export_audit(
    request: Request,
    user: AuditReader,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    filters: FiltersDep,
) -> StreamingResponse:
    """Every matching event as CSV (columns at, username, role, action, object_type,
    object_id, community, address, detail), newest first, streamed."""
    _record_read(session, user, request, "export", filters, now)
    stmt = filters.query(settings.tz)
    url, tz = settings.resolved_db_url, settings.tz

    def rows():  # its own session: the request's closes when the route returns
        with session_factory(url)() as stream_session:
            yield from iter_csv(stream_session.scalars(stmt.execution_options(yield_per=500)), tz)

    filename = f"audit-{now.astimezone(tz):%Y%m%d-%H%M}.csv"
    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


# --- the admin page ------------------------------------------------------------------------


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


@pages.get("/admin/audit", name="admin_audit")
def audit_page(
    request: Request,
    user: AuditReader,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    page: PageDep,
    username: Annotated[str, Query(max_length=64)] = "",
    action: Annotated[str, Query(max_length=16)] = "",
    object_type: Annotated[str, Query(max_length=16)] = "",
    object_id: Annotated[str, Query(max_length=200)] = "",
    community: Annotated[str, Query(max_length=64)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> HTMLResponse:
    """A filterable table; dates are local days, ``until`` inclusive (the form's meaning)."""
    since_day, until_day = _day(since), _day(until)
    # Until is inclusive: events before the next day (there is none after 9999-12-31).
    next_day = until_day + timedelta(days=1) if until_day and until_day < date.max else None
    filters = AuditFilters(
        username.strip() or None,
        action.strip() or None,
        object_type.strip() or None,
        object_id.strip() or None,
        community.strip() or None,
        datetime.combine(since_day, time()) if since_day else None,
        datetime.combine(next_day, time()) if next_day else None,
    )
    _record_read(session, user, request, "view", filters, now)
    stmt = filters.query(settings.tz)
    count = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    events = session.scalars(stmt.limit(PAGE_SIZE).offset(offset)).all()
    form = {
        "username": username,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "community": community,
        "since": since_day.isoformat() if since_day else "",
        "until": until_day.isoformat() if until_day else "",
    }
    query = {k: v for k, v in form.items() if v}
    api_query = {k: v for k, v in form.items() if v and k not in ("since", "until")}
    if filters.since:
        api_query["since"] = filters.since.isoformat()
    if filters.until:
        api_query["until"] = filters.until.isoformat()
    return page(
        "admin_audit.html",
        events=events,
        count=count,
        offset=offset,
        page_size=PAGE_SIZE,
        form=form,
        csv_url="/api/audit.csv" + ("?" + urlencode(api_query) if api_query else ""),
        newer_url=_page_url(query, max(0, offset - PAGE_SIZE)) if offset > 0 else None,
        older_url=_page_url(query, offset + PAGE_SIZE) if offset + PAGE_SIZE < count else None,
    )


def _page_url(query: dict[str, str], offset: int) -> str:
    params = dict(query, offset=str(offset)) if offset else dict(query)
    return "/admin/audit" + ("?" + urlencode(params) if params else "")
