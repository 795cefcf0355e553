"""The playground's run controls and output, in headless chromium against the real gateway and
executor: Stop cancels in both input modes (also when pressed before the execution exists), and
History and the API agree; coloured output is rendered as coloured, selectable text and program
output is never HTML; copy and download; a marker where output was cut; the caller's limits before
any refusal and a countdown, not an error, when the budget is used up."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest_asyncio
import redis
from playwright.async_api import Browser, Page, Response, Route, WebSocket, expect

from services.gateway.app import create_app as create_gateway_app
from shared.settings import RateLimitPolicy
from tests.auth.fakes import FakeTwilio
from tests.auth_support import AuthService, fresh_phone
from tests.conftest import anonymous_gateway_settings, free_port, serve
from tests.web.conftest import OpenTab, sign_in
from tests.web.test_web import choose_language
from tests.web.test_web import set_code as replace_code

# Prints nothing and sleeps: only a stop (or its time limit) ends it.
LOOP = "import time\nwhile True:\n    time.sleep(0.1)\n"


async def set_code(page: Page, code: str) -> None:
    """test_web's set_code, checked: the editor shows the code before it is run (a run of what
    was there before would prove nothing)."""
    first_line = code.splitlines()[0]
    for _ in range(3):
        await replace_code(page, code)
        try:
            await expect(page.locator(".cm-content")).to_contain_text(first_line, timeout=2_000)
            return
        except AssertionError:
            continue
    raise AssertionError(f"the editor does not show {first_line!r}")


def creates(url: str) -> bool:
    return urlsplit(url).path == "/v1/executions"


def creation(response: Response) -> bool:
    return creates(response.url) and response.request.method == "POST"


async def hold_creation(page: Page, seconds: float = 1.5) -> None:
    """POST /v1/executions reaches the gateway only after ``seconds``: a Stop pressed meanwhile is
    pressed before the execution (and its id) exists."""

    async def delayed(route: Route) -> None:
        if route.request.method == "POST":
            await asyncio.sleep(seconds)
        await route.continue_()

    await page.route(creates, delayed)


def created_ids(page: Page) -> list[str]:
    """The ids of interactive executions the page's sockets were told were created."""
    ids: list[str] = []

    def on_socket(socket: WebSocket) -> None:
        def on_frame(payload: str | bytes) -> None:
            frame = json.loads(payload) if isinstance(payload, str) else {}
            if frame.get("type") == "created":
                ids.append(frame["execution"]["id"])

        socket.on("framereceived", on_frame)

    page.on("websocket", on_socket)
    return ids


async def api_verdict(page: Page, execution_id: str) -> str:
    body = await (await page.request.get(f"/v1/executions/{execution_id}")).json()
    assert body["status"] == "finished", body
    return str(body["verdict"])


async def test_stop_in_stdin_mode_cancels_even_before_the_execution_exists(
    open_tab: OpenTab, twilio: FakeTwilio
) -> None:
    """Stop pressed while the run is being created, and Stop pressed while it runs, both end the
    execution itself (not only the following of it): the playground, GET /v1/executions/{id} and
    History all say Cancelled, long before the loop's time limit. On main the early Stop was lost
    (the run had no handle yet) and the program ran on to 'Time limit exceeded'."""
    tab = await open_tab("/")
    page = tab.page
    await sign_in(page, twilio, fresh_phone("629"))
    await page.goto("/#/")
    await choose_language(page, "python")
    await page.get_by_role("radio", name="Stdin box").check()
    await set_code(page, LOOP)
    await hold_creation(page)
    result = page.get_by_test_id("result")

    async with page.expect_response(creation) as made:
        await page.get_by_role("button", name="Run").click()
        await page.get_by_role("button", name="Stop").click()
    early = (await (await made.value).json())["id"]
    await expect(result).to_contain_text("Cancelled", timeout=15_000)
    await expect(result).to_contain_text("Cancelled on request")
    assert await api_verdict(page, early) == "cancelled"

    await page.unroute(creates)
    async with page.expect_response(creation) as made:
        await page.get_by_role("button", name="Run").click()
    running = (await (await made.value).json())["id"]
    await expect(page.locator(".playground .status")).to_have_text("Running…", timeout=30_000)
    await page.get_by_role("button", name="Stop").click()
    await expect(result).to_contain_text("Cancelled", timeout=15_000)
    assert await api_verdict(page, running) == "cancelled"
    await expect(page.get_by_role("button", name="Run")).to_be_enabled()

    await page.goto("/#/history")
    rows = page.locator("table.history tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text("Cancelled")
    await expect(rows.nth(1)).to_contain_text("Cancelled")


async def test_stop_in_terminal_mode_cancels(open_tab: OpenTab) -> None:
    """In the interactive terminal, Stop pressed while the terminal itself is still loading, Stop
    pressed before the session has started the program, Stop pressed while it runs (printing
    nothing) and Ctrl+C all end it Cancelled, in the page and in GET /v1/executions/{id}; never
    'Runtime error'. On main the first Stop was lost (the run had no handle yet) and the program
    ran on to its time limit."""
    tab = await open_tab("/")
    page = tab.page
    ids = created_ids(page)
    await choose_language(page, "python")
    await set_code(page, LOOP)
    result = page.get_by_test_id("result")

    async def slow_terminal(route: Route) -> None:
        await asyncio.sleep(2)
        await route.continue_()

    await page.route(lambda url: "/assets/Terminal-" in url, slow_terminal)
    await page.get_by_role("radio", name="Interactive terminal").check()
    await page.get_by_role("button", name="Run").click()
    await page.get_by_role("button", name="Stop").click()
    await expect(result).to_contain_text("Cancelled", timeout=20_000)
    assert len(ids) == 1
    assert await api_verdict(page, ids.pop()) == "cancelled"

    await page.get_by_role("button", name="Run").click()
    await page.get_by_role("button", name="Stop").click()
    await expect(result).to_contain_text("Cancelled", timeout=20_000)
    await expect(result).to_contain_text("Cancelled on request")
    assert len(ids) == 1
    assert await api_verdict(page, ids[0]) == "cancelled"

    await page.get_by_role("button", name="Run").click()
    await expect(page.locator(".playground .status")).to_have_text("Running…", timeout=30_000)
    await page.get_by_role("button", name="Stop").click()
    await expect(result).to_contain_text("Cancelled", timeout=15_000)
    assert len(ids) == 2
    assert await api_verdict(page, ids[1]) == "cancelled"

    # Ctrl+C in the terminal is a Stop too.
    await page.get_by_role("button", name="Run").click()
    await expect(page.locator(".playground .status")).to_have_text("Running…", timeout=30_000)
    await page.locator(".term-host").click()
    await page.keyboard.press("Control+c")
    await expect(result).to_contain_text("Cancelled", timeout=15_000)
    assert len(ids) == 3
    assert await api_verdict(page, ids[2]) == "cancelled"


COLOURFUL = (
    "import sys\n"
    'print("\\033[31mred\\033[0m plain \\033[1;32mbold green\\033[0m")\n'
    "print('<img src=x onerror=\"window.__xss = 1\"><b>not bold</b>', flush=True)\n"
    'print("to stderr", file=sys.stderr)\n'
)
SELECT_OUTPUT = """() => {
  const range = document.createRange();
  range.selectNodeContents(document.querySelector('[data-testid=output]'));
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  return selection.toString();
}"""


async def test_colours_are_rendered_and_markup_is_text(open_tab: OpenTab, site: str) -> None:
    """ANSI colours become coloured spans (no raw escapes), the output stays selectable, HTML a
    program prints is shown as text and never runs, and Copy and Download give the output as plain
    text (stdout and stderr). On main the escapes were shown raw and there were no such buttons."""
    tab = await open_tab("/")
    page = tab.page
    await tab.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    await choose_language(page, "python")
    await page.get_by_role("radio", name="Stdin box").check()
    await set_code(page, COLOURFUL)
    await page.get_by_role("button", name="Run").click()
    await expect(page.get_by_test_id("result")).to_contain_text("OK", timeout=30_000)
    output = page.get_by_test_id("output")
    await expect(output).to_contain_text("red plain bold green")
    shown = await output.inner_text()
    assert "\x1b" not in shown
    assert "[31m" not in shown
    red = output.locator("span.ansi", has_text="red").first
    await expect(red).to_have_css("color", "rgb(187, 0, 0)")
    bold = output.locator("span.ansi", has_text="bold green")
    await expect(bold).to_have_css("font-weight", "700")
    assert await bold.evaluate("e => getComputedStyle(e).color") != await red.evaluate("e => getComputedStyle(e).color")
    # Markup is text: no element made, no handler run.
    await expect(output).to_contain_text('<img src=x onerror="window.__xss = 1"><b>not bold</b>')
    await expect(output.locator("img, b")).to_have_count(0)
    assert await page.evaluate("() => window.__xss") is None
    # Selectable, as text.
    await expect(red).not_to_have_css("user-select", "none")
    selected = await page.evaluate(SELECT_OUTPUT)
    assert "red plain bold green" in selected
    assert "to stderr" in selected

    expected = 'red plain bold green\n<img src=x onerror="window.__xss = 1"><b>not bold</b>\nto stderr\n'
    await page.get_by_role("button", name="Copy").click()
    await expect(page.locator(".output-copied")).to_have_text("Copied")
    assert await page.evaluate("() => navigator.clipboard.readText()") == expected

    async with page.expect_download() as downloading:
        await page.get_by_role("button", name="Download").click()
    download = await downloading.value
    assert download.suggested_filename.endswith(".txt")
    path = await download.path()
    assert path.read_text() == expected


@pytest_asyncio.fixture(scope="module")
async def limited_site(
    auth: AuthService, executor: object, web_build: Path, redis_client: redis.Redis
) -> AsyncIterator[str]:
    """The web app behind a gateway of its own with the shipped anonymous policies (64 KiB of
    output, 2 s CPU) and a budget of three runs a minute, from empty windows; the module's other
    tests keep the site without rate limits."""
    for pattern in ("crh:ratelimit*", "crh:inflight:*"):
        for key in redis_client.scan_iter(match=pattern):
            redis_client.delete(key)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = anonymous_gateway_settings(
        auth_jwks_url=f"{auth.url}/auth/v1/.well-known/jwks.json",
        web_dist_dir=str(web_build),
        auth_proxy_url=auth.url,
        allowed_origins=[url],
        user_rate_limits=RateLimitPolicy(),
        anonymous_rate_limits=RateLimitPolicy(
            executions="3/minute", reads="300/minute", writes="300/minute", max_in_flight=2
        ),
    )
    async with serve(create_gateway_app(settings), port=port):
        yield url


async def test_limits_are_shown_and_a_refusal_counts_down(browser: Browser, limited_site: str) -> None:
    """Before any refusal the playground shows the runs left, a run's limits and what signing in
    gives; output beyond the cap ends with a visible truncation mark; the budget shown drops after
    each run; the run past the budget shows 'You can run again in N s' counting down with Run
    disabled, not an error. On main none of this was shown and the refusal was an error banner."""
    context = await browser.new_context(base_url=limited_site, viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page = await context.new_page()
    # The refused POST is a failed resource load to the browser; nothing else may be an error.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "429" not in m.text else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        await page.goto("/")
        limits = page.get_by_test_id("limits")
        await expect(page.get_by_test_id("runs-left")).to_have_text("3 of 3 runs left this minute")
        await expect(page.get_by_test_id("run-limits")).to_contain_text("2 s CPU, 5 s wall")
        await expect(page.get_by_test_id("run-limits")).to_contain_text("128 MiB memory")
        await expect(page.get_by_test_id("run-limits")).to_contain_text("64 KiB output")
        gives = page.get_by_test_id("sign-in-gives")
        await expect(gives).to_contain_text("Sign in for 60 runs a minute")
        await expect(gives).to_contain_text("1 MiB output")
        await expect(gives.get_by_role("link", name="Sign in")).to_have_attribute("href", "/account")

        await choose_language(page, "python")
        await page.get_by_role("radio", name="Stdin box").check()
        await set_code(page, 'import sys\nsys.stdout.write("x" * 100_000)\n')
        await page.get_by_role("button", name="Run").click()
        await expect(page.get_by_test_id("result")).to_contain_text("Verdict", timeout=30_000)
        cut = page.get_by_test_id("output").get_by_test_id("output-cut")
        await expect(cut).to_be_visible()
        await expect(cut).to_contain_text("Output truncated here: only the first 64 KiB of stdout")
        await expect(page.get_by_test_id("runs-left")).to_have_text("2 of 3 runs left this minute")

        await set_code(page, 'print("quick")\n')
        for left in (1, 0):
            await page.get_by_role("button", name="Run").click()
            await expect(page.get_by_test_id("result")).to_contain_text("OK", timeout=30_000)
            await expect(page.get_by_test_id("runs-left")).to_contain_text(f"{left} of 3 runs left")
        await page.get_by_role("button", name="Run").click()
        countdown = page.get_by_test_id("countdown")
        await expect(countdown).to_have_text(re.compile(r"^You can run again in \d+ s$"))
        await expect(page.locator(".playground .error")).to_have_count(0)
        await expect(page.get_by_role("button", name="Run")).to_be_disabled()
        first = int(re.findall(r"\d+", await countdown.inner_text())[0])
        assert 1 < first <= 60
        await expect(countdown).to_have_text(f"You can run again in {first - 2} s", timeout=5_000)
        await expect(limits).to_be_visible()
    finally:
        await context.close()
    assert errors == [], errors
