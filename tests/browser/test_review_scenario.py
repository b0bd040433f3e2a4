"""Issue 5, "Done when": the review of a flag from the secretary's desk to the worker's door and
back, in Debian's Chromium, with a screenshot of every page visited.

1. The secretary of 阳光花园 signs in on a desktop window, opens the community dashboard, goes
   through building 3 to the urgent flag (YG-3-2-502), sees its hourly chart and assigns it to
   the grid worker of G1 with the flag page's form.
2. The grid worker signs in on a phone (390 x 844, touch) and opens his list: urgent first, then
   building, entrance, floor and room in natural order ("2" before "10", floor "2" before
   "11"), nothing wider than the screen. He records an outcome with a note on the urgent door;
   the card moves to "visited today".
3. The secretary reloads the flag: state visited, the outcome, the note, who recorded it, and
   the visit in the history; the overview of lists and the dashboard counts have moved.

Four more flags of grid G1 (module fixture ``walking_flags``) are put on the worker's list by
the secretary through ``occupancy.workflow.actions.assign``, so the walking order is checked on
more than one card. Texts are looked up in the translation table (zh-CN, the default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from occupancy.api.i18n import MESSAGES
from occupancy.auth.principal import Principal
from occupancy.db.session import session_scope
from occupancy.db.tables import Flag, Unit, User
from occupancy.flags.record import REGISTERED_SILENT, UNREGISTERED_ACTIVITY
from occupancy.workflow.actions import assign
from tests.api.seed import METERED_UNIT, NOW, SUNNY, WINDOW_DAYS

from .conftest import SECRETARY, WORKER, LiveServer, Screenshots, sign_in

ZH = MESSAGES["zh-CN"]
WORKER_NAME = "李网格员"
OUTCOME = "found_needs_help"
NOTE = "老人独居，腿脚不便，已联系家属，需要社区每周上门。"

#: Extra doors of grid G1 as (unit id, building, entrance, floor, room), inserted in an order
#: unlike the walking order so neither insertion order nor flag ids can pass for it.
EXTRA_UNITS = [
    ("YG-10-1-301", "10", "1", "3", "301"),
    ("YG-2-2-101", "2", "2", "1", "101"),
    ("YG-2-1-1101", "2", "1", "11", "1101"),
    ("YG-2-1-201", "2", "1", "2", "201"),  # in the seed's register already, without a flag
]
#: The walking order: urgent (building 3) first, then building 2 entrance 1 floor 2 < floor 11,
#: entrance 2, and building 10 last (text order would put "10" before "2", "11" before "2").
WALKING_ORDER = [METERED_UNIT, "YG-2-1-201", "YG-2-1-1101", "YG-2-2-101", "YG-10-1-301"]

#: Evidence with the detector's keys (occupancy.flags.evidence), as the worklist reads them.
SILENT_EVIDENCE = {
    "kind": REGISTERED_SILENT,
    "days": 7,
    "hours_total": 168,
    "hours_measured": 168,
    "hours_since_activity": 96.0,
}
ACTIVE_EVIDENCE = {
    "kind": UNREGISTERED_ACTIVITY,
    "days": 7,
    "hours_total": 168,
    "hours_measured": 168,
    "measured_days": 7,
    "evening_active_days": 5,
}


@dataclass(frozen=True)
class WalkingFlags:
    """The extra flags by unit id, and the urgent flag the secretary assigns by hand."""

    flag_ids: dict[str, int]
    urgent_flag_id: int


@pytest.fixture(scope="module")
def walking_flags(live_server: LiveServer) -> WalkingFlags:
    """Four more G1 flags, assigned to the worker by the secretary (workflow action, not UI)."""
    db_url = live_server.settings.resolved_db_url
    urgent_id = live_server.seeded.flag_ids["urgent"]
    ids: dict[str, int] = {}
    with session_scope(db_url) as session:
        known = set(session.scalars(select(Unit.unit_id)))
        for n, (unit_id, building, entrance, floor, room) in enumerate(EXTRA_UNITS):
            if unit_id not in known:
                session.add(
                    Unit(
                        unit_id=unit_id,
                        community=SUNNY,
                        grid="G1",
                        building=building,
                        entrance=entrance,
                        floor=floor,
                        room=room,
                        registered_occupants=1 + n % 2,
                    )
                )
            silent = n % 2 == 0
            flag = Flag(
                unit_id=unit_id,
                community=SUNNY,
                kind=REGISTERED_SILENT if silent else UNREGISTERED_ACTIVITY,
                state="new",
                urgent=False,
                score=0.6 + n / 20,
                probability=0.3,
                evidence=SILENT_EVIDENCE if silent else ACTIVE_EVIDENCE,
                evidence_text="No activity for 96 h." if silent else "Evening use on 5 of 7 days.",
                first_raised_at=NOW - timedelta(days=1),
                last_raised_at=NOW - timedelta(hours=2),
            )
            session.add(flag)
            session.flush()
            ids[unit_id] = flag.id
        users = {
            u.username: u
            for u in session.scalars(select(User).where(User.username.in_([SECRETARY, WORKER])))
        }
        secretary = Principal.from_user(users[SECRETARY])
        for flag_id in ids.values():
            flag = session.get(Flag, flag_id)
            assign(session, flag, users[WORKER], by=secretary, now=NOW - timedelta(hours=1))
        urgent = session.get(Flag, urgent_id)
        assert urgent is not None and urgent.state == "new", "the urgent flag must start new"
    return WalkingFlags(ids, urgent_id)


def _no_horizontal_overflow(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"


def _building_counts(page: Page, building: str) -> dict[str, str]:
    """The dashboard's per-building row as {column label: number}."""
    row = page.locator(".buildings tbody tr").filter(
        has=page.get_by_role(
            "rowheader", name=ZH["loc.building"].format(value=building), exact=True
        )
    )
    expect(row).to_have_count(1)
    cells = row.locator("td")
    return {
        cells.nth(i).get_attribute("data-label") or "": cells.nth(i).inner_text().strip()
        for i in range(cells.count())
    }


def test_flag_from_desk_to_door_and_back(
    desktop_page: Page,
    phone_page: Page,
    live_server: LiveServer,
    walking_flags: WalkingFlags,
    screenshots: Screenshots,
) -> None:
    desk, phone = desktop_page, phone_page
    flag_id = walking_flags.urgent_flag_id
    flag_url = live_server(f"/flags/{flag_id}")
    shots: list[Path] = []

    # --- 1. The secretary: sign-in, dashboard, the urgent flag, its chart, the assignment ----
    desk.goto(live_server("/login"))
    expect(desk.get_by_role("heading", level=1)).to_have_text(ZH["login.title"])
    shots.append(screenshots.take(desk, "secretary-login"))
    sign_in(desk, live_server, SECRETARY)

    desk.goto(live_server("/"))
    expect(desk.get_by_role("heading", level=1)).to_have_text(ZH["communities.title"])
    shots.append(screenshots.take(desk, "communities"))
    desk.get_by_role("link", name=ZH["communities.dashboard"]).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text(
        ZH["dashboard.title"].format(community=SUNNY)
    )
    expect(desk.locator("table.matrix")).to_be_visible()
    expect(desk.locator("table.buildings")).to_be_visible()
    before = _building_counts(desk, "3")
    assert before[ZH["dashboard.urgent"]] == "1", before
    shots.append(screenshots.take(desk, "dashboard"))

    # Building 3's open flags, then the urgent one.
    desk.locator(".buildings").get_by_role(
        "link", name=ZH["loc.building"].format(value="3"), exact=True
    ).click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text(ZH["dashboard.flag_list"])
    urgent_card = desk.locator("li.flag.is-urgent").filter(has_text=METERED_UNIT)
    expect(urgent_card).to_have_count(1)
    shots.append(screenshots.take(desk, "flags-building-3"))
    urgent_card.get_by_role("link", name=METERED_UNIT).click()
    expect(desk).to_have_url(flag_url)

    review_state = desk.locator("dl.review dd.state")
    expect(review_state).to_have_text(ZH["state.new"])
    expect(desk.locator(".flag-head .badge.urgent")).to_have_text(ZH["urgent"])
    expect(
        desk.get_by_role("heading", name=ZH["chart.title"].format(days=WINDOW_DAYS))
    ).to_be_visible()
    chart = desk.locator("svg.chart-svg")
    expect(chart).to_be_visible()
    bars = chart.locator("rect.bar")
    assert bars.count() > 24, "the chart has (almost) no bars"
    assert bars.first.bounding_box() is not None, "the chart's bars are not drawn"
    assert chart.bounding_box()["width"] > 600, "the chart is squeezed on a desktop"
    shots.append(screenshots.take(desk, "flag"))

    form = desk.locator("#assign-form")
    worker_option = form.locator("select[name=worker_id] option").filter(has_text=WORKER_NAME)
    expect(worker_option).to_have_count(1)
    form.locator("select[name=worker_id]").select_option(label=worker_option.inner_text().strip())
    with desk.expect_navigation():
        form.get_by_role("button", name=ZH["form.assign.submit"]).click()
    expect(desk).to_have_url(f"{flag_url}?done=assign")
    expect(desk.locator(".alert")).to_have_count(0)
    expect(desk.locator(".saved")).to_have_text(ZH["flagpage.done"])
    expect(review_state).to_have_text(ZH["state.assigned"])
    expect(review_state).to_have_class(re.compile(r"\bstate-assigned\b"))
    expect(desk.locator("dl.review")).to_contain_text(WORKER_NAME)
    assigned = desk.locator("ol.history li").filter(has=desk.locator("strong.event-assigned"))
    expect(assigned).to_have_count(1)
    expect(assigned).to_contain_text(f"{SECRETARY} → {WORKER}")
    expect(desk.locator("#assign-form")).to_have_count(1)  # reassigning stays possible
    shots.append(screenshots.take(desk, "flag-assigned"))

    # --- 2. The grid worker on a phone: his list in walking order, an outcome recorded -------
    phone.goto(live_server("/login"))
    _no_horizontal_overflow(phone)
    shots.append(screenshots.take(phone, "worker-login-phone"))
    sign_in(phone, live_server, WORKER)
    phone.get_by_role("link", name=ZH["nav.worklist"]).first.click()
    expect(phone).to_have_url(live_server("/worklist"))
    expect(phone.get_by_role("heading", level=1)).to_have_text(ZH["worklist.title"])

    to_visit = phone.locator("ol.doors").first.locator("li.door")
    expect(to_visit).to_have_count(len(WALKING_ORDER))
    assert [d.get_attribute("data-unit") for d in to_visit.all()] == WALKING_ORDER
    expect(to_visit.first).to_have_class(re.compile(r"\bis-urgent\b"))
    expect(phone.locator("li.door.is-urgent")).to_have_count(1)
    expect(phone.locator("section.visited-today")).to_have_count(0)
    expect(phone.locator(".worklist-meta")).to_contain_text(
        ZH["worklist.to_visit"].format(count=len(WALKING_ORDER))
    )
    # Only what a visit needs: no probability on a card.
    expect(phone.locator("ol.doors")).not_to_contain_text(ZH["flagpage.probability"])
    _no_horizontal_overflow(phone)
    shots.append(screenshots.take(phone, "worklist-phone"))

    door = phone.locator(f"li.door[data-flag-id='{flag_id}']")
    door.locator(f"input[name=outcome][value={OUTCOME}]").check()
    door.locator("textarea[name=note]").fill(NOTE)
    with phone.expect_navigation():
        door.get_by_role("button", name=ZH["form.visit.submit"]).click()
    expect(phone.locator(".alert")).to_have_count(0)
    expect(phone.locator(".saved")).to_have_text(
        ZH["worklist.saved"].format(unit=METERED_UNIT, outcome=ZH[f"outcome.{OUTCOME}"])
    )
    done = phone.locator(f"section.visited-today li.door.is-done[data-flag-id='{flag_id}']")
    expect(done).to_have_count(1)
    expect(done.locator(f".outcome-{OUTCOME}")).to_have_text(ZH[f"outcome.{OUTCOME}"])
    left = phone.locator("ol.doors").first.locator("li.door:not(.is-done)")
    expect(left).to_have_count(len(WALKING_ORDER) - 1)
    assert [d.get_attribute("data-unit") for d in left.all()] == WALKING_ORDER[1:]
    _no_horizontal_overflow(phone)
    shots.append(screenshots.take(phone, "worklist-after-visit-phone"))

    # --- 3. The secretary sees the visit ---------------------------------------------------
    desk.goto(flag_url)
    expect(review_state).to_have_text(ZH["state.visited"])
    review = desk.locator("dl.review")
    expect(review.locator(f"dd.outcome-{OUTCOME}")).to_have_text(ZH[f"outcome.{OUTCOME}"])
    expect(review).to_contain_text(NOTE)
    visited_by = review.locator("div").filter(
        has=desk.locator("dt", has_text=ZH["flagpage.visited_by"])
    )
    expect(visited_by.locator("dd")).to_contain_text(WORKER_NAME)
    visit = desk.locator("ol.history li").filter(has=desk.locator("strong.event-visited"))
    expect(visit).to_have_count(1)
    expect(visit.locator(".who")).to_have_text(WORKER)
    expect(visit).to_contain_text(ZH[f"outcome.{OUTCOME}"])
    expect(visit).to_contain_text(ZH["state.visited"])
    expect(visit.locator(".note")).to_have_text(NOTE)
    expect(desk.locator("#close-form")).to_be_visible()  # the next step is hers
    shots.append(screenshots.take(desk, "flag-visited"))
    history = desk.locator("section").filter(has=desk.locator("h2#history"))
    history.scroll_into_view_if_needed()
    shots.append(screenshots.take_element(history, "flag-history"))

    desk.goto(live_server("/worklists"))
    row = desk.locator(f"tr[data-worker='{WORKER}']")
    expect(row.locator(".open-count")).to_have_text(str(len(WALKING_ORDER) - 1))
    expect(row.locator(f"td[data-label='{ZH['worklist.visited']}']")).to_have_text("1")
    shots.append(screenshots.take(desk, "worklists"))

    desk.goto(live_server(f"/communities/{SUNNY}/dashboard"))
    after = _building_counts(desk, "3")
    visited = ZH["dashboard.visited"]
    assert int(after[visited]) == int(before[visited]) + 1, (before, after)
    shots.append(screenshots.take(desk, "dashboard-after"))

    for shot in shots:
        assert shot.is_file() and shot.stat().st_size > 1000, f"empty screenshot {shot}"
    assert len({s.name for s in shots}) == len(shots) == screenshots.count
