from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.auth.apikeys import repository as repo
from services.auth.deps import SessionDep, StateDep, UserDep
from shared.auth.api_keys import CHANGED_MARKER_S, generate_api_key, hash_secret
from shared.auth.scopes import Scope
from shared.db.models import ApiKey
from shared.problems import PROBLEM_RESPONSES, NotFoundProblem, ProblemError
from shared.redis_keys import api_key_changed

router = APIRouter(prefix="/auth/v1/api-keys", tags=["api keys"])

MAX_KEYS_PER_USER = 50


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, examples=["CI runner"])
    scopes: list[Scope] = Field(min_length=1, examples=[["executions:write", "executions:read"]])
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)

    @field_validator("scopes")
    @classmethod
    def _unique(cls, scopes: list[Scope]) -> list[Scope]:
        return sorted(set(scopes))


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str = Field(description="Visible part of the key, `crh_<prefix>_...`.")
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class CreatedApiKeyOut(ApiKeyOut):
    key: str = Field(description="The key itself. Shown this once; only its hash is stored.")


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CreatedApiKeyOut, responses=PROBLEM_RESPONSES)
async def create_key(body: ApiKeyIn, user: UserDep, session: SessionDep) -> CreatedApiKeyOut:
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
    key = await repo.add(session, key)
    await session.commit()
    return CreatedApiKeyOut(key=raw, **ApiKeyOut.model_validate(key).model_dump())


@router.get("", response_model=list[ApiKeyOut], responses=PROBLEM_RESPONSES)
async def list_keys(user: UserDep, session: SessionDep) -> list[ApiKeyOut]:
    return [ApiKeyOut.model_validate(key) for key in await repo.of_user(session, user.id)]


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT, responses=PROBLEM_RESPONSES)
async def revoke_key(key_id: uuid.UUID, user: UserDep, session: SessionDep, state: StateDep) -> Response:
    """Takes effect at once: gateways stop trusting their cached copy of the key before it is
    revoked (the marker outlives any copy), and read it from the database meanwhile."""
    await state.redis.set(api_key_changed(key_id), b"1", ex=CHANGED_MARKER_S)
    if not await repo.revoke(session, user.id, key_id, datetime.now(UTC)):
        raise NotFoundProblem(f"API key {key_id}")
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
