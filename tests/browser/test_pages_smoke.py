"""The pages as a person sees them in Chromium: sign-in, communities, a community, a unit with
its chart, the switch to English, and the unit page on a phone.

Texts are looked up in the translation table, so a reworded string doesn't break the test but a
page that shows the wrong language, another community's data or no chart does.

The full scenario of issue 5 ("Done when") is test_review_scenario.py, in these steps:

1. The secretary of 阳光花园 signs in on a desktop window and opens the community dashboard
   (counts by kind and state, per building).
2. She opens the urgent flag (YG-3-2-502, registered but silent): evidence, history, lights and
   the 7-day hourly chart are shown; she assigns it to the grid worker of G1.
3. The grid worker signs in on a phone-sized window (390 x 844, touch) and opens his list: the
   assigned flags in walking order (building, entrance, floor, room; urgent first), only what a
   visit needs.
4. He opens the flag and records an outcome (e.g. occupant found and needs help, with a note).
5. The secretary reloads the flag: state "visited", the outcome, the note and who recorded it
   appear in its history; the dashboard counts have moved.

A screenshot of every page is saved at each step (see conftest.py for where).
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from occupancy.api.i18n import MESSAGES
from tests.api.seed import METERED_UNIT, RIVER, SUNNY, WINDOW_DAYS

from .conftest import SECRETARY, WORKER, LiveServer, Screenshots, sign_in

ZH = MESSAGES["zh-CN"]
EN = MESSAGES["en"]


def test_secretary_pages_and_language_switch(
    desktop_page: Page, live_server: LiveServer, screenshots: Screenshots
) -> None:
    page = desktop_page

    # Signed out, any page leads to the sign-in form, in Chinese by default.
    page.goto(live_server("/"))
    expect(page).to_have_url(f"{live_server.url}/login?next=%2F")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text(ZH["login.title"])
    screenshots.take(page, "login")

    sign_in(page, live_server, SECRETARY)

    # Communities: the secretary's own only.
    page.goto(live_server("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(ZH["communities.title"])
    expect(page.get_by_role("link", name=SUNNY, exact=True)).to_be_visible()
    expect(page.get_by_text(RIVER)).to_have_count(0)
    screenshots.take(page, "communities")

    # A community: its open flags, the urgent one among them.
    page.get_by_role("link", name=SUNNY, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SUNNY)
    expect(page.get_by_text(METERED_UNIT).first).to_be_visible()
    screenshots.take(page, "community")

    # A unit: register entry and the hourly chart, with bars for the measured hours.
    page.goto(live_server(f"/units/{METERED_UNIT}"))
    chart_title = ZH["chart.title"].format(days=WINDOW_DAYS)
    expect(page.get_by_role("heading", name=chart_title)).to_be_visible()
    expect(page.get_by_role("heading", name=ZH["unit.register"])).to_be_visible()
    chart = page.locator("svg.chart-svg")
    expect(chart).to_be_visible()
    assert chart.locator("rect.bar").count() > 24, "the chart has (almost) no bars"
    assert chart.bounding_box()["width"] > 600, "the chart is squeezed on a desktop"
    screenshots.take(page, "unit")

    # The language switch: the same page in English, remembered on the next page.
    page.get_by_role("link", name=ZH["lang.other"]).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(
        page.get_by_role("heading", name=EN["chart.title"].format(days=WINDOW_DAYS))
    ).to_be_visible()
    expect(page.locator("svg.chart-svg")).to_be_visible()
    screenshots.take(page, "unit-en")
    page.goto(live_server("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(EN["communities.title"])
    screenshots.take(page, "communities-en")


def test_unit_page_fits_a_phone(
    phone_page: Page, live_server: LiveServer, screenshots: Screenshots
) -> None:
    page = phone_page
    sign_in(page, live_server, WORKER)

    page.goto(live_server(f"/units/{METERED_UNIT}"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(METERED_UNIT)
    chart = page.locator("svg.chart-svg")
    expect(chart).to_be_visible()
    # Nothing wider than the screen: the chart scrolls inside its own box, not the page.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"
    screenshots.take(page, "unit-phone")
