"""The community dashboard and the filtered flag lists its numbers link to."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from occupancy.config import Settings

from ..conftest import make_client
from ..seed import METERED_UNIT, RIVER, SUNNY, UNREGISTERED_UNIT, Seeded
from .flag_support import add_accounts, audited_ids, last_audit, sign_in

SUNNY_PATH = quote(SUNNY, safe="")


@pytest.fixture
def users(settings: Settings, seeded: Seeded) -> dict[str, int]:
    return add_accounts(settings)


@pytest.fixture
def web(settings: Settings, users: dict[str, int]) -> Iterator[TestClient]:
    yield from make_client(settings, as_admin=False)


def _row(html: str, table_class: str, label: str) -> list[str]:
    """The cell texts (links unwrapped) of the row of ``table_class`` whose header has
    ``label``."""
    table = re.search(rf'<table class="table {table_class}">.*?</table>', html, re.S)
    assert table, f"no {table_class} table"
    for row in re.findall(r"<tr>.*?</tr>", table.group(0), re.S):
        head = re.search(r"<th[^>]*>(.*?)</th>", row, re.S)
        if head and label in head.group(1):
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            return [re.sub(r"<[^>]+>", "", c).strip() for c in cells]
    raise AssertionError(f"no row {label!r} in {table_class}")


def test_secretary_sees_counts_by_kind_state_and_building(
    web: TestClient, settings: Settings
) -> None:
    sign_in(web, settings, "sec")
    response = web.get(f"/communities/{SUNNY_PATH}/dashboard")
    assert response.status_code == 200, response.text
    html = response.text
    assert '<html lang="zh-CN">' in html and "社区概况" in html
    # Columns: new, assigned, visited, dismissed, closed, withdrawn, total.
    assert _row(html, "matrix", "未登记但有生活迹象") == ["2", "0", "0", "0", "0", "0", "2"]
    assert _row(html, "matrix", "已登记但无生活迹象") == ["1", "0", "0", "1", "0", "0", "2"]
    assert _row(html, "matrix", "电表离线") == ["1", "0", "0", "0", "0", "0", "1"]
    assert _row(html, "matrix", "合计") == ["4", "0", "0", "1", "0", "0", "5"]
    # Open flags per building (open, urgent, assigned, visited); building 2 has none.
    assert _row(html, "buildings", "1号楼") == ["2", "0", "0", "0"]
    assert _row(html, "buildings", "3号楼") == ["1", "1", "0", "0"]
    assert _row(html, "buildings", "不在登记表中") == ["1", "0", "0", "0"]
    assert "2号楼" not in html
    assert RIVER not in html  # nothing of the other community


def test_numbers_link_to_matching_flag_lists(web: TestClient, settings: Settings) -> None:
    sign_in(web, settings, "sec")
    html = web.get(f"/communities/{SUNNY_PATH}/dashboard").text
    link = f"/communities/{SUNNY_PATH}/flags?kind=registered_silent&amp;state=dismissed"
    assert f'href="{link}"' in html
    listing = web.get(link.replace("&amp;", "&"))
    assert listing.status_code == 200
    assert "YG-1-1-102" in listing.text
    assert METERED_UNIT not in listing.text  # registered_silent too, but new
    assert re.search(r'<span class="count">1</span>', listing.text)
    # The not-in-register building row.
    listing = web.get(f"/communities/{SUNNY_PATH}/flags", params={"building": "-", "open": "1"})
    assert UNREGISTERED_UNIT in listing.text
    assert METERED_UNIT not in listing.text
    # Each listed flag links to its flag page.
    assert re.search(r'href="/flags/\d+"', listing.text)


def test_assignment_shows_in_building_counts(
    web: TestClient, settings: Settings, seeded: Seeded, users: dict[str, int]
) -> None:
    csrf = sign_in(web, settings, "sec")
    response = web.post(
        f"/flags/{seeded.flag_ids['urgent']}/assign",
        data={"csrf_token": csrf, "worker_id": str(users["worker"])},
        follow_redirects=False,
    )
    assert response.status_code == 303
    html = web.get(f"/communities/{SUNNY_PATH}/dashboard").text
    assert _row(html, "buildings", "3号楼") == ["1", "1", "1", "0"]
    assert _row(html, "matrix", "已登记但无生活迹象") == ["0", "1", "0", "1", "0", "0", "2"]


def test_other_community_is_404_admin_sees_any(web: TestClient, settings: Settings) -> None:
    sign_in(web, settings, "sec-river")
    assert web.get(f"/communities/{SUNNY_PATH}/dashboard").status_code == 404
    assert web.get(f"/communities/{SUNNY_PATH}/flags").status_code == 404
    assert web.get(f"/communities/{quote(RIVER)}/dashboard").status_code == 200
    sign_in(web, settings, "boss")
    assert web.get(f"/communities/{SUNNY_PATH}/dashboard").status_code == 200
    assert web.get(f"/communities/{quote(RIVER)}/dashboard").status_code == 200
    assert web.get("/communities/Nowhere/dashboard").status_code == 404


def test_grid_worker_counts_only_their_scope(web: TestClient, settings: Settings) -> None:
    sign_in(web, settings, "worker")
    html = web.get(f"/communities/{SUNNY_PATH}/dashboard").text
    # The unregistered unit has no grid, so it is not theirs to see.
    assert _row(html, "matrix", "合计")[-1] == "4"
    assert "不在登记表中" not in html


def test_english_and_anonymous(web: TestClient, settings: Settings) -> None:
    url = f"/communities/{SUNNY_PATH}/dashboard"
    response = web.get(url, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    sign_in(web, settings, "sec")
    html = web.get(url, params={"lang": "en"}).text
    assert '<html lang="en">' in html
    assert "Flags by kind and state" in html and "By building" in html
    assert "Bldg 3" in html


def test_community_page_still_reached(web: TestClient, settings: Settings) -> None:
    """The dashboard routes sit before ``/communities/{community:path}``; that page must
    still answer for the community itself."""
    sign_in(web, settings, "sec")
    response = web.get(f"/communities/{SUNNY_PATH}")
    assert response.status_code == 200
    assert f"<h1>{SUNNY}</h1>" in response.text


def test_flag_list_view_is_audited_with_the_flags_shown(
    web: TestClient, settings: Settings
) -> None:
    sign_in(web, settings, "sec")
    listing = web.get(f"/communities/{SUNNY_PATH}/flags", params={"open": "1"})
    assert listing.status_code == 200
    shown = [int(i) for i in dict.fromkeys(re.findall(r'href="/flags/(\d+)"', listing.text))]
    event = last_audit(settings)
    assert (event.username, event.action, event.object_type) == ("sec", "view", "flags")
    assert event.community == SUNNY
    assert audited_ids(event.detail) == shown and len(shown) == 4


def test_buildings_named_with_letters_and_numbers_sort_without_error(settings: Settings) -> None:
    """Building "B1" beside "10" and "2": numbers by value, letters after, unregistered last."""
    from occupancy.api.dashboard_queries import building_counts
    from occupancy.auth.principal import Principal
    from occupancy.db.session import session_scope
    from occupancy.db.tables import Flag, Unit

    with session_scope(settings.resolved_db_url) as session:
        for unit_id, building in (("T-10", "10"), ("T-B1", "B1"), ("T-2", "2"), ("T-X", None)):
            if building is not None:
                session.add(Unit(unit_id=unit_id, community="Mixed", building=building))
            session.add(Flag(unit_id=unit_id, community="Mixed", kind="meter_offline", score=0.5))
    admin = Principal(1, "admin", "admin")
    with session_scope(settings.resolved_db_url) as session:
        rows = building_counts(session, admin, "Mixed")
    assert [r.building for r in rows] == ["2", "10", "B1", None]
