"""The browser integration of docs/api.md in headless chromium: its example page, served from
another origin than the API's, mints a stream ticket with an API key, submits code with fetch and
shows the output streamed over the WebSocket. The same browser cannot ride a session cookie into
the API from that origin, over fetch or a WebSocket."""

from __future__ import annotations

import re
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio
from playwright.async_api import Browser, Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from services.gateway.app import create_app as create_gateway_app
from shared.auth.cookies import ACCESS_COOKIE
from tests.auth.fakes import FakeTwilio
from tests.auth_support import AuthService, bearer, fresh_phone
from tests.conftest import ROOT, free_port, gateway_settings, serve
from tests.product.conftest import sign_in

# The example is the page as documented: a change to the docs is a change to what this runs.
_EXAMPLE = re.compile(r"^## Browser integration$.*?^```html\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def example_page() -> str:
    found = _EXAMPLE.search((ROOT / "docs" / "api.md").read_text())
    assert found, "docs/api.md: no html example under ## Browser integration"
    return found.group(1)


@dataclass(frozen=True)
class CrossOrigin:
    api: str  # the gateway
    page: str  # the integrator's page, on an origin the gateway allows
    stranger: str  # the same page on an origin the gateway does not allow
    key: str  # an API key with executions:read and executions:write
    access_token: str  # the key owner's access token (what the session cookie holds)


@pytest_asyncio.fixture(scope="module")
async def cross_origin(
    auth: AuthService, twilio: FakeTwilio, executor: subprocess.Popen[bytes]
) -> AsyncIterator[CrossOrigin]:
    page_port, stranger_port, api_port = free_port(), free_port(), free_port()
    page_url, stranger_url = f"http://127.0.0.1:{page_port}", f"http://127.0.0.1:{stranger_port}"
    settings = gateway_settings(
        auth_jwks_url=f"{auth.url}/auth/v1/.well-known/jwks.json",
        cors_origins=[page_url],
        # Only the gateway's own pages may use the session cookie, not the integrator's.
        allowed_origins=[f"http://127.0.0.1:{api_port}"],
        rate_limits_enabled=False,
    )
    html = example_page()

    async def page(_: Request) -> HTMLResponse:
        return HTMLResponse(html)

    site = Starlette(routes=[Route("/", page)])
    account = await sign_in(auth, twilio, fresh_phone("628"))
    created = await auth.client.post(
        "/auth/v1/api-keys",
        headers=account.headers,
        json={"name": "integrator", "scopes": ["executions:read", "executions:write"]},
    )
    assert created.status_code == 201, created.text
    async with (
        serve(create_gateway_app(settings), port=api_port) as api,
        serve(site, port=page_port),
        serve(site, port=stranger_port),
    ):
        yield CrossOrigin(api, page_url, stranger_url, created.json()["key"], account.access_token)


@pytest_asyncio.fixture
async def tab(browser: Browser) -> AsyncIterator[Page]:
    """A fresh browser context's page; uncaught script errors fail the test."""
    context = await browser.new_context()
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    await context.close()
    assert errors == []


async def run_example(page: Page, url: str, setup: CrossOrigin, code: str) -> None:
    await page.goto(url)
    await page.get_by_label("API", exact=True).fill(setup.api)
    await page.get_by_label("API key").fill(setup.key)
    await page.get_by_label("Code").fill(code)
    await page.get_by_role("button", name="Run").click()


async def test_the_documented_page_runs_code_from_another_origin(tab: Page, cross_origin: CrossOrigin) -> None:
    assert cross_origin.page != cross_origin.api
    sockets: list[str] = []
    tab.on("websocket", lambda socket: sockets.append(socket.url))
    code = "import time\nfor i in range(3):\n    print('line', i, flush=True)\n    time.sleep(0.2)\n"
    await run_example(tab, cross_origin.page, cross_origin, code)
    await expect(tab.locator("#status")).to_have_text("finished: ok", timeout=60_000)
    await expect(tab.locator("#output")).to_have_text("line 0\nline 1\nline 2\n")
    # The stream was opened at the absolute link, with a ticket, never with the key.
    assert len(sockets) == 1
    assert re.fullmatch(r"ws://127\.0\.0\.1:\d+/v1/executions/[0-9a-f-]+/stream\?ticket=crht_\S+", sockets[0])
    assert sockets[0].startswith(cross_origin.api.replace("http://", "ws://"))
    assert cross_origin.key not in sockets[0]


async def test_an_origin_the_gateway_does_not_allow_cannot_call_it(tab: Page, cross_origin: CrossOrigin) -> None:
    await run_example(tab, cross_origin.stranger, cross_origin, "print('never')")
    # The browser refuses the answer without CORS headers: fetch fails before any output.
    await expect(tab.locator("#status")).to_have_text(re.compile(r"^error: "), timeout=30_000)
    await expect(tab.locator("#output")).to_have_text("")


async def test_session_cookies_do_not_work_from_the_integrators_origin(tab: Page, cross_origin: CrossOrigin) -> None:
    # The browser is signed in to the API's host (cookies are per host, not per port: the page's
    # requests to the API are same-site and would carry it, SameSite=Lax notwithstanding).
    await tab.context.add_cookies(
        [{"name": ACCESS_COOKIE, "value": cross_origin.access_token, "url": cross_origin.api, "httpOnly": True}]
    )
    async with httpx.AsyncClient(base_url=cross_origin.api, timeout=60) as client:
        submitted = await client.post(
            "/v1/executions?wait=true",
            json={"language": "python", "source": "print('mine')"},
            headers=bearer(cross_origin.key),
        )
        assert submitted.status_code == 200, submitted.text
        execution: dict[str, Any] = submitted.json()
        minted = await client.post(
            "/v1/stream-tickets", json={"execution_id": execution["id"]}, headers=bearer(cross_origin.key)
        )
        ticket = minted.json()["ticket"]
    await tab.goto(cross_origin.page)
    outcome = await tab.evaluate(
        """async ({api, stream, ticket}) => {
            const closed = (url) => new Promise((resolve) => {
                const socket = new WebSocket(url);
                let output = "";
                socket.onmessage = (m) => { const f = JSON.parse(m.data); if (f.type === "stdout") output += f.data; };
                socket.onclose = (event) => resolve({code: event.code, output});
            });
            let fetched;
            try {
                const response = await fetch(api + "/v1/executions", {credentials: "include"});
                fetched = "read " + response.status;
            } catch (error) {
                fetched = "refused";
            }
            return {fetched, cookie: await closed(stream), ticket: await closed(stream + "?ticket=" + ticket)};
        }""",
        {"api": cross_origin.api, "stream": execution["links"]["stream"], "ticket": ticket},
    )
    # A credentialed fetch gets an answer the page may not read (no Allow-Credentials).
    assert outcome["fetched"] == "refused"
    # The cookie rides along on the handshake, and the gateway refuses it from a foreign Origin.
    assert outcome["cookie"] == {"code": 4403, "output": ""}
    # The ticket, minted by the integrator's backend, works.
    assert outcome["ticket"] == {"code": 1000, "output": "mine\n"}
