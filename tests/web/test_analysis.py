"""Analyses in the editor (POST /v1/analyses through the real gateway and executor): lint marks as
you type, quick fixes, Format with the cursor and undo history kept, tab badges for the other files,
and no more than two requests a second while typing."""

from __future__ import annotations

import asyncio
import re
import secrets
import time

import httpx
import pytest
from playwright.async_api import Locator, Page, Request, Route, expect

from tests.web.conftest import OpenTab, Screenshots
from tests.web.test_web import choose_language, set_code

LINT_WAIT_MS = 15_000


def nonce() -> str:
    """A comment line of its own per test: nothing is answered from another test's cached analysis."""
    return f"# {secrets.token_hex(6)}"


async def editor_lines(page: Page) -> list[str]:
    lines: list[str] = await page.evaluate(
        "() => [...document.querySelectorAll('.cm-content .cm-line')].map((line) => line.textContent)"
    )
    return lines


async def wait_for_lines(page: Page, expected: list[str], timeout_s: float = LINT_WAIT_MS / 1000) -> None:
    deadline = time.monotonic() + timeout_s
    while (lines := await editor_lines(page)) != expected:
        assert time.monotonic() < deadline, lines
        await asyncio.sleep(0.1)


def line(page: Page, number: int) -> Locator:
    return page.locator(".cm-content .cm-line").nth(number - 1)


def analysis_requests(page: Page) -> list[str]:
    """Every request to /v1/analyses (the tools list aside) from now on."""
    seen: list[str] = []

    def on_request(request: Request) -> None:
        if "/v1/analyses" in request.url and not request.url.endswith("/v1/analyses/tools"):
            seen.append(f"{request.method} {request.url}")

    page.on("request", on_request)
    return seen


async def test_typing_python_marks_lint_problems_and_a_quick_fix_applies(open_tab: OpenTab, shots: Screenshots) -> None:
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "python")
    await set_code(page, "")
    # Typed, as a person would (the editor's auto-indent and bracket closing take part).
    await page.keyboard.type(
        "# Greets whoever is named last on the command line.\n# Run: python main.py World\n\n"
        'import os\nimport sys\n\nname = sys.argv[-1]\nprint(f"Hello, {nmae}!")\n',
        delay=5,
    )
    code = ["import os", "import sys", "", "name = sys.argv[-1]", 'print(f"Hello, {nmae}!")', ""]
    assert (await editor_lines(page))[3:] == code

    await expect(line(page, 4).locator(".cm-lintRange-warning")).to_have_text("os", timeout=LINT_WAIT_MS)
    await expect(line(page, 8).locator(".cm-lintRange-error")).to_have_text("nmae")
    await expect(page.locator(".cm-content [class*=cm-lintRange]")).to_have_count(2)
    await expect(page.locator(".cm-gutter-lint .cm-lint-marker-warning")).to_have_count(1)
    await expect(page.locator(".cm-gutter-lint .cm-lint-marker-error")).to_have_count(1)

    # The tooltip names the rule and offers ruff's fix.
    await line(page, 8).locator(".cm-lintRange-error").hover()
    tooltip = page.locator(".cm-tooltip-lint")
    await expect(tooltip).to_contain_text("Undefined name `nmae`")
    await expect(tooltip.get_by_role("link", name="F821")).to_have_attribute("href", re.compile("ruff"))
    await page.mouse.move(600, 5)
    await expect(tooltip).to_have_count(0)
    await line(page, 4).locator(".cm-lintRange-warning").hover()
    await expect(tooltip).to_contain_text("`os` imported but unused")
    fix = tooltip.get_by_role("button", name="Remove unused import: `os`")
    await expect(fix).to_be_visible()
    await shots.take(page, "diagnostics")

    await fix.click()
    assert (await editor_lines(page))[3:] == code[1:]
    # The next lint leaves only the undefined name.
    await expect(page.locator(".cm-content .cm-lintRange-warning")).to_have_count(0, timeout=LINT_WAIT_MS)
    await expect(line(page, 7).locator(".cm-lintRange-error")).to_have_text("nmae")
    # The fix is one undo step.
    await page.locator(".cm-content").click()
    await page.keyboard.press("ControlOrMeta+z")
    assert (await editor_lines(page))[3:] == code


async def test_format_reformats_keeping_the_cursor_and_undo(open_tab: OpenTab) -> None:
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "python")
    original = [nonce(), "x=1;y=2", "def f( a ):", "  return a"]
    await set_code(page, "\n".join(original))
    # The cursor at the end of `return a`.
    await page.keyboard.press("ControlOrMeta+End")

    await page.get_by_role("button", name="Format").click()
    formatted = [original[0], "x = 1", "y = 2", "", "", "def f(a):", "    return a", ""]
    await wait_for_lines(page, formatted)
    # The cursor moved with its text: what is typed lands after `return a`.
    await page.keyboard.type("  # done")
    assert (await editor_lines(page))[6] == "    return a  # done"

    # Undo takes back the typing, then the whole format in one step.
    await page.keyboard.press("ControlOrMeta+z")
    assert await editor_lines(page) == formatted
    await page.keyboard.press("ControlOrMeta+z")
    assert await editor_lines(page) == original
    await page.keyboard.press("ControlOrMeta+Shift+KeyZ")
    assert await editor_lines(page) == formatted

    # Shift-Alt-F on formatted code: nothing changes, and it says so.
    await page.keyboard.press("Shift+Alt+F")
    await expect(page.get_by_role("status").filter(has_text="Already formatted")).to_be_visible(timeout=LINT_WAIT_MS)
    assert await editor_lines(page) == formatted


async def test_a_burst_of_typing_makes_few_analysis_requests(open_tab: OpenTab) -> None:
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "python")
    await set_code(page, f"{nonce()}\nimport os\n\n")
    await expect(line(page, 2).locator(".cm-lintRange-warning")).to_have_text("os", timeout=LINT_WAIT_MS)
    await page.keyboard.press("ControlOrMeta+End")

    requests = analysis_requests(page)
    burst = "print(os.getcwd(), 'burst!!')"
    assert len(burst) + 1 == 30
    await page.keyboard.type(burst + "\n", delay=40)
    # One lint once typing stops: `os` is used now.
    await expect(page.locator(".cm-content [class*=cm-lintRange]")).to_have_count(0, timeout=LINT_WAIT_MS)
    await asyncio.sleep(1.5)
    assert 1 <= len(requests) <= 3, requests

    # Typing with pauses just past the lint delay: still at most two requests a second.
    requests.clear()
    started = time.monotonic()
    for char in "x = 1  # ok":
        await page.keyboard.type(char)
        await asyncio.sleep(0.65)
    elapsed = time.monotonic() - started
    await asyncio.sleep(1.5)
    assert len(requests) <= 2 * elapsed + 1, (len(requests), elapsed, requests)


async def test_problems_in_another_file_badge_its_tab(open_tab: OpenTab) -> None:
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "python")
    await set_code(page, f"{nonce()}\nfrom helper import greet\nprint(greet())\n")
    await page.get_by_role("button", name="Add a file").click()
    page.once("dialog", lambda dialog: dialog.accept("helper.py"))
    await page.get_by_role("button", name="Rename file2.py").click()
    await expect(page.get_by_role("tab", name="helper.py")).to_be_visible()
    await page.locator(".cm-content").click()
    await page.keyboard.insert_text("import json\nimport os\n\n\ndef greet():\n    return 'hi'\n")
    await expect(page.locator(".cm-content .cm-lintRange-warning")).to_have_count(2, timeout=LINT_WAIT_MS)

    await page.get_by_role("tab", name="main.py").click()
    helper_tab = page.locator(".tab").filter(has=page.get_by_role("tab", name="helper.py"))
    await expect(helper_tab).to_have_attribute("data-problems", "2", timeout=LINT_WAIT_MS)
    await expect(helper_tab).to_have_attribute("data-severity", "warning")
    await expect(page.locator(".tab[data-problems]")).to_have_count(1)
    await expect(page.locator(".cm-content [class*=cm-lintRange]")).to_have_count(0)


async def test_a_bash_script_gets_a_shellcheck_mark(open_tab: OpenTab) -> None:
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "bash")
    await set_code(page, f"{nonce()}\nunused=1\necho done\n")
    mark = line(page, 2).locator(".cm-lintRange-warning")
    await expect(mark).to_have_text("unused", timeout=LINT_WAIT_MS)
    await mark.hover()
    await expect(page.locator(".cm-tooltip-lint")).to_contain_text("SC2034")
    # Bash has no formatter here: no Format button.
    await expect(page.get_by_role("button", name="Format")).to_have_count(0)


async def test_languages_without_analysers_are_left_alone(open_tab: OpenTab, site: str) -> None:
    async with httpx.AsyncClient(base_url=site) as client:
        tools = (await client.get("/v1/analyses/tools")).json()
    linted = {item["language"] for item in tools if "lint" in item["checks"]}
    language = next(lang for lang in ("ruby", "lua", "perl") if lang not in linted)
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, language)
    await asyncio.sleep(1.5)
    requests = analysis_requests(page)
    await set_code(page, "x = = 1\n")
    await asyncio.sleep(1.5)
    assert requests == []
    await expect(page.get_by_role("button", name="Format")).to_have_count(0)


async def available(site: str, language: str) -> set[str]:
    """The checks the gateway offers for `language`'s default version (empty: none, or not reported)."""
    async with httpx.AsyncClient(base_url=site) as client:
        tools = (await client.get("/v1/analyses/tools")).json()
        languages = (await client.get("/v1/languages")).json()
    entries = {item["version"]: item for item in tools if item["language"] == language and item["available"]}
    spec = next(item for item in languages if item["id"] == language)
    default = next(v["variant"] for v in spec["versions"] if v["default"])
    entry = entries.get(default) or entries.get(None)
    return set(entry["checks"]) if entry else set()


async def test_c_lint_marks_merge_with_the_compilers_messages_and_format(open_tab: OpenTab, site: str) -> None:
    if not {"lint", "format"} <= await available(site, "c"):
        pytest.skip("no C analysers reported by this suite's executor")
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "c")
    code = [
        "#include <stdio.h>",
        "",
        "int main(void) {",
        "    int unused = 0;",
        '    printf("%d\\n", missing);',
        "    return 0;",
        "}",
    ]
    await set_code(page, "\n".join([*code, f"/* {secrets.token_hex(6)} */", ""]))
    # gcc -fsyntax-only, before anything runs.
    await expect(line(page, 5).locator(".cm-lintRange-error")).to_contain_text("missing", timeout=LINT_WAIT_MS)
    await expect(line(page, 4).locator(".cm-lintRange-warning")).to_contain_text("unused")

    # The run's compile error says the same at the same place: one mark, both lists agree.
    await page.get_by_role("button", name="Run").click()
    await expect(page.get_by_test_id("result")).to_contain_text("Compilation error", timeout=60_000)
    await expect(page.get_by_test_id("diagnostics")).to_contain_text("main.c:5")
    await expect(page.locator(".cm-content .cm-lintRange-error")).to_have_count(1)
    await expect(line(page, 4).locator(".cm-lintRange-warning")).to_contain_text("unused")
    # Typing keeps the compiler's mark (mapped) beside the fresh lint.
    await page.locator(".cm-content .cm-line").nth(5).click()
    await page.keyboard.press("End")
    await page.keyboard.type(" // done")
    await asyncio.sleep(1.5)
    await expect(page.locator(".cm-content .cm-lintRange-error")).to_have_count(1)

    await set_code(page, "int main(void){\nint x=1;\nreturn x;}\n")
    await page.get_by_role("button", name="Format").click()
    await wait_for_lines(page, ["int main(void) {", "    int x = 1;", "    return x;", "}", ""])


async def test_go_vet_marks_and_gofmt_formats(open_tab: OpenTab, site: str) -> None:
    if not {"lint", "format"} <= await available(site, "go"):
        pytest.skip("no Go analysers reported by this suite's executor")
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "go")
    code = ["package main", "", 'import "fmt"', "", "func main() {", '\tfmt.Printf("%d\\n", "text")', "}"]
    await set_code(page, "\n".join([*code, f"// {secrets.token_hex(6)}", ""]))
    # go vet's printf check.
    mark = line(page, 6).locator("[class*=cm-lintRange]")
    await expect(mark).to_have_count(1, timeout=LINT_WAIT_MS)
    await mark.hover()
    await expect(page.locator(".cm-tooltip-lint")).to_contain_text("Printf")

    await set_code(page, 'package main\nimport "fmt"\nfunc main(){\nfmt.Println("hi")}\n')
    await page.keyboard.press("Shift+Alt+F")
    await wait_for_lines(
        page, ["package main", "", 'import "fmt"', "", "func main() {", '\tfmt.Println("hi")', "}", ""]
    )


async def test_busy_and_slow_answers_are_handled_quietly(open_tab: OpenTab) -> None:
    """A 429 backs off and tries again after Retry-After; a 202 is polled at its Location; neither
    shows the person anything but the marks, once they come."""
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "python")
    await asyncio.sleep(1.5)  # the sample's own lint, left to the real gateway
    marker = nonce()
    key = secrets.token_hex(32)
    result = {
        "id": key,
        "language": "python",
        "version": "3.13",
        "status": "ok",
        "tools": [{"name": "ruff", "version": "0.17.6"}],
        "cached": False,
        "duration_ms": 9,
        "diagnostics": [
            {
                "file": "main.py",
                "line": 2,
                "column": 8,
                "end_line": 2,
                "end_column": 10,
                "severity": "warning",
                "source": "ruff",
                "code": "F401",
                "message": "`os` imported but unused",
                "fixes": [],
            }
        ],
    }
    calls: list[str] = []

    async def answer(route: Route) -> None:
        request = route.request
        if request.method == "POST" and marker not in (request.post_data or ""):
            await route.continue_()
            return
        calls.append(request.method)
        if calls == ["POST"]:
            await route.fulfill(status=429, headers={"Retry-After": "1"}, json={"title": "Too Many Requests"})
        elif request.method == "POST" or calls.count("GET") == 1:
            await route.fulfill(
                status=202, headers={"Location": f"/v1/analyses/{key}", "Retry-After": "1"}, json={"id": key}
            )
        else:
            await route.fulfill(status=200, json=result)

    await page.route("**/v1/analyses", answer)
    await page.route(f"**/v1/analyses/{key}", answer)
    await set_code(page, f"{marker}\nimport os\n")
    await expect(line(page, 2).locator(".cm-lintRange-warning")).to_have_text("os", timeout=LINT_WAIT_MS)
    assert calls == ["POST", "POST", "GET", "GET"], calls
    await expect(page.get_by_role("alert")).to_have_count(0)
    # Chromium reports the 429 on the console by itself; the app logged nothing.
    tab.errors[:] = [error for error in tab.errors if "status of 429" not in error]
