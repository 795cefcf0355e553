"""Collaborative sessions in the browser: a keystroke over WebRTC data channels against the server.

Starts the auth service and a gateway serving the web app (web/dist: run `make web` first) on this
machine, and drives Debian's chromium (two browser contexts, two signed-in people: an owner and an
editor invited by link, as people do it). Both open the session's page; each keystroke is one
character inserted by the typist's CodeMirror (a transaction dispatched in the page), and the
figure is the time from just before that dispatch to the moment the watcher's editor shows it (a
MutationObserver in the other page); both pages read the same clock (performance.timeOrigin +
performance.now(), one machine).

- (a) the web app as it ships: the edit goes both ways at once, over the data channel and through
  the gateway (y-websocket), and whichever arrives first shows it;
- (b) peer to peer only: both pages' document sockets cut (as when the gateway is out of reach);
- (c) the baseline, in the same run: the server only (each page told WebRTC is off, so the
  document goes through the gateway's socket alone, as before issue 21);
- setup: from both pages live to their data channel open (signaling through the gateway, ICE over
  the machine's own addresses).

Back to back (the next keystroke once the last is shown) and paced (``--rate`` a second), blocks
of each mode interleaved so that they share the machine's moments.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, Page, Route, WebSocketRoute, async_playwright

from bench.common import SUITE_ENV, free_port, machine, summary, table
from bench.load import start
from bench.nginx import wait_for_port

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = next((p for p in ("/usr/bin/chromium", "/snap/bin/chromium") if Path(p).exists()), "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Host candidates as addresses (nothing answers mDNS here); see docs/deploy.md "WebRTC".
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]
LOG = "/tmp/coderunhub-bench-webrtc.log"
AUTH_LOG = Path("/tmp/coderunhub-bench-webrtc-auth.log")
CODE = "def greet(name):\n    return f'hello, {name}'\n\nprint(greet('world'))\n"
BLOCK = 25
MODES = ("(a) shipped: data channel + server", "(b) data channel only (server cut)", "(c) server only (no WebRTC)")

# In the typist's page: insert `text` at the end of the document, the time just before.
TYPE = """(text) => {
    const view = document.querySelector('.collab-editor .cm-content').cmTile.root.view;
    const at = performance.timeOrigin + performance.now();
    view.dispatch({ changes: { from: view.state.doc.length, insert: text }, userEvent: 'input.type' });
    return at;
}"""
# In the watcher's page: resolves with the time `text` shows in the editor.
WATCH = """(text) => new Promise((resolve, reject) => {
    const content = document.querySelector('.collab-editor .cm-content');
    const seen = () => content.textContent.includes(text);
    if (seen()) return resolve(performance.timeOrigin + performance.now());
    const observer = new MutationObserver(() => {
        if (seen()) { observer.disconnect(); resolve(performance.timeOrigin + performance.now()); }
    });
    observer.observe(content, { childList: true, subtree: true, characterData: true });
    setTimeout(() => { observer.disconnect(); reject(new Error('not shown: ' + text)); }, 10000);
})"""


@contextlib.contextmanager
def site() -> Iterator[str]:
    """Auth and a gateway serving the web app and proxying /auth/v1, on one origin."""
    port, auth_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        **SUITE_ENV,
        "CRH_AUTH_PORT": str(auth_port),
        "CRH_AUTH_PUBLIC_URL": url,
        "CRH_AUTH_OTP_STARTS_PER_ADDRESS_PER_HOUR": "10000",
        "CRH_GATEWAY_PORT": str(port),
        "CRH_GATEWAY_AUTH_JWKS_URL": f"http://127.0.0.1:{auth_port}/auth/v1/.well-known/jwks.json",
        "CRH_GATEWAY_AUTH_PROXY_URL": f"http://127.0.0.1:{auth_port}",
        "CRH_GATEWAY_WEB_DIST_DIR": str(ROOT / "web" / "dist"),
        "CRH_GATEWAY_ALLOWED_ORIGINS": json.dumps([url]),
        "CRH_GATEWAY_USER_RATE_LIMITS": SUITE_ENV["CRH_GATEWAY_ANONYMOUS_RATE_LIMITS"],
        "CRH_LOG_JSON": "false",
    }
    AUTH_LOG.write_text("")
    procs = [start("services.auth", env, str(AUTH_LOG)), start("services.gateway", env, LOG)]
    try:
        for p, proc in zip((auth_port, port), procs, strict=True):
            wait_for_port(p, proc, timeout=120)
        deadline = time.monotonic() + 60
        while httpx.get(f"{url}/readyz", timeout=5).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} is not ready; see {LOG}")
            time.sleep(0.2)
        yield url
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(60)


async def sign_in(context: BrowserContext) -> None:
    """Phone sign-in through the site (the development code is in the auth log): the session
    cookies land in the context, as a person's browser gets them."""
    phone = f"+1628{secrets.choice(range(200, 1000))}{secrets.randbelow(10_000):04d}"
    started = await context.request.post("/auth/v1/phone/start", data={"phone": phone})
    assert started.ok, await started.text()
    e164 = (await started.json())["phone"]
    deadline = time.monotonic() + 10
    pattern = re.compile(rf"code for {re.escape(e164)} is (\d+)")
    while not (found := pattern.search(await asyncio.to_thread(AUTH_LOG.read_text, errors="replace"))):
        if time.monotonic() > deadline:
            raise RuntimeError(f"no development code for {e164} in {AUTH_LOG}")
        await asyncio.sleep(0.1)
    verified = await context.request.post(
        "/auth/v1/phone/verify", data={"phone": e164, "code": found.group(1), "session": "cookie"}
    )
    assert verified.ok, await verified.text()


async def call(context: BrowserContext, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    csrf = next((c["value"] for c in await context.cookies() if c["name"] == "crh_csrf"), "")
    response = await context.request.fetch(path, method=method, data=body, headers={"X-CSRF-Token": csrf})
    assert response.ok, (path, response.status, await response.text())
    return await response.json()


class Pair:
    """An owner's and an editor's page on one session, with switches for their document sockets."""

    def __init__(self, owner: Page, editor: Page, cut: list[WebSocketRoute], switch: dict[str, bool]) -> None:
        self.owner, self.editor, self._sockets, self._switch = owner, editor, cut, switch

    async def cut(self) -> None:
        self._switch["cut"] = True
        for socket in self._sockets:
            await socket.close(code=1012, reason="Gateway restarting")
        self._sockets.clear()

    def restore(self) -> None:
        self._switch["cut"] = False


async def open_pair(browser: Browser, url: str, webrtc: bool) -> tuple[Pair, float]:
    """Two people on a new session; how long their pages took from live to peer to peer (0 without)."""
    contexts = [await browser.new_context(base_url=url) for _ in range(2)]
    for context in contexts:
        await sign_in(context)
    owner_ctx, editor_ctx = contexts
    snippet = await call(
        owner_ctx,
        "POST",
        "/v1/snippets",
        {"title": "bench", "language": "python", "files": [{"name": "main.py", "content": CODE}]},
    )
    session = await call(owner_ctx, "POST", f"/v1/snippets/{snippet['id']}/sessions", {})
    invite = await call(owner_ctx, "POST", f"/v1/collab/sessions/{session['id']}/invites", {"role": "editor"})
    await call(
        editor_ctx,
        "POST",
        f"/v1/collab/sessions/{session['id']}/join",
        {"invite": invite["token"], "display_name": "Ed"},
    )

    sockets: list[WebSocketRoute] = []
    switch = {"cut": False}

    async def relay(socket: WebSocketRoute) -> None:
        if switch["cut"]:
            await socket.close(code=1012, reason="Gateway restarting")
            return
        socket.connect_to_server()
        sockets.append(socket)

    async def no_webrtc(route: Route) -> None:
        await route.fulfill(status=404, content_type="application/problem+json", body='{"status":404}')

    pages = []
    for context in contexts:
        page = await context.new_page()
        await page.route_web_socket(re.compile(r"/v1/collab/sessions/[^/]+/socket$"), relay)
        if not webrtc:
            await page.route(re.compile(r"/v1/collab/sessions/[^/]+/rtc$"), no_webrtc)
        await page.goto(f"/collab/{session['id']}")
        pages.append(page)
    for page in pages:
        await page.get_by_test_id("collab-status").filter(has_text="Live").wait_for(timeout=30_000)
        await page.locator(".collab-editor .cm-content").wait_for()
    live = time.monotonic()
    if webrtc:
        for page in pages:
            await page.locator('[data-testid=p2p-status][data-peers="1"]').wait_for(timeout=30_000)
    setup_ms = (time.monotonic() - live) * 1000 if webrtc else 0.0
    return Pair(pages[0], pages[1], sockets, switch), setup_ms


async def keystrokes(pair: Pair, count: int, rate: float | None) -> list[float]:
    samples: list[float] = []
    for i in range(count):
        text = f"#{secrets.token_hex(3)}{i}"
        typist, watcher = (pair.owner, pair.editor) if i % 2 == 0 else (pair.editor, pair.owner)
        watching = asyncio.ensure_future(watcher.evaluate(WATCH, text))
        await asyncio.sleep(0.01)  # the observer is in place before the keystroke
        began = float(await typist.evaluate(TYPE, text))
        samples.append(float(await watching) - began)
        if rate:
            await asyncio.sleep(1 / rate)
    return samples


async def measure(args: argparse.Namespace, url: str) -> dict[str, Any]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            shipped, setup_a = await open_pair(browser, url, webrtc=True)
            p2p_only, setup_b = await open_pair(browser, url, webrtc=True)
            server, _ = await open_pair(browser, url, webrtc=False)
            await p2p_only.cut()
            for page in (p2p_only.owner, p2p_only.editor):
                await page.get_by_test_id("collab-status").filter(has_text="Offline").wait_for(timeout=30_000)
            pairs = dict(zip(MODES, (shipped, p2p_only, server), strict=True))
            for pair in pairs.values():
                await keystrokes(pair, 10, None)  # warm-up
            b2b: dict[str, list[float]] = {mode: [] for mode in MODES}
            paced: dict[str, list[float]] = {mode: [] for mode in MODES}
            for offset in range(0, args.keystrokes, BLOCK):
                for mode, pair in pairs.items():
                    b2b[mode] += await keystrokes(pair, min(BLOCK, args.keystrokes - offset), None)
            for offset in range(0, args.paced_keystrokes, BLOCK):
                for mode, pair in pairs.items():
                    paced[mode] += await keystrokes(pair, min(BLOCK, args.paced_keystrokes - offset), args.rate)
            # The relay back: the pages and the server hold one text again.
            p2p_only.restore()
            for page in (p2p_only.owner, p2p_only.editor):
                await (
                    page.get_by_test_id("collab-status").filter(has_text=re.compile("^Live$")).wait_for(timeout=30_000)
                )
            return {
                "setup_ms": [setup_a, setup_b],
                "back_to_back": {mode: summary(samples) for mode, samples in b2b.items()},
                "paced": {mode: summary(samples) for mode, samples in paced.items()},
            }
        finally:
            await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keystrokes", type=int, default=200, help="back-to-back keystrokes per mode")
    parser.add_argument("--paced-keystrokes", type=int, default=100, help="keystrokes at --rate per mode")
    parser.add_argument("--rate", type=float, default=8.0, help="keystrokes per second when paced")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if not (ROOT / "web" / "dist" / "index.html").is_file():
        raise SystemExit("web/dist is missing: run `make web` first")
    with site() as url:
        results = asyncio.run(measure(args, url))
    print(f"machine: {machine()}")
    print(f"live page -> data channel open: {', '.join(f'{s:.0f} ms' for s in results['setup_ms'])}")
    for name in ("back_to_back", "paced"):
        figures = results[name]
        label = "back to back" if name == "back_to_back" else f"typing {args.rate:g}/s"
        print(f"keystroke -> shown in the other browser, {label}")
        print(table(list(figures.items()), "ms", {"server": figures[MODES[2]]["p50"]}))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
