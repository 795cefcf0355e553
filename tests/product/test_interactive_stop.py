"""The interactive socket's Stop and refusals, as the web app's terminal uses them: a kill frame
cancels the execution wherever it is (also while it waits in the queue, where no executor reads its
input yet), and a refused start says when to try again."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from shared.settings import RateLimitPolicy
from tests.auth_support import AuthService
from tests.product import test_cancel
from tests.product.conftest import MakeAccount, gateway

RECV_S = 30
# A Redis of the test's own that no executor serves (test_cancel's fixture).
idle_redis = test_cancel.idle_redis


def interactive_url(base_url: object) -> str:
    return str(base_url).replace("http", "ws", 1) + "/v1/executions/interactive"


async def frames_until_result(ws: ClientConnection) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    async with asyncio.timeout(RECV_S):
        while not frames or frames[-1]["type"] not in ("result", "error"):
            frames.append(json.loads(await ws.recv()))
    return frames


async def test_kill_cancels_a_session_still_in_the_queue(
    auth: AuthService, make_account: MakeAccount, idle_redis: str
) -> None:
    """No executor has the execution: the kill frame still ends it at once, cancelled, with a
    result frame (before, the kill waited in its input Stream for a program that had not started)."""
    owner = await make_account()
    async with gateway(auth, redis_url=idle_redis) as idle:
        async with connect(interactive_url(idle.base_url), additional_headers=owner.headers) as ws:
            await ws.send(json.dumps({"type": "start", "language": "python", "source": "input()"}))
            created = json.loads(await asyncio.wait_for(ws.recv(), RECV_S))
            assert created["type"] == "created", created
            assert created["execution"]["status"] == "queued"
            await ws.send(json.dumps({"type": "kill"}))
            frames = await frames_until_result(ws)
        result = frames[-1]
        assert result["type"] == "result", frames
        assert (result["execution"]["verdict"], result["execution"]["message"]) == (
            "cancelled",
            "Cancelled on request",
        )
        execution_id = created["execution"]["id"]
        stored = (await idle.get(f"/v1/executions/{execution_id}", headers=owner.headers)).json()
        assert (stored["status"], stored["verdict"]) == ("finished", "cancelled")
    queue = redis.Redis.from_url(idle_redis)
    assert queue.zscore("crh:queue:executions", execution_id) is None, "taken off the queue"


@pytest.mark.usefixtures("fresh_limits")
async def test_a_refused_start_says_when_to_try_again(auth: AuthService, executor: object) -> None:
    """The error frame of a start refused for the caller's budget carries retry_after (the socket
    has no Retry-After header), as many seconds as GET /v1/limits says the budget needs."""
    tiny = RateLimitPolicy(executions="1/minute", reads="50/minute", writes="50/minute", max_in_flight=10)
    async with gateway(auth, anonymous_rate_limits=tiny) as client:
        url = interactive_url(client.base_url)
        async with connect(url) as ws:
            await ws.send(json.dumps({"type": "start", "language": "python", "source": "print('hi')"}))
            frames = await frames_until_result(ws)
        assert frames[-1]["type"] == "result", frames
        async with connect(url) as ws:
            await ws.send(json.dumps({"type": "start", "language": "python", "source": "print('again')"}))
            refusal = json.loads(await asyncio.wait_for(ws.recv(), RECV_S))
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), RECV_S)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4429
        problem = refusal["problem"]
        assert (refusal["type"], problem["status"]) == ("error", 429), refusal
        limits = (await client.get("/v1/limits")).json()
        budget = next(b for b in limits["budgets"] if b["name"] == "executions")
        assert isinstance(problem["retry_after"], int)
        assert 1 <= problem["retry_after"] <= 60
        assert abs(problem["retry_after"] - max(1, budget["reset_after_s"])) <= 2
        assert f"retry after {problem['retry_after']} seconds" in problem["detail"]
