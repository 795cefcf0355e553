"""Analytics that can be read: an account with runs in three languages (one of them slow, a C++ one
that does not compile, one stopped by its time limit) and a saved snippet, its Analytics page at
desktop and phone widths, in headless chromium against the real gateway, auth service and executor."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio
from playwright.async_api import FloatRect, Locator, Page, expect

from tests.auth.fakes import FakeTwilio
from tests.auth_support import AuthService, forget_otp, fresh_phone
from tests.product.conftest import sign_in as http_sign_in
from tests.web.conftest import OpenTab, sign_in

RUNS: list[dict[str, Any]] = [
    {"language": "python", "source": "print(1)"},
    {"language": "python", "source": "print(2)"},
    {"language": "python", "source": "raise SystemExit(3)"},
    # The outlier: a hundred times slower than the others.
    {"language": "python", "source": "import time\ntime.sleep(2.5)\nprint('slow')"},
    {"language": "python", "source": "import time\ntime.sleep(5)", "limits": {"wall_time_ms": 300}},
    {"language": "cpp", "source": '#include <cstdio>\nint main() { std::puts("hi"); }\n'},
    # Counted as an execution of C++, but it has no run phase to time.
    {"language": "cpp", "source": "int main( {"},
    {"language": "javascript", "source": "console.log(1)"},
]
VERDICTS = {"OK", "Runtime error", "Time limit exceeded", "Compilation error"}
SNIPPET = "def classify(n):\n    if n < 0:\n        return 'negative'\n    return 'other'\n"


@dataclass(frozen=True)
class Seeded:
    phone: str


@pytest_asyncio.fixture(scope="module")
async def seeded(auth: AuthService, twilio: FakeTwilio, site: str) -> AsyncIterator[Seeded]:
    """One account's runs and a saved snippet (whose metrics the executor measures), through the API."""
    phone = fresh_phone("628")
    account = await http_sign_in(auth, twilio, phone)
    async with httpx.AsyncClient(base_url=site, headers=account.headers, timeout=90) as client:
        for body in RUNS:
            response = await client.post("/v1/executions", params={"wait": "true"}, json=body)
            assert response.status_code == 200, response.text
            assert response.json()["status"] == "finished", response.text
        files = [{"name": "main.py", "content": SNIPPET}]
        body = {"title": "Classifier", "language": "python", "files": files}
        response = await client.post("/v1/snippets", json=body)
        assert response.status_code == 201, response.text
        deadline = time.monotonic() + 60
        while (await client.get(f"/v1/snippets/{response.json()['id']}")).json().get("metrics") is None:
            assert time.monotonic() < deadline, "the snippet's metrics never came"
            await asyncio.sleep(0.2)
    yield Seeded(phone)


async def open_analytics(
    open_tab: OpenTab, auth: AuthService, twilio: FakeTwilio, seeded: Seeded, width: int = 1280
) -> Page:
    tab = await open_tab("/", width=width, height=900)
    forget_otp(auth, seeded.phone)
    await sign_in(tab.page, twilio, seeded.phone)
    await tab.page.goto("/#/analytics")
    await expect(tab.page.locator("table.stats tbody tr")).to_have_count(3)
    return tab.page


def chart(page: Page, title: str) -> Locator:
    return page.locator("figure.chart", has=page.locator("figcaption", has_text=title))


def overlap(a: FloatRect, b: FloatRect) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


async def test_verdict_labels_do_not_overlap(
    open_tab: OpenTab, auth: AuthService, twilio: FakeTwilio, seeded: Seeded
) -> None:
    """Every verdict is a label of its own on the page (not canvas text squeezed under a narrow bar),
    and no two labels' boxes intersect (uPlot's bar labels ran into each other)."""
    page = await open_analytics(open_tab, auth, twilio, seeded)
    verdicts = chart(page, "Verdicts")
    boxes = {}
    for label in VERDICTS:
        box = await verdicts.get_by_text(label, exact=True).bounding_box(timeout=5_000)
        assert box is not None, label
        assert box["width"] > 0, label
        boxes[label] = box
    for (a, box_a), (b, box_b) in itertools.combinations(boxes.items(), 2):
        assert not overlap(box_a, box_b), f"{a!r} {box_a} overlaps {b!r} {box_b}"


async def test_legends_show_values_when_there_is_data(
    open_tab: OpenTab, auth: AuthService, twilio: FakeTwilio, seeded: Seeded
) -> None:
    """No legend reads "–" (uPlot's value with no point hovered) while the charts have data: the run
    time chart's legend read "Value: – p50: – p95: –", the code metrics' its dashes too."""
    page = await open_analytics(open_tab, auth, twilio, seeded)
    legends = page.locator(".chart .u-legend, .chart .chart-legend")
    await expect(legends.first).to_be_visible()
    texts = await legends.all_inner_texts()
    assert texts, "no legend"
    for text in texts:
        assert "–" not in text, texts
        assert "--" not in text, texts
    metrics = chart(page, "Code metrics").locator(".u-legend")
    # The latest bucket's values: one snippet of four lines.
    await expect(metrics).to_contain_text(re.compile(r"Lines\s*4"))
    await expect(metrics).to_contain_text(re.compile(r"Snippets\s*1"))


async def test_count_axes_have_whole_numbers(
    open_tab: OpenTab, auth: AuthService, twilio: FakeTwilio, seeded: Seeded
) -> None:
    """The runs-over-time chart's y-axis labels (what uPlot draws, also in data-y-ticks) are whole
    numbers: a count of 8 had ticks at 0.5, 1.5, ..."""
    page = await open_analytics(open_tab, auth, twilio, seeded)
    for bucket in ("day", "hour"):
        await page.locator("select[name=bucket]").select_option(bucket)
        plot = chart(page, "Runs per").locator(".uplot")
        await expect(plot).to_have_attribute("data-y-ticks", re.compile(r"\d"))
        ticks = (await plot.get_attribute("data-y-ticks") or "").split()
        assert len(ticks) >= 2, ticks
        assert all(re.fullmatch(r"\d+", tick) for tick in ticks), ticks


async def test_a_slow_run_does_not_flatten_the_others(
    open_tab: OpenTab, auth: AuthService, twilio: FakeTwilio, seeded: Seeded
) -> None:
    """With one 2.5 s run among runs of a few ms, every language's run time bars keep a visible
    length (log scale): on uPlot's linear axis they were a pixel or nothing."""
    page = await open_analytics(open_tab, auth, twilio, seeded)
    times = chart(page, "Run time by language")
    for language in ("python", "cpp", "javascript"):
        row = times.locator("li", has=page.get_by_text(language, exact=True))
        bars = row.locator(".bar")
        await expect(bars).to_have_count(2)
        for box in [await bar.bounding_box() for bar in await bars.all()]:
            assert box is not None, language
            assert box["width"] >= 10, (language, box)


async def test_chart_and_table_counts_agree(
    open_tab: OpenTab, auth: AuthService, twilio: FakeTwilio, seeded: Seeded
) -> None:
    """The languages chart and the table count the same thing (executions): C++ ran twice, one of
    them failing to compile; the table said 1 (runs with a measured run phase) beside a chart of 2."""
    page = await open_analytics(open_tab, auth, twilio, seeded)
    languages = chart(page, "Most-used languages")
    expected = {"python": 5, "cpp": 2, "javascript": 1}
    for language, count in expected.items():
        row = languages.locator("li", has=page.get_by_text(language, exact=True))
        await expect(row.locator(".bar-value")).to_have_text(str(count))
        cells = page.locator("table.stats tbody tr", has=page.get_by_role("cell", name=language, exact=True))
        await expect(cells.locator("td").nth(1)).to_have_text(str(count))
    await expect(page.get_by_text("8 runs; 8 finished.")).to_be_visible()


async def test_phone_width_account_and_analytics(
    open_tab: OpenTab, auth: AuthService, twilio: FakeTwilio, seeded: Seeded
) -> None:
    """At 390 px neither Account (with an API key listed) nor Analytics scrolls sideways, and the
    key's Revoke button is on screen (it was beyond the right edge of a five-column table)."""
    page = await open_analytics(open_tab, auth, twilio, seeded, width=390)
    await expect(chart(page, "Verdicts")).to_be_visible()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"Analytics is {width}px wide at 390px"

    await page.goto("/#/account")
    await page.get_by_label("Name", exact=True).fill("phone key with a long name")
    await page.get_by_role("button", name="Create key").click()
    revoke = page.get_by_role("button", name="Revoke phone key with a long name")
    await expect(revoke).to_be_visible()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"Account is {width}px wide at 390px"
    await revoke.scroll_into_view_if_needed()
    box = await revoke.bounding_box()
    assert box is not None
    assert box["x"] >= 0, box
    assert box["x"] + box["width"] <= 390, box

