"""The HTML pages: content, language switching, 404 pages, escaping and the SVG chart."""

from __future__ import annotations

import re
import sys
import types
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from occupancy.config import Settings

from ..seed import (
    EVIL_EVIDENCE,
    EVIL_UNIT,
    METERED_UNIT,
    OFFLINE_EVIDENCE,
    RIVER,
    SUNNY,
    UNREGISTERED_UNIT,
    WINDOW_DAYS,
    Seeded,
)
from .flag_support import audited_ids, last_audit


def _page(client: TestClient, url: str, **params: str) -> str:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def _svg(html: str) -> str:
    match = re.search(r"<svg\b.*?</svg>", html, re.S)
    assert match, "no inline SVG chart on the page"
    return match.group(0)


# --- index -------------------------------------------------------------------------------


def test_index_lists_communities_with_counts(client: TestClient) -> None:
    html = _page(client, "/")
    assert f'href="/communities/{quote(SUNNY, safe="")}"' in html
    assert RIVER in html
    assert "电表离线" in html  # the kind columns are labelled in Chinese
    rows = [row for row in re.findall(r"<tr>.*?</tr>", html, re.S) if SUNNY in row]
    assert len(rows) == 1
    # Registered units, urgent, the three kinds, open flags in all.
    assert re.findall(r">(\d+)</td>", rows[0]) == ["4", "1", "2", "1", "1", "4"]


def test_index_on_an_empty_database(empty_client: TestClient) -> None:
    assert "还没有社区数据" in _page(empty_client, "/")


# --- language ----------------------------------------------------------------------------


def test_chinese_by_default(client: TestClient) -> None:
    html = _page(client, "/")
    assert '<html lang="zh-CN">' in html
    assert "<h1>社区</h1>" in html
    assert "未登记但有生活迹象" in html
    assert "Unregistered activity" not in html


def test_english_on_request_and_remembered(client: TestClient) -> None:
    response = client.get("/", params={"lang": "en"})
    assert '<html lang="en">' in response.text
    assert "Unregistered activity" in response.text
    assert "未登记但有生活迹象" not in response.text
    assert response.cookies.get("lang") == "en"
    assert "HttpOnly" in response.headers["set-cookie"]

    # No parameter now: the cookie keeps English, on another page too.
    html = _page(client, f"/communities/{SUNNY}")
    assert '<html lang="en">' in html
    assert "Meter offline" in html

    # And switching back is remembered as well.
    assert '<html lang="zh-CN">' in _page(client, "/", lang="zh-CN")
    assert '<html lang="zh-CN">' in _page(client, "/")


def test_unknown_language_falls_back_and_is_not_remembered(client: TestClient) -> None:
    response = client.get("/", params={"lang": "tlh"})
    assert '<html lang="zh-CN">' in response.text
    assert "set-cookie" not in response.headers


def test_language_switch_link_keeps_the_query(client: TestClient) -> None:
    html = _page(client, f"/communities/{SUNNY}", kind="meter_offline")
    link = re.search(r'class="lang-switch" href="([^"]+)"', html)
    assert link
    assert "kind=meter_offline" in link.group(1)
    assert "lang=en" in link.group(1)
    assert link.group(1).startswith("/communities/")


# --- community page ----------------------------------------------------------------------


def test_community_page_lists_open_flags_in_order(client: TestClient) -> None:
    html = _page(client, f"/communities/{SUNNY}")
    order = re.findall(r'class="unit-id" href="/units/([^"]+)"', html)
    # Urgent first, then by score; the dismissed flag is not listed.
    assert order == [METERED_UNIT, "YG-1-1-101", UNREGISTERED_UNIT, "YG-1-1-102"]
    assert "Dismissed after a visit" not in html
    assert 'class="badge urgent"' in html
    assert "3号楼 2单元 5层 502室" in html
    assert "不在登记表中" in html  # YG-9-9-909 has no register row
    assert "71%" in html  # score as a percentage
    assert "新提示" in html  # state, translated


def test_community_page_counts_by_kind_and_filters(client: TestClient) -> None:
    html = _page(client, f"/communities/{SUNNY}")
    assert re.search(r"未登记但有生活迹象 <strong>2</strong>", html)
    assert re.search(r"电表离线 <strong>1</strong>", html)
    only_offline = _page(client, f"/communities/{SUNNY}", kind="meter_offline")
    assert re.findall(r'class="unit-id" href="/units/([^"]+)"', only_offline) == ["YG-1-1-102"]


def test_community_page_english_evidence(client: TestClient) -> None:
    html = _page(client, f"/communities/{SUNNY}", lang="en")
    assert "Used 3.2 kWh per night on 6 of 7 days." in html
    assert "Bldg 3 · Entr. 2 · Fl. 5 · Rm 502" in html


def test_unknown_community_is_a_404_page(client: TestClient) -> None:
    response = client.get("/communities/无此社区")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "没有名为“无此社区”的社区" in response.text
    english = client.get("/communities/Nowhere", params={"lang": "en"})
    assert english.status_code == 404
    assert "There is no community called “Nowhere”" in english.text


def test_unknown_path_is_a_404_page(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "找不到这个页面" in response.text


# --- evidence in Chinese -----------------------------------------------------------------


@pytest.fixture
def zh_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stand in for ``occupancy.flags.evidence`` (another engineer's module) with a
    renderer that translates one flag and fails on the rest."""

    def evidence_text_zh(evidence: dict) -> str:
        if "night_kwh" in evidence and evidence["night_kwh"] == 3.2:
            return f"夜间用电 {evidence['night_kwh']} 千瓦时"
        raise KeyError("unknown evidence")

    module = types.ModuleType("occupancy.flags.evidence")
    module.evidence_text_zh = evidence_text_zh  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "occupancy.flags.evidence", module)


@pytest.mark.usefixtures("zh_evidence")
def test_chinese_evidence_with_fallback(client: TestClient) -> None:
    html = _page(client, f"/communities/{SUNNY}")
    assert "夜间用电 3.2 千瓦时" in html
    # The renderer raised for this one: the English text shows instead of an error page.
    assert "no meter readings in the 168-hour window" in html
    english = _page(client, f"/communities/{SUNNY}", lang="en")
    assert "夜间用电" not in english


def test_chinese_evidence_from_the_detectors_renderer(client: TestClient) -> None:
    """With the real ``occupancy.flags.evidence`` installed, its Chinese text is shown; flags
    whose evidence it cannot read (the hand-made ones here) keep their English text."""
    evidence = pytest.importorskip("occupancy.flags.evidence")
    html = _page(client, f"/communities/{SUNNY}")
    assert evidence.evidence_text_zh(dict(OFFLINE_EVIDENCE)) in html
    assert "no meter readings in the 168-hour window" not in html
    assert "Lights on most evenings." in html


# --- unit page ---------------------------------------------------------------------------


def test_unit_page_register_flags_and_chart(client: TestClient, seeded: Seeded) -> None:
    html = _page(client, f"/units/{METERED_UNIT}")
    assert "住户 YG-3-2-502" in html
    assert "重点关怀对象" in html
    assert "已登记但无生活迹象" in html
    assert "Almost no use (0.1 kWh a day) for 5 days." in html
    assert f"有数据 {seeded.measured_hours}/{WINDOW_DAYS * 24} 小时" in html

    svg = _svg(html)
    # One bar per measured hour, zero-use hours included; none for gaps or the future.
    assert svg.count('class="bar"') == seeded.measured_hours
    # A separator at each local midnight and one closing the last day.
    assert svg.count('class="day"') == WINDOW_DAYS + 1
    # Each day labelled twice: one line for a PC, two short ones for a phone (CSS picks).
    assert svg.count('class="xlabel wide"') == svg.count('class="xlabel narrow"') == WINDOW_DAYS
    assert "5月9日 周四" in svg and "5月15日 周三" in svg
    assert ">kWh</text>" in svg
    # Two runs of missing hours: the seeded gap, and the rest of today.
    assert svg.count('class="gap"') == 2
    assert 'class="light"' in svg


def test_unit_page_chart_in_english(client: TestClient, seeded: Seeded) -> None:
    svg = _svg(_page(client, f"/units/{METERED_UNIT}", lang="en"))
    assert "Thu 5/9" in svg
    assert svg.count('class="bar"') == seeded.measured_hours


def test_unit_page_end_outside_the_plausible_days_is_a_422(client: TestClient) -> None:
    # Was an OverflowError (500) in the window arithmetic.
    response = client.get(f"/units/{METERED_UNIT}", params={"end": "0001-01-01"})
    assert response.status_code == 422
    assert client.get(f"/units/{METERED_UNIT}", params={"end": "2024-05-10"}).status_code == 200


def test_unit_page_shows_closed_flags_too(client: TestClient) -> None:
    html = _page(client, "/units/YG-1-1-102")
    assert "Dismissed after a visit." in html
    assert "已排除" in html


def test_unit_page_without_register_or_data(client: TestClient) -> None:
    html = _page(client, f"/units/{UNREGISTERED_UNIT}")
    assert "该住户不在入住登记表中" in html
    assert "这段时间没有电表数据" in html
    assert _svg(html).count('class="bar"') == 0


def test_unknown_unit_is_a_404_page(client: TestClient) -> None:
    response = client.get("/units/NO-SUCH-UNIT", params={"lang": "en"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Unit “NO-SUCH-UNIT” has no register entry" in response.text


# --- escaping ----------------------------------------------------------------------------


def test_hostile_unit_id_and_evidence_are_escaped(client: TestClient) -> None:
    pages = [
        _page(client, f"/communities/{RIVER}", lang="en"),
        _page(client, f"/units/{quote(EVIL_UNIT, safe='')}"),
    ]
    for html in pages:
        assert EVIL_UNIT not in html
        assert EVIL_EVIDENCE not in html
        assert "<img src=x" not in html
        assert "<b>B</b>" not in html
        assert "&lt;script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages[0]
    # Links to the unit percent-encode the id rather than embed it.
    assert f'href="/units/{quote(EVIL_UNIT, safe="")}"' in pages[0]


def test_hostile_unknown_names_are_escaped_on_404(client: TestClient) -> None:
    response = client.get("/communities/" + quote("<svg onload=alert(1)>", safe=""))
    assert response.status_code == 404
    assert "<svg onload" not in response.text
    assert "&lt;svg onload=alert(1)&gt;" in response.text


# --- static ------------------------------------------------------------------------------


def test_stylesheet_is_served(client: TestClient) -> None:
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert "@media" in response.text


def test_community_page_view_is_audited_with_the_flags_shown(
    client: TestClient, settings: Settings, seeded: Seeded
) -> None:
    html = _page(client, f"/communities/{SUNNY}")
    event = last_audit(settings)
    assert (event.action, event.object_type, event.community) == ("view", "flags", SUNNY)
    shown = audited_ids(event.detail)
    assert len(shown) == 4 and seeded.flag_ids["urgent"] == shown[0]
    assert all(f'href="/flags/{flag_id}"' in html for flag_id in shown)
