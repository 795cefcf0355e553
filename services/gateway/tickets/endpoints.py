from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, status

from services.gateway.auth.access import StreamTicketsMint
from services.gateway.deps import StateDep
from services.gateway.tickets import service
from services.gateway.tickets.schemas import StreamTicketCreate, StreamTicketOut
from shared.problems import problem_responses

router = APIRouter(prefix="/v1/stream-tickets", tags=["stream tickets"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=StreamTicketOut,
    summary="Mint a ticket for one WebSocket",
    description="Browsers cannot send an `Authorization` header on a WebSocket: a ticket minted here (by your "
    "backend, with your API key) opens one WebSocket as you when added to its URL, "
    "`wss://.../v1/executions/{id}/stream?ticket=...` or `.../v1/executions/interactive?ticket=...`. "
    "Single use, valid for a minute (`stream_ticket_ttl_s`), optionally bound to one execution. The socket still "
    "applies its own rules (API keys need `executions:read` to stream, `executions:write` for interactive "
    "sessions). An unknown, used or expired ticket closes the socket with 4401. Charged as a write.",
    responses=problem_responses(401, 403),
)
async def create_stream_ticket(
    state: StateDep,
    principal: StreamTicketsMint,
    payload: Annotated[StreamTicketCreate | None, Body()] = None,
) -> StreamTicketOut:
    execution_id = payload.execution_id if payload else None
    return await service.mint(state.redis, principal, state.settings.stream_ticket_ttl_s, execution_id)
