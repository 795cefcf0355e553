"""Complete authorization-code flows through authlib against local Google-style (OIDC) and
GitHub-style providers: redirect, callback, code exchange with PKCE, ID token or user API."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.auth.fakes import FakeProviders
from tests.auth_support import AuthService


@pytest.fixture
async def browser(auth: AuthService) -> AsyncIterator[httpx.AsyncClient]:
    """A cookie-keeping client that follows nothing by itself: each hop is checked."""
    async with httpx.AsyncClient(base_url=auth.url, timeout=30) as client:
        yield client


async def to_provider(browser: httpx.AsyncClient, provider: str, redirect_to: str = "/app") -> str:
    login = await browser.get(f"/auth/v1/oauth/{provider}/login", params={"redirect_to": redirect_to})
    assert login.status_code == 302, login.text
    return login.headers["location"]


async def flow(browser: httpx.AsyncClient, provider: str, redirect_to: str = "/app") -> httpx.Response:
    """Login → provider's authorize → callback; returns the callback's answer."""
    authorize = await browser.get(await to_provider(browser, provider, redirect_to))
    assert authorize.status_code == 302, authorize.text
    return await browser.get(authorize.headers["location"])


def cookie_attributes(response: httpx.Response) -> dict[str, dict[str, str | bool]]:
    found: dict[str, dict[str, str | bool]] = {}
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            found[name] = {key: morsel[key] for key in ("httponly", "samesite", "secure", "path")}
    return found


def google_user(email: str, verified: bool = True) -> dict[str, object]:
    return {"sub": uuid.uuid4().hex, "email": email, "email_verified": verified, "name": "Ada Lovelace"}


async def test_google_sign_in(browser: httpx.AsyncClient, providers: FakeProviders) -> None:
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    providers.google_user = google_user(email)
    authorize_url = await to_provider(browser, "google")
    query = parse_qs(urlsplit(authorize_url).query)
    assert authorize_url.startswith(f"{providers.base_url}/google/authorize")
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"][0]
    assert query["nonce"][0]
    assert query["scope"] == ["openid email profile"]

    authorize = await browser.get(authorize_url)
    done = await browser.get(authorize.headers["location"])
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/app"
    cookies = cookie_attributes(done)
    assert cookies["crh_access"]["httponly"] is True
    assert cookies["crh_access"]["samesite"] == "lax"
    assert cookies["crh_refresh"]["httponly"] is True
    assert cookies["crh_refresh"]["samesite"] == "strict"
    assert cookies["crh_csrf"]["httponly"] == ""  # the page reads it to echo it
    assert not cookies["crh_access"]["secure"], "plain http in tests; Secure under TLS (see test_sessions)"
    me = (await browser.get("/auth/v1/me")).json()
    assert me["email"] == email
    assert me["display_name"] == "Ada Lovelace"
    assert providers.refused == []

    # Signing in again with the same Google account is the same user.
    browser.cookies.clear()
    again = await flow(browser, "google")
    assert again.status_code == 303
    assert (await browser.get("/auth/v1/me")).json()["id"] == me["id"]


async def test_github_links_to_the_account_with_the_same_verified_email(
    browser: httpx.AsyncClient, providers: FakeProviders
) -> None:
    email = f"grace-{uuid.uuid4().hex[:8]}@example.com"
    providers.google_user = google_user(email)
    assert (await flow(browser, "google")).status_code == 303
    google_account = (await browser.get("/auth/v1/me")).json()["id"]

    browser.cookies.clear()
    providers.github_user = {"id": uuid.uuid4().int % 10**9, "login": "grace", "name": None}
    providers.github_emails = [
        {"email": f"other-{email}", "primary": False, "verified": True},
        {"email": email, "primary": True, "verified": True},
    ]
    done = await flow(browser, "github")
    assert done.status_code == 303, done.text
    me = (await browser.get("/auth/v1/me")).json()
    assert me["id"] == google_account
    assert providers.refused == []


async def test_an_unverified_email_does_not_link(browser: httpx.AsyncClient, providers: FakeProviders) -> None:
    email = f"victim-{uuid.uuid4().hex[:8]}@example.com"
    providers.google_user = google_user(email)
    await flow(browser, "google")
    victim = (await browser.get("/auth/v1/me")).json()["id"]

    # Someone adds the victim's address to a GitHub account without verifying it.
    browser.cookies.clear()
    providers.github_user = {"id": uuid.uuid4().int % 10**9, "login": "mallory"}
    providers.github_emails = [{"email": email, "primary": True, "verified": False}]
    await flow(browser, "github")
    mallory = (await browser.get("/auth/v1/me")).json()
    assert mallory["id"] != victim
    assert mallory["email"] is None
    # Same for an unverified Google address.
    browser.cookies.clear()
    providers.google_user = google_user(email, verified=False)
    await flow(browser, "google")
    assert (await browser.get("/auth/v1/me")).json()["id"] not in (victim, mallory["id"])


async def test_a_tampered_state_is_refused(browser: httpx.AsyncClient, providers: FakeProviders) -> None:
    providers.google_user = google_user("state@example.com")
    authorize = await browser.get(await to_provider(browser, "google"))
    callback = urlsplit(authorize.headers["location"])
    params = parse_qs(callback.query)
    forged = f"{callback.path}?{urlencode({'code': params['code'][0], 'state': 'attacker-state'})}"
    response = await browser.get(forged)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert "crh_access" not in response.cookies


async def test_a_callback_without_the_login_session_is_refused(
    auth: AuthService, browser: httpx.AsyncClient, providers: FakeProviders
) -> None:
    providers.google_user = google_user("csrf-login@example.com")
    authorize = await browser.get(await to_provider(browser, "google"))
    # Login CSRF: the victim's browser never started this sign-in.
    async with httpx.AsyncClient(base_url=auth.url) as victim:
        response = await victim.get(authorize.headers["location"])
    assert response.status_code == 400


async def test_a_forged_id_token_is_refused(browser: httpx.AsyncClient, providers: FakeProviders) -> None:
    providers.google_user = google_user("forged@example.com")
    providers.forge_id_tokens = True
    try:
        response = await flow(browser, "google")
    finally:
        providers.forge_id_tokens = False
    assert response.status_code == 400
    assert (await browser.get("/auth/v1/me")).status_code == 401


async def test_open_redirects_and_unknown_providers(browser: httpx.AsyncClient) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = await browser.get("/auth/v1/oauth/google/login", params={"redirect_to": target})
        assert response.status_code == 400, target
    allowed = await browser.get("/auth/v1/oauth/github/login", params={"redirect_to": "http://127.0.0.1:8000/snippets"})
    assert allowed.status_code == 302
    assert (await browser.get("/auth/v1/oauth/myspace/login")).status_code == 404
