"""The register import page: upload, the error table in both languages, importing only the
valid rows from the kept upload, CSRF, and who may use it.

Browsers sign in through the real form (cookie session), so the CSRF check is the real one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from occupancy.api.i18n import Translator
from occupancy.api.routes import register as register_routes
from occupancy.api.routes.register_pages import PROBLEMS, STASH_DIR, problem_text
from occupancy.config import Settings
from occupancy.db.session import session_scope
from occupancy.db.tables import AuditEvent, Unit, UnitVersion
from occupancy.register import RegisterImportError, parse_register_data
from tests.accounts import add_user, login
from tests.register.workbooks import CHINESE_HEADERS, write_xlsx

from ..conftest import make_client

A, B = "甲社区", "乙社区"
#: A workbook with one good row and problems in three rows.
ROWS = [
    ["A-1", "", "", A, "G1", "1", "1", "1", "101", 2, "否", None, None],
    ["A-2", "", "", A, "G1", "1", "1", "1", "102", "两", "否", None, None],
    ["A-3", "", "", A, "G1", "1", "1", "1", "103", 1, "也许", "2024-13-01", None],
    ["A-4", "", "", B, "G1", "1", "1", "1", "104", 1, "否", None, None],
]


@pytest.fixture
def browser(settings: Settings) -> Iterator[TestClient]:
    """A client without an API token, signed in below through the form."""
    db = settings.resolved_db_url
    add_user(db, "sec_a", "secretary", A)
    add_user(db, "sec_b", "secretary", B)
    add_user(db, "wk_a1", "grid_worker", A, "G1")
    yield from make_client(settings, as_admin=False)


@pytest.fixture
def workbook(tmp_path: Path) -> bytes:
    return write_xlsx(tmp_path / "r.xlsx", [list(CHINESE_HEADERS), *ROWS]).read_bytes()


def _units(settings: Settings) -> set[str]:
    with session_scope(settings.resolved_db_url) as session:
        return set(session.scalars(select(Unit.unit_id)))


def _upload(client: TestClient, csrf: str, data: bytes, lang: str = "zh-CN", **form: str):
    return client.post(
        f"/register/import?lang={lang}",
        data={"csrf_token": csrf, **form},
        files={"file": ("登记表.xlsx", data, "application/octet-stream")},
    )


def _error_rows(html: str) -> list[tuple[str, str]]:
    return re.findall(r'class="import-error" data-row="(\d+)" data-letter="([A-Z]*)"', html)


def test_the_form_carries_the_csrf_token(browser: TestClient) -> None:
    csrf = login(browser, "sec_a")
    page = browser.get("/register/import")
    assert page.status_code == 200
    assert "导入入住登记表" in page.text
    assert f'name="csrf_token" value="{csrf}"' in page.text
    assert 'enctype="multipart/form-data"' in page.text and 'name="skip_bad"' in page.text
    assert 'name="simulated"' not in page.text  # admins only


def test_errors_are_listed_in_chinese_and_nothing_is_imported(
    browser: TestClient, settings: Settings, workbook: bytes
) -> None:
    csrf = login(browser, "sec_a")
    page = _upload(browser, csrf, workbook)
    assert page.status_code == 422, page.text
    assert "没有导入任何数据" in page.text
    assert "文件《登记表.xlsx》中有 4 处问题" in page.text
    assert _error_rows(page.text) == [("3", "J"), ("4", "K"), ("4", "L"), ("5", "D")]
    assert "<strong>J</strong> 登记人数" in page.text
    assert "不是整数人数（无人居住请填 0）" in page.text
    assert "不是你的社区；你只能导入“甲社区”的行" in page.text
    assert "is not a whole number" not in page.text  # translated, not left in English
    assert 'id="skip-form"' in page.text and "只导入这 1 行正确的数据" in page.text
    assert _units(settings) == set()


def test_errors_are_listed_in_english(browser: TestClient, workbook: bytes) -> None:
    csrf = login(browser, "sec_a")
    page = _upload(browser, csrf, workbook, lang="en")
    assert page.status_code == 422
    assert "4 problems in 登记表.xlsx; nothing was imported." in page.text
    assert "is not a whole number of people (use 0 for nobody)" in page.text
    assert '<th scope="col">Column</th>' in page.text
    assert "Import only the 1 valid rows, skipping the 3 rows" in page.text


def test_the_kept_upload_imports_only_the_valid_rows_once(
    browser: TestClient, settings: Settings, workbook: bytes
) -> None:
    csrf = login(browser, "sec_a")
    page = _upload(browser, csrf, workbook)
    token = re.search(r'name="upload" value="([^"]+)"', page.text).group(1)
    kept = Path(settings.var_dir) / STASH_DIR
    assert {p.suffix for p in kept.iterdir()} == {".bin", ".json"}

    # Someone else cannot use the token.
    other = TestClient(browser.app)
    other_csrf = login(other, "sec_b")
    stolen = other.post("/register/import", data={"csrf_token": other_csrf, "upload": token})
    assert stolen.status_code == 410 and _units(settings) == set()

    done = browser.post(
        "/register/import", data={"csrf_token": csrf, "upload": token, "skip_bad": "1"}
    )
    assert done.status_code == 200, done.text
    assert "已导入《登记表.xlsx》：新增 1 户，更新 0 户，0 户无变化。" in done.text
    assert "跳过了 3 行有问题的数据" in done.text
    assert _units(settings) == {"A-1"}
    assert list(kept.iterdir()) == []
    with session_scope(settings.resolved_db_url) as session:
        (version,) = session.scalars(select(UnitVersion)).all()
        assert (version.source, version.changed_by) == ("import:登记表.xlsx", "sec_a")
        imports = session.scalars(select(AuditEvent).where(AuditEvent.action == "import")).all()
        assert [e.detail.split(":")[0].split(",")[0] for e in imports] == [
            "refused",
            "created 1",
        ]

    again = browser.post(
        "/register/import", data={"csrf_token": csrf, "upload": token, "skip_bad": "1"}
    )
    assert again.status_code == 410 and "已过期" in again.text


def test_a_clean_file_imports_and_counts(
    browser: TestClient, settings: Settings, tmp_path: Path
) -> None:
    csrf = login(browser, "sec_a")
    data = write_xlsx(tmp_path / "ok.xlsx", [list(CHINESE_HEADERS), ROWS[0]]).read_bytes()
    page = _upload(browser, csrf, data, lang="en")
    assert page.status_code == 200, page.text
    assert "Imported 登记表.xlsx: 1 created, 0 updated, 0 unchanged." in page.text
    assert _units(settings) == {"A-1"}


def test_posting_needs_the_csrf_token(
    browser: TestClient, settings: Settings, workbook: bytes
) -> None:
    login(browser, "sec_a")
    page = _upload(browser, "wrong", workbook)
    assert page.status_code == 403
    no_token = browser.post(
        "/register/import", files={"file": ("r.xlsx", workbook, "application/octet-stream")}
    )
    assert no_token.status_code == 403
    assert _units(settings) == set()


def test_no_file_too_big_and_grid_workers(
    browser: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch, workbook: bytes
) -> None:
    csrf = login(browser, "sec_a")
    nothing = browser.post("/register/import", data={"csrf_token": csrf})
    assert nothing.status_code == 422 and "请选择要上传的文件" in nothing.text
    monkeypatch.setattr(register_routes, "MAX_UPLOAD_BYTES", 100)
    too_big = _upload(browser, csrf, workbook, lang="en")
    assert too_big.status_code == 413 and "larger than 20 MB" in too_big.text
    assert _units(settings) == set()

    worker = TestClient(browser.app)
    login(worker, "wk_a1")
    assert worker.get("/register/import").status_code == 403
    signed_out = TestClient(browser.app)
    answer = signed_out.get("/register/import", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_every_problem_the_validator_writes_is_translated() -> None:
    """Each pattern turns its English sentence back into itself (so the groups are right),
    and a file full of mistakes has no problem left in English on the Chinese page."""
    en, zh = Translator("en"), Translator("zh-CN")
    keys = [key for _, key in PROBLEMS]
    assert len(keys) == len(set(keys))
    text = (
        "unit_id,community,registered_occupants,vulnerable,move_in,move_out,building,备注\n"
        f"A#1,{A},x,maybe,2024-02-30,,1,\n"
        f",,,,,,,note\n"
        f"A-2,{A},-1,no,1024-01-01,,1,\n"
        f"A-3,{A},99999,no,2024-05-01,2024-04-01,{'9' * 40},\n"
        f"A-3,{A},,no,someday,,1,\n"
    )
    with pytest.raises(RegisterImportError) as caught:
        parse_register_data(text.encode())
    messages = [e.message for e in caught.value.errors] + caught.value.warnings
    assert len(messages) >= 12
    for message in messages:
        translated = problem_text(zh, message)
        assert translated != message, message
        for pattern, key in PROBLEMS:
            match = pattern.fullmatch(message)
            if match:
                assert en(key, **match.groupdict()) == message
    with pytest.raises(RegisterImportError) as caught:
        parse_register_data(b"name,room\nx,1\n")
    assert all(problem_text(zh, e.message) != e.message for e in caught.value.errors)
