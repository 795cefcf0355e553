"""Typed dependency aliases; tests swap them with app.dependency_overrides."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from services.gateway.executions.schemas import OutputEncoding
from services.gateway.state import GatewayState
from shared.settings import GatewaySettings


# Dependencies are coroutines even when they need not be: FastAPI runs a plain function in its
# thread pool, a thread hop on every request.
async def get_state(connection: HTTPConnection) -> GatewayState:
    state: GatewayState = connection.app.state.gateway
    return state


StateDep = Annotated[GatewayState, Depends(get_state)]


async def get_settings(state: StateDep) -> GatewaySettings:
    return state.settings


SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]


async def get_session(state: StateDep) -> AsyncIterator[AsyncSession]:
    # Endpoints commit explicitly at their boundary; anything uncommitted is rolled back here.
    async with state.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]

# Query parameters several routes take.
EncodingQuery = Annotated[
    OutputEncoding, Query(description="`text` (UTF-8, invalid bytes replaced) or lossless `base64`.")
]
CursorQuery = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")]
