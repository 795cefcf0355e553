"""Real nginx (Debian's) in front of two gateways, two executors and the auth service, configured
from deploy/nginx's template: the end-to-end flow through it, WebSocket failover when the
gateway serving a stream dies (SIGKILL: the stream is cut) or shuts down (SIGTERM: close code
1012), and per-address limits that a spoofed X-Forwarded-For does not escape."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedError

from bench.nginx import nginx
from tests.auth.fakes import FakeTwilio
from tests.auth_support import AuthService, fresh_phone
from tests.conftest import free_port
from tests.deploy import suite as shared
from tests.deploy.suite import Gateway, Suite

# The shared suite's fixtures (module-scoped: this module gets a suite of its own).
executors = shared.executors
suite = shared.suite

# Prints 0..19, one line every 0.15 s: long enough to kill a gateway in the middle.
COUNTING = "import time\nfor i in range(20):\n    print(i, flush=True)\n    time.sleep(0.15)\n"
EXPECTED = "".join(f"{i}\n" for i in range(20))


async def test_the_whole_flow_through_nginx(suite: Suite, auth: AuthService, twilio: FakeTwilio) -> None:
    async with httpx.AsyncClient(base_url=suite.url, timeout=120) as client:
        page = await client.get("/")
        assert page.status_code == 200
        assert "CodeRunHub" in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert (await client.get("/snippets/some-client-route")).status_code == 200, "SPA fallback"
        assert (await client.get("/readyz")).status_code == 200

        # Sign in through nginx's /auth route, then run code through its /v1 route.
        phone = fresh_phone("628")
        assert (await client.post("/auth/v1/phone/start", json={"phone": phone})).status_code == 202
        verified = await client.post("/auth/v1/phone/verify", json={"phone": phone, "code": twilio.codes[phone]})
        assert verified.status_code == 200, verified.text
        headers = {"Authorization": f"Bearer {verified.json()['access_token']}"}
        ran = await client.post(
            "/v1/executions?wait=true", headers=headers, json={"language": "python", "source": "print('via nginx')"}
        )
        assert ran.status_code == 200, ran.text
        assert ran.json()["run"]["stdout"] == "via nginx\n"
        again = await client.get(f"/v1/executions/{ran.json()['id']}", headers=headers)
        assert again.json()["verdict"] == "ok"

        # nginx refuses oversized bodies before they reach a gateway.
        huge = await client.post("/v1/executions", content=b"x" * (3 << 20), headers={"content-type": "text/plain"})
        assert huge.status_code == 413

        # The Judge0 and Piston shapes pass through too (not the web app's fallback page).
        judge0 = await client.post(
            "/judge0/submissions",
            params={"wait": "true"},
            headers={"X-Auth-Token": verified.json()["access_token"]},
            json={"source_code": "print('judge0 via nginx')", "language_id": 71},
        )
        assert judge0.status_code == 201, judge0.text
        assert judge0.json()["stdout"] == "judge0 via nginx\n"
        piston = await client.post(
            "/api/v2/execute", json={"language": "python", "version": "*", "files": [{"content": "print(2)"}]}
        )
        assert piston.status_code == 200, piston.text
        assert piston.json()["run"]["stdout"] == "2\n"
        async with connect(suite.url.replace("http", "ws", 1) + "/api/v2/connect") as ws:
            init = {"type": "init", "language": "python", "version": "*", "files": [{"content": "print(input())"}]}
            await ws.send(json.dumps(init))
            assert json.loads(await ws.recv())["type"] == "runtime"
            await ws.send(json.dumps({"type": "data", "stream": "stdin", "data": "typed\n"}))
            seen: list[dict[str, Any]] = []
            # Piston ends a session with close code 4999, which websockets reports as an error.
            with pytest.raises(ConnectionClosedError) as closed:
                await read_all(ws, seen)
            # A pty may hand the line and its newline over as separate chunks.
            printed = "".join(f["data"] for f in seen if f["type"] == "data" and f["stream"] == "stdout")
            assert printed == "typed\n"
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4999

        # Both gateways take traffic.
        served = {(await client.get("/v1/languages")).headers["x-crh-instance"] for _ in range(12)}
        assert served == {g.instance for g in suite.gateways}


# No read of a stream here waits longer than this: a stuck stream fails the test, never hangs it.
STREAM_READ_S = 60


async def read_until(ws: ClientConnection, frames: list[dict[str, Any]], stdout_frames: int) -> None:
    async with asyncio.timeout(STREAM_READ_S):
        while sum(1 for f in frames if f["type"] == "stdout") < stdout_frames:
            frames.append(json.loads(await ws.recv()))


async def read_all(ws: ClientConnection, frames: list[dict[str, Any]]) -> None:
    """Every frame until the connection closes (which raises)."""
    async with asyncio.timeout(STREAM_READ_S):
        while True:
            frames.append(json.loads(await ws.recv()))


@dataclass(frozen=True)
class Failover:
    cut: ConnectionClosedError  # how the first connection ended
    close_code: int | None  # its close code as the client saw it (1006: no close frame came)
    survivors: set[str]  # the gateway instances other than the one serving it
    replay: list[dict[str, Any]]  # everything the reconnected stream sent
    replayed_by: str  # the gateway instance serving the reconnected stream


async def stream_surviving(suite: Suite, sig: int) -> Failover:
    """Start the counting program, kill the gateway serving its stream part-way, reconnect."""
    async with httpx.AsyncClient(base_url=suite.url, timeout=60) as client:
        created = (await client.post("/v1/executions", json={"language": "python", "source": COUNTING})).json()
    # An absolute link through nginx (its Host, port included, reaches the gateway).
    ws_url = created["links"]["stream"]
    assert ws_url.startswith(suite.url.replace("http", "ws", 1) + "/v1/executions/")
    first: list[dict[str, Any]] = []
    async with connect(ws_url) as ws:
        assert ws.response is not None
        victim = suite.serving(ws.response.headers["x-crh-instance"])
        survivors = {g.instance for g in suite.gateways if g is not victim}
        await read_until(ws, first, 3)
        victim.stop(sig)
        # Not ConnectionClosed: that also covers a normal close (1000), which a cut must not be.
        with pytest.raises(ConnectionClosedError) as cut:
            await read_until(ws, first, len(EXPECTED))
    code = ws.close_code

    # Reconnect while the victim is still down: nginx must route to the surviving gateway.
    replay: list[dict[str, Any]] = []
    replayed_by = ""
    async with asyncio.timeout(STREAM_READ_S):
        for _ in range(20):
            try:
                async with connect(ws_url) as ws:
                    assert ws.response is not None
                    replayed_by = ws.response.headers["x-crh-instance"]
                    async for message in ws:
                        replay.append(json.loads(message))
                break
            except (OSError, ConnectionClosed):
                replay.clear()
                await asyncio.sleep(0.25)
    victim.start()  # back for the next test
    # What the first connection saw is a prefix of the complete replay.
    assert [f["seq"] for f in first if f["type"] != "result"] == [f["seq"] for f in replay[: len(first)]]
    return Failover(cut.value, code, survivors, replay, replayed_by)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["killed", "shut-down"])
async def test_a_stream_survives_its_gateway(suite: Suite, sig: int) -> None:
    failover = await stream_surviving(suite, sig)
    if sig == signal.SIGKILL:
        # Cut, not closed: the dead gateway sent no close frame, so the client saw an abnormal closure.
        assert failover.cut.rcvd is None, failover.cut
        assert failover.close_code == 1006
    else:
        assert failover.cut.rcvd is not None, failover.cut
        assert failover.close_code == 1012, "a shutting-down gateway tells clients to reconnect"
    assert failover.replayed_by in failover.survivors, "the rest came through the surviving gateway"
    replay = failover.replay
    assert [f["seq"] for f in replay] == list(range(1, len(replay) + 1))
    assert "".join(f["data"] for f in replay if f["type"] == "stdout") == EXPECTED
    assert replay[-1]["type"] == "result"
    assert replay[-1]["execution"]["verdict"] == "ok"


# The spoofing tests' anonymous reads budget (the suite's gateways have generous ones).
READS_LIMIT = 5


@pytest.fixture(scope="module")
def limited(database: str, redis_client: redis.Redis, auth: AuthService) -> Iterator[tuple[str, str]]:
    """A gateway with a small anonymous reads budget, and nginx in front of it: their URLs."""
    port = free_port()
    policy = {"executions": "10/minute", "reads": f"{READS_LIMIT}/minute", "writes": "30/minute", "max_in_flight": 2}
    env = {
        **os.environ,
        "CRH_GATEWAY_HOST": "127.0.0.1",
        "CRH_GATEWAY_PORT": str(port),
        "CRH_GATEWAY_ANONYMOUS_RATE_LIMITS": json.dumps(policy),
        "CRH_LOG_JSON": "false",
    }
    # Uvicorn's shipped default: only X-Forwarded-For from 127.0.0.1 (nginx here) is believed.
    env.pop("FORWARDED_ALLOW_IPS", None)
    gateway = Gateway(port, env)
    gateway.start()
    proxy_port = free_port()
    try:
        with nginx(proxy_port, [port], int(auth.url.rsplit(":", 1)[1])):
            yield f"http://127.0.0.1:{port}", f"http://127.0.0.1:{proxy_port}"
    finally:
        gateway.stop()


def other_loopback_address() -> str:
    """A loopback address of a client of its own (fresh rate-limit buckets), not nginx's 127.0.0.1."""
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


async def reads_with_spoofed_addresses(url: str, local_address: str) -> list[httpx.Response]:
    """READS_LIMIT + 1 reads from ``local_address``, each claiming another client address."""
    transport = httpx.AsyncHTTPTransport(local_address=local_address)
    async with httpx.AsyncClient(base_url=url, transport=transport, timeout=30) as client:
        return [
            await client.get("/v1/languages", headers={"X-Forwarded-For": f"203.0.113.{n}"})
            for n in range(1, READS_LIMIT + 2)
        ]


def assert_limited(responses: list[httpx.Response]) -> None:
    """One budget for all of them: the rotating X-Forwarded-For values did not make new callers."""
    statuses = [r.status_code for r in responses]
    assert statuses == [200] * READS_LIMIT + [429], [r.headers.get("ratelimit-remaining") for r in responses]
    remaining = [int(r.headers["ratelimit-remaining"]) for r in responses[:READS_LIMIT]]
    assert remaining == list(range(READS_LIMIT - 1, -1, -1))
    assert responses[-1].headers["content-type"].startswith("application/problem+json")


async def test_spoofed_forwarded_for_sent_to_the_gateway_is_ignored(limited: tuple[str, str]) -> None:
    gateway_url, _ = limited
    assert_limited(await reads_with_spoofed_addresses(gateway_url, other_loopback_address()))


async def test_spoofed_forwarded_for_through_nginx_is_overwritten(
    limited: tuple[str, str], redis_client: redis.Redis
) -> None:
    _, proxy_url = limited
    # From nginx's own address, the case where an appended header would be believed (the
    # gateway skips trusted hops from the right): this test's budget starts empty.
    for key in redis_client.scan_iter(match="crh:ratelimit*ip:127.0.0.1*"):
        redis_client.delete(key)
    assert_limited(await reads_with_spoofed_addresses(proxy_url, "127.0.0.1"))
    # The gateway does take each client's address from nginx: another client has its own budget.
    transport = httpx.AsyncHTTPTransport(local_address=other_loopback_address())
    async with httpx.AsyncClient(base_url=proxy_url, transport=transport, timeout=30) as other:
        response = await other.get("/v1/languages")
    assert response.status_code == 200, response.text
    assert int(response.headers["ratelimit-remaining"]) == READS_LIMIT - 1
