"""POST /v1/executions/{id}/cancel: a running program is killed, a queued one never starts, and
the verdict says cancelled; only those who may read an execution may cancel it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis
from websockets.asyncio.client import connect

from tests.auth_support import AuthService
from tests.deploy.servers import own_redis
from tests.product.conftest import Account, MakeAccount, gateway

SLEEPER = "import time\nprint('up', flush=True)\ntime.sleep(30)\n"
RECV_S = 30


async def submit(client: httpx.AsyncClient, account: Account | None = None, **body: Any) -> dict[str, Any]:
    payload = {"language": "python", "source": SLEEPER, **body}
    response = await client.post("/v1/executions", json=payload, headers=account.headers if account else None)
    assert response.status_code == 202, response.text
    created: dict[str, Any] = response.json()
    return created


def stream_url(client: httpx.AsyncClient, execution: dict[str, Any]) -> str:
    link: str = execution["links"]["stream"]
    return link if link.startswith("ws") else str(client.base_url).replace("http", "ws", 1) + link


async def until_running(client: httpx.AsyncClient, execution: dict[str, Any], account: Account | None = None) -> None:
    """Until the program printed: then it is surely running in a sandbox."""
    url = stream_url(client, execution)
    headers = account.headers if account else None
    async with connect(url, additional_headers=headers) as ws:
        async with asyncio.timeout(RECV_S):
            while True:
                frame = json.loads(await ws.recv())
                assert frame["type"] != "result", frame
                if frame["type"] == "stdout":
                    return


async def cancel(client: httpx.AsyncClient, execution_id: str, account: Account | None = None) -> httpx.Response:
    return await client.post(f"/v1/executions/{execution_id}/cancel", headers=account.headers if account else None)


async def test_a_running_program_is_killed_and_the_verdict_says_cancelled(
    gw: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    owner = await make_account()
    execution = await submit(gw, owner)
    await until_running(gw, execution, owner)
    response = await cancel(gw, execution["id"], owner)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["verdict"], body["message"]) == ("finished", "cancelled", "Cancelled on request")
    assert body["run"]["stdout"] == "up\n"
    assert body["run"]["wall_time_ms"] < 15_000, "killed, not left to its 30 s sleep"
    again = (await gw.get(f"/v1/executions/{execution['id']}", headers=owner.headers)).json()
    assert again["verdict"] == "cancelled"
    # Finished: cancelling again is a conflict, in the one problem shape.
    late = await cancel(gw, execution["id"], owner)
    assert late.status_code == 409
    assert late.headers["content-type"].startswith("application/problem+json")
    assert late.json()["detail"] == "It finished with verdict cancelled."


@pytest.fixture
def idle_redis() -> Iterator[str]:
    """A Redis no executor serves (one of the test's own, not the machine's shared server): what
    is queued through it stays queued."""
    with own_redis() as server:
        yield server.url


async def test_a_queued_execution_never_starts(auth: AuthService, make_account: MakeAccount, idle_redis: str) -> None:
    owner = await make_account()
    async with gateway(auth, redis_url=idle_redis) as idle:
        execution = await submit(idle, owner)
        assert execution["status"] == "queued"
        async with connect(stream_url(idle, execution), additional_headers=owner.headers) as ws:
            response = await cancel(idle, execution["id"], owner)
            assert response.status_code == 200, response.text
            body = response.json()
            assert (body["status"], body["verdict"]) == ("finished", "cancelled")
            assert body["run"] is None, "nothing ran"
            # A follower of its stream gets the result too.
            async with asyncio.timeout(RECV_S):
                frame = json.loads(await ws.recv())
                while frame["type"] != "result":
                    frame = json.loads(await ws.recv())
            assert frame["execution"]["verdict"] == "cancelled"
    queue = redis.Redis.from_url(idle_redis)
    assert queue.zscore("crh:queue:executions", execution["id"]) is None, "taken off the queue"
    assert not queue.exists(f"arq:job:{execution['id']}")


async def test_a_judged_execution_stops_at_the_case_it_was_in(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    owner = await make_account()
    cases = [{"stdin": str(n), "expected_stdout": "up\n"} for n in range(3)]
    source = "import time\nprint('up', flush=True)\nif input() == '1':\n    time.sleep(30)\n"
    execution = await submit(gw, owner, source=source, test_cases=cases)
    # Case 0 passes at once; case 1 sleeps: wait until it printed, so it is the one running.
    async with connect(stream_url(gw, execution), additional_headers=owner.headers) as ws:
        async with asyncio.timeout(RECV_S):
            while True:
                frame = json.loads(await ws.recv())
                assert frame["type"] != "result", frame
                if frame["type"] == "stdout" and frame.get("test") == 1:
                    break
    response = await cancel(gw, execution["id"], owner)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verdict"] == "cancelled"
    assert [test["verdict"] for test in body["tests"]] == ["accepted", "cancelled"], "case 3 never ran"
    assert body["message"] == "Cancelled on request during test 2 of 3"


async def test_only_those_who_may_read_an_execution_may_cancel_it(
    gw: httpx.AsyncClient, make_account: MakeAccount, admin: Account
) -> None:
    owner, stranger = await make_account(), await make_account()
    execution = await submit(gw, owner)
    # Someone else's execution does not exist, as far as the caller can tell.
    refused = await cancel(gw, execution["id"], stranger)
    assert refused.status_code == 404
    assert (await cancel(gw, execution["id"])).status_code == 404
    assert (await cancel(gw, "01a21870-0000-7000-8000-000000000000", owner)).status_code == 404
    assert (await cancel(gw, "not-a-uuid", owner)).status_code == 422
    by_admin = await cancel(gw, execution["id"], admin)
    assert by_admin.status_code == 200, by_admin.text
    assert by_admin.json()["verdict"] == "cancelled"

    # An anonymous execution: its id is its credential, for cancelling as for reading.
    anonymous = await submit(gw)
    by_holder = await cancel(gw, anonymous["id"])
    assert by_holder.status_code == 200, by_holder.text
    assert by_holder.json()["verdict"] == "cancelled"


async def test_an_interactive_session_cancelled_through_the_api(
    gw: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    owner = await make_account()
    url = str(gw.base_url).replace("http", "ws", 1) + "/v1/executions/interactive"
    async with connect(url, additional_headers=owner.headers) as ws:
        await ws.send(json.dumps({"type": "start", "language": "python", "source": "print('?', flush=True)\ninput()"}))
        created = json.loads(await asyncio.wait_for(ws.recv(), RECV_S))
        assert created["type"] == "created", created
        frames = [created]
        async with asyncio.timeout(RECV_S):
            while frames[-1]["type"] != "stdout":
                frames.append(json.loads(await ws.recv()))
            response = await cancel(gw, created["execution"]["id"], owner)
            assert response.status_code == 200, response.text
            while frames[-1]["type"] != "result":
                frames.append(json.loads(await ws.recv()))
    assert frames[-1]["execution"]["verdict"] == "cancelled"
