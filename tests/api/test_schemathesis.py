"""schemathesis against the app's own OpenAPI schema: no generated request gets a 5xx.

Every operation in ``/openapi.json`` is called in-process (ASGI, no server) with inputs
generated from its declared parameters and bodies, both valid (``positive``) and invalid
(``negative``), over a seeded SQLite database and embedded store. Path parameters are drawn
from the seeded ids as well as generated ones, so lookups go past the 404 into the code that
renders or changes a real unit, flag or user. A 5xx means a route let an input reach code that
can't handle it; the fix belongs in the route (validate, or answer 4xx), not here. Responses
are also checked against the schema the route declares, so clients can rely on it.

The operations are listed at collection time from an app built with default settings (the
schema depends only on the routes), so a route added later is tested without editing this file.
schemathesis's own pytest plugin (``schemathesis.pytest.from_fixture``) is not used: 4.32
fails under pytest 9.2 (``'Function' object has no attribute '_nodeid'``); one Hypothesis test
per operation and mode does the same and reports each operation as its own test id.

The database is seeded once per module and shared: calls of one operation (a dismissal, a
new token) are state for the next, as in real use. Examples are derandomized, so CI runs the
same calls every time; ``OCCUPANCY_SCHEMATHESIS_EXAMPLES=500`` runs a deeper, random search.

Authentication: ``caller.headers`` (an admin's Bearer API token from ``tests/accounts.py``) is
sent with every request, and an operation whose every call was refused (401/403) fails: a call
stopped at the door proves nothing about the route behind it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)
from sqlalchemy import select

from occupancy.api.deps import get_now
from occupancy.api.main import create_app
from occupancy.config import Settings
from occupancy.db.session import session_scope
from occupancy.db.tables import User
from tests.accounts import add_user, bearer, token_for

from .seed import (
    EVIL_UNIT,
    METERED_UNIT,
    NOW,
    RIVER,
    SUNNY,
    TZ_NAME,
    UNREGISTERED_UNIT,
    WINDOW_DAYS,
    Seeded,
    seed,
)

#: Examples per operation and mode: enough to hit missing ids, odd strings and huge numbers,
#: while the whole run stays under a minute.
DEEP_EXAMPLES = os.environ.get("OCCUPANCY_SCHEMATHESIS_EXAMPLES")
MAX_EXAMPLES = int(DEEP_EXAMPLES or "25")

#: Checks on every response. The status-code check is left out on purpose: FastAPI's schema
#: doesn't declare the 404s routes answer for missing ids, so it would fail on correct answers.
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]

ADMIN_USER = "schemathesis-admin"
WORKER_USER = "schemathesis-worker"


def _operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every operation in the schema."""
    spec = create_app(Settings(_env_file=None)).openapi()
    return [
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    ]


OPERATIONS = _operations()


@dataclass(frozen=True)
class Caller:
    """The account every generated request is sent as."""

    user_id: int
    headers: dict[str, str]
    #: Another account (a grid worker), so user routes also act on someone real.
    other_user_id: int


@pytest.fixture(scope="module")
def api_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Like ``settings`` in conftest.py, but one database for the whole module."""
    var_dir: Path = tmp_path_factory.mktemp("schemathesis-var")
    return Settings(
        _env_file=None,
        var_dir=var_dir,
        db_url=f"sqlite:///{var_dir / 'occupancy.db'}",
        store_url=f"sqlite:///{var_dir / 'readings.sqlite'}",
        timezone=TZ_NAME,
        window_days=WINDOW_DAYS,
    )


@pytest.fixture(scope="module")
def api_seeded(api_settings: Settings) -> Seeded:
    return seed(api_settings)


@pytest.fixture(scope="module")
def caller(api_settings: Settings, api_seeded: Seeded) -> Caller:
    """An admin with an API token, plus a grid worker for user ids to point at.

    An admin sees every community, so the seeded ids are reachable; scoping by role is the
    authorization matrix test's job.
    """
    db_url = api_settings.resolved_db_url
    add_user(db_url, WORKER_USER, "grid_worker", community=SUNNY, grid="G1")
    add_user(db_url, ADMIN_USER, "admin")
    with session_scope(db_url) as session:
        ids = dict(session.execute(select(User.username, User.id)).tuples().all())
    return Caller(
        user_id=ids[ADMIN_USER],
        headers=bearer(token_for(db_url, ADMIN_USER)),
        other_user_id=ids[WORKER_USER],
    )


@pytest.fixture(scope="module")
def api_schema(api_settings: Settings, api_seeded: Seeded) -> Iterator[schemathesis.BaseSchema]:
    """The schema, loaded from the app over the seeded database (clock pinned to NOW)."""
    app: FastAPI = create_app(api_settings)
    app.dependency_overrides[get_now] = lambda: NOW
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    app.state.stores.close()


def _known_values(seeded: Seeded, caller: Caller) -> dict[str, list[object]]:
    """Seeded values for path parameters by name, so generated calls also hit real rows."""
    return {
        "unit_id": [METERED_UNIT, "YG-1-1-101", "RS-A-0801", UNREGISTERED_UNIT, EVIL_UNIT],
        "flag_id": sorted(seeded.flag_ids.values()),
        "community": [SUNNY, RIVER],
        "user_id": [caller.other_user_id, caller.user_id],
    }


#: Values at the edge of what a parameter's type allows, tried on every parameter of that type:
#: they pass FastAPI's validation when the route sets no bounds, and then reach the database
#: driver or date arithmetic (a SQLite INTEGER is 64-bit; ``date.min - 6 days`` overflows).
EDGE_VALUES: dict[str, list[object]] = {
    "integer": [2**63, 2**31, -1, 0],
    "number": [1e308, -1e308, 0.0],
    "date": ["0001-01-01", "9999-12-31"],
    "date-time": ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"],
}


def _edge_values(schema: dict[str, object]) -> list[object]:
    """Edge values for a parameter's JSON schema (``anyOf`` alternatives included)."""
    values: list[object] = []
    for alternative in [schema, *schema.get("anyOf", []), *schema.get("oneOf", [])]:
        kind = alternative.get("format") or alternative.get("type")
        if alternative.get("type") == "string" and kind not in ("date", "date-time"):
            continue
        values += EDGE_VALUES.get(kind, [])
    return values


def _edge_cases(
    operation: schemathesis.APIOperation, known: dict[str, list[object]]
) -> list[st.SearchStrategy[schemathesis.Case]]:
    """One strategy per (parameter, edge value): cases with that query or path parameter at
    the edge value, other path parameters seeded so the value gets past the lookup."""
    paths = list(operation.path_parameters)
    seeded = {p.name: known[p.name][0] for p in paths if p.name in known}
    strategies = []
    for parameter in [*paths, *list(operation.query)]:
        for value in _edge_values(parameter.definition.get("schema", {})):
            if getattr(parameter.location, "value", parameter.location) == "path":
                values = {**seeded, parameter.name: value}
                strategies.append(operation.as_strategy(path_parameters=values))
            else:
                strategies.append(
                    operation.as_strategy(
                        path_parameters=seeded or None, query={parameter.name: value}
                    )
                )
    return strategies


def _strategy(
    operation: schemathesis.APIOperation, mode: GenerationMode, known: dict[str, list[object]]
) -> st.SearchStrategy[schemathesis.Case]:
    """Generated cases; in positive mode also cases whose path parameters are seeded values
    (a negative case's own inputs are the invalid part, so it is left alone)."""
    generated = operation.as_strategy(generation_mode=mode)
    names = [p.name for p in list(operation.path_parameters)]
    if mode is not GenerationMode.POSITIVE or not names or not all(n in known for n in names):
        return generated
    seeded = st.fixed_dictionaries({n: st.sampled_from(known[n]) for n in names}).flatmap(
        lambda values: operation.as_strategy(path_parameters=values)
    )
    return st.one_of(generated, seeded)


def _has_inputs(operation: schemathesis.APIOperation) -> bool:
    return bool(list(operation.iter_parameters()) or list(operation.body.items))


def _disarms_caller(case: schemathesis.Case, caller: Caller) -> bool:
    """Would this call change or revoke the test's own account (then every later call is a
    401 and nothing behind the door is tested any more)?"""
    params = case.path_parameters or {}
    changes = case.method.upper() in {"PATCH", "PUT", "DELETE"}
    return changes and params.get("user_id") == caller.user_id


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_server_error(
    method: str,
    path: str,
    mode: GenerationMode,
    api_schema: schemathesis.BaseSchema,
    api_seeded: Seeded,
    caller: Caller,
) -> None:
    """No 5xx for any generated input; what a route answers matches its declared schema; and
    some calls get past authentication (else the route itself was never exercised)."""
    operation = api_schema[path][method]
    if mode is GenerationMode.NEGATIVE and not _has_inputs(operation):
        pytest.skip("no parameters or body to make invalid")

    known = _known_values(api_seeded, caller)
    options = settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=DEEP_EXAMPLES is None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    statuses: dict[int, int] = {}

    def call(case: schemathesis.Case) -> None:
        assume(not _disarms_caller(case, caller))
        response = case.call_and_validate(headers=caller.headers, checks=CHECKS)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    options(given(case=_strategy(operation, mode, known))(call))()
    if mode is GenerationMode.POSITIVE:
        # Every edge value once, for certain: a random draw among them misses some.
        for edge in _edge_cases(operation, known):
            settings(options, max_examples=1)(given(case=edge)(call))()
    # Shown with -rP or on failure: the answers the generated calls got, e.g. {200: 21, 404: 9}.
    print(f"{method} {path} {mode}: {dict(sorted(statuses.items()))}")
    assert set(statuses) - {401, 403}, f"no call got past authentication: {statuses}"
