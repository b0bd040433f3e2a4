"""The flag page and its forms: see the evidence, then assign, record the visit, dismiss,
close or reopen.

Plain HTML forms posting back here (no JavaScript): each carries the session's CSRF token,
which the ``CurrentUser`` dependency checks. A successful action answers 303 to the flag page
(or to ``next``, a local path such as the worklist); a refused one re-renders the page with
the reason: 409 when the flag's state no longer allows it (someone else acted first), 422
when the input is wrong, 403 when it is not this person's to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from occupancy.api import flag_actions
from occupancy.api.deps import (
    NowDep,
    Page,
    PageDep,
    Requires,
    SessionDep,
    SettingsDep,
    StoreDep,
    client_address,
)
from occupancy.api.flag_actions import ActionInput, FlagNotFound, may_take
from occupancy.api.flag_view import CHART_DAYS, LIGHTS_DAYS, load_flag_page
from occupancy.api.redirects import local_path
from occupancy.api.schemas_workflow import MAX_ID, FlagId
from occupancy.auth.principal import Principal
from occupancy.config import Settings
from occupancy.db.tables import VISIT_OUTCOMES, Flag
from occupancy.store.base import ReadingStore
from occupancy.workflow.actions import MAX_NOTE_CHARS
from occupancy.workflow.errors import WorkflowError
from occupancy.workflow.states import ACTIONS, ASSIGN, CLOSE, DISMISS, REOPEN, UNASSIGN, VISIT

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


def _not_found(flag_id: int) -> HTTPException:
    return HTTPException(status_code=404, detail={"key": "flag", "name": str(flag_id)})


@dataclass(frozen=True)
class Context:
    """What rendering the flag page needs, as one dependency instead of six parameters."""

    request: Request
    session: Session
    store: ReadingStore
    settings: Settings
    now: datetime
    page: Page


def get_context(
    request: Request,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
    now: NowDep,
    page: PageDep,
) -> Context:
    return Context(request, session, store, settings, now, page)


ContextDep = Annotated[Context, Depends(get_context)]
Reader = Annotated[Principal, Depends(Requires("flags.read"))]
Assigner = Annotated[Principal, Depends(Requires("flags.assign"))]
Visitor = Annotated[Principal, Depends(Requires("flags.visit"))]
Dismisser = Annotated[Principal, Depends(Requires("flags.dismiss"))]
Closer = Annotated[Principal, Depends(Requires("flags.close"))]
FormText = Annotated[str, Form(max_length=5000)]


def _render(
    ctx: Context,
    user: Principal,
    flag: Flag,
    *,
    status_code: int = 200,
    error: WorkflowError | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    """The flag page, audited as a view (re-rendering after a refused action shows the same
    data, so it counts as one too)."""
    data = load_flag_page(
        ctx.session,
        ctx.store,
        flag,
        tz=ctx.settings.tz,
        now=ctx.now,
        with_workers=user.can("flags.assign"),
    )
    offered = {action: may_take(user, flag, action) for action in ACTIONS}
    flag_actions.record_view(ctx.session, user, flag, address=client_address(ctx.request))
    done = ctx.request.query_params.get("done")
    return ctx.page(
        "flag.html",
        status_code=status_code,
        data=data,
        flag=flag,
        view=data.view,
        chart=data.chart,
        days=CHART_DAYS,
        lights_days=LIGHTS_DAYS,
        offered=offered,
        outcomes=VISIT_OUTCOMES,
        max_note=MAX_NOTE_CHARS,
        error=error,
        form=form or {},
        done=done if done in ACTIONS else None,
    )


@router.get("/flags/{flag_id}", name="flag")
def flag_page(flag_id: FlagId, user: Reader, ctx: ContextDep) -> HTMLResponse:
    try:
        flag, _unit = flag_actions.find_flag(ctx.session, user, flag_id)
    except FlagNotFound:
        raise _not_found(flag_id) from None
    return _render(ctx, user, flag)


def _act(
    ctx: Context,
    user: Principal,
    action: str,
    flag_id: FlagId,
    given: ActionInput,
    *,
    next_url: str,
    form: dict[str, str],
) -> Response:
    try:
        flag, _unit = flag_actions.find_flag(ctx.session, user, flag_id, for_update=True)
    except FlagNotFound:
        raise _not_found(flag_id) from None
    try:
        flag_actions.perform(
            ctx.session, user, flag, action, given, now=ctx.now, address=client_address(ctx.request)
        )
    except WorkflowError as error:
        ctx.session.rollback()
        flag, _unit = flag_actions.find_flag(ctx.session, user, flag_id)
        return _render(
            ctx,
            user,
            flag,
            status_code=flag_actions.refusal_status(error),
            error=error,
            form={**form, "action": action},
        )
    target = local_path(next_url) or f"/flags/{flag_id}?done={action}"
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


@router.post("/flags/{flag_id}/assign", name="flag_assign")
def assign_form(
    flag_id: FlagId,
    user: Assigner,
    ctx: ContextDep,
    worker_id: FormText = "",
    other_grid: FormText = "",
    next: FormText = "",
) -> Response:
    digits = worker_id.strip()
    worker = int(digits) if digits.isdigit() and int(digits) <= MAX_ID else None
    given = ActionInput(worker_id=worker, allow_other_grid=bool(other_grid))
    form = {"worker_id": worker_id, "other_grid": other_grid}
    return _act(ctx, user, ASSIGN, flag_id, given, next_url=next, form=form)


@router.post("/flags/{flag_id}/unassign", name="flag_unassign")
def unassign_form(
    flag_id: FlagId, user: Assigner, ctx: ContextDep, next: FormText = ""
) -> Response:
    return _act(ctx, user, UNASSIGN, flag_id, ActionInput(), next_url=next, form={})


@router.post("/flags/{flag_id}/visit", name="flag_visit")
def visit_form(
    flag_id: FlagId,
    user: Visitor,
    ctx: ContextDep,
    outcome: FormText = "",
    note: FormText = "",
    next: FormText = "",
) -> Response:
    given = ActionInput(outcome=outcome, note=note)
    form = {"outcome": outcome, "note": note}
    return _act(ctx, user, VISIT, flag_id, given, next_url=next, form=form)


@router.post("/flags/{flag_id}/dismiss", name="flag_dismiss")
def dismiss_form(
    flag_id: FlagId, user: Dismisser, ctx: ContextDep, reason: FormText = "", next: FormText = ""
) -> Response:
    given = ActionInput(reason=reason)
    return _act(ctx, user, DISMISS, flag_id, given, next_url=next, form={"reason": reason})


@router.post("/flags/{flag_id}/close", name="flag_close")
def close_form(
    flag_id: FlagId, user: Closer, ctx: ContextDep, note: FormText = "", next: FormText = ""
) -> Response:
    given = ActionInput(note=note)
    return _act(ctx, user, CLOSE, flag_id, given, next_url=next, form={"close_note": note})


@router.post("/flags/{flag_id}/reopen", name="flag_reopen")
def reopen_form(flag_id: FlagId, user: Dismisser, ctx: ContextDep, next: FormText = "") -> Response:
    return _act(ctx, user, REOPEN, flag_id, ActionInput(), next_url=next, form={})
