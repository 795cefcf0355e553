"""Access and refresh tokens: rotation, reuse detection, sign-out, key rotation, and every kind of
bad token refused by the gateway (which verifies against the JWKS, not by calling auth)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from shared.auth.tokens import access_claims
from tests.auth.fakes import FakeTwilio
from tests.auth_support import ADMIN_PHONE, AuthService, bearer, fresh_phone, phone_sign_in, probe


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_for(auth: AuthService, user_id: str, **overrides: Any) -> dict[str, Any]:
    settings = auth.state.settings
    claims = access_claims(
        user_id=uuid.UUID(user_id),
        role="user",
        scopes=["executions:read", "executions:write"],
        issuer=settings.issuer,
        audience=settings.audience,
        ttl_s=300,
    )
    return {**claims, **overrides}


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    head = b64(json.dumps(header).encode())
    body = b64(json.dumps(claims).encode())
    return f"{head}.{body}.{b64(signature)}"


@pytest.fixture
async def session(auth: AuthService, twilio: FakeTwilio) -> dict[str, Any]:
    # A fresh number per test: the resend cooldown is per number.
    return await phone_sign_in(auth, twilio, fresh_phone("415"))


async def test_a_valid_token_is_accepted_by_auth_and_gateway(
    auth: AuthService, gateway: httpx.AsyncClient, session: dict[str, Any]
) -> None:
    headers = bearer(session["access_token"])
    assert (await auth.client.get("/auth/v1/me", headers=headers)).status_code == 200
    assert await probe(gateway, headers) == 404
    assert await probe(gateway, {}) == 404, "anonymous reads of unknown ids are plain 404s"


async def test_refresh_rotates_and_reuse_revokes_the_family(auth: AuthService, session: dict[str, Any]) -> None:
    first = session["refresh_token"]
    rotated = await auth.client.post("/auth/v1/token/refresh", json={"refresh_token": first})
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()["refresh_token"]
    assert second != first
    assert rotated.json()["access_token"] != session["access_token"]
    third = (await auth.client.post("/auth/v1/token/refresh", json={"refresh_token": second})).json()["refresh_token"]

    # The first token is replayed (stolen copy): refused, and the live descendant dies with it.
    replay = await auth.client.post("/auth/v1/token/refresh", json={"refresh_token": first})
    assert replay.status_code == 401
    assert replay.headers["content-type"] == "application/problem+json"
    assert "already used" in replay.json()["detail"]
    assert (await auth.client.post("/auth/v1/token/refresh", json={"refresh_token": third})).status_code == 401


async def test_other_sign_ins_survive_a_family_revocation(auth: AuthService, twilio: FakeTwilio) -> None:
    phone = fresh_phone("415")
    laptop = await phone_sign_in(auth, twilio, phone)
    await asyncio.sleep(auth.state.settings.otp_resend_cooldown_s + 0.1)
    phone_app = await phone_sign_in(auth, twilio, phone)
    await auth.client.post("/auth/v1/token/refresh", json={"refresh_token": laptop["refresh_token"]})
    await auth.client.post("/auth/v1/token/refresh", json={"refresh_token": laptop["refresh_token"]})
    other = await auth.client.post("/auth/v1/token/refresh", json={"refresh_token": phone_app["refresh_token"]})
    assert other.status_code == 200


async def test_garbage_refresh_tokens_are_401(auth: AuthService) -> None:
    response = await auth.client.post("/auth/v1/token/refresh", json={"refresh_token": "nope"})
    assert response.status_code == 401
    assert (await auth.client.post("/auth/v1/token/refresh", json={})).status_code == 401


async def test_logout_revokes_refresh_and_access_at_once(
    auth: AuthService, gateway: httpx.AsyncClient, session: dict[str, Any]
) -> None:
    headers = bearer(session["access_token"])
    assert await probe(gateway, headers) == 404
    out = await auth.client.post("/auth/v1/logout", headers=headers, json={"refresh_token": session["refresh_token"]})
    assert out.status_code == 204
    assert await probe(gateway, headers) == 401
    assert (await auth.client.get("/auth/v1/me", headers=headers)).status_code == 401
    again = await auth.client.post("/auth/v1/token/refresh", json={"refresh_token": session["refresh_token"]})
    assert again.status_code == 401


async def test_bad_tokens_are_refused(auth: AuthService, gateway: httpx.AsyncClient, session: dict[str, Any]) -> None:
    user_id = session["user"]["id"]
    kid = auth.state.keys.jwks()["keys"][-1]["kid"]
    public = json.dumps(auth.state.keys.jwks()["keys"][-1]).encode()
    good = claims_for(auth, user_id)
    stranger = ECKey.generate_key("P-256", private=True)

    def hs256_with_public_key() -> str:
        header = {"alg": "HS256", "kid": kid, "typ": "JWT"}
        head, body, _ = unsigned(header, good).split(".")
        signature = hmac.new(public, f"{head}.{body}".encode(), hashlib.sha256).digest()
        return f"{head}.{body}.{b64(signature)}"

    valid = auth.state.keys.sign(good)
    head, _body, signature = valid.split(".")
    tampered_body = b64(json.dumps({**good, "role": "admin"}).encode())
    cases = {
        "expired": auth.state.keys.sign(claims_for(auth, user_id, exp=int(time.time()) - 120)),
        "not yet valid": auth.state.keys.sign(claims_for(auth, user_id, nbf=int(time.time()) + 600)),
        "wrong audience": auth.state.keys.sign(claims_for(auth, user_id, aud="someone-else")),
        "wrong issuer": auth.state.keys.sign(claims_for(auth, user_id, iss="https://evil.example")),
        "no subject": auth.state.keys.sign({k: v for k, v in good.items() if k != "sub"}),
        "alg none": unsigned({"alg": "none", "typ": "JWT"}, good),
        "alg none with kid": unsigned({"alg": "none", "kid": kid}, good),
        "HS256 keyed with the public key": hs256_with_public_key(),
        "forged with another key, same kid": jwt.encode({"alg": "ES256", "kid": kid}, good, stranger),
        "unknown kid": jwt.encode({"alg": "ES256", "kid": "nobody"}, good, stranger),
        "tampered payload": f"{head}.{tampered_body}.{signature}",
        "not a JWT": "abc.def",
    }
    assert await probe(gateway, bearer(valid)) == 404, "the untampered token is fine"
    for name, token in cases.items():
        assert await probe(gateway, bearer(token)) == 401, name
        assert (await auth.client.get("/auth/v1/me", headers=bearer(token))).status_code == 401, name
    assert await probe(gateway, {"Authorization": "Basic dXNlcjpwYXNz"}) == 401


async def test_key_rotation_keeps_sessions_and_the_gateway_learns_new_keys(
    auth: AuthService, gateway: httpx.AsyncClient, twilio: FakeTwilio, session: dict[str, Any]
) -> None:
    before = bearer(session["access_token"])
    assert await probe(gateway, before) == 404  # the gateway has cached the current JWKS
    # Only admins rotate.
    assert (await auth.client.post("/auth/v1/keys/rotate", headers=before)).status_code == 403
    admin = await phone_sign_in(auth, twilio, ADMIN_PHONE)
    assert admin["user"]["role"] == "admin"
    rotated = await auth.client.post("/auth/v1/keys/rotate", headers=bearer(admin["access_token"]))
    assert rotated.status_code == 200, rotated.text
    new_kid = rotated.json()["kid"]
    kids = [key["kid"] for key in (await auth.client.get("/auth/v1/.well-known/jwks.json")).json()["keys"]]
    assert new_kid in kids
    assert len(kids) >= 2, "retired keys stay published while their tokens live"

    await asyncio.sleep(1.1)  # the gateway refetches an unknown kid at most once a second
    fresh = await auth.client.post("/auth/v1/token/refresh", json={"refresh_token": session["refresh_token"]})
    token = fresh.json()["access_token"]
    assert json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["kid"] == new_kid
    assert await probe(gateway, bearer(token)) == 404, "a token signed by the new key"
    assert await probe(gateway, before) == 404, "a token signed by the retired key"
    assert (await auth.client.get("/auth/v1/me", headers=before)).status_code == 200
