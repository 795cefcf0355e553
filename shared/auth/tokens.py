"""Access tokens: short-lived JWTs the auth service signs (ES256) and any service verifies
against the auth service's JWKS, without calling it per request."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

ALGORITHM = "ES256"
ACCEPTED_ALGORITHMS = [ALGORITHM]
# Clock skew tolerated between services.
LEEWAY_S = 30


class InvalidToken(Exception):
    pass


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    role: str
    scopes: frozenset[str]
    token_id: str
    expires_at: int


def verify_access_token(token: str, keys: KeySet, *, issuer: str, audience: str) -> AccessClaims:
    """Signature (only ES256: no ``none``, no HMAC with a public key), issuer, audience, expiry."""
    try:
        decoded = jwt.decode(token, keys, algorithms=ACCEPTED_ALGORITHMS)
        registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY_S,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            sub={"essential": True},
            jti={"essential": True},
        )
        registry.validate(decoded.claims)
        claims = decoded.claims
        return AccessClaims(
            user_id=uuid.UUID(str(claims["sub"])),
            role=str(claims.get("role", "user")),
            scopes=frozenset(str(claims.get("scope", "")).split()),
            token_id=str(claims["jti"]),
            expires_at=int(claims["exp"]),
        )
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise InvalidToken(str(exc) or type(exc).__name__) from exc


def access_claims(
    *, user_id: uuid.UUID, role: str, scopes: Sequence[str], issuer: str, audience: str, ttl_s: int
) -> dict[str, object]:
    now = int(time.time())
    return {
        "iss": issuer,
        "aud": audience,
        "sub": str(user_id),
        "role": role,
        "scope": " ".join(sorted(scopes)),
        "iat": now,
        "nbf": now,
        "exp": now + ttl_s,
        "jti": uuid.uuid4().hex,
    }
