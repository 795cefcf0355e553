"""The order a real program's stdout and stderr arrived in is stored with its run and its cases."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.gateway.executions.repository import load_record
from shared.executions import ExecutionRecord, Phase, interleaved
from tests.e2e.conftest import run

# Alternating writes, each flushed and given time to reach the sandbox's reader before the next.
ALTERNATING = """
import sys, time
for stream, text in [(sys.stdout, "out1"), (sys.stderr, "err1"), (sys.stdout, "out2"), (sys.stderr, "err2"),
                     (sys.stdout, "out3")]:
    stream.write(text)
    stream.flush()
    time.sleep(0.02)
"""


async def stored(sessions: async_sessionmaker[AsyncSession], execution_id: str) -> ExecutionRecord:
    async with sessions() as session:
        record = await load_record(session, uuid.UUID(execution_id))
    assert record is not None
    return record


async def test_a_run_keeps_the_order_of_its_output(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    result = await run(api, {"language": "python", "source": ALTERNATING})
    assert result["verdict"] == "ok", result["message"]
    # The native API does not show the order.
    assert "output_order" not in result["run"]

    record = await stored(sessions, result["id"])
    ran = next(phase for phase in record.phases if phase.phase is Phase.run)
    assert (ran.stdout, ran.stderr) == (b"out1out2out3", b"err1err2")
    assert ran.output_order == [4, -4, 4, -4, 4]
    assert interleaved(ran) == b"out1err1out2err2out3"
    # As the final event carries it.
    assert ExecutionRecord.model_validate_json(record.model_dump_json()) == record


async def test_one_stream_stores_no_order(api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]) -> None:
    source = "import sys, time\nprint('a', flush=True)\ntime.sleep(0.02)\nprint('b')"
    result = await run(api, {"language": "python", "source": source})
    assert result["verdict"] == "ok", result["message"]
    ran = next(phase for phase in (await stored(sessions, result["id"])).phases if phase.phase is Phase.run)
    assert ran.stdout == b"a\nb\n"
    assert ran.output_order is None


async def test_a_judged_case_keeps_the_order_of_its_output(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    cases = [{"stdin": "", "expected_stdout": "out1out2out3"}, {"stdin": "", "expected_stdout": "other"}]
    result = await run(api, {"language": "python", "source": ALTERNATING, "test_cases": cases})
    assert [test["verdict"] for test in result["tests"]] == ["accepted", "wrong_answer"]
    assert all("output_order" not in test for test in result["tests"])

    record = await stored(sessions, result["id"])
    assert [test.index for test in record.tests] == [0, 1]
    for test in record.tests:
        assert test.output_order == [4, -4, 4, -4, 4]
        assert interleaved(test) == b"out1err1out2err2out3"
