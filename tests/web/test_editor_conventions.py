"""The editor follows each language's conventions and people's keyboards (issue 20, item 9): Enter
indents by the language's unit (Python four spaces, Go a tab, JavaScript two), Tab indents and keeps
the focus while Escape then Tab leaves the editor (CodeMirror's documented way out, for keyboard
users), in the playground and in a live session's editor; completion knows the standard library
(console.lo offers log in JavaScript and TypeScript, `import math` then math.sq offers sqrt in
Python) and still the file's own names."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.auth.fakes import FakeTwilio
from tests.web.conftest import OpenTab
from tests.web.test_collab import start_session
from tests.web.test_web import choose_language, set_code

IN_EDITOR = "() => !!document.activeElement?.closest('.cm-editor')"


async def line_text(page: Page, number: int, editor: str = ".editor") -> str:
    """The text of the 1-based line `number`, tabs included (textContent, not the rendering)."""
    line = page.locator(f"{editor} .cm-line").nth(number - 1)
    text: str = await line.evaluate("el => el.textContent")
    return text


async def language_ready(page: Page, keyword: str, editor: str = ".editor") -> None:
    """The language's pack is loaded (lazily, after the choice): its keyword is highlighted."""
    keywords = page.locator(f"{editor} .cm-content .tok-keyword")
    await expect(keywords.filter(has_text=re.compile(f"^{keyword}$")).first).to_be_visible()


async def enter_after(page: Page, code: str, keyword: str, typed: str = "x") -> None:
    """Puts `code` in the editor, presses Enter at its end and types `typed` on the new line."""
    await set_code(page, code)
    await language_ready(page, keyword)
    await page.keyboard.press("ControlOrMeta+End")
    await page.keyboard.press("Enter")
    await page.keyboard.type(typed)


async def test_enter_indents_by_each_languages_convention(open_tab: OpenTab) -> None:
    """Python indents four spaces (PEP 8; main indented two), Go a tab (gofmt), JavaScript two
    spaces, Java four."""
    tab = await open_tab("/")
    page = tab.page
    cases = [
        ("python", "def f():", "def", "    x"),
        ("go", "package main\n\nfunc main() {", "func", "\tx"),
        ("javascript", "function f() {", "function", "  x"),
        ("java", "class Main {", "class", "    x"),
    ]
    for language, code, keyword, expected in cases:
        await choose_language(page, language)
        await enter_after(page, code, keyword)
        lines = code.count("\n") + 2
        await expect(page.locator(".editor .cm-line")).to_have_count(lines)
        assert await line_text(page, lines) == expected, language


async def test_tab_indents_and_escape_then_tab_leaves_the_editor(open_tab: OpenTab) -> None:
    """Tab indents the line by the language's unit and the focus stays (main moved it out of the
    editor); Escape then Tab moves it to the next control, the code untouched."""
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "python")
    await set_code(page, "import math")
    await language_ready(page, "import")
    await page.keyboard.press("Home")
    await page.keyboard.press("Tab")
    assert await line_text(page, 1) == "    import math"
    assert await page.evaluate(IN_EDITOR)
    await page.keyboard.press("Tab")
    assert await line_text(page, 1) == "        import math"
    await page.keyboard.press("Shift+Tab")
    assert await line_text(page, 1) == "    import math"
    assert await page.evaluate(IN_EDITOR)
    # The way out for keyboard users.
    await page.keyboard.press("Escape")
    await page.keyboard.press("Tab")
    assert not await page.evaluate(IN_EDITOR)
    assert await line_text(page, 1) == "    import math"


async def test_the_live_sessions_editor_indents_with_tab_too(open_tab: OpenTab, twilio: FakeTwilio) -> None:
    """The shared editor has its own setup: Python's four spaces after a colon, Tab indents there,
    Escape then Tab leaves it."""
    tab = await open_tab("/")
    page = tab.page
    await start_session(page, twilio, "def f():")
    editor = ".collab-editor"
    await language_ready(page, "def", editor)
    await page.locator(f"{editor} .cm-content").click()
    await page.keyboard.press("ControlOrMeta+End")
    await page.keyboard.press("Enter")
    await page.keyboard.type("x")
    await expect(page.locator(f"{editor} .cm-line").nth(1)).to_have_text("x")
    assert await line_text(page, 2, editor) == "    x"
    await page.keyboard.press("Home")
    await page.keyboard.press("Tab")
    assert await line_text(page, 2, editor) == "        x"
    assert await page.evaluate(IN_EDITOR)
    await page.keyboard.press("Escape")
    await page.keyboard.press("Tab")
    assert not await page.evaluate(IN_EDITOR)


async def completes(page: Page, typed: str, offered: str) -> None:
    """Types `typed` on a new last line and expects `offered` among the completions."""
    await page.keyboard.press("ControlOrMeta+End")
    await page.keyboard.press("Enter")
    await page.keyboard.type(typed, delay=60)
    popup = page.locator(".cm-tooltip-autocomplete")
    await expect(popup).to_be_visible()
    label = popup.locator("li .cm-completionLabel").filter(has_text=re.compile(f"^{re.escape(offered)}$"))
    await expect(label.first).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(popup).to_be_hidden()


async def test_completion_knows_the_standard_library_and_the_files_names(open_tab: OpenTab) -> None:
    """JavaScript and TypeScript complete the standard globals' members (console.lo → log,
    Math.ma → max; main offered keywords only), Python the imported modules' members (math.sq →
    sqrt, os.pa → path, os.path.jo → join) and module names after import; both still offer the
    file's own names and Python's builtins."""
    tab = await open_tab("/")
    page = tab.page
    for language in ("javascript", "typescript"):
        await choose_language(page, language)
        await set_code(page, "const answerToAll = 42;")
        await language_ready(page, "const")
        await completes(page, "console.lo", "log")
        await completes(page, "Math.ma", "max")
        await completes(page, "answerTo", "answerToAll")
    await choose_language(page, "python")
    await set_code(page, "import math\nimport os\n\ndef compute_total(items):\n    return sum(items)\n")
    await language_ready(page, "def")
    await completes(page, "math.sq", "sqrt")
    await completes(page, "os.pa", "path")
    await completes(page, "os.path.jo", "join")
    await completes(page, "compute_t", "compute_total")
    await completes(page, "enumer", "enumerate")
    await completes(page, "import collec", "collections")
    # An alias stands for its module; a name that is no module offers no members.
    await set_code(page, "import statistics as st\n")
    await completes(page, "st.me", "mean")
    await page.keyboard.press("ControlOrMeta+End")
    await page.keyboard.press("Enter")
    await page.keyboard.type("nothing.sq", delay=60)
    await page.wait_for_timeout(300)
    await expect(page.locator(".cm-tooltip-autocomplete li", has_text="sqrt")).to_have_count(0)
