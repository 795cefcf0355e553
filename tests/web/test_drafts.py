"""Drafts and addresses in the web app (issue 20): opening a snippet card, a share link or a run's
code keeps the unsaved code (the undo bar restores it; Back returns to the page and its code; a
reload keeps the tab's code); every snippet and run has a real address the gateway serves; old
/#/ links still open; each language has a starter, remembers its own code and can be reset; the
version picker lists the server's versions. Real gateway, auth service and executor, in chromium."""

from __future__ import annotations

import re
import secrets
from typing import Any

import httpx
from playwright.async_api import Page, expect

from tests.auth.fakes import FakeTwilio
from tests.auth_support import AuthService, fresh_phone
from tests.product.conftest import sign_in as http_sign_in
from tests.web.conftest import OpenTab, sign_in
from tests.web.test_web import choose_language, set_code

DRAFT = 'print("my unsaved draft")\n'


async def saved_snippet(auth: AuthService, twilio: FakeTwilio, site: str, visibility: str) -> dict[str, Any]:
    """A Python snippet someone else saved (through the API)."""
    account = await http_sign_in(auth, twilio, fresh_phone("628"))
    title = f"Greeter {secrets.token_hex(4)}"
    code = f'print("hello from {title}")\n'
    async with httpx.AsyncClient(base_url=site, timeout=30) as client:
        created = await client.post(
            "/v1/snippets",
            headers=account.headers,
            json={
                "title": title,
                "language": "python",
                "files": [{"name": "main.py", "content": code}],
                "visibility": visibility,
            },
        )
    assert created.status_code == 201, created.text
    snippet: dict[str, Any] = created.json()
    snippet["token"] = snippet["links"]["share"].rsplit("/", 1)[1]
    snippet["code"] = code
    return snippet


def editor(page: Page) -> Any:
    return page.locator(".cm-content")


def url_path(site: str, path: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(site + path) + "$")


async def test_a_snippet_card_keeps_the_draft_back_brings_it_back_and_reload_keeps_it(
    open_tab: OpenTab, auth: AuthService, twilio: FakeTwilio, site: str
) -> None:
    """A card opens the snippet at /snippets/<id> without losing the code typed before: the undo
    bar restores it, Back returns to / with it, Forward to the snippet as it was edited, and a
    reload keeps the tab's code. (On the original app a card replaced the code and went to /#/.)"""
    snippet = await saved_snippet(auth, twilio, site, "public")
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "python")
    await set_code(page, DRAFT)

    async def open_card() -> None:
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Snippets").click()
        await expect(page).to_have_url(url_path(site, "/snippets"))
        await page.get_by_role("radio", name="Public").check()
        await page.get_by_label("Search titles").fill(snippet["title"])
        await page.get_by_role("button", name="Search").click()
        await page.get_by_role("link", name=re.compile(re.escape(snippet["title"]))).click()
        await expect(page).to_have_url(url_path(site, f"/snippets/{snippet['id']}"))
        await expect(editor(page)).to_contain_text(snippet["title"])

    await open_card()
    bar = page.get_by_test_id("draft-bar")
    await expect(bar).to_contain_text(f'Opened "{snippet["title"]}". Your previous code was kept.')
    # Edited at its page, then reloaded: the tab's code stays (not the snippet fetched again).
    await page.locator(".cm-content").click()
    await page.keyboard.press("ControlOrMeta+End")
    await page.keyboard.insert_text("# edited here\n")
    await page.reload()
    await expect(editor(page)).to_contain_text("# edited here")
    await expect(page).to_have_url(url_path(site, f"/snippets/{snippet['id']}"))

    # Back: the list, then the editor with the draft; Forward: the snippet as edited.
    await page.go_back()
    await expect(page).to_have_url(url_path(site, "/snippets"))
    await page.go_back()
    await expect(page).to_have_url(url_path(site, "/"))
    await expect(editor(page)).to_contain_text("my unsaved draft")
    await expect(editor(page)).not_to_contain_text(snippet["title"])
    await page.go_forward()
    await page.go_forward()
    await expect(page).to_have_url(url_path(site, f"/snippets/{snippet['id']}"))
    await expect(editor(page)).to_contain_text("# edited here")

    # From the draft again: the card, then Restore.
    await page.go_back()
    await page.go_back()
    await expect(editor(page)).to_contain_text("my unsaved draft")
    await open_card()
    await bar.get_by_role("button", name="Restore").click()
    await expect(editor(page)).to_contain_text("my unsaved draft")
    await expect(bar).to_have_count(0)
    # The address follows: the draft is no snippet.
    await expect(page).to_have_url(url_path(site, "/"))

    # The snippet's address in a fresh browser: the page, not a 404.
    fresh = await open_tab("/")
    response = await fresh.page.goto(f"/snippets/{snippet['id']}")
    assert response is not None
    assert response.status == 200
    await expect(editor(fresh.page)).to_contain_text(snippet["title"])
    await expect(fresh.page.get_by_label("Title")).to_have_value(snippet["title"])


async def test_a_share_link_keeps_the_draft_and_old_hash_links_still_open(
    open_tab: OpenTab, auth: AuthService, twilio: FakeTwilio, site: str
) -> None:
    """/s/<token> opens the shared snippet and keeps the code it replaced (Restore, or Back); the
    links given out before, /#/s/<token>, open at the path form. (The original app had only the
    hash form, and opening it dropped the draft.)"""
    snippet = await saved_snippet(auth, twilio, site, "unlisted")
    token = snippet["token"]
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "python")
    await set_code(page, DRAFT)

    await page.goto(f"/s/{token}")
    await expect(editor(page)).to_contain_text(snippet["title"])
    bar = page.get_by_test_id("draft-bar")
    await expect(bar).to_contain_text("Your previous code was kept.")
    await page.go_back()
    await expect(page).to_have_url(url_path(site, "/"))
    await expect(editor(page)).to_contain_text("my unsaved draft")

    # The old form, as a link followed from the editor: the path form, the snippet, the undo bar.
    await page.goto(f"/#/s/{token}")
    await expect(page).to_have_url(url_path(site, f"/s/{token}"))
    await expect(editor(page)).to_contain_text(snippet["title"])
    await bar.get_by_role("button", name="Restore").click()
    await expect(editor(page)).to_contain_text("my unsaved draft")

    # And in a fresh browser.
    fresh = await open_tab(f"/#/s/{token}")
    await expect(fresh.page).to_have_url(url_path(site, f"/s/{token}"))
    await expect(editor(fresh.page)).to_contain_text(snippet["title"])
    await expect(fresh.page.get_by_test_id("draft-bar")).to_have_count(0)  # nothing was replaced
    for old, new in (("/#/snippets", "/snippets"), ("/#/account", "/account")):
        await fresh.page.goto(old)
        await expect(fresh.page).to_have_url(url_path(site, new))
    await expect(fresh.page.get_by_role("button", name="Send code")).to_be_visible()


async def test_history_open_in_the_editor_keeps_the_draft_and_runs_have_addresses(
    open_tab: OpenTab, twilio: FakeTwilio, site: str
) -> None:
    """History's "Open in the editor" keeps the code it replaces (Restore; Back to the run, then to
    the code); /history/<id> loads on its own in a new tab. (The original app dropped the code, and
    the gateway answered 404 at /history/<id>.)"""
    tab = await open_tab("/")
    page = tab.page
    await sign_in(page, twilio, fresh_phone("628"))
    await page.get_by_role("link", name="Editor").click()
    await choose_language(page, "python")
    await page.get_by_role("radio", name="Stdin box").check()
    await set_code(page, 'print("from a run")\n')
    await page.get_by_role("button", name="Run").click()
    await expect(page.get_by_test_id("result")).to_contain_text("OK", timeout=30_000)
    execution = (await (await page.request.get("/v1/executions")).json())["items"][0]
    await set_code(page, DRAFT)

    await page.get_by_role("link", name="History").click()
    await page.locator("table.history tbody tr").first.get_by_role("link").click()
    await expect(page).to_have_url(url_path(site, f"/history/{execution['id']}"))
    await page.get_by_role("button", name="Open in the editor").click()
    await expect(page).to_have_url(url_path(site, "/"))
    await expect(editor(page)).to_contain_text("from a run")
    bar = page.get_by_test_id("draft-bar")
    await expect(bar).to_contain_text("Opened the code of the python run")
    await bar.get_by_role("button", name="Restore").click()
    await expect(editor(page)).to_contain_text("my unsaved draft")

    # Once more, then Back: the run's page, then the list, then the editor with the draft.
    await page.go_back()
    await expect(page).to_have_url(url_path(site, f"/history/{execution['id']}"))
    await page.get_by_role("button", name="Open in the editor").click()
    await expect(editor(page)).to_contain_text("from a run")
    await page.go_back()
    await expect(page).to_have_url(url_path(site, f"/history/{execution['id']}"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text("python run")
    await page.go_back()
    await page.go_back()
    await expect(page).to_have_url(url_path(site, "/"))
    await expect(editor(page)).to_contain_text("my unsaved draft")

    # The run's address in a new tab of the same browser (its session): the page, not a 404.
    other = await tab.context.new_page()
    response = await other.goto(f"/history/{execution['id']}")
    assert response is not None
    assert response.status == 200
    await expect(other.get_by_role("region", name="Run", exact=True)).to_contain_text("from a run")
    await other.close()


async def test_languages_have_starters_remember_their_code_and_reset(open_tab: OpenTab, site: str) -> None:
    """Switching language shows its starter (every language the server lists has one, in its
    conventional file), switching back restores the code left there, Reset to example can be
    undone, and the version picker lists the server's versions. (The original app renamed the
    Python code main.go, and had no starter for most languages.)"""
    tab = await open_tab("/")
    page = tab.page
    await choose_language(page, "python")
    await set_code(page, 'print("python draft")\n')
    await choose_language(page, "go")
    await expect(editor(page)).to_contain_text('fmt.Println("Hello from Go")')
    await expect(page.get_by_role("tab", selected=True)).to_have_text(re.compile(r"main\.go"))
    await set_code(page, 'package main\n\nfunc main() { println("go draft") }\n')
    await choose_language(page, "python")
    await expect(editor(page)).to_contain_text("python draft")
    await expect(page.get_by_role("tab", selected=True)).to_have_text(re.compile(r"main\.py"))
    await choose_language(page, "go")
    await expect(editor(page)).to_contain_text("go draft")

    await page.get_by_role("button", name="Reset to example").click()
    await expect(editor(page)).to_contain_text("Hello from Go")
    bar = page.get_by_test_id("draft-bar")
    await expect(bar).to_contain_text("Reset to the Go example. Your previous code was kept.")
    await bar.get_by_role("button", name="Restore").click()
    await expect(editor(page)).to_contain_text("go draft")
    # The remembered code survives a reload.
    await page.reload()
    await expect(editor(page)).to_contain_text("go draft")
    await choose_language(page, "python")
    await expect(editor(page)).to_contain_text("python draft")

    async with httpx.AsyncClient(base_url=site, timeout=30) as client:
        listed = (await client.get("/v1/languages")).json()
    missing = []
    for language in listed:
        if language["id"] == "python":
            continue
        await choose_language(page, language["id"])
        name = re.compile(re.escape(language["source_file"]))
        await expect(page.get_by_role("tab", selected=True)).to_have_text(name)
        if not (await editor(page).inner_text()).strip():
            missing.append(language["id"])
        options = await page.locator("select[name=version] option").evaluate_all("os => os.map(o => o.value)")
        assert options == ["", *(v["variant"] for v in language["versions"])], (language["id"], options)
    assert missing == [], f"languages without a starter: {missing}"


async def test_the_gateway_serves_the_app_at_its_pages_only(site: str) -> None:
    """The app's pages get index.html (a reload or a shared link at /snippets/<id> works); API paths
    keep their own answers and a missing asset is still a 404."""
    async with httpx.AsyncClient(base_url=site, timeout=30) as client:
        for path in (
            "/snippets",
            "/snippets/0b5e2a5c-8a3e-4d0e-9a55-2f4f3f8a1b2c",
            "/history",
            "/history/0b5e2a5c-8a3e-4d0e-9a55-2f4f3f8a1b2c",
            "/s/abc_DEF-123",
            "/analytics",
            "/account",
        ):
            page = await client.get(path)
            assert page.status_code == 200, path
            assert '<div id="app">' in page.text, path
        for path in ("/assets/missing.js", "/snippets/a/b", "/nowhere"):
            assert (await client.get(path)).status_code == 404, path
        api = await client.get("/v1/snippets/not-a-snippet-route/extra")
        assert api.status_code == 404
        assert api.headers["content-type"].startswith("application/problem+json")
