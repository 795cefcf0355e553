"""Collaborative sessions: how long a keystroke takes to reach the other participants.

Starts the auth service and two gateways on this machine (no executor: nothing runs code here),
signs in accounts by phone and creates each session as people do, through the REST API (a
snippet, ``POST /v1/snippets/{id}/sessions``, an editor invite, joins). Each participant is a
y-websocket client written here over the ``websockets`` library, with a pycrdt document: it
syncs (SyncStep1/2), then types, one Yjs update per keystroke (one character inserted), as
y-codemirror.next sends them. A keystroke is visible to another client once that client's
document has applied it (its state vector covers the keystroke's clock); the figure is the time
from just before the typist's local edit to just after the other client's apply, both clocks in
this one process.

- (a) both clients on one gateway (which still appends each update to the session's log in Redis
  before relaying it), (b) on two gateways (the update reaches the second through Redis pub/sub),
  back to back (the next keystroke once the last is visible, in blocks of 50 within the socket's
  allowance of 50 messages a second in bursts of 100) and typing at ``--rate`` (10) a second;
- (c) baselines in the same run: a bare pycrdt edit + apply between two documents in this
  process (no network: the floor of the CRDT work), a raw Redis PUBLISH -> subscriber round trip
  (redis-py asyncio, as the gateways use it) and the gateways' own append script (XADD + PUBLISH
  -> subscriber), interleaved with (a) and (b) in blocks;
- (d) sustained and concurrent: ``--sessions`` sessions x ``--clients`` participants each typing at
  ``--rate`` keystrokes/s (a random phase each) for ``--duration`` s, participants spread over
  both gateways, then the same again through nginx's least-connections balancing (``--no-nginx``
  skips it): propagation p50/p95/p99 over every (keystroke, other participant) pair, errors
  (keystrokes never seen, sockets closed, documents that differ at the end), and the gateways'
  CPU per 1,000 edits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pycrdt import Doc, Map, Text
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from bench import cpu
from bench.common import SUITE_ENV, api_key, free_port, machine, summary, table
from bench.load import start
from bench.nginx import nginx, wait_for_port
from services.gateway.collab import protocol
from services.gateway.collab.relay import UpdateLog
from shared.redis_keys import collab_updates

SCOPES = ("snippets:read", "snippets:write", "executions:read", "executions:write")
# The session's document: one file, as the web app's editor holds it.
FILES = [{"name": "main.py", "content": "def greet(name):\n    return f'hello, {name}'\n\nprint(greet('world'))\n"}]
# What the typists type, over and over (one character a keystroke).
TYPED = "total = sum(n * n for n in range(10))  # squares\nprint(total)\n"
BLOCK = 50
# A socket may send 50 messages a second in bursts of 100 (CRH_GATEWAY_COLLAB_MESSAGES_PER_S); past
# that the gateway reads it more slowly, 20 ms a message. Back-to-back keystrokes (~2,000/s) come in
# blocks of BLOCK, this long apart, so each block is within a full allowance: the figure is the
# path's, not the pacing's (which no typist reaches).
REFILL_S = 2.5
MAX_ACTIVE_SESSIONS = 5  # an owner's open sessions (the gateway's default)
LOG = "/tmp/coderunhub-bench-collab.log"
AUTH_LOG = Path("/tmp/coderunhub-bench-collab-auth.log")
WAIT_S = 10.0


def _var_uint(data: bytes, pos: int) -> tuple[int, int]:
    """A lib0 varUint at ``pos``: its value and the position after it."""
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def state_vector(encoded: bytes) -> dict[int, int]:
    """A Yjs state vector (varUint count, then clientID and clock varUints) as a dict."""
    count, pos = _var_uint(encoded, 0)
    found = {}
    for _ in range(count):
        client, pos = _var_uint(encoded, pos)
        found[client], pos = _var_uint(encoded, pos)
    return found


def event_of(frame: bytes) -> dict[str, Any]:
    """A type-100 session event's JSON (``varUint(100) • varString``)."""
    length, pos = _var_uint(frame, 1)
    body: dict[str, Any] = json.loads(frame[pos : pos + length])
    return body


# --- clients -------------------------------------------------------------------------------


@dataclass
class Tally:
    """Keystrokes sent (per typist, by clock) and what the others saw of them."""

    sent_at: dict[int, list[float]] = field(default_factory=dict)
    latency_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    edits: int = 0


class Client:
    """One participant's socket: a y-websocket client with a pycrdt document."""

    def __init__(self, url: str, tally: Tally) -> None:
        self.url = url
        self.tally = tally
        self.doc: Doc[Any] = Doc()
        self.text: Text | None = None
        # Per typist of the session (their clientIDs), how many of their keystrokes this doc holds.
        self.seen: dict[int, int] = {}
        self.peers: list[int] = []
        self.changed = asyncio.Event()
        self.synced = asyncio.Event()
        self.closed = False
        self._outgoing: list[bytes] = []
        self.doc.observe(lambda event: self._outgoing.append(event.update))
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._cursor = 0

    @property
    def client_id(self) -> int:
        return int(self.doc.client_id)

    async def open(self) -> None:
        self._ws = await connect(self.url, max_size=16 << 20)
        await self._ws.send(protocol.sync_step1(self.doc.get_state()))
        self._reader = asyncio.create_task(self._read())
        await asyncio.wait_for(self.synced.wait(), WAIT_S)
        text = self.doc.get("files", type=Map)["main.py"]
        assert isinstance(text, Text)
        self.text = text

    def follow(self, typists: list[Client]) -> None:
        """Track the keystrokes of these clients (the others of the session)."""
        self.peers = [c.client_id for c in typists if c is not self]
        sv = state_vector(self.doc.get_state())
        self.seen = {peer: sv.get(peer, 0) for peer in self.peers}

    async def close(self) -> None:
        self.closed = True
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)

    async def type(self) -> None:
        """One keystroke: insert one character, send the update it made."""
        assert self.text is not None
        assert self._ws is not None
        char = TYPED[self._cursor % len(TYPED)]
        self._cursor += 1
        sent = self.tally.sent_at.setdefault(self.client_id, [])
        self._outgoing.clear()
        sent.append(time.perf_counter())
        self.text.insert(len(self.text), char)
        (update,) = self._outgoing
        await self._ws.send(protocol.sync_update(update))
        self.tally.edits += 1

    async def reached(self, typist: int, count: int) -> None:
        while self.seen.get(typist, 0) < count:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), WAIT_S)

    def _applied(self) -> None:
        now = time.perf_counter()
        if self.peers:
            sv = state_vector(self.doc.get_state())
            for peer in self.peers:
                before, after = self.seen[peer], sv.get(peer, 0)
                if after > before:
                    sent = self.tally.sent_at[peer]
                    self.tally.latency_ms.extend((now - sent[clock]) * 1000 for clock in range(before, after))
                    self.seen[peer] = after
        self.changed.set()

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for frame in self._ws:
                if isinstance(frame, str):
                    self.tally.errors["text frame"] += 1
                    continue
                if frame[:1] == bytes([protocol.MESSAGE_EVENT]):
                    body = event_of(frame)
                    if body.get("type") == "error":
                        self.tally.errors[f"error event {body.get('code')}"] += 1
                    continue
                message = protocol.decode(frame)
                if message.type != protocol.MESSAGE_SYNC:
                    continue
                if message.sub == protocol.SYNC_STEP1:
                    await self._ws.send(protocol.sync_step2(self.doc.get_update(message.payload)))
                    continue
                self.doc.apply_update(message.payload)
                self._applied()
                if message.sub == protocol.SYNC_STEP2:
                    self.synced.set()
        except ConnectionClosed as closed:
            if not self.closed:
                self.tally.errors[f"closed {closed.rcvd.code if closed.rcvd else 'abnormally'}"] += 1
        except (OSError, WebSocketException, protocol.ProtocolError) as error:
            if not self.closed:
                self.tally.errors[f"socket {type(error).__name__}"] += 1


# --- sessions through the REST API ---------------------------------------------------------


@dataclass
class Session:
    id: str
    owner_key: str
    # socket_token of each participant: the owner's first, then the editors'.
    tokens: list[str]


async def open_session(gw: httpx.AsyncClient, owner_key: str, editor_keys: list[str]) -> Session:
    owner = {"Authorization": f"Bearer {owner_key}"}
    snippet = {"title": "Bench pair", "language": "python", "files": FILES, "visibility": "private"}
    created = await gw.post("/v1/snippets", headers=owner, json=snippet)
    created.raise_for_status()
    started = await gw.post(f"/v1/snippets/{created.json()['id']}/sessions", headers=owner, json={})
    started.raise_for_status()
    sid = str(started.json()["id"])
    tokens = [await _join(gw, sid, owner, {})]
    if editor_keys:
        invite = await gw.post(
            f"/v1/collab/sessions/{sid}/invites", headers=owner, json={"role": "editor", "max_uses": len(editor_keys)}
        )
        invite.raise_for_status()
        for key in editor_keys:
            tokens.append(await _join(gw, sid, {"Authorization": f"Bearer {key}"}, {"invite": invite.json()["token"]}))
    return Session(sid, owner_key, tokens)


async def _join(gw: httpx.AsyncClient, sid: str, headers: dict[str, str], body: dict[str, str]) -> str:
    joined = await gw.post(f"/v1/collab/sessions/{sid}/join", headers=headers, json=body)
    gw.cookies.clear()
    joined.raise_for_status()
    return str(joined.json()["socket_token"])


async def end_session(gw: httpx.AsyncClient, session: Session) -> bool:
    """End (and save) a session, as its owner does; False when that failed."""
    try:
        ended = await gw.delete(
            f"/v1/collab/sessions/{session.id}", headers={"Authorization": f"Bearer {session.owner_key}"}
        )
    except httpx.HTTPError:
        return False
    return ended.status_code == 204


def socket_url(base: str, sid: str, token: str) -> str:
    # y-websocket's client appends its room name to the server URL.
    return f"{base.replace('http://', 'ws://')}/v1/collab/sessions/{sid}/socket/bench?token={token}"


@contextlib.asynccontextmanager
async def clients(urls: list[str], tally: Tally) -> AsyncIterator[list[Client]]:
    opened = [Client(url, tally) for url in urls]
    try:
        await asyncio.gather(*(c.open() for c in opened))
        for c in opened:
            c.follow(opened)
        yield opened
    finally:
        await asyncio.gather(*(c.close() for c in opened), return_exceptions=True)


# --- (a), (b): one typist, one watcher -----------------------------------------------------


async def back_to_back(typist: Client, watcher: Client, count: int) -> list[float]:
    """``count`` keystrokes, each once the last is visible to ``watcher``: its latencies (ms)."""
    tally = typist.tally
    first = len(tally.latency_ms)
    for _ in range(count):
        await typist.type()
        await watcher.reached(typist.client_id, len(tally.sent_at[typist.client_id]))
    return tally.latency_ms[first:]


async def paced(typist: Client, watcher: Client, count: int, rate: float) -> list[float]:
    """``count`` keystrokes at ``rate`` a second, whether or not the last is visible yet."""
    tally = typist.tally
    first = len(tally.latency_ms)
    start = time.perf_counter()
    for i in range(count):
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        await typist.type()
    await watcher.reached(typist.client_id, len(tally.sent_at[typist.client_id]))
    return tally.latency_ms[first:]


# --- (c): baselines ------------------------------------------------------------------------


class Baselines:
    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url
        self.pycrdt: list[float] = []
        self.publish: list[float] = []
        self.append: list[float] = []
        # Two documents in this process, synced, a typist's and a watcher's.
        self._a: Doc[Any] = Doc()
        files = self._a.get("files", type=Map)
        files["main.py"] = Text(FILES[0]["content"])
        self._b: Doc[Any] = Doc()
        self._b.apply_update(self._a.get_update())
        self._updates: list[bytes] = []
        self._a.observe(lambda event: self._updates.append(event.update))
        text = files["main.py"]
        assert isinstance(text, Text)
        self._text = text
        self._cursor = 0

    def crdt(self, count: int) -> None:
        """A keystroke on one document, its update applied to the other (what each end does)."""
        for _ in range(count):
            self._updates.clear()
            char = TYPED[self._cursor % len(TYPED)]
            self._cursor += 1
            start = time.perf_counter()
            self._text.insert(len(self._text), char)
            self._b.apply_update(self._updates[0])
            self.pycrdt.append((time.perf_counter() - start) * 1000)

    async def redis(self, count: int) -> None:
        """PUBLISH -> subscriber, and the gateways' append script (XADD + PUBLISH) -> subscriber,
        with a keystroke's update as the payload."""
        update = self._updates[0] if self._updates else b"\x01\x01" + bytes(22)
        pub, sub_client = Redis.from_url(self.redis_url), Redis.from_url(self.redis_url)
        channel = f"crh:bench:collab:{uuid.uuid4()}"
        log_id = uuid.uuid4()
        log = UpdateLog(pub, log_id, ttl_s=60)
        pubsub = sub_client.pubsub()
        try:
            await pubsub.subscribe(channel, log.channel)
            for _ in range(2):
                await pubsub.get_message(timeout=WAIT_S)  # the subscription confirmations
            for _ in range(count):
                start = time.perf_counter()
                await pub.publish(channel, b"U0-0 0-0 " + update)
                await _message(pubsub)
                self.publish.append((time.perf_counter() - start) * 1000)
            for _ in range(count):
                start = time.perf_counter()
                await log.append(update)
                await _message(pubsub)
                self.append.append((time.perf_counter() - start) * 1000)
        finally:
            await pub.delete(collab_updates(log_id))
            await pubsub.aclose()
            await pub.aclose()
            await sub_client.aclose()


async def _message(pubsub: Any) -> None:
    while True:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=WAIT_S)
        if message is not None:
            return


# --- (d): sessions x clients typing at once ------------------------------------------------


async def sustained(
    gw: httpx.AsyncClient,
    sessions: list[Session],
    bases: list[str],
    gateway_pids: list[int],
    rate: float,
    duration_s: float,
) -> dict[str, Any]:
    """Every client of every session types at ``rate`` for ``duration_s``; participants are
    spread over ``bases`` (client j of session i on base (i + j) mod len)."""
    tally = Tally()
    urls = [
        [socket_url(bases[(i + j) % len(bases)], s.id, token) for j, token in enumerate(s.tokens)]
        for i, s in enumerate(sessions)
    ]
    async with contextlib.AsyncExitStack() as stack:
        groups = [await stack.enter_async_context(clients(u, tally)) for u in urls]
        everyone = [c for group in groups for c in group]
        await asyncio.sleep(1.0)  # let the rooms settle (their first compaction, awareness queries)
        lag_ms: list[float] = []
        before, own_before = cpu.sample(), time.process_time()
        start = time.perf_counter()
        stop = start + duration_s

        async def typing(client: Client) -> None:
            at = start + random.random() / rate
            while at < stop:
                now = time.perf_counter()
                if at > now:
                    await asyncio.sleep(at - now)
                lag_ms.append((time.perf_counter() - at) * 1000)
                try:
                    await client.type()
                except (OSError, WebSocketException) as error:
                    tally.errors[f"send {type(error).__name__}"] += 1
                    return
                at += 1 / rate

        await asyncio.gather(*(typing(c) for c in everyone))
        typed_s = time.perf_counter() - start
        # What is still in flight arrives (or is counted missing after the wait).
        deadline = time.perf_counter() + WAIT_S
        for group in groups:
            for watcher in group:
                for typist in group:
                    if typist is watcher:
                        continue
                    target = len(tally.sent_at.get(typist.client_id, []))
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(
                            watcher.reached(typist.client_id, target), max(0.01, deadline - time.perf_counter())
                        )
        wall = time.perf_counter() - start
        after = cpu.sample()
        used = cpu.split(before, after)
        # The two gateways this bench started (the "gateway" group counts every gateway process).
        used["our gateways"] = sum(after.by_pid[p][2] - before.by_pid[p][2] for p in gateway_pids)
        # This process (the clients) apart from the rest of "other".
        used["bench clients"] = time.process_time() - own_before
        used["other"] -= used["bench clients"]
        expected = sum(len(tally.sent_at.get(t.client_id, [])) for g in groups for t in g) * (len(groups[0]) - 1)
        missing = expected - len(tally.latency_ms)
        if missing:
            tally.errors["keystrokes never seen"] += missing
        diverged = sum(1 for g in groups if len({str(c.text) for c in g}) != 1)
        if diverged:
            tally.errors["sessions whose documents differ"] += diverged
    edits = tally.edits
    per_1000 = {name: round(seconds / edits * 1e6, 1) for name, seconds in used.items() if edits}
    return {
        "sessions": len(sessions),
        "clients_per_session": len(sessions[0].tokens),
        "rate_per_client": rate,
        "duration_s": duration_s,
        "typed_s": round(typed_s, 1),
        "wall_s": round(wall, 1),
        "edits": edits,
        "edits_per_s": round(edits / typed_s, 1),
        "deliveries": len(tally.latency_ms),
        "propagation_ms": summary(tally.latency_ms) if tally.latency_ms else {},
        "typing_lag_ms": summary(lag_ms) if lag_ms else {},
        "errors": dict(tally.errors),
        "error_count": sum(tally.errors.values()),
        # CPU-milliseconds per 1,000 edits, by component; cores busy over the measured interval.
        "cpu_ms_per_1000_edits": dict(sorted(per_1000.items(), key=lambda kv: -kv[1])),
        "cpu_cores_busy": {
            name: round(seconds / wall, 2) for name, seconds in sorted(used.items(), key=lambda kv: -kv[1])
        },
    }


# --- the suite -----------------------------------------------------------------------------


@contextlib.contextmanager
def two_gateways() -> Iterator[tuple[list[str], str, list[int]]]:
    """Auth and two gateways (as load.py runs them), with their own Redis database; yields the
    gateways' URLs, auth's URL and the gateways' process ids."""
    ports, auth_port = [free_port(), free_port()], free_port()
    auth_url = f"http://127.0.0.1:{auth_port}"
    env = {
        **os.environ,
        **SUITE_ENV,
        "CRH_AUTH_PORT": str(auth_port),
        "CRH_AUTH_PUBLIC_URL": auth_url,
        # Several sign-ins a run, several runs an hour, from one address.
        "CRH_AUTH_OTP_STARTS_PER_ADDRESS_PER_HOUR": "10000",
        "CRH_GATEWAY_AUTH_JWKS_URL": f"{auth_url}/auth/v1/.well-known/jwks.json",
        "CRH_GATEWAY_USER_RATE_LIMITS": SUITE_ENV["CRH_GATEWAY_ANONYMOUS_RATE_LIMITS"],
        "CRH_LOG_JSON": "false",
    }
    AUTH_LOG.write_text("")
    procs = [start("services.auth", env, str(AUTH_LOG))]
    procs += [start("services.gateway", {**env, "CRH_GATEWAY_PORT": str(p)}, LOG) for p in ports]
    try:
        for port, proc in zip([auth_port, *ports], procs, strict=True):
            wait_for_port(port, proc, timeout=120)
        for url in [auth_url, *(f"http://127.0.0.1:{p}" for p in ports)]:
            deadline = time.monotonic() + 60
            while httpx.get(f"{url}/readyz", timeout=5).status_code != 200:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{url} is not ready; see {LOG}")
                time.sleep(0.2)
        yield [f"http://127.0.0.1:{p}" for p in ports], auth_url, [proc.pid for proc in procs[1:]]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(60)


async def measure(args: argparse.Namespace, gateways: list[str], auth_url: str, pids: list[int]) -> dict[str, Any]:
    gw1, gw2 = gateways
    sessions_needed = args.sessions + 2
    owners = [
        await asyncio.to_thread(api_key, auth_url, AUTH_LOG, SCOPES)
        for _ in range(math.ceil(sessions_needed / MAX_ACTIVE_SESSIONS))
    ]
    editors = [await asyncio.to_thread(api_key, auth_url, AUTH_LOG, SCOPES) for _ in range(args.clients - 1)]
    opened: list[Session] = []
    async with httpx.AsyncClient(base_url=gw1, timeout=60) as gw:
        try:
            for i in range(sessions_needed):
                opened.append(
                    await open_session(gw, owners[i // MAX_ACTIVE_SESSIONS], editors[:1] if i < 2 else editors)
                )
            pair_one, pair_two, load = opened[0], opened[1], opened[2:]
            results: dict[str, Any] = {}

            base = Baselines(SUITE_ENV["CRH_REDIS_URL"])
            one_tally, two_tally = Tally(), Tally()
            one_urls = [socket_url(gw1, pair_one.id, t) for t in pair_one.tokens]
            two_urls = [
                socket_url(gw1, pair_two.id, pair_two.tokens[0]),
                socket_url(gw2, pair_two.id, pair_two.tokens[1]),
            ]
            async with clients(one_urls, one_tally) as one, clients(two_urls, two_tally) as two:
                # Warm-up: the rooms' first edits, the sockets' buffers, the Redis connections.
                await back_to_back(one[0], one[1], 20)
                await back_to_back(two[0], two[1], 20)
                base.crdt(200)
                await base.redis(20)
                for warm in (base.pycrdt, base.publish, base.append):
                    warm.clear()
                one_b2b: list[float] = []
                two_b2b: list[float] = []
                for offset in range(0, args.keystrokes, BLOCK):
                    count = min(BLOCK, args.keystrokes - offset)
                    await asyncio.sleep(REFILL_S)
                    base.crdt(count)
                    await base.redis(count)
                    one_b2b += await back_to_back(one[0], one[1], count)
                    two_b2b += await back_to_back(two[0], two[1], count)
                one_paced = await paced(one[0], one[1], args.paced_keystrokes, args.rate)
                two_paced = await paced(two[0], two[1], args.paced_keystrokes, args.rate)
                errors = one_tally.errors + two_tally.errors
            results["pairs"] = {
                "bare pycrdt edit + apply (no network)": summary(base.pycrdt),
                "Redis PUBLISH -> subscriber": summary(base.publish),
                "Redis XADD+PUBLISH script -> subscriber": summary(base.append),
                "(a) one gateway, back to back": summary(one_b2b),
                "(b) two gateways via Redis, back to back": summary(two_b2b),
                f"(a) one gateway, typing {args.rate:g}/s": summary(one_paced),
                f"(b) two gateways, typing {args.rate:g}/s": summary(two_paced),
            }
            results["pair_errors"] = dict(errors)

            results["sustained"] = await sustained(gw, load, gateways, pids, args.rate, args.duration)
            if args.nginx:
                nginx_port = free_port()
                with nginx(nginx_port, [int(u.rsplit(":", 1)[1]) for u in gateways], auth_port=free_port()):
                    await asyncio.sleep(1.0)
                    results["sustained_nginx"] = await sustained(
                        gw, load, [f"http://127.0.0.1:{nginx_port}"], pids, args.rate, args.duration
                    )
            return results
        finally:
            # One after another, as owners end them (each saves its document to the snippet).
            failed = [s.id for s in opened if not await end_session(gw, s)]
            if failed:
                print(f"ending {len(failed)} of {len(opened)} sessions failed (see {LOG})")


def print_sustained(name: str, r: dict[str, Any]) -> None:
    p = r["propagation_ms"]
    print(
        f"{name}: {r['sessions']} sessions x {r['clients_per_session']} clients x {r['rate_per_client']:g}/s, "
        f"{r['typed_s']} s: {r['edits']} edits ({r['edits_per_s']}/s), {r['deliveries']} deliveries, "
        f"errors {r['error_count']} {r['errors'] or ''}"
    )
    if p:
        print(
            f"  propagation ms: p50 {p['p50']:.2f}  p95 {p['p95']:.2f}  p99 {p['p99']:.2f}  max {p['max']:.2f}"
            f"  (typing lag p99 {r['typing_lag_ms'].get('p99', 0):.2f} ms)"
        )
    print(f"  CPU ms per 1,000 edits: {r['cpu_ms_per_1000_edits']}")
    print(f"  cores busy: {r['cpu_cores_busy']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keystrokes", type=int, default=300, help="back-to-back keystrokes for (a) and (b)")
    parser.add_argument("--paced-keystrokes", type=int, default=200, help="keystrokes at --rate for (a) and (b)")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--clients", type=int, default=3, help="participants per session, all typing")
    parser.add_argument("--rate", type=float, default=10.0, help="keystrokes per second per client")
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument(
        "--no-nginx", dest="nginx", action="store_false", help="skip (d) through nginx in front of both gateways"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    with two_gateways() as (gateways, auth_url, pids):
        results = asyncio.run(measure(args, gateways, auth_url, pids))
    print(f"machine: {machine()}")
    print("edit -> visible to the other client (one Yjs update per keystroke)")
    rows = list(results["pairs"].items())
    pairs = results["pairs"]
    print(
        table(
            rows,
            "ms",
            {
                "redis": pairs["Redis PUBLISH -> subscriber"]["p50"],
                "one gw": pairs["(a) one gateway, back to back"]["p50"],
            },
        )
    )
    if results["pair_errors"]:
        print(f"errors in (a)/(b): {results['pair_errors']}")
    print_sustained("(d) spread over both gateways", results["sustained"])
    if "sustained_nginx" in results:
        print_sustained("(d) through nginx", results["sustained_nginx"])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
