"""The flag page: unit facts, evidence, the week's chart, night counts, history, forms by role
and state, scope (404) and the audit of every view."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from occupancy.config import Settings

from ..conftest import make_client
from ..seed import METERED_UNIT, Seeded
from .flag_support import add_accounts, add_lights, audit_rows, sign_in


@pytest.fixture
def users(settings: Settings, seeded: Seeded) -> dict[str, int]:
    add_lights(settings)
    return add_accounts(settings)


@pytest.fixture
def browser(settings: Settings, users: dict[str, int]) -> Iterator[TestClient]:
    yield from make_client(settings, as_admin=False)


def _forms(html: str) -> dict[str, str]:
    """Each flag form's action path -> its markup (the page's sign-out form left out)."""
    return {
        m.group(1): m.group(0)
        for m in re.finditer(r'<form[^>]*action="(/flags/[^"]+)".*?</form>', html, re.S)
    }


def test_secretary_sees_unit_evidence_chart_and_lights(
    browser: TestClient, settings: Settings, seeded: Seeded
) -> None:
    sign_in(browser, settings, "sec")
    flag_id = seeded.flag_ids["urgent"]
    response = browser.get(f"/flags/{flag_id}")
    assert response.status_code == 200, response.text
    html = response.text
    assert '<html lang="zh-CN">' in html
    assert f"提示 #{flag_id}" in html
    assert METERED_UNIT in html
    assert "3号楼 2单元 5层 502室" in html  # address from the register
    assert "重点关怀对象" in html and "已登记但无生活迹象" in html
    assert "紧急" in html
    # The chart: an inline SVG with hourly bars and the lights strip.
    svg = re.search(r"<svg\b.*?</svg>", html, re.S)
    assert svg, "no chart on the flag page"
    assert svg.group(0).count('class="bar"') > 100
    assert 'class="light"' in svg.group(0)
    assert "近 7 天每小时用电" in html
    # Night counts of the last 14 days, newest first; the older one is left out.
    lights = html[html.index('id="lights"') : html.index('id="history"')]
    assert lights.index("night-owl") < lights.index("second-round")
    assert "亮灯" in lights and "未亮" in lights
    assert "too-old-observer" not in html


def test_evidence_in_chinese_by_default_and_english_on_request(
    browser: TestClient, settings: Settings, seeded: Seeded
) -> None:
    sign_in(browser, settings, "sec")
    flag_id = seeded.flag_ids["offline"]
    zh = browser.get(f"/flags/{flag_id}").text
    assert "no meter readings in the 168-hour window" not in zh  # rendered in Chinese
    en = browser.get(f"/flags/{flag_id}", params={"lang": "en"})
    assert '<html lang="en">' in en.text
    assert f"Flag #{flag_id}" in en.text
    assert "Meter offline" in en.text
    assert "Hourly electricity, last 7 days" in en.text
    assert "no meter readings in the 168-hour window" in en.text


def test_view_is_audited(browser: TestClient, settings: Settings, seeded: Seeded) -> None:
    sign_in(browser, settings, "sec")
    flag_id = seeded.flag_ids["top_score"]
    assert browser.get(f"/flags/{flag_id}").status_code == 200
    rows = audit_rows(settings, "view", flag_id)
    assert [(r.username, r.community) for r in rows] == [("sec", "阳光花园")]


def test_secretary_forms_carry_csrf_and_offer_grid_workers(
    browser: TestClient, settings: Settings, seeded: Seeded, users: dict[str, int]
) -> None:
    csrf = sign_in(browser, settings, "sec")
    flag_id = seeded.flag_ids["urgent"]
    html = browser.get(f"/flags/{flag_id}").text
    forms = _forms(html)
    base = f"/flags/{flag_id}"
    # A new flag: assign, record a visit, dismiss; nothing to close, unassign or reopen.
    assert set(forms) == {f"{base}/assign", f"{base}/visit", f"{base}/dismiss"}
    for markup in forms.values():
        assert f'<input type="hidden" name="csrf_token" value="{csrf}">' in markup
    assign = forms[f"{base}/assign"]
    options = re.findall(r'<option value="(\d+)"', assign)
    # The unit's grid (G1) first, the other grid's worker after it.
    assert options == [str(users["worker"]), str(users["worker-g2"])]
    assert 'name="other_grid"' in assign
    visit = forms[f"{base}/visit"]
    outcomes = re.findall(r'name="outcome" value="([a-z_]+)"', visit)
    assert outcomes == [
        "found_registered",
        "found_needs_help",
        "vacant",
        "no_answer",
        "refused",
        "other",
    ]
    assert "无人应门" in visit
    assert 'name="reason"' in forms[f"{base}/dismiss"]


def test_grid_worker_sees_no_assignment_forms(
    browser: TestClient, settings: Settings, seeded: Seeded
) -> None:
    sign_in(browser, settings, "worker")
    response = browser.get(f"/flags/{seeded.flag_ids['urgent']}")
    assert response.status_code == 200  # in their grid
    forms = _forms(response.text)
    # Not assigned to them yet: nothing they may do (no colleague list either).
    assert forms == {}
    assert "<select" not in response.text
    assert "该提示当前没有可执行的操作" in response.text


def test_another_communitys_secretary_gets_404(
    browser: TestClient, settings: Settings, seeded: Seeded
) -> None:
    sign_in(browser, settings, "sec-river")
    flag_id = seeded.flag_ids["urgent"]
    response = browser.get(f"/flags/{flag_id}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert METERED_UNIT not in response.text
    assert f"没有编号为 {flag_id} 的提示" in response.text
    assert audit_rows(settings, "view", flag_id) == []


def test_other_grid_worker_gets_404(
    browser: TestClient, settings: Settings, seeded: Seeded
) -> None:
    sign_in(browser, settings, "worker-g2")
    assert browser.get(f"/flags/{seeded.flag_ids['urgent']}").status_code == 404


def test_unknown_flag_404_and_anonymous_redirected(
    browser: TestClient, settings: Settings, seeded: Seeded
) -> None:
    response = browser.get(f"/flags/{seeded.flag_ids['urgent']}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    sign_in(browser, settings, "boss")
    assert browser.get("/flags/999999").status_code == 404


def test_unregistered_unit_page(browser: TestClient, settings: Settings, seeded: Seeded) -> None:
    sign_in(browser, settings, "sec")
    html = browser.get(f"/flags/{seeded.flag_ids['unregistered']}").text
    assert "不在登记表中" in html
    assert "这段时间没有电表数据" in html  # no meter data: said, not an error
    assert "近 14 天没有灯光观察记录" in html
