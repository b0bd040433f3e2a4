"""Fixtures for browser tests: the real app served by uvicorn, driven by Debian's Chromium.

The app runs as in production (uvicorn, real SQLite database and embedded readings store,
real sign-in with cookies and CSRF), only on a free loopback port, over the seed data of
tests/api/seed.py, with the clock pinned to the seed's NOW so the chart shows the seeded week.
Playwright's Python package drives ``/usr/bin/chromium`` (``.ci/run`` installs it); Playwright's
own browser downloads are never used. Screenshots go to ``OCCUPANCY_SCREENSHOT_DIR`` or
``tests/browser/screenshots/`` (ignored by git); the path is printed at the end of the run.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from argon2 import PasswordHasher

from occupancy.api.deps import get_now
from occupancy.api.main import create_app
from occupancy.auth import passwords
from occupancy.config import Settings
from tests.accounts import PASSWORD, add_user
from tests.api.seed import NOW, SUNNY, TZ_NAME, WINDOW_DAYS, Seeded, seed

try:
    from playwright.sync_api import Browser, Locator, Page, Playwright, sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None

CHROMIUM = Path(os.environ.get("OCCUPANCY_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOT_DIR = Path(
    os.environ.get("OCCUPANCY_SCREENSHOT_DIR") or Path(__file__).parent / "screenshots"
)
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
#: An ordinary phone (390 x 844 CSS pixels, 2x screen): what a grid worker has in a stairwell.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

#: Accounts the browser tests sign in as (password ``tests.accounts.PASSWORD``).
ADMIN = "browser-admin"
SECRETARY = "browser-secretary"
WORKER = "browser-worker"

_saved: list[Path] = []


@dataclass(frozen=True)
class LiveServer:
    """The running app: its base URL, settings and what was seeded."""

    url: str
    settings: Settings
    seeded: Seeded
    accounts: dict[str, str] = field(default_factory=dict)

    def __call__(self, path: str) -> str:
        """Absolute URL of ``path`` on this server."""
        return self.url + path


def _seed_accounts(db_url: str) -> dict[str, str]:
    """Secretary of 阳光花园, a grid worker of its grid G1 and an admin; cheap argon2 like the
    root conftest's ``fast_argon2`` (which is function-scoped, so not active here)."""
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", cheap)
        add_user(db_url, ADMIN, "admin", display_name="管理员")
        add_user(db_url, SECRETARY, "secretary", community=SUNNY, display_name="王书记")
        add_user(db_url, WORKER, "grid_worker", community=SUNNY, grid="G1", display_name="李网格员")
    return {"admin": ADMIN, "secretary": SECRETARY, "grid_worker": WORKER}


class _ServerThread:
    """uvicorn in a daemon thread on an already bound socket (no race for the port)."""

    def __init__(self, settings: Settings) -> None:
        app = create_app(settings)
        app.dependency_overrides[get_now] = lambda: NOW
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def start(self, timeout: float = 20.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start; see the log above")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    var_dir = tmp_path_factory.mktemp("browser-var")
    settings = Settings(
        _env_file=None,
        var_dir=var_dir,
        db_url=f"sqlite:///{var_dir / 'occupancy.db'}",
        store_url=f"sqlite:///{var_dir / 'readings.sqlite'}",
        timezone=TZ_NAME,
        window_days=WINDOW_DAYS,
    )
    seeded = seed(settings)
    accounts = _seed_accounts(settings.resolved_db_url)
    server = _ServerThread(settings)
    server.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.port}", settings, seeded, accounts)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if sync_playwright is None:
        pytest.skip("the playwright package is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: apt-get install chromium (.ci/run does)")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Headless Debian Chromium; ``--no-sandbox`` because CI runs as root."""
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
    )
    try:
        yield browser
    finally:
        browser.close()


def _page(browser: Browser, options: dict[str, object]) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", timezone_id=TZ_NAME, **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def desktop_page(browser: Browser) -> Iterator[Page]:
    """A fresh browser profile (no cookies) with an office PC's window."""
    yield from _page(browser, DESKTOP)


@pytest.fixture
def phone_page(browser: Browser) -> Iterator[Page]:
    """A fresh browser profile (no cookies) on a phone-sized touch screen."""
    yield from _page(browser, PHONE)


class Screenshots:
    """Saves full-page screenshots as ``<dir>/<test>/<nn>-<name>.png`` in the order taken."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.count = 0

    def take(self, page: Page, name: str) -> Path:
        self.count += 1
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        _saved.append(path)
        return path

    def take_element(self, locator: Locator, name: str) -> Path:
        """One part of a page (a section, a table), numbered with the full-page shots."""
        self.count += 1
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{self.count:02d}-{name}.png"
        locator.screenshot(path=str(path))
        _saved.append(path)
        return path


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Screenshots:
    test = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    directory = SCREENSHOT_DIR / test
    for old in directory.glob("*.png"):
        old.unlink()
    return Screenshots(directory)


def sign_in(page: Page, server: LiveServer, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real form, as a person would; waits for the page after it."""
    page.goto(server("/login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form.auth-form button[type=submit]")
    assert "/login" not in page.url, f"sign-in as {username} failed: {page.url}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _saved:
        terminalreporter.write_line(f"browser screenshots ({len(_saved)}): {SCREENSHOT_DIR}")
