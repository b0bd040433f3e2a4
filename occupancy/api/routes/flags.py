"""``/api/flags``: the flags the detector raised, urgent first."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from occupancy.api import flag_actions, queries
from occupancy.api.deps import NowDep, Requires, SessionDep, client_address
from occupancy.api.flag_actions import ActionInput, FlagNotFound
from occupancy.api.schemas import FlagKind, FlagPublic, FlagsPublic
from occupancy.api.schemas_errors import WorkflowRefused, unprocessable
from occupancy.api.schemas_workflow import (
    MAX_ID,
    AssignIn,
    DismissIn,
    FlagDetail,
    FlagEventPublic,
    FlagHistory,
    FlagId,
    NoteIn,
    VisitIn,
)
from occupancy.audit.log import listed, record
from occupancy.auth.principal import Principal
from occupancy.workflow.actions import flag_history
from occupancy.workflow.errors import WorkflowError
from occupancy.workflow.states import ASSIGN, CLOSE, DISMISS, REOPEN, UNASSIGN, VISIT

FlagReader = Annotated[Principal, Depends(Requires("flags.read"))]

router = APIRouter(prefix="/flags", tags=["flags"])


@router.get("", response_model=FlagsPublic)
def read_flags(
    request: Request,
    user: FlagReader,
    session: SessionDep,
    community: str | None = None,
    kind: FlagKind | None = None,
    state: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> FlagsPublic:
    """Flags you may see in visiting order: urgent first, then the surest. ``count`` is the
    total matching the filters, for paging with ``limit`` and ``offset``."""
    flags, count = queries.list_flags(
        session,
        community=community,
        kind=kind,
        state=state,
        limit=limit,
        offset=offset,
        user=user,
    )
    record(
        session,
        user,
        "view",
        "flags",
        community=community or "",
        detail=listed(f"list of {len(flags)} flags", (f.id for f in flags)),
        address=client_address(request),
    )
    session.commit()
    return FlagsPublic(data=[FlagPublic.model_validate(f) for f in flags], count=count)


@router.get("/{flag_id}", response_model=FlagPublic)
def read_flag(
    request: Request, flag_id: FlagId, user: FlagReader, session: SessionDep
) -> FlagPublic:
    try:
        flag, _unit = flag_actions.find_flag(session, user, flag_id)
    except FlagNotFound:
        raise HTTPException(status_code=404, detail=f"no flag with id {flag_id}") from None
    flag_actions.record_view(session, user, flag, address=client_address(request))
    return FlagPublic.model_validate(flag)


# -- review workflow: actions on one flag and its history ---------------------------------

FlagAssigner = Annotated[Principal, Depends(Requires("flags.assign"))]
FlagVisitor = Annotated[Principal, Depends(Requires("flags.visit"))]
FlagDismisser = Annotated[Principal, Depends(Requires("flags.dismiss"))]
FlagCloser = Annotated[Principal, Depends(Requires("flags.close"))]
#: 404 (not in your scope, or no such flag), 409 (the state does not allow it), 422 (input).
_ACTION_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such flag, or not one you may see."},
    409: {"description": "The flag's state does not allow this (someone may have acted first)."},
    **unprocessable(WorkflowRefused, "Invalid request, or input the workflow refused."),
}


def _flag_action(
    request: Request,
    user: Principal,
    session: SessionDep,
    now: NowDep,
    flag_id: FlagId,
    action: str,
    given: ActionInput,
) -> FlagDetail:
    """Find the flag in the caller's scope, act, audit, commit; workflow refusals become
    403 (not your flag), 409 (state) or 422 (input) with the workflow's ``code``."""
    try:
        flag, _unit = flag_actions.find_flag(session, user, flag_id, for_update=True)
    except FlagNotFound:
        raise HTTPException(status_code=404, detail=f"no flag with id {flag_id}") from None
    try:
        flag_actions.perform(
            session, user, flag, action, given, now=now, address=client_address(request)
        )
    except WorkflowError as error:
        session.rollback()
        raise HTTPException(
            status_code=flag_actions.refusal_status(error),
            detail={"code": error.code, "state": error.state, "message": error.reason},
        ) from None
    return FlagDetail.model_validate(flag)


@router.post("/{flag_id}/assign", response_model=FlagDetail, responses=_ACTION_RESPONSES)
def assign_flag(
    request: Request,
    flag_id: FlagId,
    body: AssignIn,
    user: FlagAssigner,
    session: SessionDep,
    now: NowDep,
) -> FlagDetail:
    """Put the flag on a grid worker's door-knock list (also: reassign, or send again)."""
    given = ActionInput(
        worker_id=body.worker_id, allow_other_grid=body.allow_other_grid, note=body.note
    )
    return _flag_action(request, user, session, now, flag_id, ASSIGN, given)


@router.post("/{flag_id}/unassign", response_model=FlagDetail, responses=_ACTION_RESPONSES)
def unassign_flag(
    request: Request,
    flag_id: FlagId,
    user: FlagAssigner,
    session: SessionDep,
    now: NowDep,
    body: NoteIn | None = None,
) -> FlagDetail:
    given = ActionInput(note=body.note if body else "")
    return _flag_action(request, user, session, now, flag_id, UNASSIGN, given)


@router.post("/{flag_id}/visit", response_model=FlagDetail, responses=_ACTION_RESPONSES)
def record_flag_visit(
    request: Request,
    flag_id: FlagId,
    body: VisitIn,
    user: FlagVisitor,
    session: SessionDep,
    now: NowDep,
) -> FlagDetail:
    """What was found at the door. A grid worker records on flags assigned to them."""
    given = ActionInput(outcome=body.outcome, note=body.note)
    return _flag_action(request, user, session, now, flag_id, VISIT, given)


@router.post("/{flag_id}/dismiss", response_model=FlagDetail, responses=_ACTION_RESPONSES)
def dismiss_flag(
    request: Request,
    flag_id: FlagId,
    body: DismissIn,
    user: FlagDismisser,
    session: SessionDep,
    now: NowDep,
) -> FlagDetail:
    given = ActionInput(reason=body.reason)
    return _flag_action(request, user, session, now, flag_id, DISMISS, given)


@router.post("/{flag_id}/close", response_model=FlagDetail, responses=_ACTION_RESPONSES)
def close_flag(
    request: Request,
    flag_id: FlagId,
    user: FlagCloser,
    session: SessionDep,
    now: NowDep,
    body: NoteIn | None = None,
) -> FlagDetail:
    given = ActionInput(note=body.note if body else "")
    return _flag_action(request, user, session, now, flag_id, CLOSE, given)


@router.post("/{flag_id}/reopen", response_model=FlagDetail, responses=_ACTION_RESPONSES)
def reopen_flag(
    request: Request,
    flag_id: FlagId,
    user: FlagDismisser,
    session: SessionDep,
    now: NowDep,
    body: NoteIn | None = None,
) -> FlagDetail:
    """Undo a dismissal: the flag is new again."""
    given = ActionInput(note=body.note if body else "")
    return _flag_action(request, user, session, now, flag_id, REOPEN, given)


@router.get("/{flag_id}/history", response_model=FlagHistory, responses=_ACTION_RESPONSES)
def read_flag_history(
    request: Request, flag_id: FlagId, user: FlagReader, session: SessionDep
) -> FlagHistory:
    """The flag with its review columns and every event, oldest first."""
    try:
        flag, _unit = flag_actions.find_flag(session, user, flag_id)
    except FlagNotFound:
        raise HTTPException(status_code=404, detail=f"no flag with id {flag_id}") from None
    events = [FlagEventPublic.model_validate(e) for e in flag_history(session, flag.id)]
    detail = FlagDetail.model_validate(flag)
    flag_actions.record_view(session, user, flag, address=client_address(request), detail="history")
    return FlagHistory(flag=detail, events=events)
