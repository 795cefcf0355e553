"""After a run, the compiler's messages are marked in the editor at their line and listed under the
result; clicking one puts the cursor on its line."""

from __future__ import annotations

from playwright.async_api import expect

from tests.web.conftest import OpenTab
from tests.web.test_web import choose_language, set_code


async def test_a_c_compile_error_is_marked_on_its_line_and_listed(open_tab: OpenTab) -> None:
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "c")
    await set_code(page, "#include <stdio.h>\nint main(void) {\n    int x = y;\n    return x;\n}\n\n\n\n")
    await page.get_by_role("button", name="Run").click()
    await expect(page.get_by_test_id("result")).to_contain_text("Compilation error", timeout=60_000)

    listed = page.get_by_test_id("diagnostics")
    await expect(listed).to_contain_text("main.c:3:13")
    await expect(listed).to_contain_text("undeclared")
    line3 = page.locator(".cm-content .cm-line").nth(2)
    await expect(line3.locator(".cm-lintRange-error")).to_have_text("y")
    await expect(page.locator(".cm-gutter-lint .cm-lint-marker-error")).to_have_count(1)
    await expect(page.locator(".cm-content .cm-lintRange-error")).to_have_count(1)

    # The cursor goes to the message's place.
    await page.locator(".cm-content .cm-line").nth(6).click()
    await listed.get_by_role("button", name="main.c:3:13").first.click()
    await expect(page.locator(".cm-activeLine")).to_have_text("    int x = y;")
