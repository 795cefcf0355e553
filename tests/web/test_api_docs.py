"""/docs and /redoc work offline and under a strict content policy (issue 20, item 5): with every
request to another host aborted, Swagger UI lists the API's operations and ReDoc renders it, their
scripts and styles all from the app's own origin (main loaded them from a CDN and stayed blank);
the pages' own policy allows nothing else; the app's header links to the docs; a gateway without a
web build still answers the pages (a note and the document's link), never a 500."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from playwright.async_api import Browser, BrowserContext, Page, Route, expect

from services.gateway.app import create_app as create_gateway_app
from tests.conftest import gateway_settings, serve
from tests.web.conftest import OpenTab

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


class Offline:
    """A browser context that reaches only this machine: every other request is aborted and kept."""

    def __init__(self) -> None:
        self.blocked: list[str] = []
        self.errors: list[str] = []

    async def route(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            await route.continue_()
        else:
            self.blocked.append(route.request.url)
            await route.abort()

    async def page(self, context: BrowserContext) -> Page:
        await context.route("**/*", self.route)
        page = await context.new_page()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        return page


async def test_docs_and_redoc_render_without_leaving_the_machine(browser: Browser, site: str) -> None:
    """Swagger UI shows the API's operations and ReDoc its title and operations with nothing but
    127.0.0.1 reachable; no request tried to leave, and no script or style was refused by the
    pages' content policy (a refusal is a console error)."""
    offline = Offline()
    context = await browser.new_context(base_url=site)
    try:
        page = await offline.page(context)
        response = await page.goto("/docs")
        assert response is not None
        assert response.status == 200
        policy = await response.header_value("content-security-policy")
        assert policy is not None
        assert "default-src 'none'" in policy
        assert "script-src 'self';" in policy
        assert "http" not in policy.replace(site, "")
        swagger = page.locator(".swagger-ui")
        await expect(swagger.locator(".info .title")).to_contain_text("CodeRunHub API")
        executions = swagger.locator(".opblock-post", has=page.locator("[data-path='/v1/executions']"))
        await expect(executions.first).to_be_visible()
        assert await swagger.locator(".opblock").count() >= 20
        # An operation opens, with its parameters and responses.
        await executions.first.locator(".opblock-summary").click()
        await expect(executions.first.locator(".responses-wrapper")).to_be_visible()

        response = await page.goto("/redoc")
        assert response is not None
        assert response.status == 200
        await expect(page.get_by_role("heading", level=1)).to_contain_text("CodeRunHub API")
        await expect(page.locator("[data-section-id^='operation/']").first).to_be_visible()
        assert await page.locator("[data-section-id^='operation/']").count() >= 20
        assert offline.blocked == []
        assert offline.errors == []
    finally:
        await context.close()


async def test_the_app_links_to_the_api_docs(open_tab: OpenTab) -> None:
    """The header's "API docs" link opens Swagger UI."""
    tab = await open_tab("/")
    page = tab.page
    link = page.get_by_role("navigation", name="Main").get_by_role("link", name="API docs")
    await expect(link).to_have_attribute("href", "/docs")
    await link.click()
    await expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/docs$"))
    await expect(page.locator(".swagger-ui .info .title")).to_contain_text("CodeRunHub API")


async def test_without_a_web_build_the_pages_say_so(database: str, tmp_path: Path) -> None:
    """A gateway started without web/dist (tests of the API alone) answers /docs, /redoc and the
    OAuth2 redirect page with a note and the document's link, no script, and serves the document."""
    app = create_gateway_app(gateway_settings(web_dist_dir=str(tmp_path)))
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
            page = await client.get(path)
            assert page.status_code == 200, path
            assert page.headers["content-type"].startswith("text/html")
            assert '<a href="/openapi.json">' in page.text
            assert "make web" in page.text
            assert "<script" not in page.text
        assert (await client.get("/openapi.json")).json()["info"]["title"] == "CodeRunHub API"
