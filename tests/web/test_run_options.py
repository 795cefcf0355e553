"""The playground's Options panel: what the API takes beside the code (arguments, compiler flags,
limits, test cases with expected output) set from the web app, sent with the run and judged by the
real executor; kept across a reload and counted on the panel's summary."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.web.conftest import OpenTab
from tests.web.test_web import choose_language, output_text, set_code


async def open_options(page: Page) -> None:
    panel = page.get_by_test_id("run-options")
    if await panel.get_attribute("open") is None:
        await panel.locator("summary").click()


async def run(page: Page) -> None:
    await page.get_by_role("button", name="Run").click()


async def test_arguments_reach_the_program_one_per_line(open_tab: OpenTab) -> None:
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "python")
    await set_code(page, "import sys\nprint(sys.argv[1:])\n")
    await open_options(page)
    await page.get_by_label("Arguments").fill("two words\n--flag\n")
    await expect(page.get_by_test_id("run-options").locator("summary")).to_contain_text("1 set")
    await run(page)
    await expect(page.get_by_test_id("result")).to_contain_text("OK", timeout=30_000)
    assert "['two words', '--flag']" in await output_text(page)
    # Kept across a reload, like the code.
    await page.reload()
    await open_options(page)
    await expect(page.get_by_label("Arguments")).to_have_value("two words\n--flag\n")
    tab.assert_no_console_errors()


async def test_test_cases_are_judged_against_their_expected_output(open_tab: OpenTab) -> None:
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "python")
    await set_code(page, "print(int(input()) * 2)\n")
    await open_options(page)
    for stdin, expected in (("2", "4\n"), ("3", "7\n")):
        await page.get_by_role("button", name="Add test case").click()
        index = await page.get_by_test_id("test-case").count()
        await page.get_by_label(f"Input {index}").fill(stdin)
        await page.get_by_label(f"Expected output {index}").fill(expected)
    await run(page)
    result = page.get_by_test_id("result")
    await expect(result).to_contain_text("Wrong answer", timeout=30_000)
    rows = result.locator("table").filter(has_text="Test cases").locator("tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text("Accepted")
    await expect(rows.nth(1)).to_contain_text("Wrong answer")
    # Cleared, the next run is a plain one again.
    await page.get_by_role("button", name="Clear options").click()
    await expect(page.get_by_test_id("test-case")).to_have_count(0)
    await page.get_by_label("Standard input").fill("5")
    await run(page)
    await expect(result).to_contain_text("OK", timeout=30_000)
    assert "10" in await output_text(page)


async def test_a_cpu_limit_of_the_callers_choosing_ends_a_busy_loop(open_tab: OpenTab) -> None:
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "python")
    await set_code(page, "while True:\n    pass\n")
    await open_options(page)
    await page.get_by_label("CPU ms").fill("300")
    await run(page)
    result = page.get_by_test_id("result")
    await expect(result).to_contain_text("Time limit exceeded", timeout=30_000)
    cpu = await result.locator("dt:text-is('CPU') + dd").inner_text()
    # Ended near the 300 ms asked for, far below the anonymous default of 2 s.
    assert cpu.endswith(" ms"), cpu
    assert int(cpu.removesuffix(" ms")) < 1000, cpu


async def test_compiler_flags_are_passed_and_refused_flags_are_explained(open_tab: OpenTab) -> None:
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "c")
    await set_code(
        page,
        '#include <stdio.h>\nint main(void) {\n#ifdef __OPTIMIZE__\n puts("optimized");\n#else\n puts("plain");\n'
        "#endif\n return 0;\n}\n",
    )
    await open_options(page)
    flags = page.get_by_label("Compiler flags")
    await expect(page.get_by_test_id("run-options")).to_contain_text("Accepted:")
    await flags.fill("-O2")
    await run(page)
    await expect(page.get_by_test_id("result")).to_contain_text("OK", timeout=60_000)
    assert "optimized" in await output_text(page)
    # A flag outside the language's patterns is refused by the API, and the page says which.
    await flags.fill("-fplugin=/tmp/x.so")
    await run(page)
    await expect(page.get_by_role("alert")).to_contain_text("-fplugin", timeout=15_000)
    # The browser logs the refused request itself; that 422 is this test's point.
    tab.errors[:] = [error for error in tab.errors if "status of 422" not in error]
