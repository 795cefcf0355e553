"""Inserting several executions at once (batches, Judge0's batch route): rows that leave different
columns empty go in together, and each keeps the server's defaults for what it leaves out."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.gateway.executions import repository as repo
from services.gateway.executions.schemas import ExecutionCreate
from services.gateway.executions.service import prepare_execution
from shared.languages import select
from tests.conftest import gateway_settings


async def test_a_batch_mixing_known_and_unknown_versions_is_stored(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    settings = gateway_settings()
    python = select("python", None, {})
    assert python is not None
    payload = ExecutionCreate.model_validate({"language": "python", "source": "print(1)"})
    # The executors reported the version of one language and not (yet) of the other's.
    known = await prepare_execution(payload, settings, {python.key: "3.13.5"})
    unknown = await prepare_execution(payload, settings, {})
    other = await prepare_execution(payload, settings, {python.key: "3.13.5"})
    assert (known.version, unknown.version) == ("3.13.5", None)
    async with sessions() as session:
        await repo.add(session, known, unknown, other)
        await session.commit()
    async with sessions() as session:
        stored = {e.id: e.version for e in [await repo.get(session, x.id) for x in (known, unknown, other)] if e}
    assert stored == {known.id: "3.13.5", unknown.id: None, other.id: "3.13.5"}
