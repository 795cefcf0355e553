"""An automated accessibility check of every page: axe-core (web/ devDependency, pinned) injected into
headless chromium, run on the editor, Snippets, History, an execution's page, Analytics, Account
signed out and signed in, a shared snippet and a live session, with data on each. No violation of
impact "serious" or "critical" is allowed; the ones found are listed in the failure."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import Locator, Page, expect

from tests.auth.fakes import FakeTwilio
from tests.auth_support import fresh_phone
from tests.conftest import ROOT
from tests.web.conftest import OpenTab, sign_in
from tests.web.test_web import choose_language, set_code

AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


async def axe_violations(page: Page, ready: Locator) -> list[dict[str, Any]]:
    """axe.run over the whole document once `ready` shows, keeping the serious and critical findings."""
    await expect(ready.first).to_be_visible()
    # Lazy pages and fonts settle first: axe judges colours as they are drawn.
    await page.wait_for_load_state("networkidle")
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    results = await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")
    return [v for v in results["violations"] if v["impact"] in BLOCKING]


def describe(violations: dict[str, list[dict[str, Any]]]) -> str:
    lines = []
    for where, found in violations.items():
        for v in found:
            lines.append(f"{where}: [{v['impact']}] {v['id']}: {v['help']}")
            for node in v["nodes"][:5]:
                lines.append(f"    {node['target']}: {node.get('failureSummary', '').splitlines()[-1:]}")
    return "\n".join(lines)


async def test_every_page_passes_axe(open_tab: OpenTab, twilio: FakeTwilio) -> None:
    """Every page, in the states people see it in, has no serious or critical axe-core violation."""
    assert AXE.is_file(), "make web installs axe-core (web/package.json devDependencies)"
    tab = await open_tab("/")
    page = tab.page
    found: dict[str, list[dict[str, Any]]] = {}

    async def check(where: str, ready: Locator) -> None:
        found[where] = await axe_violations(page, ready)

    await check("editor, signed out", page.locator(".cm-content"))
    await page.goto("/#/account")
    await check("account, signed out", page.get_by_role("button", name="Send code"))
    await page.goto("/#/snippets")
    await check("snippets, signed out", page.locator("#main > *"))

    await sign_in(page, twilio, fresh_phone("628"))
    await page.get_by_label("Name", exact=True).fill("laptop")
    await page.get_by_role("button", name="Create key").click()
    await check("account, signed in", page.get_by_role("button", name="Revoke laptop"))

    await page.goto("/#/")
    await choose_language(page, "python")
    await page.get_by_role("radio", name="Stdin box").check()
    await set_code(page, 'print("checked")\n')
    await page.get_by_role("button", name="Run").click()
    await expect(page.get_by_test_id("result")).to_contain_text("OK", timeout=30_000)
    await page.get_by_label("Title").fill("Checked")
    await page.get_by_label("Visibility").select_option("unlisted")
    await page.get_by_role("button", name="Save snippet").click()
    await expect(page.get_by_text("Saved revision 1.")).to_be_visible()
    share = await page.get_by_label("Share link").input_value()
    await check("editor, after a run and a save", page.get_by_test_id("result"))
    await page.get_by_role("button", name="Share live").click()
    await expect(page).to_have_url(re.compile(r"/collab/[0-9a-f-]{36}$"))
    await expect(page.get_by_test_id("collab-status")).to_have_text("Live")
    await check("a live session", page.locator(".collab-editor .cm-content"))

    await page.goto("/#/snippets")
    # Signed out, the page showed the public ones; it remembers the choice.
    await page.get_by_role("radio", name="Mine").check()
    await check("snippets", page.locator(".cards li"))
    await page.goto("/#/history")
    await check("history", page.locator("table.history tbody tr"))
    await page.locator("table.history tbody tr").first.get_by_role("link").click()
    await check("an execution", page.get_by_role("region", name="Run", exact=True))
    await page.goto("/#/analytics")
    await check("analytics", page.locator("table.stats tbody tr"))
    await page.goto(share)
    await check("a shared snippet", page.locator(".cm-content"))

    # The dark theme's colours too, on the pages with the most of them.
    await page.get_by_role("button", name="Use the dark theme").click()
    await expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    await page.goto("/#/")
    await check("editor, dark", page.locator(".cm-content"))
    await page.goto("/#/analytics")
    await check("analytics, dark", page.locator("table.stats tbody tr"))

    blocking = {where: v for where, v in found.items() if v}
    assert not blocking, "axe-core found serious or critical violations:\n" + describe(blocking)
