"""Collaborative sessions as deployed: Debian's nginx (deploy/nginx's template, serving the web
app's build) in front of two gateway processes, two people in two chromium contexts.

- Two editors whose sockets two different gateways serve see each other's text and named cursor
  within a second (the gateways relay through Redis).
- SIGKILL the gateway serving one of them: she keeps typing through the cut, her client reconnects
  by itself (y-websocket's retries; nginx sends it to the surviving gateway), and both pages end up
  with everything either of them typed; the owner saves, and the snippet's new revision holds it.
- A view-only participant cannot type in the page, and the updates its credential sends over the
  socket directly are dropped, the third closing the socket with 4403.
- The WebRTC signaling socket goes through nginx to any gateway, and the app's pages (not the
  embeddable widget) may ask for the microphone, for a session's voice."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    async_playwright,
    expect,
)
from pycrdt import Doc

from services.gateway.collab import protocol
from tests.auth.fakes import FakeTwilio
from tests.auth_support import AuthService, fresh_phone
from tests.conftest import ROOT
from tests.deploy.suite import Suite, running_suite
from tests.product import collab_clients
from tests.product.collab_clients import files, raw, text_of
from tests.product.conftest import sign_in as sign_in_by_api
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, sign_in

# The acceptance bound while every gateway is up: an edit or a cursor reaches the other browser
# within a second.
LIVE_MS = 1_000
# After a gateway is killed: the client notices the cut, waits out y-websocket's backoff (200 ms
# for the first retry), reconnects through nginx to the survivor and syncs. A few seconds, for a
# loaded 2-core machine.
FAILOVER_MS = 6_000
SESSION_URL = re.compile(r"^http://127\.0\.0\.1:\d+/collab/[0-9a-f-]{36}$")
INVITE_URL = re.compile(r"^http://127\.0\.0\.1:\d+/collab/[0-9a-f-]{36}#k=\S+$")
SOCKET = re.compile(r"/v1/collab/sessions/[0-9a-f-]{36}/socket")
# The editor auto-closes brackets and quotes, and completes words (Enter would pick one): what the
# tests type is comments of lowercase words and digits, each on a line of its own.
FIRST_LINE = 'print("hello")'


@pytest.fixture(scope="module")
def web_dist() -> Path:
    """The web app's build (`make web`: cheap when up to date), which nginx serves at /."""
    subprocess.run(["make", "-s", "web"], cwd=ROOT, check=True)
    dist = ROOT / "web" / "dist"
    assert (dist / "index.html").is_file()
    return dist


@pytest_asyncio.fixture(scope="module")
async def collab_suite(auth: AuthService, web_dist: Path) -> AsyncIterator[Suite]:
    """nginx serving the web app, in front of two gateways that take its pages' cookies on sockets.
    No executor: nothing runs code here."""
    with running_suite(auth, web_dist=web_dist) as suite:
        yield suite


@pytest_asyncio.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        await browser.close()


@dataclass
class Socket:
    url: str
    #: The gateway that accepted it (its X-CRH-Instance header), once the handshake answered.
    instance: str | None = None
    #: Chromium reported it closed (it does not for sockets a navigation tore down).
    closed: bool = False


@dataclass
class Tab:
    """A page in a context of its own, the session sockets it opened (seen over CDP, with the
    gateway that answered each handshake through nginx) and the errors its console reported."""

    page: Page
    context: BrowserContext
    sockets: dict[str, Socket] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def opened(self) -> list[Socket]:
        """The session sockets whose handshake succeeded, oldest first."""
        return [s for s in self.sockets.values() if s.instance is not None]

    async def serving(self, after: int = 0, timeout: float = 10) -> Socket:
        """The newest session socket a gateway accepted, once there are more than ``after``."""
        async with asyncio.timeout(timeout):
            while len(self.opened()) <= after or self.opened()[-1].closed:
                await asyncio.sleep(0.05)
        return self.opened()[-1]


@dataclass
class Browsers:
    browser: Browser
    suite: Suite
    tabs: list[Tab] = field(default_factory=list)

    async def open(self) -> Tab:
        context = await self.browser.new_context(base_url=self.suite.url, viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        tab = Tab(page, context)
        self.tabs.append(tab)

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                tab.errors.append(f"{message.text} @ {message.location}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: tab.errors.append(f"page error: {error}"))

        # The handshakes' response headers name the gateway behind nginx: Chromium reports them
        # over the DevTools protocol (Playwright's own events do not carry them).
        cdp = await context.new_cdp_session(page)

        def created(event: dict[str, Any]) -> None:
            if SOCKET.search(event["url"]):
                tab.sockets[event["requestId"]] = Socket(event["url"])

        def answered(event: dict[str, Any]) -> None:
            socket = tab.sockets.get(event["requestId"])
            headers = {k.lower(): v for k, v in event["response"]["headers"].items()}
            if socket is not None and event["response"]["status"] == 101:
                socket.instance = headers.get("x-crh-instance")

        def closed(event: dict[str, Any]) -> None:
            if (socket := tab.sockets.get(event["requestId"])) is not None:
                socket.closed = True

        cdp.on("Network.webSocketCreated", created)
        cdp.on("Network.webSocketHandshakeResponseReceived", answered)
        cdp.on("Network.webSocketClosed", closed)
        await cdp.send("Network.enable")
        await page.goto("/")
        return tab


@pytest_asyncio.fixture
async def browsers(browser: Browser, collab_suite: Suite) -> AsyncIterator[Browsers]:
    """Fresh browser contexts (own cookies, IndexedDB) through nginx; console errors fail the test."""
    opened = Browsers(browser, collab_suite)
    yield opened
    for tab in opened.tabs:
        await tab.context.close()
    for tab in opened.tabs:
        assert tab.errors == [], tab.errors


@pytest.fixture
def all_gateways_up(collab_suite: Suite) -> None:
    """Both gateways running (a test that failed half-way may have left one killed)."""
    for gateway in collab_suite.gateways:
        if not gateway.running:
            gateway.start()


# --- the web app's steps -----------------------------------------------------------------------


async def start_session(page: Page, twilio: FakeTwilio) -> str:
    """Signs in, saves a Python snippet and starts a live session on it: the session's id."""
    await sign_in(page, twilio, fresh_phone("629"))
    await page.goto("/#/")
    await expect(page.locator("select[name=language] option")).not_to_have_count(0)
    await page.get_by_label("Language").select_option("python")
    await page.locator(".cm-content").click()
    await page.keyboard.press("ControlOrMeta+a")
    await page.keyboard.press("Delete")
    await page.keyboard.insert_text(FIRST_LINE + "\n")
    await page.get_by_label("Title").fill("Pairing through nginx")
    await page.get_by_role("button", name="Save snippet").click()
    await expect(page.get_by_text("Saved revision 1.")).to_be_visible()
    await page.get_by_role("button", name="Share live").click()
    await expect(page).to_have_url(SESSION_URL)
    await expect(page.get_by_test_id("collab-status")).to_have_text("Live")
    await expect(editor(page)).to_contain_text(FIRST_LINE)
    return page.url.rsplit("/", 1)[1]


async def create_link(page: Page, role: str) -> str:
    await page.get_by_role("button", name="Share", exact=True).click()
    dialog = page.get_by_role("dialog", name="Share this session")
    await dialog.get_by_role("button", name=f"Create {role} link").click()
    link = dialog.locator(f"input[name={'editor' if role == 'edit' else 'viewer'}-link]")
    await expect(link).to_have_value(INVITE_URL)
    value = await link.input_value()
    await dialog.get_by_role("button", name="Done").click()
    await expect(dialog).to_be_hidden()
    return value


async def join(tab: Tab, twilio: FakeTwilio, link: str, name: str) -> None:
    """Signs in and opens the invite link (through nginx, as the owner shared it)."""
    await sign_in(tab.page, twilio, fresh_phone("629"))
    await tab.page.goto(link)
    await tab.page.get_by_label("Your name").fill(name)
    await tab.page.get_by_role("button", name="Join").click()
    await expect(tab.page.get_by_test_id("collab-status")).to_have_text("Live")
    await expect(tab.page).to_have_url(SESSION_URL)


def editor(page: Page) -> Locator:
    return page.locator(".collab-editor .cm-content")


async def type_line(page: Page, text: str, *, at_start: bool = False, delay: float = 0) -> None:
    """A new line holding ``text``: at the end of the document, or before its first line."""
    await editor(page).click()
    if at_start:
        await page.keyboard.press("ControlOrMeta+Home")
        await page.keyboard.type(text, delay=delay)
        await page.keyboard.press("Enter")
    else:
        await page.keyboard.press("ControlOrMeta+End")
        await page.keyboard.press("Enter")
        await page.keyboard.type(text, delay=delay)


# The document's text as the editor shows it, without the others' cursors and their name labels
# (y-codemirror.next draws them inside the lines).
DOCUMENT_TEXT = """(root) => [...root.querySelectorAll('.cm-line')].map((line) => {
  const copy = line.cloneNode(true);
  copy.querySelectorAll('.cm-ySelectionCaret, .cm-ySelectionInfo, .cm-widgetBuffer').forEach((e) => e.remove());
  return copy.textContent;
}).join('\\n')"""


async def document_text(page: Page) -> str:
    text: str = await editor(page).evaluate(DOCUMENT_TEXT)
    return text


# Every text the status badge shows, in order (a cut may last only until the first retry), and
# the characters typed while it said Offline.
WATCH_STATUS = """() => {
  const status = () => document.querySelector('[data-testid=collab-status]')?.textContent ?? '';
  window.crhStatuses = [status()];
  window.crhTypedOffline = '';
  new MutationObserver(() => {
    if (window.crhStatuses.at(-1) !== status()) window.crhStatuses.push(status());
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
  document.addEventListener('keydown', (event) => {
    if (event.key.length === 1 && status().startsWith('Offline')) window.crhTypedOffline += event.key;
  }, true);
}"""


async def offline_watch(page: Page) -> tuple[list[str], str]:
    """What WATCH_STATUS saw: the statuses shown, and what was typed while offline."""
    seen: tuple[list[str], str] = await page.evaluate("() => [window.crhStatuses, window.crhTypedOffline]")
    return seen


async def on_another_gateway(guest: Tab, owner_on: str, suite: Suite) -> Socket:
    """The guest's socket, on a gateway other than ``owner_on``.

    nginx balances the gateways by least connections, so the guest's socket, opened while the
    owner's is the only one, almost always goes to the other gateway; should it land on the
    owner's anyway (a connection of the page's REST calls still counted there, say), a reload opens
    a new socket, which nginx places again. The handshake's X-CRH-Instance header (read over CDP)
    says which gateway accepted each socket."""
    for _ in range(10):
        socket = await guest.serving()
        if socket.instance != owner_on:
            assert socket.instance in {g.instance for g in suite.gateways}, socket
            return socket
        before = len(guest.opened())
        await guest.page.reload()
        await expect(guest.page.get_by_test_id("collab-status")).to_have_text("Live")
        await guest.serving(after=before)
    raise AssertionError(f"every socket of the guest landed on the owner's gateway {owner_on}")


async def save(owner: Tab, sid: str) -> None:
    """The owner saves the document to the snippet: the page's button, else the REST call the page
    would make (with the page's session cookie and CSRF token)."""
    button = owner.page.get_by_role("button", name="Save to snippet")
    if await button.count():
        await button.click()
        await expect(owner.page.get_by_text(re.compile(r"Saved as revision \d+ of the snippet"))).to_be_visible()
        return
    csrf = next(c["value"] for c in await owner.context.cookies() if c["name"] == "crh_csrf")
    saved = await owner.context.request.post(f"/v1/collab/sessions/{sid}/save", headers={"X-CSRF-Token": csrf})
    assert saved.status == 200, await saved.text()
    assert (await saved.json())["saved"] is True


async def get_json(tab: Tab, path: str) -> dict[str, Any]:
    response = await tab.context.request.get(path)
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


# --- the tests ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("all_gateways_up")
async def test_editors_on_two_gateways_stay_in_step_through_a_gateway_killed_under_one(
    browsers: Browsers, collab_suite: Suite, twilio: FakeTwilio
) -> None:
    suite = collab_suite
    owner = await browsers.open()
    sid = await start_session(owner.page, twilio)
    owner_on = (await owner.serving()).instance
    assert owner_on is not None
    link = await create_link(owner.page, "edit")

    guest = await browsers.open()
    await join(guest, twilio, link, "Grace")
    guest_on = (await on_another_gateway(guest, owner_on, suite)).instance
    assert guest_on is not None
    victim, survivor = suite.serving(guest_on), suite.serving(owner_on)
    await expect(editor(guest.page)).to_contain_text(FIRST_LINE)

    # 1. Live, each through its own gateway: text and named cursors within a second.
    await type_line(owner.page, "# from the owner")
    await expect(editor(guest.page)).to_contain_text("# from the owner", timeout=LIVE_MS)
    await type_line(guest.page, "# from grace")
    await expect(editor(owner.page)).to_contain_text("# from grace", timeout=LIVE_MS)
    await expect(owner.page.locator(".cm-ySelectionInfo", has_text="Grace")).to_be_visible(timeout=LIVE_MS)
    await type_line(owner.page, "# owner again", at_start=True)
    await expect(guest.page.locator(".cm-ySelectionInfo", has_text="Owner")).to_be_visible(timeout=LIVE_MS)
    await expect(editor(guest.page)).to_contain_text("# owner again", timeout=LIVE_MS)
    assert [s.instance for s in owner.opened()] == [owner_on], "the owner's socket stayed where it was"

    # 2. SIGKILL the gateway serving Grace while she types: no close frame, no compaction, no
    # goodbye. She types on through the cut (the editor works on its local document, kept in
    # IndexedDB), and her client reconnects by itself: nginx finds the dead gateway refusing
    # connections and passes the socket to the survivor.
    await guest.page.evaluate(WATCH_STATUS)
    sockets_before = len(guest.opened())
    through_the_cut = "# grace typed through the kill " + " ".join(f"w{n}" for n in range(24))
    typing = asyncio.create_task(type_line(guest.page, through_the_cut, delay=30))
    # Some of the line is typed (and sent) before the kill, most of it after (30 ms a character).
    await expect(editor(guest.page)).to_contain_text("# grace typed through")
    assert not typing.done(), "the kill must come while she is typing"
    victim.stop(signal.SIGKILL)
    assert victim.proc is not None
    assert victim.proc.returncode == -signal.SIGKILL
    # The owner, on the survivor, types meanwhile too.
    await type_line(owner.page, "# owner while a gateway is down", at_start=True)
    await typing
    await type_line(guest.page, "# grace after the cut")

    reconnected = await guest.serving(after=sockets_before, timeout=FAILOVER_MS / 1000)
    assert reconnected.instance == survivor.instance, "nginx sent the new socket to the surviving gateway"
    await expect(guest.page.get_by_test_id("collab-status")).to_have_text("Live", timeout=FAILOVER_MS)
    shown, typed_offline = await offline_watch(guest.page)
    assert [s.split(":")[0] for s in shown] == ["Live", "Offline", "Live"], shown
    # She typed on while her page said Offline: y-websocket waits 200 ms before its first retry.
    assert typed_offline.strip(), "nothing was typed while offline"
    assert typed_offline in through_the_cut + "# grace after the cut"
    typed = [
        FIRST_LINE,
        "# from the owner",
        "# from grace",
        "# owner again",
        through_the_cut,
        "# owner while a gateway is down",
        "# grace after the cut",
    ]
    for page in (owner.page, guest.page):
        for text in typed:
            await expect(editor(page)).to_contain_text(text, timeout=FAILOVER_MS)
    # The union of both, and the same on both pages.
    document = await document_text(owner.page)
    assert await document_text(guest.page) == document
    assert sorted(line for line in document.split("\n") if line) == sorted(typed), document

    # The killed gateway comes back (its replacement has a new instance name); nothing changes.
    victim.start()
    assert victim.instance != guest_on

    # 3. The owner saves: the snippet's new revision holds everything typed.
    session = await get_json(owner, f"/v1/collab/sessions/{sid}")
    await save(owner, sid)
    snippet = await get_json(owner, f"/v1/snippets/{session['snippet_id']}")
    assert snippet["revision"] == session["base_revision"] + 1
    assert [f["content"] for f in snippet["files"]] == [document]


@pytest.mark.usefixtures("all_gateways_up")
async def test_a_viewer_through_nginx_cannot_edit(browsers: Browsers, collab_suite: Suite, twilio: FakeTwilio) -> None:
    owner = await browsers.open()
    sid = await start_session(owner.page, twilio)
    link = await create_link(owner.page, "view")
    viewer = await browsers.open()
    await join(viewer, twilio, link, "Vera")
    await expect(viewer.page.get_by_text("You are watching")).to_be_visible()

    # The page: the editor is read-only, and typing into it changes nothing.
    view = editor(viewer.page)
    await expect(view).to_have_attribute("contenteditable", "false")
    before = await document_text(viewer.page)
    await view.click()
    await viewer.page.keyboard.type("zzz")
    await viewer.page.keyboard.press("Enter")
    assert await document_text(viewer.page) == before

    # The socket, spoken to directly with the viewer's own credential (the page's participant
    # cookie, as ?token=), through nginx.
    token = next(c["value"] for c in await viewer.context.cookies() if c["name"] == "crh_collab")
    url = f"{collab_suite.url.replace('http', 'ws', 1)}/v1/collab/sessions/{sid}/socket/room?token={token}"
    async with raw(url) as socket:
        assert socket.ws.response is not None
        assert socket.ws.response.headers["x-crh-instance"] in {g.instance for g in collab_suite.gateways}
        await socket.send(protocol.sync_step1(b"\x00"))
        step2 = await socket.next(protocol.MESSAGE_SYNC)
        assert step2.sub == protocol.SYNC_STEP2
        assert (await socket.event("welcome"))["user"]["role"] == "viewer"
        copy: Doc[Any] = Doc()
        copy.apply_update(step2.payload)
        [(name, content)] = files(copy).items()
        assert content == FIRST_LINE + "\n"

        # An edit of the document as it stands: what a patched client would send.
        state = copy.get_state()
        text_of(copy, name).insert(0, "# vera was here\n")
        edit = copy.get_update(state)
        for _ in range(2):
            await socket.send(protocol.sync_update(edit))
            denied = await socket.next(protocol.MESSAGE_AUTH)
            assert denied.payload == b"read-only"
        await socket.send(protocol.sync_update(edit))
        assert await socket.closed() == (4403, "Viewers cannot edit")

    # Nothing of it reached anyone: the owner's next line reaches the viewer's page, and neither
    # page has the viewer's text.
    await type_line(owner.page, "# watched")
    await expect(view).to_contain_text("# watched", timeout=LIVE_MS)
    for page in (owner.page, viewer.page):
        assert "vera" not in await document_text(page)
        assert "zzz" not in await document_text(page)
    await expect(viewer.page.get_by_test_id("collab-status")).to_have_text("Live")


async def test_nginx_lets_other_sites_frame_only_the_snippet_widget(collab_suite: Suite) -> None:
    """The embeddable widget (/embed/<token>) may be framed anywhere; every other page may not."""
    async with httpx.AsyncClient(base_url=collab_suite.url, timeout=30) as client:
        widget = await client.get("/embed/abcdefghijklmnopqrstuv")
        assert widget.status_code == 200
        assert 'id="embed"' in widget.text
        policy = widget.headers["content-security-policy"]
        assert "frame-ancestors *" in policy
        assert "script-src 'self'" in policy
        assert "x-frame-options" not in widget.headers
        assert widget.headers["x-content-type-options"] == "nosniff"
        app = await client.get("/snippets")
        assert "frame-ancestors 'none'" in app.headers["content-security-policy"]
        assert app.headers["x-frame-options"] == "DENY"
        assert (await client.get("/embed/a/b")).headers["x-frame-options"] == "DENY"


@pytest.mark.usefixtures("all_gateways_up")
async def test_webrtc_signaling_goes_through_nginx_and_only_the_app_may_ask_for_the_microphone(
    collab_suite: Suite, auth: AuthService, twilio: FakeTwilio
) -> None:
    owner = await sign_in_by_api(auth, twilio, fresh_phone("629"))
    async with httpx.AsyncClient(base_url=collab_suite.url, timeout=30) as client:
        session = await collab_clients.start_session(client, owner)
        answer = await client.get(f"/v1/collab/sessions/{session.id}/rtc", headers=owner.headers)
        assert answer.status_code == 200, answer.text
        config = answer.json()
        app = await client.get("/snippets")
        assert "microphone=(self)" in app.headers["permissions-policy"]
        widget = await client.get("/embed/abcdefghijklmnopqrstuv")
        assert "microphone=()" in widget.headers["permissions-policy"]
    url = f"{collab_suite.url.replace('http', 'ws', 1)}{config['signaling_url']}?token={session.owner_token}"
    voice = config["rooms"]["voice"]
    gateways = {g.instance for g in collab_suite.gateways}
    async with collab_clients.signal(url) as one, collab_clients.signal(url) as two:
        for socket in (one, two):
            assert socket.ws.response is not None
            assert socket.ws.response.headers["x-crh-instance"] in gateways
            assert await socket.subscribe(voice) == []
        await one.publish(voice, {"type": "announce", "from": str(uuid.uuid4())})
        assert (await two.next())["participant"] == session.owner["participant"]["id"]
