"""Stream tickets: how a browser opens an authenticated WebSocket.

Browsers cannot put an Authorization header on a WebSocket handshake, and an API key in a URL ends
up in logs and histories. A ticket is minted by an authenticated request (the integrator's backend,
holding the key) and handed to the page: a random token, single use (GETDEL: two sockets racing
with one ticket cannot both win), expiring within a minute, standing for the principal that minted
it, scopes and all, and optionally for one execution only. Redis holds it under its SHA-256, as the
database holds API keys.

A ticket is a snapshot of its principal: a key revoked after minting still opens the one socket
its ticket was minted for, within the ticket's TTL."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.gateway.auth.principal import Principal, unauthorized
from services.gateway.tickets.schemas import StreamTicketOut
from shared.problems import ProblemError
from shared.redis_keys import stream_ticket

PREFIX = "crht_"
# 32 random bytes, URL-safe: what token_urlsafe(32) gives.
_TICKET = re.compile(rf"^{PREFIX}[A-Za-z0-9_-]{{43}}$")
REFUSED = "The stream ticket is unknown, expired or already used."


def _key(ticket: str) -> str:
    return stream_ticket(hashlib.sha256(ticket.encode()).hexdigest())


async def mint(
    redis: Redis, principal: Principal, ttl_s: int, execution_id: uuid.UUID | None = None
) -> StreamTicketOut:
    assert principal.user_id is not None, "anonymous callers cannot mint tickets (the policy refuses them)"
    ticket = PREFIX + secrets.token_urlsafe(32)
    held = {
        "kind": principal.kind,
        "user_id": str(principal.user_id),
        "role": principal.role,
        "scopes": sorted(principal.scopes),
        "execution_id": str(execution_id) if execution_id else None,
    }
    expires_at = datetime.now(UTC) + timedelta(seconds=ttl_s)
    await redis.set(_key(ticket), json.dumps(held), ex=ttl_s)
    return StreamTicketOut(ticket=ticket, expires_at=expires_at, execution_id=execution_id)


async def redeem(redis: Redis, ticket: str, execution_id: str | None) -> Principal:
    """The principal a ticket stands for, spending it. ``execution_id``: the execution the socket
    watches (None for a socket that watches none, e.g. an interactive session). Every refusal is
    the same 401: which of unknown, used or expired it was is nobody's business."""
    if not _TICKET.match(ticket):
        raise unauthorized(REFUSED)
    try:
        raw = await redis.getdel(_key(ticket))
    except (RedisError, OSError) as exc:
        raise ProblemError(503, "unavailable", "Service unavailable", "Tickets cannot be checked now.") from exc
    if raw is None:
        raise unauthorized(REFUSED)
    held: dict[str, Any] = json.loads(raw)
    bound = held.get("execution_id")
    if bound is not None and bound != _normalised(execution_id):
        raise unauthorized("The stream ticket was minted for another execution.")
    return Principal(held["kind"], uuid.UUID(held["user_id"]), held["role"], frozenset(held["scopes"]))


def _normalised(execution_id: str | None) -> str | None:
    try:
        return str(uuid.UUID(execution_id)) if execution_id else None
    except ValueError:
        return None
