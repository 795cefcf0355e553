"""Live sessions in the browser (issue 18, steps 4 and 5): two people in two browser contexts of
one chromium edit the same file and see each other's text and named cursor within a second; the
owner switches a participant's role and ends the session; a view link shows the code without
letting anyone change it, and no Run; the owner removes a viewer; at phone width the participants
are a row of avatars; an edit link opened signed out leads through sign-in and back; edits made
offline survive a reload (IndexedDB) and merge once the socket is back. Shared runs (the session's
real executor): an editor's run streams the same output and result to a viewer, and to a page
opened afterwards; another editor's Run offers to stop the run going first; Stop cancels it for
everyone. The owner names a user by id, and saves the session to the snippet: every page hears of
the new revision."""

from __future__ import annotations

import json
import re

from playwright.async_api import Dialog, Page, Route, WebSocketRoute, expect

from tests.auth.fakes import FakeTwilio
from tests.auth_support import fresh_phone
from tests.web.conftest import OpenTab, Screenshots, sign_in

# The acceptance bound: an edit or a cursor reaches the other browser within a second.
LIVE_MS = 1_000
SESSION_URL = re.compile(r"^http://127\.0\.0\.1:\d+/collab/[0-9a-f-]{36}$")
INVITE_URL = re.compile(r"^http://127\.0\.0\.1:\d+/collab/[0-9a-f-]{36}#k=\S+$")
# A shared run reaches the other pages within this of the page that started it.
SHARED_MS = 3_000
# The first output of a run (a cold sandbox included), as the playground's tests allow.
RUN_MS = 30_000


def accept_dialogs(page: Page) -> None:
    async def accept(dialog: Dialog) -> None:
        await dialog.accept()

    page.on("dialog", accept)


async def start_session(page: Page, twilio: FakeTwilio, code: str) -> None:
    """Signs in, saves `code` as a Python snippet and starts a live session on it."""
    await sign_in(page, twilio, fresh_phone("629"))
    await page.goto("/#/")
    await expect(page.locator("select[name=language] option")).not_to_have_count(0)
    await page.get_by_label("Language").select_option("python")
    await page.locator(".cm-content").click()
    await page.keyboard.press("ControlOrMeta+a")
    await page.keyboard.press("Delete")
    await page.keyboard.insert_text(code)
    await page.get_by_label("Title").fill("Pairing")
    await page.get_by_role("button", name="Save snippet").click()
    await expect(page.get_by_text("Saved revision 1.")).to_be_visible()
    await page.get_by_role("button", name="Share live").click()
    await expect(page).to_have_url(SESSION_URL)
    await expect(page.get_by_test_id("collab-status")).to_have_text("Live")
    await expect(page.locator(".collab-editor .cm-content")).to_contain_text(code.splitlines()[0])


async def create_link(page: Page, role: str, *, guests: bool = False) -> str:
    await page.get_by_role("button", name="Share", exact=True).click()
    dialog = page.get_by_role("dialog", name="Share this session")
    await expect(dialog).to_be_visible()
    if guests:
        await dialog.get_by_label("Guests without an account may watch").check()
        await expect(dialog.get_by_label("Guests without an account may watch")).to_be_checked()
    await dialog.get_by_role("button", name=f"Create {role} link").click()
    field = dialog.locator(f"input[name={'editor' if role == 'edit' else 'viewer'}-link]")
    await expect(field).to_have_value(INVITE_URL)
    copy = dialog.get_by_role("button", name=f"Copy the {role} link")
    await copy.click()
    await expect(copy).to_have_text("Copied")
    link = await field.input_value()
    await dialog.get_by_role("button", name="Done").click()
    await expect(dialog).to_be_hidden()
    return link


async def join(page: Page, link: str, name: str) -> None:
    await page.goto(link)
    await page.get_by_label("Your name").fill(name)
    await page.get_by_role("button", name="Join").click()
    await expect(page.get_by_test_id("collab-status")).to_have_text("Live")
    # The invite token leaves the address bar once used.
    await expect(page).to_have_url(SESSION_URL)


async def type_at_end(page: Page, text: str) -> None:
    await page.locator(".collab-editor .cm-content").click()
    await page.keyboard.press("ControlOrMeta+End")
    await page.keyboard.type(text)


async def test_two_editors_see_each_others_text_and_cursor_within_a_second(
    open_tab: OpenTab, twilio: FakeTwilio
) -> None:
    owner_tab = await open_tab("/")
    owner = owner_tab.page
    accept_dialogs(owner)
    await start_session(owner, twilio, 'print("hello")\n')
    link = await create_link(owner, "edit")

    # Someone else, signed in, opens the edit link and picks the name the others see.
    guest_tab = await open_tab("/")
    guest = guest_tab.page
    await sign_in(guest, twilio, fresh_phone("629"))
    await join(guest, link, "Grace")
    owner_editor = owner.locator(".collab-editor .cm-content")
    guest_editor = guest.locator(".collab-editor .cm-content")
    await expect(guest_editor).to_contain_text('print("hello")')
    await expect(guest.get_by_role("button", name="Run")).to_be_enabled()

    await type_at_end(owner, "\n# from the owner")
    await expect(guest_editor).to_contain_text("# from the owner", timeout=LIVE_MS)
    await type_at_end(guest, "\n# from Grace")
    await expect(owner_editor).to_contain_text("# from Grace", timeout=LIVE_MS)
    # Each sees the other's cursor, with the name the server gave them.
    await expect(owner.locator(".cm-ySelectionInfo", has_text="Grace")).to_be_visible(timeout=LIVE_MS)
    await type_at_end(owner, " ok")
    await expect(guest.locator(".cm-ySelectionInfo", has_text="Owner")).to_be_visible(timeout=LIVE_MS)
    await expect(guest_editor).to_contain_text("# from Grace ok", timeout=LIVE_MS)

    # Who is here, in colour, with their role.
    people = owner.get_by_test_id("participants")
    await expect(people.locator(".participant")).to_have_count(2)
    await expect(people).to_contain_text("Owner (you)")
    await expect(people.locator(".participant", has_text="Grace")).to_contain_text("can edit")
    # ...and the owner is labelled the owner on the others' pages too (not "can edit").
    guest_people = guest.get_by_test_id("participants")
    await expect(guest_people.locator(".participant", has_text="Owner")).to_contain_text("owner")
    await expect(guest_people.locator(".participant", has_text="Owner")).not_to_contain_text("can edit")

    # Undo takes back one's own edits only (a Y.UndoManager, not the editor's own history).
    await owner.locator(".collab-editor .cm-content").click()
    await owner.keyboard.press("ControlOrMeta+z")
    await expect(guest_editor).not_to_contain_text("# from Grace ok", timeout=LIVE_MS)
    await expect(guest_editor).to_contain_text("# from Grace")

    # A reload keeps the session (the participant cookie; the document comes back from the server).
    await guest.reload()
    await expect(guest.get_by_test_id("collab-status")).to_have_text("Live")
    await expect(guest_editor).to_contain_text("# from Grace")

    # The owner makes Grace a viewer: her page switches at once (no Run, not editable), and back.
    await owner.get_by_role("button", name="Share", exact=True).click()
    dialog = owner.get_by_role("dialog", name="Share this session")
    await dialog.get_by_label("Role of Grace").select_option("viewer")
    await expect(guest.get_by_text("You are watching")).to_be_visible()
    await expect(guest_editor).to_have_attribute("contenteditable", "false")
    await expect(guest.get_by_role("button", name="Run")).to_have_count(0)
    await dialog.get_by_label("Role of Grace").select_option("editor")
    await expect(guest_editor).to_have_attribute("contenteditable", "true")
    await dialog.get_by_role("button", name="Done").click()

    # The owner ends it: both pages say so, and the text stays readable but no longer editable.
    await owner.get_by_role("button", name="Share", exact=True).click()
    await owner.get_by_role("dialog").get_by_role("button", name="End session").click()
    await expect(guest.get_by_test_id("collab-over")).to_contain_text("The owner ended this session")
    await expect(guest.get_by_test_id("collab-status")).to_have_text("Ended")
    await expect(guest_editor).to_have_attribute("contenteditable", "false")
    await expect(guest_editor).to_contain_text("# from Grace")


async def test_view_link_watches_without_editing_and_the_owner_removes_the_viewer(
    open_tab: OpenTab, twilio: FakeTwilio
) -> None:
    owner_tab = await open_tab("/")
    owner = owner_tab.page
    accept_dialogs(owner)
    await start_session(owner, twilio, "total = 1 + 2\nprint(total)\n")
    link = await create_link(owner, "view", guests=True)

    # A guest without an account, on a phone.
    viewer_tab = await open_tab("/", width=390, height=844)
    viewer = viewer_tab.page
    await join(viewer, link, "Vera")
    viewer_editor = viewer.locator(".collab-editor .cm-content")
    await expect(viewer_editor).to_contain_text("total = 1 + 2")
    await expect(viewer.get_by_text("You are watching")).to_be_visible()
    await expect(viewer.get_by_role("button", name="Run")).to_have_count(0)
    await expect(viewer_editor).to_have_attribute("contenteditable", "false")
    before = await viewer_editor.inner_text()
    await viewer_editor.click()
    await viewer.keyboard.type("zzz")
    await viewer.keyboard.press("Enter")
    assert await viewer_editor.inner_text() == before
    # The owner's edits reach the viewer; nothing of the viewer's reaches the owner.
    await type_at_end(owner, "# watched")
    await expect(viewer_editor).to_contain_text("# watched", timeout=LIVE_MS)
    await expect(owner.locator(".collab-editor .cm-content")).not_to_contain_text("zzz")

    # Phone width: the participants are one row of coloured avatars, and nothing scrolls sideways.
    row = viewer.get_by_test_id("participants")
    avatars = row.locator(".avatar")
    await expect(avatars).to_have_count(2)
    await expect(avatars.first).to_be_visible()
    tops = {round((await avatars.nth(i).bounding_box() or {"y": -1})["y"]) for i in range(2)}
    assert len(tops) == 1, f"avatars on several rows: {tops}"
    assert await row.locator(".participant").first.get_attribute("title") == "Vera (you), view only"
    overflow = await viewer.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the session page scrolls sideways by {overflow}px at phone width"

    # The owner removes the viewer: the viewer's page says so.
    await owner.get_by_role("button", name="Share", exact=True).click()
    dialog = owner.get_by_role("dialog", name="Share this session")
    await dialog.get_by_role("button", name="Remove Vera").click()
    await expect(dialog.locator(".people li", has_text="Vera")).to_contain_text("removed")
    await expect(viewer.get_by_test_id("collab-over")).to_contain_text("You were removed from this session")
    await expect(viewer.get_by_test_id("collab-status")).to_have_text("Closed")


async def test_an_edit_link_opened_signed_out_asks_to_sign_in_and_comes_back(
    open_tab: OpenTab, twilio: FakeTwilio
) -> None:
    owner_tab = await open_tab("/")
    owner = owner_tab.page
    await start_session(owner, twilio, 'print("sign in first")\n')
    link = await create_link(owner, "edit")

    visitor_tab = await open_tab("/")
    visitor = visitor_tab.page
    await visitor.goto(link)
    await visitor.get_by_label("Your name").fill("Hal")
    await visitor.get_by_role("button", name="Join").click()
    # This session admits no guests: sign in, and the invite opens again.
    await visitor.get_by_role("button", name="Sign in to join").click()
    await expect(visitor).to_have_url(re.compile(r"/account$"))
    await visitor.get_by_label("Phone number").fill(fresh_phone("629"))
    await visitor.get_by_role("button", name="Send code").click()
    sent = visitor.get_by_text("We sent a code to")
    await sent.wait_for()
    e164 = (await sent.inner_text()).removeprefix("We sent a code to ").rstrip(".")
    await visitor.get_by_label("Code").fill(twilio.codes[e164])
    await visitor.get_by_role("button", name="Verify and sign in").click()
    await expect(visitor).to_have_url(INVITE_URL)
    await expect(visitor.get_by_label("Your name")).to_have_value("Hal")
    await visitor.get_by_role("button", name="Join").click()
    await expect(visitor.get_by_test_id("collab-status")).to_have_text("Live")
    await expect(visitor.locator(".collab-editor .cm-content")).to_have_attribute("contenteditable", "true")
    await expect(owner.get_by_test_id("participants")).to_contain_text("Hal")
    # The refused join (401) is the test's doing, not an app error.
    visitor_tab.errors[:] = [e for e in visitor_tab.errors if "401" not in e]


async def no_webrtc(route: Route) -> None:
    problem = {"type": "https://coderunhub.dev/problems/collab-webrtc-disabled", "title": "WebRTC off", "status": 404}
    await route.fulfill(status=404, content_type="application/problem+json", body=json.dumps(problem))


async def test_edits_made_offline_survive_a_reload_and_merge_on_reconnect(
    open_tab: OpenTab, twilio: FakeTwilio
) -> None:
    owner_tab = await open_tab("/")
    owner = owner_tab.page
    await start_session(owner, twilio, 'print("offline")\n')
    link = await create_link(owner, "edit")

    # The editor's sockets pass through a switch the test flips (the page stays online for HTTP).
    guest_tab = await open_tab("/")
    guest = guest_tab.page
    cut = False
    sockets: list[WebSocketRoute] = []

    async def route(socket: WebSocketRoute) -> None:
        if cut:
            await socket.close(code=1012, reason="Gateway restarting")
            return
        socket.connect_to_server()
        sockets.append(socket)

    await guest.route_web_socket(re.compile(r"/v1/collab/sessions/[^/]+/socket"), route)
    # Truly offline: no peer-to-peer link either (a page whose network is down has none; here the
    # page is told WebRTC is off, as a gateway with it turned off answers).
    await guest.route(re.compile(r"/v1/collab/sessions/[^/]+/rtc$"), no_webrtc)
    await sign_in(guest, twilio, fresh_phone("629"))
    await join(guest, link, "Otto")
    guest_editor = guest.locator(".collab-editor .cm-content")
    await expect(guest_editor).to_contain_text('print("offline")')

    cut = True
    for socket in sockets:
        await socket.close(code=1012, reason="Gateway restarting")
    await expect(guest.get_by_test_id("collab-status")).to_contain_text("Offline")
    await type_at_end(guest, "\n# typed offline")
    # y-indexeddb writes each update as it is made; a reload while still cut off shows it again.
    await guest.wait_for_timeout(300)
    await guest.reload()
    await expect(guest_editor).to_contain_text("# typed offline")
    await expect(owner.locator(".collab-editor .cm-content")).not_to_contain_text("# typed offline")

    cut = False
    await expect(guest.get_by_test_id("collab-status")).to_have_text("Live", timeout=10_000)
    await expect(owner.locator(".collab-editor .cm-content")).to_contain_text("# typed offline")
    # The 404s the test answered for /rtc are its doing.
    guest_tab.errors[:] = [e for e in guest_tab.errors if "404" not in e]


def session_id(page: Page) -> str:
    return page.url.rsplit("/", 1)[1]


async def run_code(page: Page, stdin: str | None = None) -> None:
    if stdin is not None:
        await page.get_by_label("Standard input").fill(stdin)
    await page.get_by_role("button", name="▶ Run", exact=True).click()


async def colour(page: Page, selector: str) -> str:
    return str(await page.locator(selector).first.evaluate("node => getComputedStyle(node).backgroundColor"))


async def test_an_editors_run_streams_the_same_output_and_result_to_a_viewer(
    open_tab: OpenTab, twilio: FakeTwilio, shots: Screenshots
) -> None:
    owner_tab = await open_tab("/")
    owner = owner_tab.page
    await start_session(
        owner, twilio, 'import sys\nprint("got:", sys.stdin.read().strip())\nprint("to stderr", file=sys.stderr)\n'
    )
    link = await create_link(owner, "view", guests=True)

    # A guest watching on a phone: no Run, no Stop, no input of their own.
    viewer_tab = await open_tab("/", width=390, height=844)
    viewer = viewer_tab.page
    await join(viewer, link, "Vera")
    await expect(viewer.get_by_role("button", name="Run")).to_have_count(0)
    await expect(viewer.get_by_role("button", name="■ Stop", exact=True)).to_have_count(0)
    await expect(viewer.get_by_label("Standard input")).to_have_count(0)
    await expect(viewer.get_by_test_id("shared-run")).to_have_count(0)

    await run_code(owner, "hello from stdin")
    owner_run, viewer_run = owner.get_by_test_id("shared-run"), viewer.get_by_test_id("shared-run")
    await expect(owner_run.get_by_test_id("output")).to_contain_text("got: hello from stdin", timeout=RUN_MS)
    await expect(owner_run.get_by_test_id("result")).to_contain_text("OK", timeout=RUN_MS)
    # The viewer sees the same run: who started it, its output (stderr in red) and its result.
    await expect(viewer_run.get_by_test_id("run-by")).to_contain_text("Run by Owner", timeout=SHARED_MS)
    await expect(viewer_run.get_by_test_id("output")).to_contain_text("got: hello from stdin", timeout=SHARED_MS)
    await expect(viewer_run.get_by_test_id("result")).to_contain_text("OK", timeout=SHARED_MS)
    await expect(viewer_run.locator(".output .stderr")).to_contain_text("to stderr")
    await expect(owner_run.get_by_test_id("run-by")).to_contain_text("Run by Owner (you)")
    output = await owner_run.get_by_test_id("output").inner_text()
    assert await viewer_run.get_by_test_id("output").inner_text() == output
    assert output.count("got: hello from stdin") == 1, output
    for field in ("time", "memory"):
        assert await viewer_run.get_by_test_id(field).inner_text() == await owner_run.get_by_test_id(field).inner_text()
    # In the runner's colour, the one their avatar has.
    owner_colour = await colour(viewer, ".participant[title^='Owner'] .avatar")
    assert await colour(viewer, "[data-testid=run-by] .dot") == owner_colour

    # Phone width: the output is below the editor, and nothing scrolls sideways.
    editor_box = await viewer.locator(".collab-editor").bounding_box()
    output_box = await viewer_run.get_by_test_id("output").bounding_box()
    assert editor_box is not None
    assert output_box is not None
    assert output_box["y"] >= editor_box["y"] + editor_box["height"]
    overflow = await viewer.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the session page scrolls sideways by {overflow}px at phone width"
    await shots.take(owner, "collab-session")
    await shots.take(viewer, "collab-session-phone")

    # A page opened afterwards finds the last run (runs/current) and its output.
    await viewer.reload()
    await expect(viewer.get_by_test_id("collab-status")).to_have_text("Live")
    await expect(viewer_run.get_by_test_id("output")).to_contain_text("got: hello from stdin", timeout=SHARED_MS)
    await expect(viewer_run.get_by_test_id("result")).to_contain_text("OK")


async def test_stop_cancels_a_shared_run_for_everyone(open_tab: OpenTab, twilio: FakeTwilio) -> None:
    owner_tab = await open_tab("/")
    owner = owner_tab.page
    await start_session(owner, twilio, 'import time\nprint("started", flush=True)\ntime.sleep(30)\n')
    link = await create_link(owner, "edit")
    editor_tab = await open_tab("/")
    editor = editor_tab.page
    await sign_in(editor, twilio, fresh_phone("629"))
    await join(editor, link, "Grace")
    owner_run, editor_run = owner.get_by_test_id("shared-run"), editor.get_by_test_id("shared-run")

    await run_code(editor)
    await expect(editor_run.get_by_test_id("output")).to_contain_text("started", timeout=RUN_MS)
    await expect(owner_run.get_by_test_id("run-by")).to_contain_text("Run by Grace", timeout=SHARED_MS)
    await expect(owner_run.get_by_test_id("output")).to_contain_text("started", timeout=SHARED_MS)

    # Another editor's Run while it goes: an offer to stop it first (nothing runs until they say so).
    await run_code(owner)
    offer = owner.get_by_role("alert").filter(has_text="Grace's run is still going")
    await expect(offer).to_be_visible()
    await offer.get_by_role("button", name="Keep it").click()
    await expect(offer).to_be_hidden()
    await run_code(owner)
    await offer.get_by_role("button", name="Stop and run").click()
    # Everyone switches to the new run's stream.
    await expect(editor_run.get_by_test_id("run-by")).to_contain_text("Run by Owner", timeout=SHARED_MS)
    await expect(owner_run.get_by_test_id("output")).to_contain_text("started", timeout=RUN_MS)
    await expect(editor_run.get_by_test_id("output")).to_contain_text("started", timeout=SHARED_MS)
    await expect(owner_run.get_by_test_id("result")).to_have_count(0)

    # Grace stops the owner's run: both see it cancelled, long before its 30 s.
    await editor.get_by_role("button", name="■ Stop", exact=True).click()
    for run in (editor_run, owner_run):
        await expect(run.get_by_test_id("result")).to_contain_text("Cancelled", timeout=15_000)
        await expect(run.get_by_test_id("result")).to_contain_text("Cancelled on request")
    await expect(owner.get_by_role("button", name="■ Stop", exact=True)).to_be_disabled()


async def test_the_owner_names_a_user_and_saves_to_the_snippet(open_tab: OpenTab, twilio: FakeTwilio) -> None:
    owner_tab = await open_tab("/")
    owner = owner_tab.page
    accept_dialogs(owner)
    await start_session(owner, twilio, 'print("draft")\n')
    sid = session_id(owner)

    # Grace has an account; the owner names her by its id, no link: she opens the session's address.
    editor_tab = await open_tab("/")
    editor = editor_tab.page
    await sign_in(editor, twilio, fresh_phone("629"))
    me = await (await editor.request.get("/auth/v1/me")).json()
    await owner.get_by_role("button", name="Share", exact=True).click()
    dialog = owner.get_by_role("dialog", name="Share this session")
    form = dialog.get_by_role("region", name="Name a user")
    await form.get_by_label("User id").fill("not-an-id")
    await form.get_by_role("button", name="Add").click()
    await expect(dialog.get_by_role("alert")).to_contain_text("A user id looks like")
    await form.get_by_label("User id").fill(me["id"])
    await form.get_by_label("Role").select_option("editor")
    await form.get_by_role("button", name="Add").click()
    await expect(form.get_by_role("status")).to_contain_text("may now open this session's page and edit")
    await expect(dialog.locator(".people li")).to_have_count(2)
    await dialog.get_by_role("button", name="Done").click()
    await editor.goto(f"/collab/{sid}")
    await expect(editor.get_by_test_id("collab-status")).to_have_text("Live")
    editor_text = editor.locator(".collab-editor .cm-content")
    await expect(editor_text).to_have_attribute("contenteditable", "true")
    await expect(editor.get_by_role("button", name="Save to snippet")).to_have_count(0)
    await type_at_end(editor, "# saved by Grace")
    await expect(owner.locator(".collab-editor .cm-content")).to_contain_text("# saved by Grace", timeout=LIVE_MS)

    await owner.get_by_role("button", name="Save to snippet").click()
    await expect(owner.get_by_test_id("collab-saved")).to_have_text(re.compile("Saved as revision 2 of the snippet"))
    await expect(editor.get_by_test_id("collab-saved")).to_contain_text(
        "The owner saved this code as revision 2 of the snippet", timeout=SHARED_MS
    )
    session = await (await owner.request.get(f"/v1/collab/sessions/{sid}")).json()
    snippet = await (await owner.request.get(f"/v1/snippets/{session['snippet_id']}")).json()
    assert snippet["revision"] == 2
    assert snippet["files"][0]["content"] == 'print("draft")\n# saved by Grace'

    # Saving again without edits adds no revision.
    await owner.get_by_role("button", name="Dismiss").click()
    await expect(owner.get_by_test_id("collab-saved")).to_have_count(0)
    await owner.get_by_role("button", name="Save to snippet").click()
    await expect(owner.get_by_test_id("collab-saved")).to_contain_text("No changes: revision 2")


async def test_editors_type_into_an_interactive_shared_run(open_tab: OpenTab, twilio: FakeTwilio) -> None:
    owner_tab = await open_tab("/")
    owner = owner_tab.page
    await start_session(
        owner,
        twilio,
        'while True:\n    line = input()\n    print("echo:", line, flush=True)\n    if line == "bye": break\n',
    )
    link = await create_link(owner, "edit")
    editor_tab = await open_tab("/")
    editor = editor_tab.page
    await sign_in(editor, twilio, fresh_phone("629"))
    await join(editor, link, "Grace")
    owner_run, editor_run = owner.get_by_test_id("shared-run"), editor.get_by_test_id("shared-run")

    await owner.get_by_label("Interactive").check()
    await run_code(owner)
    # Both editors get the input line; what each types reaches the one program, and both see it.
    await expect(editor_run.get_by_test_id("run-input")).to_be_visible(timeout=SHARED_MS)
    await owner_run.get_by_label("Input for the program").fill("hello")
    await owner_run.get_by_label("Input for the program").press("Enter")
    await expect(editor_run.get_by_test_id("output")).to_contain_text("echo: hello", timeout=RUN_MS)
    await editor_run.get_by_label("Input for the program").fill("bye")
    await editor_run.get_by_label("Input for the program").press("Enter")
    for run in (owner_run, editor_run):
        await expect(run.get_by_test_id("output")).to_contain_text("echo: bye", timeout=RUN_MS)
        await expect(run.get_by_test_id("result")).to_contain_text("OK", timeout=RUN_MS)
        await expect(run.get_by_test_id("run-input")).to_have_count(0)
