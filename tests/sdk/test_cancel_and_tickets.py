"""Cancelling executions and minting stream tickets through the SDK."""

from __future__ import annotations

import json

import pytest
from coderunhub import AsyncClient, ConflictError, ExecutionOut
from coderunhub._http import websocket_url
from websockets.asyncio.client import connect

from tests.sdk.conftest import WAIT_S


async def test_cancel_stops_an_execution_and_refuses_a_finished_one(client: AsyncClient) -> None:
    execution = await client.submit("python", "import time\ntime.sleep(60)\nprint('never')")
    answered = await client.cancel(execution)
    assert answered.id == execution.id
    final = await client.wait(answered, timeout_s=WAIT_S)
    assert final.verdict == "cancelled"
    with pytest.raises(ConflictError) as finished:
        await client.cancel(execution.id)
    assert finished.value.status == 409


async def test_a_stream_ticket_opens_the_stream_without_credentials(client: AsyncClient) -> None:
    execution: ExecutionOut = await client.run("python", "print('ticketed')")
    ticket = await client.create_stream_ticket(execution)
    assert ticket.ticket.startswith("crht_")
    url = f"{websocket_url(client.base_url)}/v1/executions/{execution.id}/stream?ticket={ticket.ticket}"
    frames = []
    async with connect(url) as ws:
        async for message in ws:
            frames.append(json.loads(message))
    assert frames[-1]["type"] == "result"
    assert "".join(f["data"] for f in frames if f["type"] == "stdout") == "ticketed\n"
