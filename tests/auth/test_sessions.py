"""Browser sessions (HttpOnly cookies with a double-submit CSRF token) and anonymous use."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from services.gateway.app import create_app as create_gateway_app
from tests.auth.fakes import FakeTwilio
from tests.auth.test_oauth import cookie_attributes
from tests.auth_support import AuthService, bearer, fresh_phone, phone_sign_in
from tests.conftest import anonymous_gateway_settings, gateway_settings, serve

UNRUNNABLE = {"language": "no-such-language", "source": "print(1)"}


async def cookie_sign_in(
    auth: AuthService, twilio: FakeTwilio, client: httpx.AsyncClient, **headers: str
) -> httpx.Response:
    phone = fresh_phone("415")
    assert (await client.post(f"{auth.url}/auth/v1/phone/start", json={"phone": phone})).status_code == 202
    response = await client.post(
        f"{auth.url}/auth/v1/phone/verify",
        json={"phone": phone, "code": twilio.codes[phone], "session": "cookie"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


async def test_cookie_sessions_keep_tokens_out_of_scripts(
    auth: AuthService, twilio: FakeTwilio, browser: httpx.AsyncClient
) -> None:
    response = await cookie_sign_in(auth, twilio, browser)
    assert response.json()["access_token"] is None
    assert response.json()["refresh_token"] is None
    cookies = cookie_attributes(response)
    assert cookies["crh_access"]["httponly"] is True
    assert cookies["crh_refresh"]["httponly"] is True
    assert cookies["crh_refresh"]["path"] == "/auth/v1"
    assert (await browser.get(f"{auth.url}/auth/v1/me")).status_code == 200

    behind_tls = await cookie_sign_in(auth, twilio, browser, **{"X-Forwarded-Proto": "https"})
    assert all(attributes["secure"] is True for attributes in cookie_attributes(behind_tls).values())


async def test_cookie_changes_need_the_csrf_header(
    auth: AuthService, twilio: FakeTwilio, browser: httpx.AsyncClient
) -> None:
    await cookie_sign_in(auth, twilio, browser)
    csrf = browser.cookies["crh_csrf"]
    refresh_url = f"{auth.url}/auth/v1/token/refresh"
    assert (await browser.post(refresh_url, json={})).status_code == 403
    assert (await browser.post(refresh_url, json={}, headers={"X-CSRF-Token": "guess"})).status_code == 403
    old_refresh = browser.cookies["crh_refresh"]
    rotated = await browser.post(refresh_url, json={}, headers={"X-CSRF-Token": csrf})
    assert rotated.status_code == 200, rotated.text
    assert browser.cookies["crh_refresh"] != old_refresh

    logout_url = f"{auth.url}/auth/v1/logout"
    assert (await browser.post(logout_url)).status_code == 403
    new_refresh = browser.cookies["crh_refresh"]
    out = await browser.post(logout_url, headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204
    assert "crh_access" not in browser.cookies
    # The refresh cookie went with the logout request and its family is revoked.
    reuse = await auth.client.post("/auth/v1/token/refresh", json={"refresh_token": new_refresh})
    assert reuse.status_code == 401


async def test_the_gateway_checks_csrf_and_origin_for_cookie_callers(
    auth: AuthService, twilio: FakeTwilio, gateway: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(timeout=30) as browser:
        await cookie_sign_in(auth, twilio, browser)
        cookies = {name: browser.cookies[name] for name in ("crh_access", "crh_csrf")}
    url = str(gateway.base_url.copy_with(path="/v1/executions"))
    async with httpx.AsyncClient(cookies=cookies, timeout=30) as page:
        assert (await page.post(url, json=UNRUNNABLE)).status_code == 403
        passed = await page.post(url, json=UNRUNNABLE, headers={"X-CSRF-Token": cookies["crh_csrf"]})
        assert passed.status_code == 422, "authenticated; only the language is wrong"
        assert (await page.get(f"{url}/{uuid.uuid4()}")).status_code == 404, "reads need no CSRF header"

    ws = str(gateway.base_url.copy_with(scheme="ws", path=f"/v1/executions/{uuid.uuid4()}/stream"))
    cookie_header = {"Cookie": f"crh_access={cookies['crh_access']}"}
    for origin, expected in (("https://evil.example", 4403), ("http://127.0.0.1:8000", 4404)):
        async with connect(ws, additional_headers=cookie_header, origin=origin) as socket:  # type: ignore[arg-type]
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(socket.recv(), 30)
        assert socket.close_code == expected, origin


@pytest.fixture
async def default_policy_gateway(auth: AuthService) -> AsyncIterator[httpx.AsyncClient]:
    """The shipped anonymous policies (the shared test gateway relaxes them)."""
    settings = anonymous_gateway_settings(auth_jwks_url=f"{auth.url}/auth/v1/.well-known/jwks.json")
    async with serve(create_gateway_app(settings)) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield client


def limit_errors(response: httpx.Response, field: str = "limits") -> list[Any]:
    assert response.status_code == 422, response.text
    return [e for e in response.json()["errors"] if e["loc"][:2] == ["body", field]]


async def test_anonymous_callers_get_stricter_limits(
    auth: AuthService, twilio: FakeTwilio, default_policy_gateway: httpx.AsyncClient
) -> None:
    generous = {**UNRUNNABLE, "language": "python", "args": ["x"] * 10_000, "limits": {"memory_mb": 1024}}
    anonymous = await default_policy_gateway.post("/v1/executions", json=generous)
    assert [e["loc"] for e in limit_errors(anonymous)] == [["body", "limits", "memory_mb"]]
    user = await phone_sign_in(auth, twilio, fresh_phone("415"))
    signed_in = await default_policy_gateway.post("/v1/executions", json=generous, headers=bearer(user["access_token"]))
    assert limit_errors(signed_in) == []

    # Compiling runs code too (Template Haskell, constexpr): compile limits follow the caller as well.
    compiled = {
        "language": "c",
        "source": "int main(void) { return 0; }",
        "args": ["x"] * 10_000,
        "compile_limits": {"memory_mb": 1024, "cpu_time_ms": 20_000},
    }
    anonymous = await default_policy_gateway.post("/v1/executions", json=compiled)
    assert sorted(e["loc"][-1] for e in limit_errors(anonymous, "compile_limits")) == ["cpu_time_ms", "memory_mb"]
    signed_in = await default_policy_gateway.post("/v1/executions", json=compiled, headers=bearer(user["access_token"]))
    assert limit_errors(signed_in, "compile_limits") == []


async def test_anonymous_use_can_be_switched_off(auth: AuthService, twilio: FakeTwilio) -> None:
    settings = gateway_settings(auth_jwks_url=f"{auth.url}/auth/v1/.well-known/jwks.json", anonymous_enabled=False)
    async with serve(create_gateway_app(settings)) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        refused = await client.post("/v1/executions", json={"language": "python", "source": "print(1)"})
        assert refused.status_code == 401
        assert json.loads(refused.text)["type"].endswith("unauthorized")
        user = await phone_sign_in(auth, twilio, fresh_phone("415"))
        allowed = await client.post("/v1/executions", json=UNRUNNABLE, headers=bearer(user["access_token"]))
        assert allowed.status_code == 422
