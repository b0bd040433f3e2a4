"""The register import page: upload, the error table in both languages, importing only the
valid rows from the kept upload, CSRF, and who may use it.

Browsers sign in through the real form (cookie session), so the CSRF check is the real one.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from occupancy.api.i18n import Translator
from occupancy.api.routes import register as register_routes
from occupancy.api.routes import register_pages
from occupancy.api.routes.register_pages import PROBLEMS, STASH_DIR, STASH_MINUTES, problem_text
from occupancy.auth.principal import Principal
from occupancy.config import Settings
from occupancy.db.session import session_scope
from occupancy.db.tables import AuditEvent, Unit, UnitVersion
from occupancy.register import RegisterImportError, parse_register_data, repository
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


# -- kept uploads: one per person, private, short-lived, capped --------------------------------


def _kept(settings: Settings) -> Path:
    return Path(settings.var_dir) / STASH_DIR


def _token(page_text: str) -> str:
    match = re.search(r'name="upload" value="([^"]+)"', page_text)
    assert match is not None, page_text
    return match.group(1)


def _backdate(directory: Path, minutes: float) -> None:
    for path in directory.iterdir():
        stamp = path.stat().st_mtime - minutes * 60
        os.utime(path, (stamp, stamp))


def test_an_expired_kept_upload_is_refused_and_removed(
    browser: TestClient, settings: Settings, workbook: bytes
) -> None:
    csrf = login(browser, "sec_a")
    token = _token(_upload(browser, csrf, workbook).text)
    _backdate(_kept(settings), STASH_MINUTES - 1)  # still fresh
    form = {"csrf_token": csrf, "upload": token, "skip_bad": "1"}
    assert browser.post("/register/import", data=form).status_code == 200
    assert _units(settings) == {"A-1"} and list(_kept(settings).iterdir()) == []

    token = _token(_upload(browser, csrf, workbook).text)
    _backdate(_kept(settings), STASH_MINUTES + 1)
    expired = browser.post("/register/import", data=form | {"upload": token})
    assert expired.status_code == 410 and "已过期" in expired.text
    assert list(_kept(settings).iterdir()) == []


def test_opening_the_page_sweeps_expired_uploads(
    browser: TestClient, settings: Settings, workbook: bytes
) -> None:
    csrf = login(browser, "sec_a")
    _token(_upload(browser, csrf, workbook).text)
    assert browser.get("/register/import").status_code == 200
    assert len(list(_kept(settings).iterdir())) == 2  # fresh: kept
    _backdate(_kept(settings), STASH_MINUTES + 1)
    assert browser.get("/register/import").status_code == 200
    assert list(_kept(settings).iterdir()) == []


def test_one_private_kept_upload_per_person(
    browser: TestClient, settings: Settings, workbook: bytes, tmp_path: Path
) -> None:
    csrf = login(browser, "sec_a")
    first = _token(_upload(browser, csrf, workbook).text)
    second = _token(_upload(browser, csrf, workbook).text)
    assert first != second
    kept = sorted(p.name for p in _kept(settings).iterdir())
    assert kept == [f"{second}.bin", f"{second}.json"]
    for path in _kept(settings).iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(_kept(settings).stat().st_mode) == 0o700
    replaced = browser.post("/register/import", data={"csrf_token": csrf, "upload": first})
    assert replaced.status_code == 410

    other = TestClient(browser.app)
    other_csrf = login(other, "sec_b")
    theirs = _token(_upload(other, other_csrf, workbook).text)
    assert len(list(_kept(settings).iterdir())) == 4  # one each

    # Any successful import drops the importer's kept file, not someone else's.
    clean = write_xlsx(tmp_path / "ok.xlsx", [list(CHINESE_HEADERS), ROWS[0]]).read_bytes()
    assert _upload(browser, csrf, clean).status_code == 200
    assert sorted(p.stem for p in _kept(settings).iterdir()) == [theirs, theirs]


def test_the_kept_folder_is_capped(
    browser: TestClient,
    settings: Settings,
    workbook: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(register_pages, "MAX_KEPT_BYTES", len(workbook) + 1000)
    other = TestClient(browser.app)
    _token(_upload(other, login(other, "sec_b"), workbook).text)
    csrf = login(browser, "sec_a")
    page = _upload(browser, csrf, workbook, lang="en")
    assert page.status_code == 422
    assert 'name="upload"' not in page.text and 'id="skip-form"' not in page.text
    assert "could not be kept" in page.text
    assert len(list(_kept(settings).iterdir())) == 2  # only sec_b's
    zh = _upload(browser, csrf, workbook)
    assert "无法临时保存" in zh.text


def test_an_import_racing_another_answers_409(
    browser: TestClient, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone else creates the same new unit between this import's checks and its write."""
    real = repository._stored_values

    def racing(session, unit_ids):  # type: ignore[no-untyped-def]
        stored = real(session, unit_ids)
        with session_scope(settings.resolved_db_url) as other:
            other.add(Unit(unit_id="A-1", community=A, grid="G1", registered_occupants=3))
        return stored

    monkeypatch.setattr(repository, "_stored_values", racing)
    csrf = login(browser, "sec_a")
    data = write_xlsx(tmp_path / "ok.xlsx", [list(CHINESE_HEADERS), ROWS[0]]).read_bytes()
    page = _upload(browser, csrf, data, lang="en")
    assert page.status_code == 409, page.text
    assert "The register changed while this file was being imported" in page.text
    with session_scope(settings.resolved_db_url) as session:
        assert session.get(Unit, "A-1").registered_occupants == 3
        assert session.scalars(select(UnitVersion)).all() == []


def test_take_upload_itself_refuses_and_deletes_an_expired_file(settings: Settings) -> None:
    """Not only the sweep at the start of each request: a file expiring between the sweep and
    its use is refused too."""
    owner = Principal(user_id=7, username="sec_a", role="secretary", community=A)
    token = register_pages.stash_upload(settings, owner, b"data", "r.csv", None)
    assert token is not None
    assert register_pages.take_upload(settings, owner, token) == (b"data", "r.csv", None)
    other = Principal(user_id=8, username="sec_b", role="secretary", community=B)
    assert register_pages.take_upload(settings, other, token) is None
    _backdate(_kept(settings), STASH_MINUTES + 1)
    assert register_pages.take_upload(settings, owner, token) is None
    assert list(_kept(settings).iterdir()) == []


@pytest.mark.parametrize(
    "message",
    [
        "has a formula without a saved value; open the file in Excel or WPS and save it again, "
        "so the results are stored in it",
        "is 5000 characters long, far too long for this column; check the value was typed into "
        "the right column",
        "contains the control character(s) U+0000; retype the cell without them",
        "the workbook expands to 1,234 MB when opened, far more than a register needs; save it "
        "again in Excel or WPS, or split it",
        "the file has more than 200,000 units; split it into files of at most 200,000 rows",
        "the sheet has rows past row 1,048,576, the last one Excel has; open the file in Excel "
        "or WPS, save it again and retry",
        "and 5,000 more problems from this row on, not listed (only the first 1,000 are); fix "
        "these and check the file again",
    ],
)
def test_the_limits_problems_are_translated(message: str) -> None:
    """The problems the file limits write read in Chinese too, and round-trip in English."""
    en, zh = Translator("en"), Translator("zh-CN")
    matched = [(p, key) for p, key in PROBLEMS if p.fullmatch(message)]
    assert len(matched) == 1, message
    pattern, key = matched[0]
    assert en(key, **pattern.fullmatch(message).groupdict()) == message
    assert problem_text(zh, message) != message
