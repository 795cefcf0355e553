"""The embeddable snippet widget: /embed/<share token>, framed by a page of another site, shows the
snippet read-only and runs it; it is the only page of the app that may be framed (the app itself
answers X-Frame-Options: DENY, so a hostile page cannot overlay its buttons)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from playwright.async_api import expect

from tests.auth.fakes import FakeTwilio
from tests.auth_support import AuthService, fresh_phone
from tests.conftest import free_port
from tests.product.conftest import sign_in as http_sign_in
from tests.web.conftest import OpenTab, sign_in
from tests.web.test_web import choose_language, set_code

PROGRAM = 'print("from the widget")\n'


@pytest.fixture
def host_page() -> Iterator[tuple[str, dict[str, str]]]:
    """An integrator's page on another site (localhost, not 127.0.0.1): its body is set per test."""
    body: dict[str, str] = {"html": ""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = body["html"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{port}/", body
    finally:
        server.shutdown()
        server.server_close()


async def shared_token(site: str, auth: AuthService, twilio: FakeTwilio) -> str:
    account = await http_sign_in(auth, twilio, fresh_phone("628"))
    async with httpx.AsyncClient(base_url=site, timeout=30) as client:
        created = await client.post(
            "/v1/snippets",
            headers={"Authorization": f"Bearer {account.access_token}"},
            json={
                "title": "Embedded hello",
                "language": "python",
                "files": [{"name": "main.py", "content": PROGRAM}],
                "visibility": "unlisted",
            },
        )
        assert created.status_code == 201, created.text
        token: str = created.json()["links"]["share"].rsplit("/", 1)[1]
        return token


async def test_a_framed_snippet_shows_and_runs(
    open_tab: OpenTab, site: str, auth: AuthService, twilio: FakeTwilio, host_page: tuple[str, dict[str, str]]
) -> None:
    token = await shared_token(site, auth, twilio)
    url, body = host_page
    body["html"] = (
        f'<!doctype html><title>Integrator</title><h1>My blog</h1><iframe id="widget" title="snippet"'
        f' src="{site}/embed/{token}" width="700" height="500"></iframe>'
    )
    tab = await open_tab(url)
    widget = tab.page.frame_locator("#widget")
    code = widget.get_by_test_id("embed-code")
    await expect(code).to_contain_text('print("from the widget")', timeout=15_000)
    await expect(widget.locator(".cm-content")).to_have_attribute("contenteditable", "false")
    await expect(widget.get_by_role("link", name="Open in CodeRunHub")).to_have_attribute("href", f"/s/{token}")
    await widget.get_by_role("button", name="Run").click()
    await expect(widget.get_by_test_id("output")).to_contain_text("from the widget", timeout=30_000)
    await expect(widget.get_by_test_id("result")).to_contain_text("OK")


async def test_only_the_widget_may_be_framed(site: str, auth: AuthService, twilio: FakeTwilio) -> None:
    token = await shared_token(site, auth, twilio)
    async with httpx.AsyncClient(base_url=site, timeout=30) as client:
        widget = await client.get(f"/embed/{token}")
        assert widget.status_code == 200
        assert 'id="embed"' in widget.text
        assert widget.headers["content-security-policy"] == "frame-ancestors *"
        assert "x-frame-options" not in widget.headers
        for path in ("/", "/collab/00000000-0000-0000-0000-000000000000"):
            page = await client.get(path)
            assert page.status_code == 200
            assert page.headers["x-frame-options"] == "DENY"
            assert page.headers["content-security-policy"] == "frame-ancestors 'none'"


async def test_an_unknown_token_says_so(open_tab: OpenTab) -> None:
    tab = await open_tab("/embed/notARealShareToken123")
    await expect(tab.page.get_by_role("alert")).to_contain_text("cannot be shown", timeout=15_000)
    # The browser logs the 404 of the snippet's lookup: that is what this test asks for.
    tab.errors[:] = [error for error in tab.errors if "status of 404" not in error]


async def test_the_owner_copies_the_share_link_and_the_embed_code(open_tab: OpenTab, twilio: FakeTwilio) -> None:
    tab = await open_tab("/")
    page = tab.page
    await tab.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await sign_in(page, twilio, fresh_phone("628"))
    await page.goto("/")
    await choose_language(page, "python")
    await set_code(page, PROGRAM)
    await page.get_by_label("Title").fill('Widget "demo"')
    await page.get_by_label("Visibility").select_option("unlisted")
    await page.get_by_role("button", name="Save snippet").click()
    await expect(page.get_by_text("Saved revision 1.")).to_be_visible()
    link = await page.get_by_label("Share link").input_value()
    token = link.rsplit("/", 1)[1]

    await page.get_by_role("button", name="Copy link").click()
    await expect(page.get_by_text("Link copied.")).to_be_visible()
    assert await page.evaluate("navigator.clipboard.readText()") == link

    await page.get_by_role("button", name="Copy embed code").click()
    await expect(page.get_by_text("Embed code copied.")).to_be_visible()
    code = await page.evaluate("navigator.clipboard.readText()")
    origin = link.removesuffix(f"/s/{token}")
    assert code.startswith(f'<iframe src="{origin}/embed/{token}" title="Widget &#34;demo&#34; on CodeRunHub"'), code
