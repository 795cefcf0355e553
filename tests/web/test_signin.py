"""Signing in from the Account page (issue 20, items 3 and 4), in chromium through the gateway:
only the sign-in methods the auth service has configured are offered; an OAuth failure a person
reaches is a page with a way back, not JSON; phone numbers are written as people write them (a
country picker, formatted as typed), the code field takes the focus once the code is sent and
takes a pasted code whole; a number that cannot be used is said once."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest_asyncio
import redis
from playwright.async_api import Browser, BrowserContext, Page, expect

from services.auth.app import create_app as create_auth_app
from services.gateway.app import create_app as create_gateway_app
from tests.auth.fakes import FakeProviders, FakeTwilio
from tests.auth_support import AuthService, auth_settings, forget_otp
from tests.conftest import free_port, gateway_settings, serve
from tests.web.conftest import OpenTab

# The number of issue 20's report, as it was typed there.
NATIONAL = "(415) 555-0163"
E164 = "+14155550163"
SIGN_IN_LINK = re.compile("^Sign in with ")


@pytest_asyncio.fixture(scope="module")
async def bare_site(
    twilio: FakeTwilio, providers: FakeProviders, database: str, redis_client: redis.Redis, web_build: object
) -> AsyncIterator[str]:
    """A second site whose auth service has no OAuth credentials, and GB as its default phone region."""
    site_port, auth_port = free_port(), free_port()
    site_url = f"http://127.0.0.1:{site_port}"
    settings = auth_settings(
        twilio,
        providers,
        auth_port,
        public_url=site_url,
        allowed_redirect_origins=[site_url],
        google_client_id=None,
        google_client_secret=None,
        github_client_id=None,
        github_client_secret=None,
        default_phone_region="GB",
    )
    async with serve(create_auth_app(settings), port=auth_port) as auth_url:
        gateway = gateway_settings(
            auth_jwks_url=f"{auth_url}/auth/v1/.well-known/jwks.json",
            web_dist_dir=str(web_build),
            auth_proxy_url=auth_url,
            allowed_origins=[site_url],
            rate_limits_enabled=False,
        )
        async with serve(create_gateway_app(gateway), port=site_port):
            yield site_url


@pytest_asyncio.fixture
async def bare_context(browser: Browser, bare_site: str) -> AsyncIterator[BrowserContext]:
    # A language without a region: the country picker falls back to the service's default.
    context = await browser.new_context(base_url=bare_site, locale="en")
    yield context
    await context.close()


async def test_only_configured_providers_have_buttons(bare_context: BrowserContext, open_tab: OpenTab) -> None:
    """Fails on the original main, which always showed both buttons: without OAuth credentials
    there is no Google or GitHub button (the phone form stays, its country from the service's
    default region); with them (the fake providers) both buttons lead to their login routes."""
    page = await bare_context.new_page()
    await page.goto("/#/account")
    await expect(page.get_by_label("Phone number")).to_be_visible()
    await expect(page.get_by_label("Country")).to_have_value("GB")
    await expect(page.get_by_role("link", name=SIGN_IN_LINK)).to_have_count(0)

    configured = (await open_tab("/#/account")).page
    await expect(configured.get_by_role("link", name=SIGN_IN_LINK)).to_have_count(2)
    for name in ("Google", "GitHub"):
        link = configured.get_by_role("link", name=f"Sign in with {name}")
        assert await link.get_attribute("href") == f"/auth/v1/oauth/{name.lower()}/login?redirect_to=%2F"


async def test_an_unconfigured_provider_is_a_page_with_a_way_back(bare_context: BrowserContext) -> None:
    """Fails on the original main, which answered the browser with raw problem+json: a browser
    sent to a provider that is not configured gets a page (still 404) that says so in a sentence
    and links back to the sign-in page."""
    page = await bare_context.new_page()
    response = await page.goto("/auth/v1/oauth/github/login?redirect_to=%2F")
    assert response is not None
    assert response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    await expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    await expect(page.get_by_text("Signing in with GitHub is not available on this site.")).to_be_visible()
    await page.get_by_role("link", name="Back to sign in").click()
    await expect(page).to_have_url(re.compile(r"/account$"))
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


async def choose_country(page: Page, code: str) -> None:
    await page.get_by_label("Country").select_option(code)


async def test_national_number_with_a_country_signs_in(open_tab: OpenTab, twilio: FakeTwilio, auth: AuthService) -> None:
    """Fails on the original main, which had no country picker and refused '(415) 555-0163' with
    'Missing or invalid default region': with United States picked, the digits typed one by one
    show as (415) 555-0163, the code is sent to +14155550163, the code field then has the focus,
    and the code pasted with a space in it ("123 456") signs in."""
    forget_otp(auth, E164)
    tab = await open_tab("/#/account")
    page = tab.page
    await choose_country(page, "US")
    await expect(page.get_by_label("Country")).to_contain_text("United States (+1)")
    phone = page.get_by_label("Phone number")
    await phone.press_sequentially("4155550163")
    await expect(phone).to_have_value(NATIONAL)
    await page.get_by_role("button", name="Send code").click()
    await expect(page.get_by_text(f"We sent a code to {E164}.")).to_be_visible()

    code_field = page.get_by_label("Code")
    await expect(code_field).to_be_focused()
    code = twilio.codes[E164]
    await tab.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await page.evaluate("text => navigator.clipboard.writeText(text)", f"{code[:3]} {code[3:]}")
    await page.keyboard.press("ControlOrMeta+V")
    await expect(code_field).to_have_value(code)
    await page.get_by_role("button", name="Verify and sign in").click()
    await expect(page.get_by_test_id("whoami")).to_have_text(E164)


async def test_the_number_written_as_typed_with_its_country_code(open_tab: OpenTab) -> None:
    """A number typed with its +country code is formatted internationally and moves the picker to
    its country (on the original main there was neither formatting nor picker)."""
    page = (await open_tab("/#/account")).page
    await choose_country(page, "US")
    phone = page.get_by_label("Phone number")
    await phone.press_sequentially("+442079460018")
    await expect(phone).to_have_value("+44 20 7946 0018")
    await expect(page.get_by_label("Country")).to_have_value("GB")


async def test_an_invalid_number_is_said_once(open_tab: OpenTab) -> None:
    """Fails on the original main, which showed a validation error twice (the problem's detail
    and then its field error): a number too short for the country picked is one error, once."""
    tab = await open_tab("/#/account")
    page = tab.page
    await choose_country(page, "US")
    await page.get_by_label("Phone number").fill("555-01")
    await page.get_by_role("button", name="Send code").click()
    alert = page.get_by_role("alert")
    await expect(alert).to_have_count(1)
    await expect(alert).to_contain_text("not a valid phone number in US")
    text = await alert.inner_text()
    assert text.count("not a valid phone number") == 1, text
    # Still on the number: nothing was sent.
    await expect(page.get_by_label("Phone number")).to_be_visible()
    # That 422 is the test's doing, not an app error.
    tab.errors[:] = [error for error in tab.errors if "status of 422" not in error]
