"""The SDK's ESM build in headless chromium, imported by a page on another origin than the API's (an
import map resolves openapi-fetch): it runs code with an API key over CORS and streams the output
over the WebSocket, which a browser opens with a stream ticket, never the key."""

from __future__ import annotations

import re
import subprocess
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from playwright.async_api import Browser, Page
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tests.auth_support import AuthService
from tests.conftest import serve
from tests.product.conftest import gateway
from tests.sdk_ts.conftest import SDK
from tests.web.conftest import browser

__all__ = ["browser"]

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>@coderunhub/client in a browser</title>
  <script type="importmap">
    {"imports": {"openapi-fetch": "/sdk/node_modules/openapi-fetch/dist/index.mjs"}}
  </script>
  <script type="module">
    import { CodeRunHub, ValidationError } from "/sdk/dist/index.js";

    window.runWithSdk = async (baseUrl, apiKey) => {
      const crh = new CodeRunHub({ baseUrl, apiKey });
      const execution = await crh.submit("python", "for i in range(3):\\n    print('browser', i, flush=True)");
      const frames = [];
      for await (const frame of crh.stream(execution)) frames.push(frame);
      const session = await crh.interactive("python", "print(input()[::-1])");
      session.send("olleh\\n");
      session.eof();
      let echoed = "";
      for await (const frame of session) if (frame.type === "stdout") echoed += frame.data;
      let invalid = null;
      try {
        await crh.run("python", "x", { limits: { memory_mb: 1 } });
      } catch (error) {
        invalid = { validation: error instanceof ValidationError, status: error.status };
      }
      return {
        stdout: frames.filter((f) => f.type === "stdout").map((f) => f.data).join(""),
        last: frames.at(-1).type,
        verdict: frames.at(-1).execution.verdict,
        echoed,
        interactive: (await session.result).verdict,
        invalid,
      };
    };
    document.title = "ready";
  </script>
</head>
<body></body>
</html>
"""


@pytest_asyncio.fixture
async def page_url() -> AsyncIterator[str]:
    """The integrator's page, and the SDK's files (dist and openapi-fetch) beside it."""

    async def index(_: Request) -> HTMLResponse:
        return HTMLResponse(PAGE)

    site = Starlette(routes=[Route("/", index), Mount("/sdk", StaticFiles(directory=SDK))])
    async with serve(site) as url:
        yield url


@pytest_asyncio.fixture
async def tab(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context()
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    await context.close()
    assert errors == []


async def test_the_esm_build_streams_output_in_a_browser_with_a_ticket(
    tab: Page, page_url: str, auth: AuthService, api_key: str, executor: subprocess.Popen[bytes]
) -> None:
    sockets: list[str] = []
    tab.on("websocket", lambda socket: sockets.append(socket.url))
    async with gateway(auth, cors_origins=[page_url]) as api:
        assert str(api.base_url).rstrip("/") != page_url
        await tab.goto(page_url)
        await tab.wait_for_function("document.title === 'ready'")
        seen: dict[str, Any] = await tab.evaluate(
            "([api, key]) => window.runWithSdk(api, key)", [str(api.base_url).rstrip("/"), api_key]
        )
    assert seen == {
        "stdout": "browser 0\nbrowser 1\nbrowser 2\n",
        "last": "result",
        "verdict": "ok",
        "echoed": "hello\n",
        "interactive": "ok",
        "invalid": {"validation": True, "status": 422},
    }
    # Both sockets were opened with a ticket, never with the key.
    assert len(sockets) == 2
    assert re.fullmatch(
        r"ws://127\.0\.0\.1:\d+/v1/executions/[0-9a-f-]+/stream\?encoding=text&ticket=crht_\S+", sockets[0]
    )
    assert re.fullmatch(r"ws://127\.0\.0\.1:\d+/v1/executions/interactive\?encoding=text&ticket=crht_\S+", sockets[1])
    assert all(api_key not in socket for socket in sockets)
