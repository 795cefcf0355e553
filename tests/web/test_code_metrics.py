"""Code metrics in the web app: a snippet saved in the editor shows its lines, functions and highest
complexity on the Snippets page once the executor has measured it, and Analytics draws them over
time (uPlot), from the real gateway, auth service and executor."""

from __future__ import annotations

import asyncio
import secrets
import time

from playwright.async_api import Page, expect

from tests.auth.fakes import FakeTwilio
from tests.auth_support import fresh_phone
from tests.web.conftest import OpenTab, sign_in
from tests.web.test_web import choose_language, set_code

# classify: three ifs, complexity 4; main: 1. Nine lines (with the marker line).
CODE = """def classify(n):
    if n < 0:
        return "negative"
    if n == 0:
        return "zero"
    if n > 100:
        return "big"
    return "small"
"""


async def wait_for_metrics(page: Page, title: str) -> None:
    """Until the executor has stored the saved snippet's metrics (the page lists what the API has)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        response = await page.request.get("/v1/snippets", params={"q": title})
        items = (await response.json())["items"]
        if items and items[0]["metrics"] is not None:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"no metrics for {title}")


async def test_a_saved_snippet_shows_its_metrics_and_analytics_charts_them(
    open_tab: OpenTab, twilio: FakeTwilio
) -> None:
    tab = await open_tab("/")
    page = tab.page
    await sign_in(page, twilio, fresh_phone("628"))
    await page.goto("/#/")
    await choose_language(page, "python")
    await set_code(page, f"{CODE}# {secrets.token_hex(8)}\n")
    title = f"Classifier {secrets.token_hex(4)}"
    await page.get_by_label("Title").fill(title)
    await page.get_by_role("button", name="Save snippet").click()
    await expect(page.get_by_text("Saved revision 1.")).to_be_visible()
    await wait_for_metrics(page, title)

    await page.goto("/#/snippets")
    card = page.locator(".cards li", has_text=title)
    await expect(card.get_by_test_id("snippet-metrics")).to_have_text("9 lines · 1 function · max complexity 4")

    await page.goto("/#/analytics")
    chart = page.locator("figure.chart", has=page.get_by_text("Code metrics over time", exact=True))
    await expect(chart.locator(".uplot canvas")).to_have_count(1)
    legend = chart.locator(".u-legend")
    for label in ("Mean complexity", "Max complexity", "Lines", "Snippets"):
        await expect(legend).to_contain_text(label)
    # Its buckets are the ones asked for: hours too.
    await page.locator("select[name=bucket]").select_option("hour")
    await expect(chart.locator(".uplot canvas")).to_have_count(1)
