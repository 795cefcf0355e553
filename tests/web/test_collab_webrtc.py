"""Peer to peer in live sessions (issue 21), in chromium with fake media devices: two editors in two
browser contexts connect directly; with the WebSocket document relay cut for both, an edit still
reaches the other through the data channel (and not the server); once the relay is back, both
pages and the server's copy converge. Someone who is not a participant cannot get into the
signaling room. Voice: both join, each sees the other's audio track connected with sound arriving;
muting stops it arriving, leaving removes it."""

from __future__ import annotations

import math
import re
import struct
import subprocess
import time
import wave
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Locator, Page, WebSocketRoute, async_playwright, expect

from services.gateway.app import create_app as create_gateway_app
from tests.auth.fakes import FakeTwilio
from tests.auth_support import AuthService, fresh_phone
from tests.conftest import gateway_settings, serve
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, OpenTab, Screenshots, sign_in
from tests.web.test_a11y import axe_violations, describe
from tests.web.test_collab import create_link, join, session_id, start_session, type_at_end

# Peer connections over the machine's own addresses: offer, answer and ICE take a few seconds at most.
CONNECT_MS = 20_000
EDIT_MS = 5_000
DOCUMENT_BOUND = 64 << 10
# Received audio levels (RMS, 0 to 1) the page reports: the tone arrives well above SOUND; a
# muted track sends silence, below SILENCE.
SOUND = 0.001
SILENCE = 0.0005


def tone(path: Path) -> Path:
    """Two seconds of a 440 Hz tone: the fake microphone's sound (chromium loops the file), loud
    enough that what arrives at the other end is clearly not silence."""
    rate = 48_000
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        samples = (int(12_000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(2 * rate))
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path


@pytest_asyncio.fixture(scope="module")
async def browser(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Browser]:
    """This module's chromium: fake camera and microphone granted without a prompt, and host ICE
    candidates as addresses (by default chromium hides them behind mDNS names until a page has
    media permission, and nothing answers mDNS here)."""
    wav = tone(tmp_path_factory.mktemp("media") / "tone.wav")
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
        "--autoplay-policy=no-user-gesture-required",
        "--disable-features=WebRtcHideLocalIpsWithMdns",
    ]
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        yield launched
        await launched.close()


@pytest_asyncio.fixture(scope="module")
async def site(
    auth: AuthService, executor: subprocess.Popen[bytes], web_build: Path, site_url: str
) -> AsyncIterator[str]:
    """The web tests' gateway, with a small document bound (64 KiB) that a test can cross."""
    settings = gateway_settings(
        auth_jwks_url=f"{auth.url}/auth/v1/.well-known/jwks.json",
        web_dist_dir=str(web_build),
        auth_proxy_url=auth.url,
        allowed_origins=[site_url],
        rate_limits_enabled=False,
        collab_max_state_bytes=DOCUMENT_BOUND,
    )
    async with serve(create_gateway_app(settings), port=int(site_url.rsplit(":", 1)[1])):
        yield site_url


class Relay:
    """A page's document sockets pass through here: cut() closes them and refuses new ones, the
    way a dropped connection to the gateway does; restore() lets them through again."""

    def __init__(self) -> None:
        self.cut_off = False
        self.sockets: list[WebSocketRoute] = []

    async def route(self, socket: WebSocketRoute) -> None:
        if self.cut_off:
            await socket.close(code=1012, reason="Gateway restarting")
            return
        socket.connect_to_server()
        self.sockets.append(socket)

    async def install(self, page: Page) -> None:
        # Only the document's socket (.../socket): the signaling socket (.../signal) stays up.
        await page.route_web_socket(re.compile(r"/v1/collab/sessions/[^/]+/socket$"), self.route)

    async def cut(self) -> None:
        self.cut_off = True
        for socket in self.sockets:
            await socket.close(code=1012, reason="Gateway restarting")
        self.sockets.clear()

    def restore(self) -> None:
        self.cut_off = False


async def editor_text(page: Page) -> str:
    """The editor's text without the other participants' cursor labels drawn into it."""
    script = r"""() => Array.from(document.querySelectorAll('.collab-editor .cm-line')).map((line) => {
        const copy = line.cloneNode(true);
        copy.querySelectorAll('.cm-ySelectionCaret, .cm-ySelectionInfo').forEach((e) => e.remove());
        return copy.textContent.replaceAll('\u2060', '');
    }).join('\n')"""
    return str(await page.evaluate(script))


async def api_json(page: Page, path: str) -> Any:
    response = await page.request.get(path)
    assert response.ok, (path, response.status, await response.text())
    return await response.json()


async def server_copy(page: Page, sid: str) -> str:
    """What the server's document holds, as the owner's Save to snippet stores it."""
    csrf = next(c["value"] for c in await page.context.cookies() if c["name"] == "crh_csrf")
    save = await page.request.post(f"/v1/collab/sessions/{sid}/save", headers={"X-CSRF-Token": csrf})
    assert save.ok, (save.status, await save.text())
    session = await api_json(page, f"/v1/collab/sessions/{sid}")
    snippet = await api_json(page, f"/v1/snippets/{session['snippet_id']}")
    return "".join(file["content"] for file in snippet["files"])


async def signal_close(page: Page, sid: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """Opens the session's signaling socket from `page`, subscribes to `messages`' topics and
    publishes them; what closed it (or what came back within two seconds)."""
    script = """async ([sid, messages]) => {
        const ws = new WebSocket(`ws://${location.host}/v1/collab/sessions/${sid}/signal`);
        const got = [];
        ws.onmessage = (event) => got.push(event.data);
        ws.onopen = () => { for (const m of messages) ws.send(JSON.stringify(m)); };
        const code = await new Promise((resolve) => {
            ws.onclose = (event) => resolve(event.code);
            setTimeout(() => resolve(null), 2000);
        });
        ws.close();
        return { code, got };
    }"""
    return dict(await page.evaluate(script, [sid, messages]))


async def test_edits_travel_peer_to_peer_while_the_relay_is_cut_and_converge_when_it_is_back(
    open_tab: OpenTab, twilio: FakeTwilio
) -> None:
    owner_tab = await open_tab("/")
    owner = owner_tab.page
    owner_relay = Relay()
    await owner_relay.install(owner)
    await start_session(owner, twilio, 'print("peer to peer")\n')
    sid = session_id(owner)
    link = await create_link(owner, "edit")

    guest_tab = await open_tab("/")
    guest = guest_tab.page
    guest_relay = Relay()
    await guest_relay.install(guest)
    await sign_in(guest, twilio, fresh_phone("629"))
    await join(guest, link, "Grace")
    owner_editor = owner.locator(".collab-editor .cm-content")
    guest_editor = guest.locator(".collab-editor .cm-content")
    await expect(guest_editor).to_contain_text('print("peer to peer")')

    # Both reach each other directly.
    for page in (owner, guest):
        await expect(page.get_by_test_id("p2p-status")).to_have_attribute("data-peers", "1", timeout=CONNECT_MS)

    # The server's relay is gone for both pages: the edit still arrives, through the data channel.
    await owner_relay.cut()
    await guest_relay.cut()
    for page in (owner, guest):
        await expect(page.get_by_test_id("collab-status")).to_contain_text("Offline")
        await expect(page.get_by_test_id("collab-status")).to_contain_text("reach 1 editor directly")
    await type_at_end(owner, "\n# typed while the relay was cut")
    await expect(guest_editor).to_contain_text("# typed while the relay was cut", timeout=EDIT_MS)
    await type_at_end(guest, "\n# and the answer")
    await expect(owner_editor).to_contain_text("# and the answer", timeout=EDIT_MS)
    # ...and not through the server, which has neither.
    held = await server_copy(owner, sid)
    assert "# typed while the relay was cut" not in held, held
    assert "# and the answer" not in held, held

    # The relay is back: both pages and the server hold the same text.
    owner_relay.restore()
    guest_relay.restore()
    for page in (owner, guest):
        await expect(page.get_by_test_id("collab-status")).to_have_text("Live", timeout=10_000)
    await type_at_end(guest, "\n# after")
    await expect(owner_editor).to_contain_text("# after", timeout=EDIT_MS)
    owner_text = await editor_text(owner)
    assert owner_text == await editor_text(guest)
    held = await server_copy(owner, sid)
    for line in ("# typed while the relay was cut", "# and the answer", "# after", 'print("peer to peer")'):
        assert line in held, held
    assert held.strip().splitlines() == owner_text.strip().splitlines(), (held, owner_text)

    # Someone signed in who is not a participant: the signaling socket refuses them outright.
    stranger_tab = await open_tab("/")
    stranger = stranger_tab.page
    await sign_in(stranger, twilio, fresh_phone("629"))
    rtc = await owner.request.get(f"/v1/collab/sessions/{sid}/rtc")
    room = (await rtc.json())["rooms"]["document"]
    announce = {"type": "publish", "topic": room, "data": {"type": "announce", "from": "stranger-peer"}}
    refused = await signal_close(stranger, sid, [{"type": "subscribe", "topics": [room]}, announce])
    assert refused["code"] == 4403, refused
    assert refused["got"] == [], refused
    stranger_rtc = await stranger.request.get(f"/v1/collab/sessions/{sid}/rtc")
    assert stranger_rtc.status == 404
    # Signed out, nothing at all.
    anonymous_tab = await open_tab("/")
    refused = await signal_close(anonymous_tab.page, sid, [{"type": "subscribe", "topics": [room]}])
    assert refused["code"] == 4401, refused
    # The refused sockets and the 404 are the test's doing, not the app's.
    for tab in (stranger_tab, anonymous_tab):
        tab.errors[:] = [e for e in tab.errors if "404" not in e and "WebSocket" not in e]


def voice_of(page: Page, name: str) -> Locator:
    return page.get_by_test_id("voice-peer").and_(page.locator(f'[data-name="{name}"]'))


async def level(page: Page, name: str) -> float:
    return float(await voice_of(page, name).get_attribute("data-level") or "0")


async def level_until(page: Page, name: str, ok: Callable[[float], bool], timeout_ms: int) -> float:
    """Samples a voice's received level (the page measures it each second) until `ok` holds."""
    deadline = time.monotonic() + timeout_ms / 1000
    seen = await level(page, name)
    while not ok(seen) and time.monotonic() < deadline:
        await page.wait_for_timeout(250)
        seen = await level(page, name)
    return seen


async def test_voice_both_hear_each_other_and_muting_stops_it(
    open_tab: OpenTab, twilio: FakeTwilio, shots: Screenshots
) -> None:
    owner_tab = await open_tab("/")
    owner = owner_tab.page
    await start_session(owner, twilio, 'print("voice")\n')
    link = await create_link(owner, "edit")
    guest_tab = await open_tab("/")
    guest = guest_tab.page
    await sign_in(guest, twilio, fresh_phone("629"))
    await join(guest, link, "Grace")
    for page in (owner, guest):
        await page.context.grant_permissions(["microphone"])

    # Off by default: no microphone is opened until the participant joins voice.
    for page in (owner, guest):
        await expect(page.get_by_role("button", name="Join voice")).to_be_visible()
        assert await page.evaluate("() => document.querySelectorAll('[data-testid=voice-peer]').length") == 0
    await owner.get_by_role("button", name="Join voice").click()
    await expect(owner.get_by_test_id("voices")).to_contain_text("Nobody else has joined voice yet.")
    await guest.get_by_role("button", name="Join voice").click()

    # Each sees the other's audio track connected, named by the server, with sound arriving.
    owner_hears, guest_hears = voice_of(owner, "Grace"), voice_of(guest, "Owner")
    for entry in (owner_hears, guest_hears):
        await expect(entry).to_have_attribute("data-state", "connected", timeout=CONNECT_MS)
    for page, other in ((owner, "Grace"), (guest, "Owner")):
        assert await level_until(page, other, lambda v: v > SOUND, CONNECT_MS) > SOUND

    # The owner mutes: the guest sees it, and the sound stops arriving (the connection stays).
    await owner.get_by_role("button", name="Mute").click()
    await expect(owner.get_by_test_id("voice-mute")).to_have_attribute("aria-pressed", "true")
    await expect(guest_hears).to_have_attribute("data-muted", "true", timeout=EDIT_MS)
    assert await level_until(guest, "Owner", lambda v: v < SILENCE, EDIT_MS) < SILENCE
    await guest.wait_for_timeout(2_000)
    assert await level(guest, "Owner") < SILENCE
    await expect(guest_hears).to_have_attribute("data-state", "connected")
    await shots.take(guest, "collab-voice")
    # The voice controls and list pass axe too (test_a11y.py's rules: no serious or critical finding).
    found = await axe_violations(guest, guest.get_by_test_id("voices"))
    assert found == [], describe({"voice": found})
    # The guest still hears nothing from the owner but the owner still hears the guest.
    assert await level(owner, "Grace") > SOUND

    await owner.get_by_role("button", name="Unmute").click()
    assert await level_until(guest, "Owner", lambda v: v > SOUND, EDIT_MS) > SOUND

    # Leaving closes the connection: the guest's list no longer has the owner.
    await owner.get_by_role("button", name="Leave voice").click()
    await expect(owner.get_by_role("button", name="Join voice")).to_be_visible()
    await expect(guest.get_by_test_id("voice-peer")).to_have_count(0, timeout=CONNECT_MS)


async def test_a_peers_change_past_the_sessions_bounds_stops_at_the_gate(open_tab: OpenTab, twilio: FakeTwilio) -> None:
    """y-webrtc applies whatever a peer sends; what came peer to peer reaches the server from the
    receiver's own socket, which the server would close (4413) for a document past its bound. So
    the receiver refuses such a change, stops syncing the document peer to peer, and stays in the
    session; the sender's own socket is the one the server refuses."""
    owner_tab = await open_tab("/")
    owner = owner_tab.page
    owner_relay = Relay()
    await owner_relay.install(owner)
    await start_session(owner, twilio, 'print("bounded")\n')
    link = await create_link(owner, "edit")
    guest_tab = await open_tab("/")
    guest = guest_tab.page
    guest_relay = Relay()
    await guest_relay.install(guest)
    await sign_in(guest, twilio, fresh_phone("629"))
    await join(guest, link, "Grace")
    for page in (owner, guest):
        await expect(page.get_by_test_id("p2p-status")).to_have_attribute("data-peers", "1", timeout=CONNECT_MS)
    await owner_relay.cut()
    await guest_relay.cut()
    # Within the bound, peer to peer as before.
    await type_at_end(owner, "\n# small")
    guest_editor = guest.locator(".collab-editor .cm-content")
    await expect(guest_editor).to_contain_text("# small", timeout=EDIT_MS)

    # One paste past the session's 64 KiB.
    await owner.locator(".collab-editor .cm-content").click()
    await owner.keyboard.press("ControlOrMeta+End")
    await owner.keyboard.insert_text("\n# big " + "x" * (DOCUMENT_BOUND + 1_000))
    stopped = guest.get_by_test_id("p2p-stopped")
    await expect(stopped).to_contain_text("Editing peer to peer stopped", timeout=EDIT_MS)
    await expect(stopped).to_contain_text("past the session's limit")
    await expect(guest.get_by_test_id("p2p-status")).to_have_attribute("data-peers", "0")
    assert "# big" not in await editor_text(guest)

    # The guest's socket back: the server takes it, it stays in the session.
    guest_relay.restore()
    await expect(guest.get_by_test_id("collab-status")).to_have_text("Live", timeout=10_000)
    # The owner's back: the server refuses the owner's own oversized document, not the guest.
    owner_relay.restore()
    await expect(owner.get_by_test_id("collab-over")).to_contain_text("size limit", timeout=10_000)
    await guest.wait_for_timeout(1_000)
    await expect(guest.get_by_test_id("collab-status")).to_have_text("Live")
    assert "# big" not in await editor_text(guest)
    assert "# small" in await editor_text(guest)
