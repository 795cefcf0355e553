from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from services.auth.apikeys import service
from services.auth.apikeys.schemas import ApiKeyIn, ApiKeyOut, CreatedApiKeyOut
from services.auth.deps import SessionDep, StateDep, UserDep
from services.auth.openapi import CREATE_KEY, SIGNED_IN, SIGNED_IN_CHANGE

router = APIRouter(prefix="/auth/v1/api-keys", tags=["api keys"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CreatedApiKeyOut, responses=CREATE_KEY)
async def create_key(body: ApiKeyIn, user: UserDep, session: SessionDep) -> CreatedApiKeyOut:
    created = await service.create(session, user, body)
    await session.commit()
    return CreatedApiKeyOut(key=created.raw, **ApiKeyOut.model_validate(created.key).model_dump())


@router.get("", response_model=list[ApiKeyOut], responses=SIGNED_IN)
async def list_keys(user: UserDep, session: SessionDep) -> list[ApiKeyOut]:
    return [ApiKeyOut.model_validate(key) for key in await service.of_user(session, user)]


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT, responses=SIGNED_IN_CHANGE)
async def revoke_key(key_id: uuid.UUID, user: UserDep, session: SessionDep, state: StateDep) -> Response:
    """Takes effect at once: gateways stop trusting their cached copy of the key before it is
    revoked (the marker outlives any copy), and read it from the database meanwhile."""
    await service.revoke(session, state.redis, user, key_id)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
