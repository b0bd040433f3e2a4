"""The authorization matrix: every route x every role x objects in and out of that role's scope.

The expectations below are written out by hand (roles per route, who sees which object), not
derived from ``occupancy.auth.principal``: the point is to catch that module, or a route that
forgets it, giving the wrong answer. ``test_every_route_is_in_the_matrix`` fails when a route
is added without a row here, so no route can escape the matrix.

World: community 甲社区 with grids G1 and G2 and a flat nobody registered, community 乙社区,
and simulated community SIM. One flag per unit. Unit ids are distinctive strings so a list
that leaks another scope's unit is caught by a substring search.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from occupancy.api.deps import get_now
from occupancy.api.main import create_app
from occupancy.config import Settings
from occupancy.db.session import get_engine, session_scope
from occupancy.db.tables import Flag, Unit
from tests.accounts import add_user, bearer, token_for

from ..seed import NOW, TZ_NAME, WINDOW_DAYS

A, B, SIM = "甲社区", "乙社区", "SIM模拟"
#: unit id -> (community, grid, in the register, simulated)
UNITS = {
    "UA1-101": (A, "G1", True, False),
    "UA2-201": (A, "G2", True, False),
    "UAX-999": (A, "", False, False),  # flagged, in no register row
    "UB1-301": (B, "G1", True, False),
    "USIM-001": (SIM, "S1", True, True),
}
#: username -> (role, community, grid)
USERS = {
    "admin": ("admin", "", ""),
    "sec_a": ("secretary", A, ""),
    "sec_b": ("secretary", B, ""),
    "wk_a1": ("grid_worker", A, "G1"),
    "wk_a2": ("grid_worker", A, "G2"),
    "wk_b1": ("grid_worker", B, "G1"),
    "tester": ("tester", "", ""),
}
ALL_UNITS = frozenset(UNITS)
#: What each account may see, written out by hand.
SEES_UNITS: dict[str, frozenset[str]] = {
    "admin": ALL_UNITS,
    "sec_a": frozenset({"UA1-101", "UA2-201", "UAX-999"}),
    "sec_b": frozenset({"UB1-301"}),
    "wk_a1": frozenset({"UA1-101"}),
    "wk_a2": frozenset({"UA2-201"}),
    "wk_b1": frozenset({"UB1-301"}),
    "tester": frozenset({"USIM-001"}),
}
SEES_COMMUNITIES: dict[str, frozenset[str]] = {
    "admin": frozenset({A, B, SIM}),
    "sec_a": frozenset({A}),
    "sec_b": frozenset({B}),
    "wk_a1": frozenset({A}),
    "wk_a2": frozenset({A}),
    "wk_b1": frozenset({B}),
    "tester": frozenset({SIM}),
}
#: Whose door-knock lists each account may open (``?worker=``).
SEES_WORKERS: dict[str, frozenset[str]] = {
    "admin": frozenset({"wk_a1", "wk_a2", "wk_b1"}),
    "sec_a": frozenset({"wk_a1", "wk_a2"}),
    "sec_b": frozenset({"wk_b1"}),
    "wk_a1": frozenset({"wk_a1"}),
    "wk_a2": frozenset({"wk_a2"}),
    "wk_b1": frozenset({"wk_b1"}),
    "tester": frozenset(),
}
#: The grid worker a flag of each unit is assigned to in assignment calls.
ASSIGNEE = {"UA1-101": "wk_a1", "UA2-201": "wk_a2", "UAX-999": "wk_a1", "UB1-301": "wk_b1"}

ADMIN = frozenset({"admin"})
OFFICE = frozenset({"admin", "sec_a", "sec_b"})
VISITORS = OFFICE | {"wk_a1", "wk_a2", "wk_b1"}
EVERYONE = frozenset(USERS)
READERS_NOT_WORKERS = OFFICE | {"tester"}

#: Routes anyone may call without signing in.
PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
}


@dataclass(frozen=True)
class World:
    flag_ids: dict[str, int]  # unit id -> its flag
    user_ids: dict[str, int]
    tokens: dict[str, str]


Body = Callable[[str, World], dict[str, Any] | None]


@dataclass(frozen=True)
class Spec:
    """``roles``: accounts the route lets in at all; ``obj``: what its path parameter names
    (``flag``, ``unit``, ``community``, ``user``) or None for a list, whose answer is then
    searched for units and communities the caller must not see."""

    roles: frozenset[str]
    obj: str | None = None
    body: Body | None = None
    form: bool = False
    #: The body is a multipart file upload (``files=``): {field: (name, bytes, type)}.
    upload: bool = False
    #: Changes the world: each allowed call runs on a fresh copy of it.
    mutates: bool = False
    #: Statuses that also mean "refused" for objects out of scope (a survey names its units
    #: in the body, and an unknown unit is a validation error there).
    refused: frozenset[int] = field(default_factory=lambda: frozenset({403, 404}))


def _assign(unit: str, world: World) -> dict[str, Any]:
    worker = ASSIGNEE.get(unit, "wk_a1")
    return {"worker_id": world.user_ids[worker], "allow_other_grid": True}


def _survey(unit: str, world: World) -> dict[str, Any]:
    community = UNITS[unit][0]
    day_before = (NOW - timedelta(days=1)).astimezone(ZoneInfo(TZ_NAME))
    evening = day_before.replace(hour=21, minute=0, second=0, microsecond=0, tzinfo=None)
    return {
        "community": community,
        "observed_at": evening.isoformat(),
        "observer": "matrix",
        "units": [{"unit_id": unit, "lit": True}],
    }


def _visit(_unit: str, _world: World) -> dict[str, Any]:
    return {"outcome": "vacant", "note": ""}


def _dismiss(_unit: str, _world: World) -> dict[str, Any]:
    return {"reason": "matrix test"}


def _note(_unit: str, _world: World) -> dict[str, Any]:
    return {"note": ""}


def _empty(_unit: str, _world: World) -> dict[str, Any]:
    return {}


def _new_user(_obj: str, _world: World) -> dict[str, Any]:
    return {
        "username": "matrix-new",
        "password": "a long enough passphrase",
        "role": "tester",
    }


def _patch_user(_obj: str, _world: World) -> dict[str, Any]:
    return {"display_name": "renamed by the matrix"}


def _active(_obj: str, _world: World) -> dict[str, Any]:
    return {"active": "true"}


def _register_entry(unit: str, _world: World) -> dict[str, Any]:
    """A register entry for ``unit`` (PUT), staying in its community and grid."""
    community, grid, _, _ = UNITS[unit]
    return {"community": community, "grid": grid, "registered_occupants": 2}


def _new_register_unit(community: str, _world: World) -> dict[str, Any]:
    """A new unit of ``community`` (POST): the obj is the community the body names."""
    return {"unit_id": "MATRIX-NEW-1", "community": community, "registered_occupants": 1}


def _register_file(community: str, _world: World) -> dict[str, Any]:
    """A one-row register CSV of ``community`` (the obj), as an upload."""
    text = f"unit_id,community,registered_occupants\nMATRIX-NEW-1,{community},1\n"
    return {"file": ("matrix.csv", text.encode(), "text/csv")}


#: A secretary's file or body naming another community is refused with 403, or, for a
#: file, with 422 listing the rows (like any other bad cell).
_OTHER_COMMUNITY = frozenset({403, 404, 422})

FLAG_ACTIONS = {
    "assign": (OFFICE, _assign),
    "unassign": (OFFICE, _empty),
    "visit": (VISITORS, _visit),
    "dismiss": (OFFICE, _dismiss),
    "close": (OFFICE, _note),
    "reopen": (OFFICE, _empty),
}

MATRIX: dict[tuple[str, str], Spec] = {
    ("GET", "/api/me"): Spec(EVERYONE),
    ("GET", "/api/flags"): Spec(EVERYONE),
    ("GET", "/api/flags/{flag_id}"): Spec(EVERYONE, "flag"),
    ("GET", "/api/flags/{flag_id}/history"): Spec(EVERYONE, "flag"),
    ("GET", "/api/units/{unit_id:path}"): Spec(EVERYONE, "unit"),
    ("GET", "/api/communities"): Spec(EVERYONE),
    ("GET", "/api/lights/surveys"): Spec(EVERYONE),
    ("POST", "/api/lights/surveys"): Spec(
        VISITORS, "unit", _survey, mutates=True, refused=frozenset({403, 404, 422})
    ),
    ("GET", "/api/runs"): Spec(READERS_NOT_WORKERS),
    ("GET", "/api/users"): Spec(ADMIN),
    ("POST", "/api/users"): Spec(ADMIN, None, _new_user, mutates=True),
    ("GET", "/api/users/{user_id}"): Spec(ADMIN, "user"),
    ("PATCH", "/api/users/{user_id}"): Spec(ADMIN, "user", _patch_user, mutates=True),
    ("POST", "/api/users/{user_id}/tokens"): Spec(ADMIN, "user", _empty, mutates=True),
    ("DELETE", "/api/users/{user_id}/tokens"): Spec(ADMIN, "user", mutates=True),
    ("GET", "/api/audit"): Spec(ADMIN),
    ("GET", "/api/audit.csv"): Spec(ADMIN),
    ("GET", "/"): Spec(EVERYONE),
    ("GET", "/communities/{community:path}"): Spec(EVERYONE, "community"),
    ("GET", "/communities/{community:path}/dashboard"): Spec(EVERYONE, "community"),
    ("GET", "/communities/{community:path}/flags"): Spec(EVERYONE, "community"),
    ("GET", "/units/{unit_id:path}"): Spec(EVERYONE, "unit"),
    ("GET", "/flags/{flag_id}"): Spec(EVERYONE, "flag"),
    ("POST", "/logout"): Spec(EVERYONE, None, _empty, form=True, mutates=True),
    ("GET", "/admin/users"): Spec(ADMIN),
    ("POST", "/admin/users"): Spec(ADMIN, None, _new_user, form=True, mutates=True),
    ("POST", "/admin/users/{user_id}/active"): Spec(
        ADMIN, "user", _active, form=True, mutates=True
    ),
    ("GET", "/admin/audit"): Spec(ADMIN),
    ("GET", "/worklist"): Spec(VISITORS, "worker"),
    ("GET", "/worklist/print"): Spec(VISITORS, "worker"),
    ("GET", "/worklist.csv"): Spec(VISITORS, "worker"),
    ("GET", "/api/worklist"): Spec(VISITORS, "worker"),
    ("GET", "/worklists"): Spec(OFFICE),
    ("GET", "/api/register/units"): Spec(EVERYONE),
    ("GET", "/api/register/units/{unit_id:path}"): Spec(EVERYONE, "entry"),
    ("POST", "/api/register/units"): Spec(OFFICE, "community", _new_register_unit, mutates=True),
    ("PUT", "/api/register/units/{unit_id:path}"): Spec(
        OFFICE, "entry", _register_entry, mutates=True
    ),
    ("DELETE", "/api/register/units/{unit_id:path}"): Spec(OFFICE, "entry", mutates=True),
    ("POST", "/api/register/import"): Spec(
        OFFICE, "community", _register_file, upload=True, mutates=True, refused=_OTHER_COMMUNITY
    ),
    ("GET", "/register/import"): Spec(OFFICE),
    ("POST", "/register/import"): Spec(
        OFFICE, "community", _register_file, upload=True, mutates=True, refused=_OTHER_COMMUNITY
    ),
}
for _action, (_roles, _body) in FLAG_ACTIONS.items():
    MATRIX[("POST", f"/api/flags/{{flag_id}}/{_action}")] = Spec(
        _roles, "flag", _body, mutates=True
    )
    MATRIX[("POST", f"/flags/{{flag_id}}/{_action}")] = Spec(
        _roles, "flag", _body, form=True, mutates=True
    )


def app_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path) of every route, through included routers."""

    def walk(routes: list[Any], prefix: str) -> Iterator[tuple[str, str]]:
        for route in routes:
            if isinstance(route, APIRoute):
                for method in route.methods:
                    yield method, prefix + route.path
            elif hasattr(route, "original_router"):
                yield from walk(route.original_router.routes, prefix + route.include_context.prefix)
            elif hasattr(route, "methods") and route.methods:
                for method in route.methods - {"HEAD"}:
                    yield method, prefix + route.path

    return set(walk(app.router.routes, ""))


# -- the world -----------------------------------------------------------------------------------
def _seed(settings: Settings) -> World:
    url = settings.resolved_db_url
    with session_scope(url) as session:
        for unit_id, (community, grid, registered, simulated) in UNITS.items():
            if registered:
                session.add(
                    Unit(
                        unit_id=unit_id,
                        community=community,
                        grid=grid,
                        building=unit_id[1:3],
                        entrance="1",
                        floor="1",
                        room=unit_id[-3:],
                        registered_occupants=0,
                        simulated=simulated,
                    )
                )
            session.add(
                Flag(
                    unit_id=unit_id,
                    community=community,
                    kind="unregistered_activity",
                    state="new",
                    score=0.9,
                    probability=0.95,
                    evidence_text="matrix evidence",
                    evidence={},
                    first_raised_at=NOW - timedelta(days=1),
                    last_raised_at=NOW - timedelta(hours=1),
                )
            )
    user_ids = {
        name: add_user(url, name, role, community, grid).id
        for name, (role, community, grid) in USERS.items()
    }
    tokens = {name: token_for(url, name) for name in USERS}
    with session_scope(url) as session:
        flags = list(session.query(Flag))
        for flag in flags:  # on their grid's worker's list, so the worker may record a visit
            if flag.unit_id in ASSIGNEE and UNITS[flag.unit_id][1]:
                flag.state = "assigned"
                flag.assigned_to_id = user_ids[ASSIGNEE[flag.unit_id]]
                flag.assigned_at = NOW - timedelta(hours=2)
        flag_ids = {f.unit_id: f.id for f in flags}
    return World(flag_ids=flag_ids, user_ids=user_ids, tokens=tokens)


@pytest.fixture(scope="module")
def matrix_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, World, Path]]:
    var_dir = tmp_path_factory.mktemp("authz")
    settings = Settings(
        _env_file=None,
        var_dir=var_dir,
        db_url=f"sqlite:///{var_dir / 'occupancy.db'}",
        store_url=f"sqlite:///{var_dir / 'readings.sqlite'}",
        timezone=TZ_NAME,
        window_days=WINDOW_DAYS,
    )
    world = _seed(settings)
    engine = get_engine(settings.resolved_db_url)
    engine.dispose()
    template = var_dir / "template.db"
    shutil.copyfile(var_dir / "occupancy.db", template)
    yield settings, world, template


@pytest.fixture(scope="module")
def app_client(matrix_env: tuple[Settings, World, Path]) -> Iterator[TestClient]:
    settings, _, _ = matrix_env
    app = create_app(settings)
    app.dependency_overrides[get_now] = lambda: NOW
    with TestClient(app) as client:
        yield client


def _restore(settings: Settings, template: Path) -> None:
    """Put the world back as seeded, before a call allowed to change it."""
    get_engine(settings.resolved_db_url).dispose()
    db = Path(settings.resolved_db_url.removeprefix("sqlite:///"))
    for extra in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        extra.unlink(missing_ok=True)
    shutil.copyfile(template, db)


def _objects(kind: str | None, world: World) -> dict[str, str]:
    """Path value -> the unit, community or user it stands for."""
    if kind == "flag":
        return {str(world.flag_ids[u]): u for u in UNITS}
    if kind == "unit":
        return {u: u for u in UNITS}
    if kind == "entry":  # register entries: units with a register row only
        return {u: u for u, (_, _, registered, _) in UNITS.items() if registered}
    if kind == "community":
        return {c: c for c in (A, B, SIM)}
    if kind == "user":
        return {str(world.user_ids[name]): name for name in USERS}
    if kind == "worker":
        return {name: name for name, (role, _, _) in USERS.items() if role == "grid_worker"}
    return {"": ""}


def _visible(account: str, kind: str | None, obj: str) -> bool:
    if kind in ("flag", "unit", "entry"):
        return obj in SEES_UNITS[account]
    if kind == "community":
        return obj in SEES_COMMUNITIES[account]
    if kind == "worker":
        return obj in SEES_WORKERS[account]
    return True  # users: the role check alone decides (admins only)


def _url(path: str, value: str, kind: str | None = None) -> str:
    if kind == "worker":
        return f"{path}?worker={value}"
    for name in ("{flag_id}", "{unit_id:path}", "{community:path}", "{user_id}"):
        path = path.replace(name, value)
    return path


def _call(
    client: TestClient, method: str, path: str, spec: Spec, obj: str, world: World, **kw: Any
) -> Any:
    body = spec.body(obj, world) if spec.body else None
    if body is None:
        return client.request(method, path, follow_redirects=False, **kw)
    if spec.upload:
        return client.request(method, path, follow_redirects=False, files=body, **kw)
    key = "data" if spec.form else "json"
    return client.request(method, path, follow_redirects=False, **{key: body}, **kw)


def _cases() -> list[tuple[str, str, str]]:
    return [(m, p, a) for (m, p) in sorted(MATRIX) for a in USERS]


# -- the tests -----------------------------------------------------------------------------------
def test_every_route_is_in_the_matrix(app_client: TestClient) -> None:
    routes = app_routes(app_client.app) - {("GET", "/static")}
    missing = sorted(routes - set(MATRIX) - PUBLIC)
    stale = sorted(set(MATRIX) - routes)
    assert missing == [], f"routes with no authorization row: {missing}"
    assert stale == [], f"rows for routes that no longer exist: {stale}"


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX))
def test_signed_out_callers_are_turned_away(
    app_client: TestClient, matrix_env: tuple[Settings, World, Path], method: str, path: str
) -> None:
    _, world, _ = matrix_env
    spec = MATRIX[(method, path)]
    for value, obj in _objects(spec.obj, world).items():
        response = _call(app_client, method, _url(path, value, spec.obj), spec, obj, world)
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path, response.text)
        else:
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize(("method", "path", "account"), _cases())
def test_matrix(
    app_client: TestClient,
    matrix_env: tuple[Settings, World, Path],
    method: str,
    path: str,
    account: str,
) -> None:
    """Out of role or out of scope: 403 or 404, and nothing of it in the answer. In role and
    in scope: let in (whatever the action's own verdict, e.g. 409 for a state that refuses)."""
    settings, world, template = matrix_env
    spec = MATRIX[(method, path)]
    headers = bearer(world.tokens[account])
    for value, obj in _objects(spec.obj, world).items():
        allowed = account in spec.roles and _visible(account, spec.obj, obj)
        if allowed and spec.mutates:
            _restore(settings, template)
        url = _url(path, value, spec.obj)
        response = _call(app_client, method, url, spec, obj, world, headers=headers)
        where = (method, path, account, obj, response.status_code, response.text[:300])
        assert response.status_code < 500, where
        if not allowed:
            refused = spec.refused if account in spec.roles else {403, 404}
            assert response.status_code in refused, where
            continue
        assert response.status_code not in (401, 403, 404), where
        if spec.obj is None and method == "GET" and spec.roles != ADMIN:
            hidden_units = ALL_UNITS - SEES_UNITS[account]
            hidden_communities = {A, B, SIM} - SEES_COMMUNITIES[account]
            leaked = [x for x in (*hidden_units, *hidden_communities) if x in response.text]
            assert leaked == [], where
    if spec.mutates:
        _restore(settings, template)


def test_the_matrix_checks_what_it_claims(matrix_env: tuple[Settings, World, Path]) -> None:
    """The oracle itself: every account sees something and misses something (but admins)."""
    for account in USERS:
        assert SEES_UNITS[account], account
        if account != "admin":
            assert ALL_UNITS - SEES_UNITS[account], account
    _, world, _ = matrix_env
    assert set(world.flag_ids) == ALL_UNITS


# -- scope follows the register and the account ---------------------------------------------------
def _flag_row(settings: Settings, unit: str) -> Flag:
    with session_scope(settings.resolved_db_url) as session:
        return session.query(Flag).filter(Flag.unit_id == unit).one()


def test_a_unit_moved_to_another_community_takes_its_flag_along(
    app_client: TestClient, matrix_env: tuple[Settings, World, Path]
) -> None:
    """The register, not the community the meter reported under, says whose a flag is."""
    settings, world, template = matrix_env
    _restore(settings, template)
    flag_id = world.flag_ids["UA1-101"]
    try:
        moved = app_client.put(
            "/api/register/units/UA1-101",
            json={"community": B, "grid": "G1", "registered_occupants": 0},
            headers=bearer(world.tokens["admin"]),
        )
        assert moved.status_code == 200, moved.text
        row = _flag_row(settings, "UA1-101")
        assert row.community == B
        # It was on wk_a1's list; the worker of the old community no longer walks it.
        assert (row.state, row.assigned_to_id) == ("new", None)
        old_list = app_client.get("/api/worklist", headers=bearer(world.tokens["wk_a1"]))
        assert old_list.status_code == 200 and "UA1-101" not in old_list.text
        for account, expected in (("sec_a", 404), ("sec_b", 200), ("wk_b1", 200)):
            headers = bearer(world.tokens[account])
            assert app_client.get(f"/api/flags/{flag_id}", headers=headers).status_code == (
                expected
            ), account
            listed = app_client.get("/api/flags", headers=headers).text
            assert ("UA1-101" in listed) == (expected == 200), account
        page = app_client.get("/api/units/UA1-101", headers=bearer(world.tokens["sec_a"]))
        assert page.status_code == 404
    finally:
        _restore(settings, template)


def test_a_worker_moved_elsewhere_loses_their_old_list(
    app_client: TestClient, matrix_env: tuple[Settings, World, Path]
) -> None:
    """Moving a grid worker takes their open flags off their list (back to the secretary)
    and out of their sight, even flags once assigned to them."""
    settings, world, template = matrix_env
    _restore(settings, template)
    flag_id = world.flag_ids["UA1-101"]
    worker = bearer(world.tokens["wk_a1"])
    try:
        assert app_client.get(f"/api/flags/{flag_id}", headers=worker).status_code == 200
        moved = app_client.patch(
            f"/api/users/{world.user_ids['wk_a1']}",
            json={"community": B, "grid": "G2"},
            headers=bearer(world.tokens["admin"]),
        )
        assert moved.status_code == 200, moved.text
        row = _flag_row(settings, "UA1-101")
        assert (row.state, row.assigned_to_id) == ("new", None)
        assert app_client.get(f"/api/flags/{flag_id}", headers=worker).status_code == 404
        assert "UA1-101" not in app_client.get("/api/flags", headers=worker).text
        visit = app_client.post(
            f"/api/flags/{flag_id}/visit", json={"outcome": "vacant"}, headers=worker
        )
        assert visit.status_code == 404
    finally:
        _restore(settings, template)


def test_a_closed_flag_leaves_its_workers_sight(
    app_client: TestClient, matrix_env: tuple[Settings, World, Path]
) -> None:
    """An assignment shows a flag outside the worker's grid only while it is on their list."""
    settings, world, template = matrix_env
    _restore(settings, template)
    flag_id = world.flag_ids["UA2-201"]  # grid G2; covered by wk_a1 of G1
    office = bearer(world.tokens["sec_a"])
    worker = bearer(world.tokens["wk_a1"])
    try:
        cover = {"worker_id": world.user_ids["wk_a1"], "allow_other_grid": True}
        assert (
            app_client.post(f"/api/flags/{flag_id}/assign", json=cover, headers=office).status_code
            == 200
        )
        assert app_client.get(f"/api/flags/{flag_id}", headers=worker).status_code == 200
        visit = app_client.post(
            f"/api/flags/{flag_id}/visit", json={"outcome": "vacant"}, headers=worker
        )
        assert visit.status_code == 200, visit.text
        close = app_client.post(f"/api/flags/{flag_id}/close", json={"note": ""}, headers=office)
        assert close.status_code == 200, close.text
        assert app_client.get(f"/api/flags/{flag_id}", headers=worker).status_code == 404
    finally:
        _restore(settings, template)
