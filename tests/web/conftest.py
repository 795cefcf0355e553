"""The web app in headless Debian chromium (Playwright; never a downloaded browser), served by a
gateway that proxies /auth/v1 to a real auth service, with the session's real executor behind it."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import redis
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, async_playwright

from services.auth.app import create_app as create_auth_app
from services.gateway.app import create_app as create_gateway_app
from tests.auth.fakes import FakeProviders, FakeTwilio
from tests.auth_support import AuthService, auth_settings
from tests.conftest import ROOT, free_port, gateway_settings, serve

# Debian's package; Ubuntu has chromium only as a snap (deploy/scripts/ensure-chromium.sh).
CHROMIUM = next(
    (path for path in ("/usr/bin/chromium", "/snap/bin/chromium") if Path(path).exists()), "/usr/bin/chromium"
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WEB_DIST = ROOT / "web" / "dist"
SCREENSHOTS = ROOT / "docs" / "screenshots"
# The web build the committed screenshots show; they are retaken into docs/ only when it changes.
SCREENSHOTS_BUILD = SCREENSHOTS / "web-build.sha256"
SCREENSHOT_NAMES = frozenset(
    {
        "editor",
        "editor-dark",
        "editor-phone",
        "terminal",
        "account",
        "snippets",
        "history",
        "analytics",
        "collab-session",
        "collab-session-phone",
        "collab-voice",
        "diagnostics",
    }
)


@pytest.fixture(scope="session", autouse=True)
def web_build() -> Path:
    """The build the gateway serves: `make web` (cheap when up to date)."""
    subprocess.run(["make", "-s", "web"], cwd=ROOT, check=True)
    assert (WEB_DIST / "index.html").is_file()
    return WEB_DIST


@pytest.fixture(scope="module")
def site_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


@pytest_asyncio.fixture(scope="module")
async def auth(
    twilio: FakeTwilio, providers: FakeProviders, database: str, redis_client: redis.Redis, site_url: str
) -> AsyncIterator[AuthService]:
    """The auth service as browsers reach it: through the site's origin (OAuth callbacks too)."""
    port = free_port()
    settings = auth_settings(twilio, providers, port, public_url=site_url, allowed_redirect_origins=[site_url])
    app = create_auth_app(settings)
    async with serve(app, port=port) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield AuthService(app, url, client)


@pytest_asyncio.fixture(scope="module")
async def site(
    auth: AuthService, executor: subprocess.Popen[bytes], web_build: Path, site_url: str
) -> AsyncIterator[str]:
    """The gateway serving the web app at / and proxying /auth/v1 to the auth service."""
    port = int(site_url.rsplit(":", 1)[1])
    url = site_url
    settings = gateway_settings(
        auth_jwks_url=f"{auth.url}/auth/v1/.well-known/jwks.json",
        web_dist_dir=str(web_build),
        auth_proxy_url=auth.url,
        allowed_origins=[url],
        # The browser runs many programs anonymously in a minute; limits have their own tests.
        rate_limits_enabled=False,
    )
    async with serve(create_gateway_app(settings), port=port):
        yield url


@pytest_asyncio.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        await browser.close()


@dataclass
class Tab:
    """A page plus everything its console and scripts reported as errors."""

    page: Page
    context: BrowserContext
    errors: list[str] = field(default_factory=list)

    def assert_no_console_errors(self) -> None:
        assert self.errors == [], self.errors


OpenTab = Callable[..., Awaitable[Tab]]


@pytest_asyncio.fixture
async def open_tab(browser: Browser, site: str) -> AsyncIterator[OpenTab]:
    """A fresh browser context (its own cookies and storage) per call; console errors fail the test."""
    tabs: list[Tab] = []

    async def open_(path: str = "/", width: int = 1280, height: int = 900) -> Tab:
        context = await browser.new_context(base_url=site, viewport={"width": width, "height": height})
        page = await context.new_page()
        tab = Tab(page, context)

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                tab.errors.append(f"{message.text} @ {message.location}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: tab.errors.append(f"page error: {error}"))
        await page.goto(path)
        tabs.append(tab)
        return tab

    yield open_
    for tab in tabs:
        await tab.context.close()
    for tab in tabs:
        tab.assert_no_console_errors()


def web_build_digest(dist: Path) -> str:
    """What the browser is served (source maps aside): Vite's output is the same for the same sources."""
    digest = hashlib.sha256()
    for path in sorted(p for p in dist.rglob("*") if p.is_file() and p.suffix != ".map"):
        digest.update(path.relative_to(dist).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@dataclass
class Screenshots:
    """The main screens, as the tests reach them. They show run times, dates and generated data, so
    retaking them on every run would rewrite every PNG in docs/ each time; they go to docs/ only when
    the web build differs from the one recorded beside them, and to build/screenshots otherwise."""

    directory: Path
    taken: set[str] = field(default_factory=set)

    async def take(self, page: Page, name: str) -> None:
        assert name in SCREENSHOT_NAMES, name
        self.directory.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(self.directory / f"{name}.png"), full_page=True)
        self.taken.add(name)


@pytest.fixture(scope="session")
def shots(web_build: Path) -> Iterator[Screenshots]:
    build = web_build_digest(web_build)
    recorded = SCREENSHOTS_BUILD.read_text().strip() if SCREENSHOTS_BUILD.is_file() else ""
    complete = all((SCREENSHOTS / f"{name}.png").is_file() for name in SCREENSHOT_NAMES)
    refresh = build != recorded or not complete
    screenshots = Screenshots(SCREENSHOTS if refresh else ROOT / "build" / "screenshots")
    yield screenshots
    # Recorded only once every screen shows this build; a partial run leaves the rest to the next.
    if refresh and screenshots.taken == SCREENSHOT_NAMES:
        SCREENSHOTS_BUILD.write_text(build + "\n")


async def sign_in(page: Page, twilio: FakeTwilio, phone: str) -> None:
    """The phone-code sign-in as a person does it; the code comes from the local Twilio Verify."""
    await page.goto("/#/account")
    await page.get_by_label("Phone number").fill(phone)
    await page.get_by_role("button", name="Send code").click()
    sent = page.get_by_text("We sent a code to")
    await sent.wait_for()
    e164 = (await sent.inner_text()).removeprefix("We sent a code to ").rstrip(".")
    await page.get_by_label("Code").fill(twilio.codes[e164])
    await page.get_by_role("button", name="Verify and sign in").click()
    await page.get_by_test_id("whoami").wait_for()
