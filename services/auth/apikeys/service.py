"""API keys: created with a one-time secret (only its hash is stored), listed, revoked.

Nothing here commits; the endpoints own that boundary.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from services.auth.apikeys import repository as repo
from services.auth.apikeys.schemas import ApiKeyIn
from shared.auth.api_keys import CHANGED_MARKER_S, generate_api_key, hash_secret
from shared.db.models import ApiKey, User
from shared.problems import NotFoundProblem, ProblemError
from shared.redis_keys import api_key_changed

MAX_KEYS_PER_USER = 50


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: ApiKey
    raw: str


async def create(session: AsyncSession, user: User, body: ApiKeyIn) -> CreatedKey:
    existing = [key for key in await repo.of_user(session, user.id) if key.revoked_at is None]
    if len(existing) >= MAX_KEYS_PER_USER:
        raise ProblemError(409, "too-many-keys", "Too many API keys", f"Revoke one first (limit {MAX_KEYS_PER_USER}).")
    raw, prefix = generate_api_key()
    expires_at = datetime.now(UTC) + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    key = ApiKey(
        user_id=user.id,
        prefix=prefix,
        key_hash=hash_secret(raw),
        name=body.name,
        scopes=[scope.value for scope in body.scopes],
        expires_at=expires_at,
    )
    return CreatedKey(await repo.add(session, key), raw)


async def of_user(session: AsyncSession, user: User) -> Sequence[ApiKey]:
    return await repo.of_user(session, user.id)


async def revoke(session: AsyncSession, redis: Redis, user: User, key_id: uuid.UUID) -> None:
    # The marker goes first and outlives any gateway's cached copy of the key, so no gateway
    # trusts its copy once the revocation commits (they read the database meanwhile).
    await redis.set(api_key_changed(key_id), b"1", ex=CHANGED_MARKER_S)
    if not await repo.revoke(session, user.id, key_id, datetime.now(UTC)):
        raise NotFoundProblem(f"API key {key_id}")
