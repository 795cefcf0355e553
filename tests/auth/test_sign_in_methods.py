"""What a sign-in page needs from the auth service (issue 20): the methods it offers
(GET /auth/v1/providers), phone numbers in national format (a request's region, or the service's
default region), and OAuth errors as a page for a browser navigation but problem+json for programs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis
from pydantic import ValidationError
from starlette.requests import Request

from services.auth.app import create_app
from services.auth.oauth.pages import prefers_html
from shared.settings import AuthSettings
from tests.auth.fakes import FakeProviders, FakeTwilio
from tests.auth_support import AuthService, auth_settings, fresh_phone
from tests.conftest import free_port, serve

# What chromium sends when a person navigates (a link, the address bar, a redirect).
BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
    "application/signed-exchange;v=b3;q=0.7"
)
PROBLEM = "application/problem+json"


@pytest_asyncio.fixture(scope="module")
async def bare(
    twilio: FakeTwilio, providers: FakeProviders, database: str, redis_client: redis.Redis
) -> AsyncIterator[httpx.AsyncClient]:
    """An auth service with no OAuth provider configured, and US as its default phone region."""
    port = free_port()
    settings = auth_settings(
        twilio,
        providers,
        port,
        google_client_id=None,
        google_client_secret=None,
        github_client_id=None,
        github_client_secret=None,
        default_phone_region="US",
    )
    async with serve(create_app(settings), port=port) as url, httpx.AsyncClient(base_url=url) as client:
        yield client


def national(e164: str) -> str:
    """A +1 number as people in the US write it: (628) 555-0123."""
    digits = e164.removeprefix("+1")
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


# --- GET /auth/v1/providers


async def test_providers_lists_the_configured_methods(auth: AuthService) -> None:
    """Google and GitHub configured (the fakes), Twilio configured, no default region."""
    response = await auth.client.get("/auth/v1/providers")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "phone": True,
        "default_phone_region": None,
        "oauth": [
            {"id": "google", "name": "Google", "login_url": "/auth/v1/oauth/google/login"},
            {"id": "github", "name": "GitHub", "login_url": "/auth/v1/oauth/github/login"},
        ],
    }


async def test_providers_without_oauth_credentials(bare: httpx.AsyncClient) -> None:
    response = await bare.get("/auth/v1/providers")
    assert response.status_code == 200, response.text
    assert response.json() == {"phone": True, "default_phone_region": "US", "oauth": []}


async def test_providers_without_phone_sign_in(auth: AuthService) -> None:
    """Production without Twilio has no phone service (test_phone checks that; such an app cannot
    share the test database's signing keys), and the list says so."""
    phone = auth.state.phone
    auth.state.phone = None
    try:
        body = (await auth.client.get("/auth/v1/providers")).json()
    finally:
        auth.state.phone = phone
    assert body["phone"] is False
    assert [provider["id"] for provider in body["oauth"]] == ["google", "github"]


# --- national numbers: the request's region, the service's default


async def test_a_national_number_needs_a_region(auth: AuthService) -> None:
    """No +country code, no region and no default: one clear 422 on the phone field."""
    response = await auth.client.post("/auth/v1/phone/start", json={"phone": "(415) 555-0163"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    errors = response.json()["errors"]
    assert [error["loc"] for error in errors] == [["body", "phone"]]
    assert "country code" in errors[0]["msg"]
    assert "default region" not in response.text  # phonenumbers' words, not the person's


async def test_the_region_parameter_reads_national_numbers(auth: AuthService, twilio: FakeTwilio) -> None:
    e164 = fresh_phone("415")
    started = await auth.client.post("/auth/v1/phone/start", json={"phone": national(e164), "region": "us"})
    assert started.status_code == 202, started.text
    assert started.json()["phone"] == e164
    assert twilio.sent[-1] == e164
    # The code is checked for the same number written the same way.
    verified = await auth.client.post(
        "/auth/v1/phone/verify", json={"phone": national(e164), "region": "US", "code": twilio.codes[e164]}
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["user"]["phone"] == e164

    # Another country's national format; a number with its +country code ignores the region.
    london = await auth.client.post("/auth/v1/phone/start", json={"phone": "020 7946 0018", "region": "GB"})
    assert london.json()["phone"] == "+442079460018"
    paris = await auth.client.post("/auth/v1/phone/start", json={"phone": "+33 6 12 34 56 79", "region": "US"})
    assert paris.json()["phone"] == "+33612345679"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "(415) 555-0163", "region": "ZZ"}, "region"),  # not a country
        ({"phone": "(415) 555-0163", "region": "USA"}, "region"),  # not alpha-2
        ({"phone": "555-01", "region": "US"}, "phone"),  # too short for the US
        ({"phone": "+999 555 0163", "region": "US"}, "phone"),  # no country has +999
    ],
)
async def test_bad_regions_and_numbers_are_one_422(auth: AuthService, body: dict[str, Any], field: str) -> None:
    response = await auth.client.post("/auth/v1/phone/start", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert [error["loc"] for error in response.json()["errors"]] == [["body", field]]


async def test_the_default_region_reads_national_numbers(bare: httpx.AsyncClient) -> None:
    e164 = fresh_phone("415")
    started = await bare.post("/auth/v1/phone/start", json={"phone": national(e164)})
    assert started.status_code == 202, started.text
    assert started.json()["phone"] == e164
    # A request's own region wins over the default.
    london = await bare.post("/auth/v1/phone/start", json={"phone": "020 7946 0019", "region": "GB"})
    assert london.json()["phone"] == "+442079460019"


def test_the_default_region_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert AuthSettings().default_phone_region == ""
    assert AuthSettings(default_phone_region=" gb ").default_phone_region == "GB"
    monkeypatch.setenv("CRH_AUTH_DEFAULT_PHONE_REGION", "us")
    assert AuthSettings().default_phone_region == "US"
    monkeypatch.setenv("CRH_AUTH_DEFAULT_PHONE_REGION", "")
    assert AuthSettings().default_phone_region == ""
    with pytest.raises(ValidationError, match="ISO 3166-1"):
        AuthSettings(default_phone_region="XX")


# --- OAuth errors: a page for a browser navigation, problem+json for programs


def accepting(accept: str | None) -> Request:
    headers = [] if accept is None else [(b"accept", accept.encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "query_string": b""})


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (BROWSER_ACCEPT, True),
        ("text/html", True),
        ("text/html, application/json;q=0.5", True),
        (None, False),
        ("*/*", False),
        ("application/json", False),
        ("application/problem+json, text/html;q=0.9", False),
        ("text/html, application/json", False),  # a tie: the API's own format
        ("text/*, application/json;q=0.1", False),  # text/html not named: a program's wildcard
        ("text/html;q=0", False),
        ("text/html;q=oops, */*", False),
    ],
)
def test_who_prefers_html(accept: str | None, html: bool) -> None:
    assert prefers_html(accepting(accept)) is html


async def page(client: httpx.AsyncClient, path: str, **params: str) -> httpx.Response:
    return await client.get(path, params=params, headers={"Accept": BROWSER_ACCEPT})


def assert_page(response: httpx.Response, status: int, sentence: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert sentence in response.text
    assert '<a href="/account">Back to sign in</a>' in response.text
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_an_unconfigured_provider_is_a_page_for_browsers(bare: httpx.AsyncClient) -> None:
    assert_page(
        await page(bare, "/auth/v1/oauth/github/login"), 404, "Signing in with GitHub is not available on this site."
    )
    assert_page(await page(bare, "/auth/v1/oauth/google/callback"), 404, "Signing in with Google is not available")
    # Markup in the path is text on the page, never markup.
    unknown = await page(bare, "/auth/v1/oauth/<b>x/login")
    assert_page(unknown, 404, "There is no sign-in with “&lt;b&gt;x” here.")
    assert "<b>" not in unknown.text

    # Programs keep the problem+json, whatever else they accept.
    for accept in (None, "*/*", "application/json", "application/problem+json, text/html;q=0.5"):
        headers = {"Accept": accept} if accept else {}
        response = await bare.get("/auth/v1/oauth/github/login", headers=headers)
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["detail"] == "Sign-in provider 'github' was not found"


async def test_failed_sign_ins_are_pages_for_browsers(auth: AuthService) -> None:
    async with httpx.AsyncClient(base_url=auth.url, timeout=30) as browser:
        # The person said no on the provider's consent screen.
        denied = await page(
            browser, "/auth/v1/oauth/github/callback", error="access_denied", error_description="The user said no"
        )
        assert_page(denied, 400, "You did not allow GitHub to sign you in")
        assert "The user said no" in denied.text

        # A callback that is not this browser's sign-in (its state is another's).
        login = await browser.get("/auth/v1/oauth/google/login", headers={"Accept": BROWSER_ACCEPT})
        assert login.status_code == 302
        forged = await page(browser, "/auth/v1/oauth/google/callback", code="stolen", state="not-the-state")
        assert_page(forged, 400, "started in another browser or tab")

        # A login link that would send the person elsewhere afterwards.
        away = await page(browser, "/auth/v1/oauth/github/login", redirect_to="https://evil.example/")
        assert_page(away, 400, "would take you to another site")

        # The same failures, asked by a program: problem+json as before.
        api = await browser.get("/auth/v1/oauth/github/callback", params={"error": "access_denied"})
        assert api.status_code == 400
        assert api.headers["content-type"] == PROBLEM
        assert api.json()["type"].endswith("/oauth-failed")
