"""API keys: shown once, stored hashed, recognisable, scoped; the gateway enforces scopes and a
revoked key stops working with the next request."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models import ApiKey
from tests.auth.fakes import FakeTwilio
from tests.auth_support import AuthService, bearer, fresh_phone, phone_sign_in, probe

# Valid in shape, invalid in content: passes authentication, fails validation, runs nothing.
UNRUNNABLE = {"language": "no-such-language", "source": "print(1)"}


@pytest.fixture
async def user(auth: AuthService, twilio: FakeTwilio) -> dict[str, Any]:
    return await phone_sign_in(auth, twilio, fresh_phone("415"))


async def create_key(auth: AuthService, user: dict[str, Any], *scopes: str, name: str = "ci") -> dict[str, Any]:
    response = await auth.client.post(
        "/auth/v1/api-keys", headers=bearer(user["access_token"]), json={"name": name, "scopes": list(scopes)}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_key_is_shown_once_and_stored_hashed(
    auth: AuthService, user: dict[str, Any], sessions: async_sessionmaker[AsyncSession]
) -> None:
    created = await create_key(auth, user, "executions:write", "executions:read", "executions:read")
    key = created["key"]
    assert key.startswith(f"crh_{created['prefix']}_")
    assert created["scopes"] == ["executions:read", "executions:write"]
    listed = (await auth.client.get("/auth/v1/api-keys", headers=bearer(user["access_token"]))).json()
    assert [entry["id"] for entry in listed] == [created["id"]]
    assert "key" not in listed[0]
    async with sessions() as session:
        row = (await session.execute(select(ApiKey).where(ApiKey.id == uuid.UUID(created["id"])))).scalar_one()
    assert row.key_hash == hashlib.sha256(key.encode()).digest()
    assert key.encode() not in row.key_hash


async def test_scopes_are_enforced_by_the_gateway(
    auth: AuthService, gateway: httpx.AsyncClient, user: dict[str, Any]
) -> None:
    reader = (await create_key(auth, user, "executions:read"))["key"]
    writer = (await create_key(auth, user, "executions:write"))["key"]
    snippets_only = (await create_key(auth, user, "snippets:read"))["key"]

    refused = await gateway.post("/v1/executions", headers=bearer(reader), json=UNRUNNABLE)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert "executions:write" in refused.json()["detail"]
    # The writer gets past authorisation to validation.
    assert (await gateway.post("/v1/executions", headers=bearer(writer), json=UNRUNNABLE)).status_code == 422
    assert await probe(gateway, bearer(reader)) == 404
    assert await probe(gateway, bearer(snippets_only)) == 403
    assert (await gateway.post("/v1/executions", headers=bearer(snippets_only), json=UNRUNNABLE)).status_code == 403


async def test_revocation_takes_effect_at_once_and_use_is_recorded(
    auth: AuthService, gateway: httpx.AsyncClient, user: dict[str, Any]
) -> None:
    created = await create_key(auth, user, "executions:read")
    assert created["last_used_at"] is None
    assert await probe(gateway, bearer(created["key"])) == 404

    async def last_used() -> str | None:
        listed = (await auth.client.get("/auth/v1/api-keys", headers=bearer(user["access_token"]))).json()
        value: str | None = next(e["last_used_at"] for e in listed if e["id"] == created["id"])
        return value

    for _ in range(50):
        if await last_used() is not None:
            break
        await asyncio.sleep(0.1)
    assert await last_used() is not None

    revoked = await auth.client.delete(f"/auth/v1/api-keys/{created['id']}", headers=bearer(user["access_token"]))
    assert revoked.status_code == 204
    assert await probe(gateway, bearer(created["key"])) == 401


async def test_keys_belong_to_their_owner(auth: AuthService, twilio: FakeTwilio, user: dict[str, Any]) -> None:
    created = await create_key(auth, user, "executions:read")
    other = await phone_sign_in(auth, twilio, fresh_phone("415"))
    response = await auth.client.delete(f"/auth/v1/api-keys/{created['id']}", headers=bearer(other["access_token"]))
    assert response.status_code == 404
    assert (await auth.client.get("/auth/v1/api-keys", headers=bearer(other["access_token"]))).json() == []


async def test_bad_key_requests(auth: AuthService, gateway: httpx.AsyncClient, user: dict[str, Any]) -> None:
    headers = bearer(user["access_token"])
    bad_scope = await auth.client.post("/auth/v1/api-keys", headers=headers, json={"name": "x", "scopes": ["root"]})
    assert bad_scope.status_code == 422
    no_scope = await auth.client.post("/auth/v1/api-keys", headers=headers, json={"name": "x", "scopes": []})
    assert no_scope.status_code == 422
    # An API key cannot mint more keys: key management needs a signed-in user.
    key = (await create_key(auth, user, "executions:read"))["key"]
    assert (await auth.client.get("/auth/v1/api-keys", headers=bearer(key))).status_code == 401
    # A well-formed key nobody issued.
    assert await probe(gateway, bearer("crh_abcdefghij_" + "A" * 43)) == 401


async def test_a_name_postgresql_cannot_store_is_422(auth: AuthService, user: dict[str, Any]) -> None:
    response = await auth.client.post(
        "/auth/v1/api-keys",
        headers=bearer(user["access_token"]),
        json={"name": "ci\x00", "scopes": ["executions:read"]},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["body", "name"]
