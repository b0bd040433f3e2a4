"""Accounts, for admins: ``/api/users`` (JSON) and the ``/admin/users`` page.

Every change is audited. Changing what someone may see (role, community, grid), disabling
them or resetting their password ends their browser sessions at once (``auth.admin``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from occupancy.api.deps import NowDep, PageDep, Requires, SessionDep, client_address
from occupancy.api.i18n import Translator
from occupancy.api.schemas_accounts import (
    TokenCreate,
    TokenCreated,
    TokenPublic,
    TokensRevoked,
    UserCreate,
    UserDetail,
    UserPublic,
    UserUpdate,
)
from occupancy.api.schemas_errors import Refused, unprocessable
from occupancy.audit.log import record
from occupancy.auth.accounts import (
    AccountError,
    create_api_token,
    create_user,
    revoke_api_tokens,
    username_taken,
)
from occupancy.auth.admin import Changes, update_user
from occupancy.auth.passwords import WeakPasswordError
from occupancy.auth.principal import Principal
from occupancy.auth.secrets import digest
from occupancy.db.tables import ADMIN, ROLES, ApiToken, User

router = APIRouter(prefix="/users", tags=["users"])
pages = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

Admin = Annotated[Principal, Depends(Requires("users.manage"))]
#: Bounded so a huge number is a 422, not an integer the database driver cannot bind.
UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]
#: 422: a malformed request, or one the account rules refuse (a weak password, a taken
#: username, a grid worker without a community), with the reason as ``detail``.
_ACCOUNT_REFUSED = unprocessable(Refused, "Invalid request, or refused by the account rules.")


def _get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="no such user")
    return user


def _create(
    session: Session, admin: Principal, request: Request, body: UserCreate, now: datetime
) -> User:
    """Create and audit (no commit); ``AccountError`` for anything people must fix."""
    if username_taken(session, body.username):
        raise HTTPException(
            status_code=status.HTTP_409_CONFLICT, detail=f"username {body.username!r} is taken"
        )
    try:
        user = create_user(
            session,
            body.username,
            body.password,
            body.role,
            community=body.community,
            grid=body.grid,
            display_name=body.display_name,
        )
    except WeakPasswordError as exc:
        raise AccountError(str(exc)) from exc
    _audit(
        session,
        admin,
        "create",
        "user",
        user,
        request,
        now,
        f"role={user.role} grid={user.grid or '-'}",
    )
    return user


def _refuse_self_lockout(admin: Principal, user: User, body: UserUpdate) -> None:
    """An admin cannot disable or demote themselves: the last admin doing so by mistake
    would leave nobody able to manage accounts (other than at the server's shell)."""
    if user.id == admin.user_id and (
        body.active is False or (body.role is not None and body.role != ADMIN)
    ):
        raise HTTPException(
            status_code=status.HTTP_409_CONFLICT,
            detail="you cannot disable or demote your own account; ask another admin",
        )


# --- API -----------------------------------------------------------------------------------


@router.get("", response_model=list[UserPublic])
def list_users(admin: Admin, session: SessionDep) -> list[UserPublic]:
    users = session.scalars(select(User).order_by(User.username)).all()
    return [UserPublic.model_validate(user) for user in users]


@router.post(
    "",
    response_model=UserPublic,
    status_code=status.HTTP_201_CREATED,
    responses=_ACCOUNT_REFUSED,
)
def add_user(
    body: UserCreate, request: Request, admin: Admin, session: SessionDep, now: NowDep
) -> UserPublic:
    try:
        user = _create(session, admin, request, body, now)
    except AccountError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    session.commit()
    return UserPublic.model_validate(user)


@router.get("/{user_id}", response_model=UserDetail)
def read_user(user_id: UserId, admin: Admin, session: SessionDep) -> UserDetail:
    """The account and its API tokens (names and dates; token values are never kept)."""
    user = _get_user(session, user_id)
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    ).all()
    return UserDetail(
        **UserPublic.model_validate(user).model_dump(),
        tokens=[TokenPublic.model_validate(token) for token in tokens],
    )


def _audit(
    session: Session,
    admin: Principal,
    action: str,
    object_type: str,
    user: User,
    request: Request,
    now: datetime,
    detail: str,
) -> None:
    """Audit what an admin did to an account (never a password or a token's value)."""
    record(
        session,
        admin,
        action,
        object_type,
        user.username,
        community=user.community,
        address=client_address(request),
        now=now,
        detail=detail,
    )


def _record_update(
    session: Session,
    admin: Principal,
    user: User,
    changes: Changes,
    request: Request,
    now: datetime,
) -> None:
    """Audit an account change (what changed, never a password), if anything did."""
    if changes.fields:
        _audit(session, admin, "update", "user", user, request, now, str(changes))


@router.patch("/{user_id}", response_model=UserPublic, responses=_ACCOUNT_REFUSED)
def change_user(
    user_id: UserId,
    body: UserUpdate,
    request: Request,
    admin: Admin,
    session: SessionDep,
    now: NowDep,
) -> UserPublic:
    user = _get_user(session, user_id)
    _refuse_self_lockout(admin, user, body)
    try:
        changes = update_user(session, user, **body.model_dump(exclude_unset=True), by=admin)
    except AccountError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    _record_update(session, admin, user, changes, request, now)
    session.commit()
    return UserPublic.model_validate(user)


@router.post("/{user_id}/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def new_token(
    user_id: UserId,
    request: Request,
    admin: Admin,
    session: SessionDep,
    now: NowDep,
    body: TokenCreate | None = None,
) -> TokenCreated:
    """A new API token; its value is in this response only. Store it like a password."""
    user = _get_user(session, user_id)
    if not user.active:
        raise HTTPException(status_code=409, detail="the account is disabled; enable it first")
    name = body.name if body else ""
    value = create_api_token(session, user, name)
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest(value))).one()
    _audit(
        session,
        admin,
        "create",
        "api_token",
        user,
        request,
        now,
        f"token {token.id} {token.name}".strip(),
    )
    session.commit()
    return TokenCreated(id=token.id, name=token.name, token=value)


@router.delete("/{user_id}/tokens", response_model=TokensRevoked)
def revoke_tokens(
    user_id: UserId, request: Request, admin: Admin, session: SessionDep, now: NowDep
) -> TokensRevoked:
    """Revoke every API token of the account (a script's token leaked, a person left)."""
    user = _get_user(session, user_id)
    count = revoke_api_tokens(session, user)
    _audit(session, admin, "revoke", "api_token", user, request, now, f"{count} revoked")
    session.commit()
    return TokensRevoked(revoked=count)


# --- the admin page ------------------------------------------------------------------------


def _users_page(
    page: PageDep,
    session: Session,
    *,
    status_code: int = 200,
    error: str = "",
    notice: str = "",
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    users = session.scalars(select(User).order_by(User.username)).all()
    return page(
        "admin_users.html",
        status_code=status_code,
        users=users,
        roles=ROLES,
        error=error,
        notice=notice,
        form=form or {},
    )


@pages.get("/admin/users", name="admin_users")
def users_page(
    admin: Admin, session: SessionDep, page: PageDep, created: str = "", updated: str = ""
) -> HTMLResponse:
    notice = ""
    if created:
        notice = page_text(page, "users.created_ok", username=created)
    elif updated:
        notice = page_text(page, "users.updated_ok", username=updated)
    return _users_page(page, session, notice=notice)


def page_text(page: PageDep, key: str, **values: str) -> str:
    return Translator(page.language)(key, **values)


@pages.post("/admin/users")
def create_user_form(
    request: Request,
    admin: Admin,
    session: SessionDep,
    now: NowDep,
    page: PageDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    role: Annotated[str, Form(max_length=16)],
    community: Annotated[str, Form(max_length=64)] = "",
    grid: Annotated[str, Form(max_length=64)] = "",
    display_name: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Create from the form (CSRF-checked by ``Requires``); errors show the form again."""
    form = {
        "username": username,
        "role": role,
        "community": community,
        "grid": grid,
        "display_name": display_name,
    }
    try:
        if role not in ROLES:
            raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}")
        body = UserCreate(
            username=username,
            password=password,
            role=role,
            community=community,
            grid=grid,
            display_name=display_name,
        )
        user = _create(session, admin, request, body, now)
    except (AccountError, ValueError) as exc:
        session.rollback()
        return _users_page(page, session, status_code=422, error=str(exc), form=form)
    except HTTPException as exc:  # taken
        session.rollback()
        return _users_page(
            page, session, status_code=exc.status_code, error=str(exc.detail), form=form
        )
    session.commit()
    return RedirectResponse(
        "/admin/users?" + urlencode({"created": user.username}),
        status_code=status.HTTP_303_SEE_OTHER,
    )


@pages.post("/admin/users/{user_id}/active")
def set_active_form(
    user_id: UserId,
    request: Request,
    admin: Admin,
    session: SessionDep,
    now: NowDep,
    page: PageDep,
    active: Annotated[bool, Form()],
) -> Response:
    """Disable or re-enable an account from the list (disabling ends its sessions)."""
    user = _get_user(session, user_id)
    try:
        _refuse_self_lockout(admin, user, UserUpdate(active=active))
    except HTTPException as exc:
        return _users_page(page, session, status_code=exc.status_code, error=str(exc.detail))
    changes = update_user(session, user, active=active, by=admin)
    _record_update(session, admin, user, changes, request, now)
    session.commit()
    return RedirectResponse(
        "/admin/users?" + urlencode({"updated": user.username}),
        status_code=status.HTTP_303_SEE_OTHER,
    )
