"""Real nginx (Debian's) in front of two gateways, two executors and the auth service, configured
from deploy/nginx's template: the end-to-end flow through it, and WebSocket failover when the
gateway serving a stream dies (SIGKILL) or shuts down (SIGTERM: close code 1012)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench.nginx import nginx, wait_for_port
from tests.auth.fakes import FakeTwilio
from tests.auth_support import AuthService
from tests.conftest import LOG_DIR, ROOT, free_port, start_executor, wait_until_ready

# Prints 0..19, one line every 0.15 s: long enough to kill a gateway in the middle.
COUNTING = "import time\nfor i in range(20):\n    print(i, flush=True)\n    time.sleep(0.15)\n"
EXPECTED = "".join(f"{i}\n" for i in range(20))


@dataclass
class Gateway:
    port: int
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (LOG_DIR / f"gateway-{self.port}.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.gateway"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        wait_for_port(self.port, self.proc)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def instance(self) -> str:
        assert self.proc is not None
        return f"{socket.gethostname()}:{self.proc.pid}"


@dataclass
class Suite:
    url: str
    gateways: list[Gateway]
    nginx_log: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def serving(self, instance: str) -> Gateway:
        return next(g for g in self.gateways if g.instance == instance)


@pytest.fixture(scope="module")
def executors(database: str, redis_client: redis.Redis) -> Iterator[None]:
    procs = [start_executor(f"executor-lb-{n}", f"executor-lb-{n}.log", CRH_EXECUTOR_CONCURRENCY="2") for n in (1, 2)]
    try:
        for n, proc in enumerate(procs, start=1):
            wait_until_ready(redis_client, f"executor-lb-{n}", proc)
        yield
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest_asyncio.fixture(scope="module")
async def suite(auth: AuthService, executors: None) -> AsyncIterator[Suite]:
    auth_port = int(auth.url.rsplit(":", 1)[1])
    gateways = []
    for _ in range(2):
        port = free_port()
        env = {
            **os.environ,
            "CRH_GATEWAY_HOST": "127.0.0.1",
            "CRH_GATEWAY_PORT": str(port),
            "CRH_GATEWAY_AUTH_JWKS_URL": f"{auth.url}/auth/v1/.well-known/jwks.json",
            "CRH_GATEWAY_STREAM_IDLE_CHECK_S": "1.0",
            "CRH_LOG_JSON": "false",
        }
        gateways.append(Gateway(port, env))
    for gateway in gateways:
        gateway.start()
    port = free_port()
    page = "<!doctype html><title>CodeRunHub</title><div id=app></div>"
    try:
        with nginx(port, [g.port for g in gateways], auth_port, page) as workdir:
            yield Suite(f"http://127.0.0.1:{port}", gateways, workdir / "error.log")
    finally:
        for gateway in gateways:
            gateway.stop()


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
        phone = "+16285550142"
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

        # Both gateways take traffic.
        served = {(await client.get("/v1/languages")).headers["x-crh-instance"] for _ in range(12)}
        assert served == {g.instance for g in suite.gateways}


async def read_until(ws: ClientConnection, frames: list[dict[str, Any]], stdout_frames: int) -> None:
    while sum(1 for f in frames if f["type"] == "stdout") < stdout_frames:
        frames.append(json.loads(await ws.recv()))


async def stream_surviving(suite: Suite, sig: int) -> tuple[list[dict[str, Any]], int | None]:
    """Start the counting program, kill the gateway serving its stream part-way, reconnect."""
    async with httpx.AsyncClient(base_url=suite.url, timeout=60) as client:
        created = (await client.post("/v1/executions", json={"language": "python", "source": COUNTING})).json()
    ws_url = suite.url.replace("http", "ws", 1) + created["links"]["stream"]
    first: list[dict[str, Any]] = []
    async with connect(ws_url) as ws:
        assert ws.response is not None
        victim = suite.serving(ws.response.headers["x-crh-instance"])
        await read_until(ws, first, 3)
        victim.stop(sig)
        with pytest.raises(ConnectionClosed):
            await read_until(ws, first, len(EXPECTED))
    code = ws.close_code

    # Reconnect while the victim is still down: nginx must route to the surviving gateway.
    replay: list[dict[str, Any]] = []
    for _ in range(20):
        try:
            async with connect(ws_url) as ws:
                async for message in ws:
                    replay.append(json.loads(message))
            break
        except (OSError, ConnectionClosed):
            await asyncio.sleep(0.25)
    victim.start()  # back for the next test
    # What the first connection saw is a prefix of the complete replay.
    assert [f["seq"] for f in first if f["type"] != "result"] == [f["seq"] for f in replay[: len(first)]]
    return replay, code


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["killed", "shut-down"])
async def test_a_stream_survives_its_gateway(suite: Suite, sig: int) -> None:
    replay, code = await stream_surviving(suite, sig)
    if sig == signal.SIGTERM:
        assert code == 1012, "a shutting-down gateway tells clients to reconnect"
    assert [f["seq"] for f in replay] == list(range(1, len(replay) + 1))
    assert "".join(f["data"] for f in replay if f["type"] == "stdout") == EXPECTED
    assert replay[-1]["type"] == "result"
    assert replay[-1]["execution"]["verdict"] == "ok"
