"""``/api/register``: CRUD on register entries and file import, with scope, history and audit.

Real SQLite, real accounts and API tokens, real XLSX files: the checks are the validator's,
the scoping is the principal's, and the rows asserted are the ones written to the database.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from occupancy.api.routes import register as register_routes
from occupancy.config import Settings
from occupancy.db.session import session_scope
from occupancy.db.tables import AuditEvent, Flag, Unit, UnitVersion
from occupancy.register import RegisterImportError, parse_register_data, repository
from tests.accounts import add_user, bearer, token_for
from tests.register.workbooks import CHINESE_HEADERS, write_xlsx

from ..conftest import ADMIN_USER, make_client
from ..declared import assert_declared
from ..seed import NOW

A, B = "甲社区", "乙社区"


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    """An admin client (the default of ``make_client``) plus secretaries of A and B, a grid
    worker of A/G1 and a tester; their headers are ``api.as_[name]``."""
    yield from make_client(settings)


@pytest.fixture
def headers(settings: Settings, api: TestClient) -> dict[str, dict[str, str]]:
    db = settings.resolved_db_url
    accounts = {
        "sec_a": ("secretary", A, ""),
        "sec_b": ("secretary", B, ""),
        "wk_a1": ("grid_worker", A, "G1"),
        "tester": ("tester", "", ""),
    }
    for name, (role, community, grid) in accounts.items():
        add_user(db, name, role, community, grid)
    return {name: bearer(token_for(db, name)) for name in accounts}


def _units(settings: Settings) -> dict[str, Unit]:
    with session_scope(settings.resolved_db_url) as session:
        units = session.scalars(select(Unit)).all()
        session.expunge_all()
        return {u.unit_id: u for u in units}


def _versions(settings: Settings, unit_id: str | None = None) -> list[UnitVersion]:
    with session_scope(settings.resolved_db_url) as session:
        query = select(UnitVersion).order_by(UnitVersion.id)
        if unit_id is not None:
            query = query.where(UnitVersion.unit_id == unit_id)
        rows = session.scalars(query).all()
        session.expunge_all()
        return list(rows)


def _audit(settings: Settings, **where: str) -> list[AuditEvent]:
    with session_scope(settings.resolved_db_url) as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        for name, value in where.items():
            query = query.where(getattr(AuditEvent, name) == value)
        rows = session.scalars(query).all()
        session.expunge_all()
        return list(rows)


def _create(api: TestClient, unit_id: str, community: str, grid: str = "G1", **extra: object):
    body = {"unit_id": unit_id, "community": community, "grid": grid, "registered_occupants": 1}
    response = api.post("/api/register/units", json={**body, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def _xlsx(tmp_path: Path, rows: list[list[object]], name: str = "register.xlsx") -> bytes:
    return write_xlsx(tmp_path / name, [list(CHINESE_HEADERS), *rows]).read_bytes()


def _row(unit_id: str, community: str, occupants: object = 2, grid: str = "G1") -> list[object]:
    """A register row under ``CHINESE_HEADERS``."""
    return [unit_id, "东城区", "和平街道", community, grid, "3", "1", "5", "502", occupants, "否",
            "2023-01-05", None]  # fmt: skip


# -- CRUD ------------------------------------------------------------------------------------


def test_crud_round_trip_keeps_history_and_audit(api: TestClient, settings: Settings) -> None:
    created = _create(
        api, "A-3-1-502", A, building="3", room="502", move_in="2024/3/5", vulnerable="是"
    )
    assert created["community"] == A and created["room"] == "502"
    assert created["move_in"] == "2024-03-05" and created["vulnerable"] is True
    assert created["simulated"] is False

    replaced = api.put(
        "/api/register/units/A-3-1-502",
        json={"community": A, "grid": "G2", "registered_occupants": "３", "building": "3"},
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["registered_occupants"] == 3  # full-width digit, as in files
    assert replaced.json()["room"] == "" and replaced.json()["move_in"] is None  # replaced

    detail = api.get("/api/register/units/A-3-1-502")
    assert detail.status_code == 200, detail.text
    history = detail.json()["history"]
    assert [h["action"] for h in history] == ["create", "update"]
    assert {h["source"] for h in history} == {"api"}
    assert {h["changed_by"] for h in history} == {ADMIN_USER}
    assert history[1]["values"]["grid"] == "G2"

    listed = api.get("/api/register/units", params={"community": A, "grid": "G2"}).json()
    assert listed["count"] == 1 and listed["data"][0]["unit_id"] == "A-3-1-502"
    assert api.get("/api/register/units", params={"grid": "G1"}).json()["count"] == 0

    assert api.delete("/api/register/units/A-3-1-502").status_code == 204
    assert api.get("/api/register/units/A-3-1-502").status_code == 404
    assert api.delete("/api/register/units/A-3-1-502").status_code == 404
    assert _units(settings) == {}
    versions = _versions(settings, "A-3-1-502")
    assert [v.action for v in versions] == ["create", "update", "delete"]
    assert versions[-1].values["grid"] == "G2"  # what was deleted
    assert versions[-1].changed_by == ADMIN_USER

    actions = [(e.action, e.object_type) for e in _audit(settings, object_id="A-3-1-502")]
    assert actions == [
        ("create", "unit"),
        ("update", "unit"),
        ("view", "unit"),
        ("delete", "unit"),
    ]
    assert all(e.community == A for e in _audit(settings, object_id="A-3-1-502"))
    lists = _audit(settings, object_type="register", action="view")
    assert len(lists) == 2


def test_delete_keeps_the_units_flags(api: TestClient, settings: Settings) -> None:
    _create(api, "A-1", A)
    with session_scope(settings.resolved_db_url) as session:
        session.add(
            Flag(
                unit_id="A-1",
                community=A,
                kind="registered_silent",
                state="new",
                score=0.8,
                evidence_text="quiet",
                evidence={},
                first_raised_at=NOW,
                last_raised_at=NOW,
            )
        )
    assert api.delete("/api/register/units/A-1").status_code == 204
    with session_scope(settings.resolved_db_url) as session:
        assert [f.state for f in session.scalars(select(Flag))] == ["new"]


def test_bodies_get_the_file_validators_verdict(api: TestClient, settings: Settings) -> None:
    body = {
        "unit_id": "A/1",
        "community": A,
        "registered_occupants": -1,
        "vulnerable": "maybe",
        "move_in": "2024-05-01",
        "move_out": "2024-04-01",
    }
    response = api.post("/api/register/units", json=body)
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]["errors"]
    assert [e["field"] for e in errors] == [
        "unit_id",
        "registered_occupants",
        "vulnerable",
        "move_out",
    ]
    # The same row in a CSV file: the same problems, word for word.
    csv_text = (
        "unit_id,community,registered_occupants,vulnerable,move_in,move_out\n"
        f"A/1,{A},-1,maybe,2024-05-01,2024-04-01\n"
    )
    with pytest.raises(RegisterImportError) as caught:
        parse_register_data(csv_text.encode())
    file_messages = {e.column: e.message for e in caught.value.errors}
    for error in errors:
        expected = file_messages[error["field"]].replace("column E", "column L")
        assert error["message"].split(" in column")[0] == expected.split(" in column")[0]
    assert _units(settings) == {} and _versions(settings) == []


@pytest.mark.parametrize(("occupants", "stored"), [(True, None), (2.0, 2), (2.5, None)])
def test_head_counts_are_judged_as_cells(
    api: TestClient, settings: Settings, occupants: object, stored: int | None
) -> None:
    body = {"unit_id": "A-1", "community": A, "registered_occupants": occupants}
    response = api.post("/api/register/units", json=body)
    if stored is None:
        assert response.status_code == 422, response.text
        (error,) = response.json()["detail"]["errors"]
        assert error["field"] == "registered_occupants"
        assert error["message"].startswith("is not a whole number of people")
        assert _units(settings) == {}
    else:
        assert response.status_code == 201, response.text
        assert _units(settings)["A-1"].registered_occupants == stored


def test_unknown_fields_and_duplicates_are_refused(api: TestClient, settings: Settings) -> None:
    body = {"unit_id": "A-1", "community": A, "registered_occupants": 1, "occupants": 2}
    assert api.post("/api/register/units", json=body).status_code == 422
    _create(api, "A-1", A)
    again = api.post("/api/register/units", json={**body, "community": B} | {"occupants": None})
    assert again.status_code == 422  # still an unknown field
    del body["occupants"]
    assert api.post("/api/register/units", json=body).status_code == 409
    assert len(_versions(settings, "A-1")) == 1


# -- scope -----------------------------------------------------------------------------------


def test_a_secretary_works_only_in_their_community(
    api: TestClient, headers: dict[str, dict[str, str]], settings: Settings
) -> None:
    _create(api, "A-1", A)
    _create(api, "B-1", B)
    sec_a, sec_b = headers["sec_a"], headers["sec_b"]
    body = {"community": A, "registered_occupants": 4}

    for method in ("GET", "DELETE"):
        assert api.request(method, "/api/register/units/A-1", headers=sec_b).status_code == 404
    assert api.put("/api/register/units/A-1", json=body, headers=sec_b).status_code == 404
    new_in_a = {"unit_id": "A-2", "community": A, "registered_occupants": 1}
    assert api.post("/api/register/units", json=new_in_a, headers=sec_b).status_code == 403
    listed = api.get("/api/register/units", headers=sec_b).json()
    assert [u["unit_id"] for u in listed["data"]] == ["B-1"] and listed["count"] == 1
    assert A not in api.get("/api/register/units", headers=sec_b).text

    moved = api.put("/api/register/units/A-1", json={**body, "community": B}, headers=sec_a)
    assert moved.status_code == 403, moved.text
    assert api.put("/api/register/units/A-1", json=body, headers=sec_a).status_code == 200
    assert api.post("/api/register/units", json=new_in_a, headers=sec_a).status_code == 201
    simulated = {**new_in_a, "unit_id": "A-3", "simulated": True}
    assert api.post("/api/register/units", json=simulated, headers=sec_a).status_code == 403

    units = _units(settings)
    assert units["A-1"].community == A and units["A-1"].registered_occupants == 4
    assert set(units) == {"A-1", "A-2", "B-1"}
    assert [v.changed_by for v in _versions(settings, "A-2")] == ["sec_a"]


def test_grid_workers_read_their_grid_only(
    api: TestClient, headers: dict[str, dict[str, str]], settings: Settings
) -> None:
    _create(api, "A-G1", A, "G1")
    _create(api, "A-G2", A, "G2")
    wk = headers["wk_a1"]
    listed = api.get("/api/register/units", headers=wk).json()
    assert [u["unit_id"] for u in listed["data"]] == ["A-G1"]
    assert api.get("/api/register/units/A-G1", headers=wk).status_code == 200
    assert api.get("/api/register/units/A-G2", headers=wk).status_code == 404
    body = {"community": A, "grid": "G1", "registered_occupants": 9}
    new = {"unit_id": "A-G1-2", "community": A, "grid": "G1", "registered_occupants": 1}
    assert api.put("/api/register/units/A-G1", json=body, headers=wk).status_code == 403
    assert api.delete("/api/register/units/A-G1", headers=wk).status_code == 403
    assert api.post("/api/register/units", json=new, headers=wk).status_code == 403
    files = {"file": ("r.csv", b"unit_id,community,registered_occupants\nX,A,1\n", "text/csv")}
    assert api.post("/api/register/import", files=files, headers=wk).status_code == 403
    assert _units(settings)["A-G1"].registered_occupants == 1


def test_testers_see_simulated_units_only(
    api: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    _create(api, "A-1", A)
    _create(api, "SIM-1", "SIM", simulated=True)
    tester = headers["tester"]
    listed = api.get("/api/register/units", headers=tester).json()
    assert [u["unit_id"] for u in listed["data"]] == ["SIM-1"]
    assert api.get("/api/register/units/SIM-1", headers=tester).status_code == 200
    assert api.get("/api/register/units/A-1", headers=tester).status_code == 404
    body = {"community": "SIM", "registered_occupants": 1}
    assert api.put("/api/register/units/SIM-1", json=body, headers=tester).status_code == 403
    # An admin's PUT without "simulated" keeps the mark.
    assert api.put("/api/register/units/SIM-1", json=body).json()["simulated"] is True


# -- import ----------------------------------------------------------------------------------


def test_an_xlsx_with_errors_lists_each_and_imports_nothing(
    api: TestClient, settings: Settings, tmp_path: Path
) -> None:
    data = _xlsx(
        tmp_path,
        [
            _row("A-1", A),
            _row("A-2", A, occupants="两"),
            _row("A-3", "", occupants=-1),
            _row("A-1", A),
        ],
    )
    files = {"file": ("登记表.xlsx", data, "application/octet-stream")}
    response = api.post("/api/register/import", files=files)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert "nothing was imported" in detail["message"]
    where = [(e["row"], e["letter"], e["column"]) for e in detail["errors"]]
    assert where == [
        (3, "J", "登记人数"),
        (4, "D", "社区"),
        (4, "J", "登记人数"),
        (5, "A", "单元编号"),
    ]
    assert detail["errors"][3]["message"].startswith("already appears in row 2")
    assert _units(settings) == {} and _versions(settings) == []
    (event,) = _audit(settings, action="import")
    assert event.object_type == "register" and event.object_id == "登记表.xlsx"
    assert event.detail.startswith("refused: 4 problems")


def test_skip_bad_imports_the_valid_rows(
    api: TestClient, settings: Settings, tmp_path: Path
) -> None:
    data = _xlsx(tmp_path, [_row("A-1", A), _row("A-2", A, occupants="x"), _row("A-3", A)])
    files = {"file": ("r.xlsx", data, "application/octet-stream")}
    response = api.post("/api/register/import", files=files, params={"skip_bad": "true"})
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["created"], result["updated"], result["unchanged"]) == (2, 0, 0)
    assert result["skipped"] == 1 and result["problems"][0]["row"] == 3
    assert set(_units(settings)) == {"A-1", "A-3"}
    versions = _versions(settings)
    assert {(v.source, v.changed_by) for v in versions} == {("import:r.xlsx", ADMIN_USER)}

    # Again as a form field, with one row changed: counts say so.
    changed = _xlsx(tmp_path, [_row("A-1", A, occupants=5), _row("A-3", A)], "r2.xlsx")
    again = api.post(
        "/api/register/import",
        files={"file": ("r2.xlsx", changed, "application/octet-stream")},
        data={"skip_bad": "true"},
    ).json()
    assert (again["created"], again["updated"], again["unchanged"], again["skipped"]) == (
        0,
        1,
        1,
        0,
    )
    events = _audit(settings, action="import")
    assert [e.detail.split(",")[0] for e in events] == ["created 2", "created 0"]


def test_a_secretarys_file_may_hold_only_their_community(
    api: TestClient, headers: dict[str, dict[str, str]], settings: Settings
) -> None:
    _create(api, "B-9", B)
    text = (
        "幸福里社区入住登记表\n"
        "单元编号,社区,登记人数\n"
        f"A-1,{A},1\n"
        f"A-2,{B},1\n"
        f"B-9,{A},2\n"
        f"A-3,{A},oops\n"
    )
    files = {"file": ("a.csv", text.encode("gb18030"), "text/csv")}
    response = api.post("/api/register/import", files=files, headers=headers["sec_a"])
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]["errors"]
    assert [(e["row"], e["letter"], e["column"], e["value"]) for e in errors] == [
        (4, "B", "社区", B),
        (5, "A", "单元编号", "B-9"),
        (6, "C", "登记人数", "oops"),
    ]
    assert "you may import only rows of 甲社区" in errors[0]["message"]
    assert set(_units(settings)) == {"B-9"}

    skipped = api.post(
        "/api/register/import", files=files, headers=headers["sec_a"], data={"skip_bad": "1"}
    )
    assert skipped.status_code == 200, skipped.text
    assert skipped.json()["created"] == 1 and skipped.json()["skipped"] == 3
    units = _units(settings)
    assert set(units) == {"A-1", "B-9"} and units["B-9"].community == B
    event = _audit(settings, action="import")[-1]
    assert event.username == "sec_a" and event.community == A


def test_import_refuses_big_files_and_simulated_from_secretaries(
    api: TestClient,
    headers: dict[str, dict[str, str]],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    csv_bytes = f"unit_id,community,registered_occupants\nA-1,{A},1\n".encode()
    files = {"file": ("a.csv", csv_bytes, "text/csv")}
    refused = api.post(
        "/api/register/import", files=files, params={"simulated": "1"}, headers=headers["sec_a"]
    )
    assert refused.status_code == 403
    monkeypatch.setattr(register_routes, "MAX_UPLOAD_BYTES", len(csv_bytes) - 1)
    too_big = api.post("/api/register/import", files=files)
    assert too_big.status_code == 413 and "larger than" in too_big.json()["detail"]
    monkeypatch.undo()
    simulated = api.post("/api/register/import", files=files, data={"simulated": "true"})
    assert simulated.status_code == 200, simulated.text
    assert _units(settings)["A-1"].simulated is True


def test_a_file_level_problem_is_reported_not_raised(api: TestClient, settings: Settings) -> None:
    files = {"file": ("old.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 64, "application/vnd.ms-excel")}
    response = api.post("/api/register/import", files=files, data={"skip_bad": "1"})
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]["errors"]
    assert error["row"] == 1 and error["letter"] == "" and ".xls" in error["message"]
    empty = api.post("/api/register/import", files={"file": ("e.csv", io.BytesIO(b""), "text/csv")})
    assert empty.status_code == 422
    assert _units(settings) == {}


def test_refusals_match_the_declared_422(api: TestClient, tmp_path: Path) -> None:
    """The entry's and the file's problems (``detail.errors``) and FastAPI's own validation
    error (a missing ``file``) are each a 422 body the schema declares."""
    bad = {"unit_id": "A-1", "community": A, "registered_occupants": -1}
    response = api.post("/api/register/units", json=bad)
    assert response.status_code == 422 and response.json()["detail"]["errors"]
    assert_declared(api, "POST", "/api/register/units", response)
    assert api.post("/api/register/units", json=bad | {"registered_occupants": 1}).is_success
    entry = {"community": A, "registered_occupants": -1}  # the id is in the path
    response = api.put("/api/register/units/A-1", json=entry)
    assert response.status_code == 422 and response.json()["detail"]["errors"]
    assert_declared(api, "PUT", "/api/register/units/{unit_id}", response)

    files = {"file": ("r.xlsx", _xlsx(tmp_path, [_row("A-2", A, occupants="两")]), "x/y")}
    response = api.post("/api/register/import", files=files)
    assert response.status_code == 422 and response.json()["detail"]["errors"]
    assert "409" in api.app.openapi()["paths"]["/api/register/import"]["post"]["responses"]
    response = api.post("/api/register/import", data={"skip_bad": "1"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "file"
    assert "409" in api.app.openapi()["paths"]["/api/register/import"]["post"]["responses"]


def test_a_secretarys_import_keeps_the_simulated_mark(
    api: TestClient, headers: dict[str, dict[str, str]], settings: Settings, tmp_path: Path
) -> None:
    first = _xlsx(tmp_path, [_row("S-1", A)], "s.xlsx")
    files = {"file": ("s.xlsx", first, "application/octet-stream")}
    assert api.post("/api/register/import", files=files, data={"simulated": "true"}).is_success
    again = _xlsx(tmp_path, [_row("S-1", A, occupants=4), _row("A-9", A)], "again.xlsx")
    files = {"file": ("again.xlsx", again, "application/octet-stream")}
    result = api.post("/api/register/import", files=files, headers=headers["sec_a"])
    assert result.status_code == 200, result.text
    assert (result.json()["created"], result.json()["updated"]) == (1, 1)
    units = _units(settings)
    assert units["S-1"].simulated is True and units["S-1"].registered_occupants == 4
    assert units["A-9"].simulated is False
    assert _versions(settings, "S-1")[-1].values["simulated"] is True
    listed = api.get("/api/register/units", headers=headers["tester"]).json()
    assert [u["unit_id"] for u in listed["data"]] == ["S-1"]


def _racing(monkeypatch: pytest.MonkeyPatch, settings: Settings, *units: Unit) -> None:
    """Another request creates ``units`` after this one read what is stored, before it writes."""
    real = repository._stored_values

    def racing(session, unit_ids):  # type: ignore[no-untyped-def]
        stored = real(session, unit_ids)
        with session_scope(settings.resolved_db_url) as other:
            other.add_all(units)
        return stored

    monkeypatch.setattr(repository, "_stored_values", racing)


def test_an_import_racing_another_answers_409(
    api: TestClient, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _racing(monkeypatch, settings, Unit(unit_id="A-2", community=A, registered_occupants=3))
    data = _xlsx(tmp_path, [_row("A-1", A), _row("A-2", A)])
    files = {"file": ("r.xlsx", data, "application/octet-stream")}
    response = api.post("/api/register/import", files=files)
    assert response.status_code == 409, response.text
    assert "the register changed while importing" in response.json()["detail"]
    units = _units(settings)
    assert set(units) == {"A-2"} and units["A-2"].registered_occupants == 3
    assert _versions(settings) == []
    (event,) = _audit(settings, action="import")
    assert event.detail.startswith("failed: the register changed")
    assert "409" in api.app.openapi()["paths"]["/api/register/import"]["post"]["responses"]


def test_a_create_racing_another_answers_409(
    api: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _racing(monkeypatch, settings, Unit(unit_id="A-1", community=B, registered_occupants=3))
    body = {"unit_id": "A-1", "community": A, "registered_occupants": 1}
    response = api.post("/api/register/units", json=body)
    assert response.status_code == 409, response.text
    assert _units(settings)["A-1"].community == B and _versions(settings) == []


def test_the_unit_list_audit_names_the_units_shown(
    api: TestClient, headers: dict[str, dict[str, str]], settings: Settings
) -> None:
    for unit_id in ("A-1", "A-2"):
        _create(api, unit_id, A)
    _create(api, "B-1", B)
    listed = api.get("/api/register/units", headers=headers["sec_a"])
    assert [u["unit_id"] for u in listed.json()["data"]] == ["A-1", "A-2"]
    assert api.get("/api/register/units", params={"community": B}).is_success
    first, second = _audit(settings, action="view", object_type="register")
    assert (first.username, first.community) == ("sec_a", A)
    assert first.detail == "list of 2 units: A-1,A-2"
    assert (second.community, second.detail) == (B, "list of 1 units: B-1")


def test_a_secretarys_row_of_another_community_is_reported_with_its_other_problems(
    api: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    text = f"unit_id,community,registered_occupants\nA-1,{A},1\nA-2,{B},oops\n"
    files = {"file": ("a.csv", text.encode(), "text/csv")}
    response = api.post("/api/register/import", files=files, headers=headers["sec_a"])
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]["errors"]
    assert [(e["row"], e["letter"]) for e in errors] == [(3, "B"), (3, "C")]
    assert "you may import only rows of 甲社区" in errors[0]["message"]


def test_a_file_wrong_in_every_row_gets_a_short_answer(api: TestClient, settings: Settings) -> None:
    lines = ["unit_id,community,registered_occupants"]
    lines += [f"x/{i},{A},-1" for i in range(3000)] + [f"OK-{i},{A},1" for i in range(5)]
    files = {"file": ("bad.csv", ("\n".join(lines) + "\n").encode(), "text/csv")}
    response = api.post("/api/register/import", files=files)
    assert response.status_code == 422 and len(response.content) < 600_000
    errors = response.json()["detail"]["errors"]
    assert len(errors) == 1001 and errors[-1]["row"] == 502
    assert errors[-1]["message"].startswith("and 5,000 more problems")
    assert response.json()["detail"]["message"].startswith("6000 problems in bad.csv")
    skipped = api.post("/api/register/import", files=files, data={"skip_bad": "1"})
    assert skipped.status_code == 200, skipped.text
    assert (skipped.json()["created"], skipped.json()["skipped"]) == (5, 3000)
    assert set(_units(settings)) == {f"OK-{i}" for i in range(5)}
