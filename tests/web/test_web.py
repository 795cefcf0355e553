"""The web app as a person uses it, in headless chromium against the real gateway, auth service and
executor: the editor (highlighting, completion) in three languages, streamed output, the
interactive terminal, phone sign-in, API keys, snippets (save, share, fork), history and charts."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.async_api import Page, expect

from tests.auth.fakes import FakeProviders, FakeTwilio
from tests.auth_support import AuthService, fresh_phone
from tests.product.conftest import sign_in as http_sign_in
from tests.web.conftest import OpenTab, Screenshots, sign_in


def new_phone() -> str:
    return fresh_phone("628")


async def choose_language(page: Page, language: str) -> None:
    await expect(page.locator("select[name=language] option")).not_to_have_count(0)
    await page.get_by_label("Language").select_option(language)
    await expect(page.locator(".editor")).to_have_attribute("data-language", language)


async def set_code(page: Page, code: str) -> None:
    """Replaces the current tab's code (inserted as text: no auto-indent or bracket closing)."""
    await page.locator(".cm-content").click()
    await page.keyboard.press("ControlOrMeta+a")
    await page.keyboard.press("Delete")
    await page.keyboard.insert_text(code)


async def output_text(page: Page) -> str:
    return await page.get_by_test_id("output").inner_text()


EDITOR_CASES = [
    # language, code, the keyword highlighted, what is typed, a completion offered for it
    ("python", "def greet(name):\n    return 'hi ' + name\n", "def", "\npri", "print"),
    ("javascript", "const answer = 42;\nfunction twice(x) { return 2 * x; }\n", "const", "\nfunc", "function"),
    ("go", 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("hi")\n}\n', "func", "\nfun", "func"),
    # A legacy stream mode, with keyword completion and the document's own words.
    ("ruby", 'def greet(name)\n  puts "hi #{name}"\nend\nlongest_name = 1\n', "def", "\nput", "puts"),
]


async def test_editor_highlights_and_completes_in_three_languages(open_tab: OpenTab, shots: Screenshots) -> None:
    tab = await open_tab("/")
    page = tab.page
    await expect(page).to_have_title("CodeRunHub")
    for language, code, keyword, typed, offered in EDITOR_CASES:
        await choose_language(page, language)
        await set_code(page, code)
        keywords = page.locator(".cm-content .tok-keyword")
        await expect(keywords.filter(has_text=re.compile(f"^{keyword}$")).first).to_be_visible()
        # Highlighting is not one class for everything: strings or names are told apart too.
        others = page.locator(".cm-content [class*='tok-string'], .cm-content [class*='tok-variableName']")
        await expect(others.first).to_be_visible()
        await page.keyboard.press("ControlOrMeta+End")
        await page.keyboard.type(typed, delay=60)
        popup = page.locator(".cm-tooltip-autocomplete")
        await expect(popup).to_be_visible()
        await expect(popup.locator("li", has_text=offered).first).to_be_visible()
        await page.keyboard.press("Escape")
        await expect(popup).to_be_hidden()
    # A single file follows the language's file name convention.
    await expect(page.get_by_role("tab", selected=True)).to_have_text(re.compile(r"\.rb$"))
    # Words of the document are offered where the language has no pack.
    await page.keyboard.type("\nlonge", delay=60)
    await expect(page.locator(".cm-tooltip-autocomplete li", has_text="longest_name").first).to_be_visible()
    await page.keyboard.press("Escape")
    # Highlighting is visible (keywords coloured unlike plain text), in the light and the dark theme.
    keyword_span = page.locator(".cm-content .tok-keyword").first
    text_color = await page.locator(".cm-content").evaluate("el => getComputedStyle(el).color")
    light = await keyword_span.evaluate("el => getComputedStyle(el).color")
    assert light != text_color
    await page.get_by_role("button", name="Use the dark theme").click()
    await expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    # The editor restyles after the attribute flips (its theme is reconfigured on the next frame).
    await page.wait_for_function(
        "([el, light]) => getComputedStyle(el).color !== light",
        arg=[await keyword_span.element_handle(), light],
        timeout=10_000,
    )
    dark = await keyword_span.evaluate("el => getComputedStyle(el).color")
    assert dark not in (light, text_color)
    await shots.take(page, "editor-dark")
    # The code (and the theme) survive a reload (localStorage).
    await page.reload()
    await expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    await expect(page.locator(".editor")).to_have_attribute("data-language", "ruby")
    await expect(page.locator(".cm-content")).to_contain_text('puts "hi #{name}"')


async def test_run_streams_output_then_shows_verdict_time_and_memory(open_tab: OpenTab, shots: Screenshots) -> None:
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "python")
    await page.get_by_role("radio", name="Stdin box").check()
    await set_code(
        page,
        "import sys, time\nname = sys.stdin.readline().strip()\n"
        "for i in range(3):\n    print('tick', i, name, flush=True)\n    time.sleep(1)\n"
        "print('to stderr', file=sys.stderr)\n",
    )
    await page.get_by_label("Standard input").fill("Ada\n")
    await page.locator(".cm-content").click()
    await page.keyboard.press("ControlOrMeta+Enter")  # the editor's run shortcut
    output = page.get_by_test_id("output")
    await expect(output).to_contain_text("tick 0 Ada", timeout=30_000)
    # Streamed: the first line is shown while the program still runs (no result yet).
    assert "tick 2" not in await output_text(page)
    await expect(page.get_by_test_id("result")).to_have_count(0)
    await expect(output).to_contain_text("tick 2 Ada", timeout=30_000)
    result = page.get_by_test_id("result")
    await expect(result).to_contain_text("OK", timeout=30_000)
    await expect(page.locator("#main .output .stderr")).to_contain_text("to stderr")
    await expect(page.get_by_test_id("time")).to_have_text(re.compile(r"^\d+(\.\d+)? m?s$"))
    await expect(page.get_by_test_id("memory")).to_have_text(re.compile(r"^\d+(\.\d+)? (KiB|MiB)$"))
    await shots.take(page, "editor")


async def test_versions_are_offered_and_the_chosen_one_runs(open_tab: OpenTab) -> None:
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "python")
    versions = page.locator("select[name=version] option")
    labels = await versions.evaluate_all("options => options.map(o => [o.value, o.textContent])")
    assert [value for value, _ in labels] == ["", "3.13", "3.11", "pypy"], labels
    assert re.search(r"Python 3\.11 — 3\.11\.\d+$", labels[2][1]), labels
    await page.get_by_label("Version").select_option("3.11")
    await set_code(page, "import platform\nprint('running', platform.python_version())\n")
    await page.get_by_role("button", name="Run").click()
    await expect(page.get_by_test_id("result")).to_contain_text("OK", timeout=30_000)
    await expect(page.get_by_test_id("output")).to_contain_text(re.compile(r"running 3\.11\.\d+"))


async def test_compilation_errors_are_shown(open_tab: OpenTab) -> None:
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "c")
    await set_code(page, "int main(void) { return missing_name; }\n")
    await page.get_by_role("button", name="Run").click()
    compiler = page.get_by_role("region", name="Compiler output")
    await expect(compiler).to_contain_text("Compilation failed", timeout=60_000)
    await expect(compiler).to_contain_text("missing_name")
    await expect(page.get_by_test_id("result")).to_contain_text("Compilation error")


async def test_interactive_program_reads_what_is_typed_in_the_terminal(open_tab: OpenTab, shots: Screenshots) -> None:
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "python")
    await page.get_by_role("radio", name="Interactive terminal").check()
    await set_code(page, 'name = input("Your name? ")\nprint(f"Hello, {name}!")\nprint("second", input())\n')
    await page.get_by_role("button", name="Run").click()
    rows = page.locator(".term-host .xterm-rows")
    await expect(rows).to_contain_text("Your name?", timeout=30_000)
    await page.locator(".term-host").click()
    await page.keyboard.type("Ada")
    await page.keyboard.press("Enter")
    await expect(rows).to_contain_text("Hello, Ada!", timeout=15_000)
    # Still running, waiting for the second line.
    await expect(page.get_by_test_id("result")).to_have_count(0)
    await page.keyboard.type("line")
    await page.keyboard.press("Enter")
    await expect(rows).to_contain_text("second line", timeout=15_000)
    await expect(page.get_by_test_id("result")).to_contain_text("OK", timeout=15_000)
    await shots.take(page, "terminal")


async def test_stop_kills_an_interactive_program(open_tab: OpenTab) -> None:
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "python")
    await page.get_by_role("radio", name="Interactive terminal").check()
    await set_code(page, 'print("waiting", flush=True)\ninput()\n')
    await page.get_by_role("button", name="Run").click()
    await expect(page.locator(".term-host .xterm-rows")).to_contain_text("waiting", timeout=30_000)
    await page.get_by_role("button", name="Stop").click()
    result = page.get_by_test_id("result")
    await expect(result).to_contain_text("Cancelled", timeout=15_000)
    await expect(result).to_contain_text("Cancelled on request")


async def test_stop_cancels_a_run_in_output_mode(open_tab: OpenTab) -> None:
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "python")
    await set_code(page, 'import time\nprint("started", flush=True)\ntime.sleep(30)\n')
    await page.get_by_role("button", name="Run").click()
    await expect(page.get_by_test_id("output")).to_contain_text("started", timeout=30_000)
    await page.get_by_role("button", name="Stop").click()
    # The program is stopped (not only no longer followed): the result says so, long before 30 s.
    result = page.get_by_test_id("result")
    await expect(result).to_contain_text("Cancelled", timeout=15_000)
    await expect(result).to_contain_text("Cancelled on request")


async def test_phone_sign_in_api_keys_and_sign_out(open_tab: OpenTab, twilio: FakeTwilio, shots: Screenshots) -> None:
    tab = await open_tab("/")
    page = tab.page
    await expect(page.get_by_test_id("account-link")).to_have_text("Sign in")
    await page.goto("/#/account")
    for provider in ("google", "github"):
        link = page.get_by_role("link", name=re.compile(f"Sign in with {provider}", re.I))
        assert await link.get_attribute("href") == f"/auth/v1/oauth/{provider}/login?redirect_to=%2F"
    phone = new_phone()
    await sign_in(page, twilio, phone)
    await expect(page.get_by_test_id("whoami")).to_have_text(phone)
    await expect(page.get_by_test_id("account-link")).to_have_text(phone)
    # The session survives a reload (cookies).
    await page.reload()
    await expect(page.get_by_test_id("whoami")).to_have_text(phone)
    # An expired access cookie is renewed with the refresh cookie (no failing request on the way).
    # (Once the page's own requests are done: one still in flight would go without the cookie.)
    await page.wait_for_load_state("networkidle")
    await tab.context.clear_cookies(name="crh_access")
    await page.evaluate("localStorage.setItem('crh.session.expires', '0')")
    await page.reload()
    await expect(page.get_by_test_id("whoami")).to_have_text(phone)
    assert any(c["name"] == "crh_access" for c in await tab.context.cookies())

    await page.get_by_label("Name", exact=True).fill("laptop")
    await page.get_by_label("snippets:read").check()
    await page.get_by_role("button", name="Create key").click()
    key = await page.get_by_test_id("new-key").inner_text()
    assert re.fullmatch(r"crh_[A-Za-z0-9]+_\S+", key), key
    row = page.locator("table.keys tbody tr", has_text="laptop")
    await expect(row).to_contain_text("snippets:read")
    await shots.take(page, "account")

    # The key works against the API; revoking it from the page stops it.
    response = await page.request.get("/v1/snippets", headers={"Authorization": f"Bearer {key}"})
    assert response.status == 200
    page.once("dialog", lambda dialog: dialog.accept())
    await row.get_by_role("button", name="Revoke laptop").click()
    await expect(row).to_contain_text("revoked")
    response = await page.request.get("/v1/snippets", headers={"Authorization": f"Bearer {key}"})
    assert response.status == 401

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("button", name="Send code")).to_be_visible()
    await page.reload()
    await expect(page.get_by_test_id("account-link")).to_have_text("Sign in")


async def test_google_and_github_buttons_sign_in(open_tab: OpenTab, providers: FakeProviders) -> None:
    """Through the providers' (local) authorize pages and back: the session lands on the app's origin."""
    providers.github_user = {"id": uuid.uuid4().int % 10**9, "login": "octo-web", "name": "Octo Web"}
    providers.github_emails = []
    tab = await open_tab("/#/account")
    page = tab.page
    await page.get_by_role("link", name="Sign in with GitHub").click()
    await expect(page.get_by_test_id("account-link")).to_have_text("Octo Web")
    await page.get_by_role("link", name="Octo Web").click()
    await expect(page.get_by_test_id("whoami")).to_have_text("Octo Web")
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_test_id("account-link")).to_have_text("Sign in")

    subject = str(uuid.uuid4().int % 10**9)
    providers.google_user = {"sub": subject, "email": f"{subject}@example.com", "email_verified": True, "name": "Ada G"}
    await page.get_by_role("link", name="Sign in with Google").click()
    await expect(page.get_by_test_id("account-link")).to_have_text("Ada G")


async def test_snippets_save_update_share_and_fork(open_tab: OpenTab, twilio: FakeTwilio, shots: Screenshots) -> None:
    owner = await open_tab("/")
    page = owner.page
    await sign_in(page, twilio, new_phone())
    await page.goto("/#/")
    await choose_language(page, "python")
    await page.get_by_role("radio", name="Stdin box").check()
    await set_code(page, 'print("shared hello v1")\n')
    await page.get_by_label("Title").fill("Greeting")
    await page.get_by_label("Visibility").select_option("unlisted")
    await page.get_by_role("button", name="Save snippet").click()
    await expect(page.get_by_text("Saved revision 1.")).to_be_visible()
    share = page.get_by_label("Share link")
    link = await share.input_value()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/s/[\w-]+", link), link

    # Update and rename: a new revision; both revisions stay readable.
    await set_code(page, 'print("shared hello v2")\n')
    await page.get_by_label("Title").fill("Greeting, renamed")
    await page.get_by_role("button", name="Save revision").click()
    await expect(page.get_by_text("Saved revision 2.")).to_be_visible()
    revisions = page.locator("select[name=revision]")
    await expect(revisions.locator("option")).to_have_count(3)
    await revisions.select_option("1")
    await expect(page.locator(".cm-content")).to_contain_text("shared hello v1")
    await revisions.select_option("2")
    await expect(page.locator(".cm-content")).to_contain_text("shared hello v2")

    await page.goto("/#/snippets")
    card = page.locator(".cards li", has_text="Greeting, renamed")
    await expect(card).to_contain_text("unlisted · rev 2")
    await shots.take(page, "snippets")

    # The share link in a fresh browser (no session): it opens and runs.
    visitor = await open_tab(link)
    vpage = visitor.page
    await expect(vpage.locator(".cm-content")).to_contain_text("shared hello v2")
    await expect(vpage.get_by_label("Title")).to_have_value("Greeting, renamed")
    await vpage.get_by_role("radio", name="Stdin box").check()
    await vpage.get_by_role("button", name="Run").click()
    await expect(vpage.get_by_test_id("output")).to_contain_text("shared hello v2", timeout=30_000)
    await expect(vpage.get_by_role("button", name="Fork")).to_be_disabled()

    # Signed in as someone else, the visitor forks it: the copy is theirs to save.
    await sign_in(vpage, twilio, new_phone())
    await vpage.goto(link)
    await expect(vpage.locator(".cm-content")).to_contain_text("shared hello v2")
    await vpage.get_by_role("button", name="Fork").click()
    await expect(vpage.get_by_text(re.compile(r"Forked as .*this copy is yours"))).to_be_visible()
    await expect(vpage.get_by_role("button", name="Save revision")).to_be_visible()
    await vpage.goto("/#/snippets")
    await expect(vpage.locator(".cards li", has_text="Greeting, renamed")).to_contain_text("fork")

    # The owner makes it private: the link stops working.
    await page.goto("/#/")
    await page.get_by_label("Visibility").select_option("private")
    await page.get_by_role("button", name="Save revision").click()
    await expect(page.get_by_text("Saved revision 3.")).to_be_visible()
    late = await open_tab(link)
    await expect(late.page.get_by_role("alert")).to_contain_text("This link does not open a snippet")
    # That 404 is the test's doing, not an app error.
    late.errors.clear()


async def test_history_and_analytics(
    open_tab: OpenTab, twilio: FakeTwilio, shots: Screenshots, auth: AuthService, site: str
) -> None:
    tab = await open_tab("/")
    page = tab.page
    phone = new_phone()
    await sign_in(page, twilio, phone)
    await page.goto("/#/")
    await choose_language(page, "python")
    await page.get_by_role("radio", name="Stdin box").check()
    await set_code(page, 'print("from history")\n')
    await page.get_by_role("button", name="Run").click()
    await expect(page.get_by_test_id("result")).to_contain_text("OK", timeout=30_000)
    await set_code(page, "raise SystemExit(3)\n")
    await page.get_by_role("button", name="Run").click()
    await expect(page.get_by_test_id("result")).to_contain_text("Runtime error", timeout=30_000)

    await page.goto("/#/history")
    rows = page.locator("table.history tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text("Runtime error")
    await expect(rows.nth(1)).to_contain_text("OK")
    # Filters: by verdict.
    await page.get_by_label("Verdict").select_option("ok")
    await page.get_by_role("button", name="Filter").click()
    await expect(rows).to_have_count(1)
    await shots.take(page, "history")
    await rows.nth(0).get_by_role("link").click()
    await expect(page.get_by_role("region", name="Code", exact=True)).to_contain_text('print("from history")')
    await expect(page.get_by_role("region", name="Run", exact=True)).to_contain_text("from history")

    await page.goto("/#/analytics")
    # Languages, verdicts and run times are HTML bars; runs over time and code metrics uPlot.
    await expect(page.locator("figure.chart")).to_have_count(5)
    await expect(page.locator(".chart .uplot")).to_have_count(2)
    await expect(page.locator("table.stats tbody tr", has_text="python")).to_contain_text("2")
    await expect(page.get_by_text("2 runs; 2 finished.")).to_be_visible()
    await shots.take(page, "analytics")

    # What the same account runs through the Judge0 API is in the same history, marked as such.
    account = await http_sign_in(auth, twilio, phone)
    async with httpx.AsyncClient(base_url=site, timeout=60) as client:
        created = await client.post(
            "/judge0/submissions",
            params={"wait": "true"},
            headers=account.headers,
            json={"source_code": 'print("via judge0")', "language_id": 71},
        )
    assert created.status_code == 201, created.text
    await page.goto("/#/history")
    await expect(rows).to_have_count(3)
    await expect(rows.nth(0)).to_contain_text("via Judge0 API")
    await rows.nth(0).get_by_role("link").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("via Judge0 API")
    await expect(page.get_by_role("region", name="Run", exact=True)).to_contain_text("via judge0")


async def test_phone_width_and_labels(open_tab: OpenTab, shots: Screenshots) -> None:
    tab = await open_tab("/", width=390, height=844)
    page = tab.page
    await expect(page.locator(".cm-content")).to_be_visible()
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at phone width"
    await shots.take(page, "editor-phone")
    for path in ("/", "/#/account", "/#/snippets"):
        await page.goto(path)
        await expect(page.locator("#main > *").first).to_be_visible()
        unnamed = await page.evaluate(
            """() => [...document.querySelectorAll('input, select, textarea, button, a[href]')]
                .filter((el) => el.offsetParent !== null && !el.closest('.xterm'))
                .filter((el) => !((el.labels && el.labels.length) || el.getAttribute('aria-label')
                                  || el.textContent.trim()))
                .map((el) => el.outerHTML.slice(0, 80))"""
        )
        assert unnamed == [], f"{path}: controls without an accessible name: {unnamed}"
    # Keyboard: the skip link comes first and moves focus to the content.
    await page.goto("/")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Skip to content"


async def test_several_files_as_tabs(open_tab: OpenTab) -> None:
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "python")
    await page.get_by_role("radio", name="Stdin box").check()
    await set_code(page, "from helper import greet\nprint(greet())\n")
    await page.get_by_role("button", name="Add a file").click()
    await expect(page.get_by_role("tab", name="file2.py")).to_have_attribute("aria-selected", "true")
    page.once("dialog", lambda dialog: dialog.accept("helper.py"))
    await page.get_by_role("button", name="Rename file2.py").click()
    await expect(page.get_by_role("tab", name="helper.py")).to_be_visible()
    await page.locator(".cm-content").click()
    await page.keyboard.insert_text('def greet():\n    return "hello from helper"\n')
    # Each tab keeps its own text.
    await page.get_by_role("tab", name="main.py").click()
    await expect(page.locator(".cm-content")).to_contain_text("from helper import greet")
    await page.get_by_role("tab", name="helper.py").click()
    await expect(page.locator(".cm-content")).to_contain_text("hello from helper")
    await page.get_by_role("button", name="Run").click()
    await expect(page.get_by_test_id("output")).to_contain_text("hello from helper", timeout=30_000)
    # Both tabs survive a reload.
    await page.reload()
    await expect(page.get_by_role("tab")).to_have_count(2)
    await expect(page.locator(".cm-content")).to_contain_text("hello from helper")


# A line holding the string literal "hello" in each language whose `x = "hello";` is not one.
STRING_LINES = {
    "php": '<?php x = "hello";',
    "sql": "x = 'hello';",
    "elixir": 'x = "hello"',
    "erlang": 'X = "hello".',
    "ocaml": 'let x = "hello";;',
    "clojure": '(def x "hello")',
    "commonlisp": '(defvar *x* "hello")',
    "racket": '(define x "hello")',
    "scheme": '(define x "hello")',
    "prolog": 'greeting("hello").',
    "pascal": "x := 'hello';",
    "ada": 'Put_Line ("hello");',
    "d": 'string x = "hello";',
    "assembly": 'msg db "hello", 10',
    "objectivec": 'NSString *x = @"hello";',
    "cobol": '           DISPLAY "hello".',
    "nim": 'let x = "hello"',
    "crystal": 'x = "hello"',
    "swift": 'let x = "hello"',
    "vala": 'string x = "hello";',
    "forth": '." hello"',
    "r": 'x <- "hello"',
    "octave": "x = 'hello';",
    "tcl": 'set x "hello"',
    "awk": 'BEGIN { x = "hello" }',
    "coffeescript": 'x = "hello"',
    "basic": 'x$ = "hello"',
    "hy": '(setv x "hello")',
    "bc": '"hello"',
    "groovy": 'def x = "hello"',
    "scala": 'val x = "hello"',
}


async def test_every_language_is_highlighted(open_tab: OpenTab) -> None:
    """Each language the API lists loads its pack (or legacy mode) and colours a string literal; plain text, by
    design the one language without highlighting, colours nothing."""
    tab = await open_tab("/")
    page = tab.page
    await expect(page.locator("select[name=language] option")).not_to_have_count(0)
    ids = await page.locator("select[name=language] option").evaluate_all("options => options.map(o => o.value)")
    assert len(ids) >= 10, ids
    for language in ids:
        await choose_language(page, language)
        await set_code(page, STRING_LINES.get(language, 'x = "hello";') + "\n")
        string = page.locator(".cm-content [class*='tok-string']", has_text="hello")
        if language == "plaintext":
            await expect(page.locator(".cm-content")).to_contain_text('x = "hello";')
            await expect(string, "plaintext: nothing is highlighted").to_have_count(0)
            await expect(page.locator(".cm-content [class*='tok-']")).to_have_count(0)
            continue
        await expect(string.first, f"{language}: a string literal is highlighted").to_be_visible()
