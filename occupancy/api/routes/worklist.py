"""Door-knock lists: the grid worker's phone page with outcome entry, an A4 print layout, a CSV
and the JSON API, plus the secretary's overview of every worker's list.

A grid worker sees only their own list; asking for someone else's answers 404 (as if that
worker did not exist). Secretaries see the lists of workers in their community, admins any.
Each view and export is audited with the worker's username as the object: a list shows
where vulnerable residents live, so who looked at it matters.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from occupancy.api.deps import (
    LanguageDep,
    NowDep,
    PageDep,
    Requires,
    SessionDep,
    SettingsDep,
    client_address,
)
from occupancy.api.schemas_workflow import MAX_ID
from occupancy.api.schemas_worklist import WorklistItem, WorklistOut
from occupancy.audit.log import listed, record
from occupancy.auth.principal import Principal
from occupancy.db.tables import (
    ASSIGNED_FLAG_STATE,
    GRID_WORKER,
    VISIT_OUTCOMES,
    Flag,
    User,
)
from occupancy.timeseries import local_midnight
from occupancy.workflow.actions import MAX_NOTE_CHARS
from occupancy.workflow.worklist import (
    WorkerList,
    WorklistRow,
    worklist,
    worklist_csv,
    worklists_for_community,
)

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
api_router = APIRouter(prefix="/worklist", tags=["worklist"])

Reader = Annotated[Principal, Depends(Requires("worklist.read"))]
#: The overview of every worker's list is for those who hand out the work.
Overseer = Annotated[Principal, Depends(Requires("flags.assign"))]
WorkerParam = Annotated[
    str | None,
    Query(
        max_length=64,
        description="Username of the worker whose list to show (secretaries and admins); "
        "without it, your own list.",
    ),
]
CommunityParam = Annotated[str | None, Query(max_length=64)]
#: Flag ids per ``IN (...)`` query when filtering a list through the viewer's scope.
_CHUNK = 500


def _worker_not_found(username: str) -> HTTPException:
    return HTTPException(status_code=404, detail={"key": "worker", "name": username})


def _find_worker(session: Session, user: Principal, username: str | None) -> User:
    """The worker whose list ``user`` asks for. Someone else's list only for secretaries (of
    the worker's community) and admins; anything else is 404, never telling whether that
    username exists."""
    if not username or username == user.username:
        me = session.get(User, user.user_id)
        if me is None:  # pragma: no cover - the session's user was just loaded
            raise _worker_not_found(user.username)
        return me
    if not user.can("flags.assign"):
        raise _worker_not_found(username)
    worker = session.scalars(select(User).where(User.username == username)).one_or_none()
    if worker is None or not (
        user.is_admin or (user.community and worker.community == user.community)
    ):
        raise _worker_not_found(username)
    return worker


@dataclass(frozen=True)
class LoadedList:
    worker: User
    own: bool
    rows: list[WorklistRow]

    @property
    def to_visit(self) -> list[WorklistRow]:
        return [r for r in self.rows if r.state == ASSIGNED_FLAG_STATE]

    @property
    def visited(self) -> list[WorklistRow]:
        return [r for r in self.rows if r.state != ASSIGNED_FLAG_STATE]


def _load(
    session: Session,
    user: Principal,
    username: str | None,
    *,
    visited_since: datetime | None,
) -> LoadedList:
    worker = _find_worker(session, user, username)
    rows = _in_scope(session, user, worklist(session, worker, visited_since=visited_since))
    return LoadedList(worker, worker.id == user.user_id, rows)


def _in_scope(session: Session, user: Principal, rows: list[WorklistRow]) -> list[WorklistRow]:
    """The rows whose flag ``user`` may see (``Principal.flag_clause``): a list may hold flags
    of another community, e.g. of a worker who moved, or of a unit the register moved (the
    register, not the community the flag was raised under, says where a flag is)."""
    if user.is_admin or not rows:
        return rows
    ids = [row.flag_id for row in rows]
    visible: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        visible.update(
            session.scalars(select(Flag.id).where(Flag.id.in_(chunk), user.flag_clause()))
        )
    return [row for row in rows if row.flag_id in visible]


def _community(user: Principal, worker: User) -> str:
    """The community an audit row names: the viewer's own, else the worker's."""
    return user.community or worker.community or ""


def _audit(
    session: Session,
    user: Principal,
    request: Request,
    action: str,
    loaded: LoadedList,
    how: str,
    rows: list[WorklistRow] | None = None,
) -> None:
    """``rows``: those shown, when not all of ``loaded`` (print and CSV: the doors to visit)."""
    rows = loaded.rows if rows is None else rows
    record(
        session,
        user,
        action,
        "worklist",
        loaded.worker.username,
        community=_community(user, loaded.worker),
        address=client_address(request),
        detail=listed(f"{how}: {len(rows)} rows", [row.flag_id for row in rows]),
    )
    session.commit()


def _list_url(path: str, loaded: LoadedList, **extra: str | int) -> str:
    query: dict[str, str | int] = {} if loaded.own else {"worker": loaded.worker.username}
    query.update(extra)
    return path + ("?" + urlencode(query) if query else "")


# --- pages ---------------------------------------------------------------------------------


@router.get("/worklist", name="worklist")
def worklist_page(
    request: Request,
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    page: PageDep,
    worker: WorkerParam = None,
    saved: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """One card per door, urgent first then in walking order, each with its outcome form;
    today's visits at the bottom, greyed, so a wrong entry can be corrected."""
    if worker is None and user.can("flags.assign"):
        return RedirectResponse("/worklists", status_code=status.HTTP_303_SEE_OTHER)
    loaded = _load(session, user, worker, visited_since=local_midnight(now, settings.tz))
    _audit(session, user, request, "view", loaded, "page")
    saved_row = next((r for r in loaded.rows if r.flag_id == saved), None)
    return page(
        "worklist.html",
        worker=loaded.worker,
        own=loaded.own,
        to_visit=loaded.to_visit,
        visited=loaded.visited,
        saved_row=saved_row,
        outcomes=VISIT_OUTCOMES,
        max_note=MAX_NOTE_CHARS,
        list_url=_list_url("/worklist", loaded),
        print_url=_list_url("/worklist/print", loaded),
        csv_url=_list_url("/worklist.csv", loaded),
        can_visit=user.can("flags.visit"),
    )


@router.get("/worklist/print", name="worklist_print")
def worklist_print(
    request: Request,
    user: Reader,
    session: SessionDep,
    now: NowDep,
    page: PageDep,
    worker: WorkerParam = None,
) -> HTMLResponse:
    """The doors still to visit as an A4 table with boxes to tick and sign: for a worker
    without a phone signal in the stairwell, and for the paper file."""
    loaded = _load(session, user, worker, visited_since=None)
    _audit(session, user, request, "export", loaded, "print", loaded.to_visit)
    return page(
        "worklist_print.html",
        worker=loaded.worker,
        rows=loaded.to_visit,
        outcomes=VISIT_OUTCOMES,
        printed_at=now,
        list_url=_list_url("/worklist", loaded),
    )


_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@router.get("/worklist.csv", name="worklist_csv", response_class=Response)
def worklist_csv_export(
    request: Request,
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    language: LanguageDep,
    worker: WorkerParam = None,
) -> Response:
    """The doors still to visit as CSV for Excel (UTF-8 with a BOM, headers in the page's
    language), numbered as on the printed sheet."""
    loaded = _load(session, user, worker, visited_since=None)
    _audit(session, user, request, "export", loaded, "csv", loaded.to_visit)
    buffer = io.StringIO(newline="")
    worklist_csv(loaded.to_visit, buffer, language, tz=settings.tz)
    name = _UNSAFE_FILENAME.sub("_", loaded.worker.username).strip("._") or "worker"
    filename = f"worklist-{name}-{now.astimezone(settings.tz):%Y%m%d}.csv"
    return Response(
        buffer.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "Content-Language": language,
        },
    )


@dataclass(frozen=True)
class CommunityLists:
    community: str
    workers: list[WorkerList]


def _overview_communities(session: Session, user: Principal, community: str | None) -> list[str]:
    if not user.is_admin:
        if community and community != user.community:
            raise HTTPException(status_code=404, detail={"key": "community", "name": community})
        return [user.community] if user.community else []
    if community:
        return [community]
    workers = select(User.community).where(User.role == GRID_WORKER, User.community != "")
    holding = select(Flag.community).where(Flag.state == ASSIGNED_FLAG_STATE)
    return sorted(set(session.scalars(workers)) | set(session.scalars(holding)))


def _lists_in_scope(
    session: Session, user: Principal, community: str, since: datetime
) -> list[WorkerList]:
    """The workers' lists of ``community``, each holding only flags ``user`` may see."""
    lists = worklists_for_community(session, community, visited_since=since)
    visible = {row.flag_id for row in _in_scope(session, user, [r for w in lists for r in w.rows])}
    return [replace(w, rows=[r for r in w.rows if r.flag_id in visible]) for w in lists]


@router.get("/worklists", name="worklists")
def worklists_page(
    request: Request,
    user: Overseer,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    page: PageDep,
    community: CommunityParam = None,
) -> HTMLResponse:
    """Each grid worker of the community with how many doors they have left (urgent ones
    too) and visited today, linking to their list, its print layout and CSV."""
    since = local_midnight(now, settings.tz)
    sections = [
        CommunityLists(c, _lists_in_scope(session, user, c, since))
        for c in _overview_communities(session, user, community)
    ]
    for section in sections:
        record(
            session,
            user,
            "view",
            "worklist",
            "",
            community=section.community,
            address=client_address(request),
            detail=listed(
                f"overview: {len(section.workers)} workers",
                [w.username for w in section.workers],
            ),
        )
    session.commit()
    return page("worklists.html", sections=sections, assigned=ASSIGNED_FLAG_STATE)


# --- API -----------------------------------------------------------------------------------


@api_router.get("", response_model=WorklistOut)
def read_worklist(
    request: Request,
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    worker: WorkerParam = None,
    visited_today: Annotated[
        bool, Query(description="Also list the flags visited since local midnight, last.")
    ] = False,
) -> WorklistOut:
    """A door-knock list in walking order (urgent first, then building, entrance, floor and
    room). 404 for a worker you may not see."""
    since = local_midnight(now, settings.tz) if visited_today else None
    try:
        loaded = _load(session, user, worker, visited_since=since)
    except HTTPException as error:
        if error.status_code != status.HTTP_404_NOT_FOUND:
            raise
        detail = f"no worker {worker!r}, or not one whose list you may see"
        raise HTTPException(status_code=404, detail=detail) from None
    _audit(session, user, request, "view", loaded, "api")
    return WorklistOut(
        worker=loaded.worker.username,
        display_name=loaded.worker.display_name or "",
        community=loaded.worker.community or "",
        grid=loaded.worker.grid or "",
        generated_at=now,
        to_visit=len(loaded.to_visit),
        data=[WorklistItem.from_row(n, row) for n, row in enumerate(loaded.rows, start=1)],
    )
