"""Sessions: a short-lived access token plus an opaque refresh token, rotated on every use.

Presenting a refresh token that was already used means a copy was stolen or replayed: the whole
family (every token descended from the same sign-in) is revoked. Nothing here commits.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from services.auth.keys.service import KeyStore
from services.auth.tokens import repository as repo
from services.auth.users import repository as users
from shared.auth.api_keys import hash_secret
from shared.auth.scopes import ALL_SCOPES
from shared.auth.tokens import AccessClaims, access_claims
from shared.db.models import User
from shared.problems import ProblemError
from shared.redis_keys import revoked_access_token
from shared.settings import AuthSettings


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User


class RefreshRefused(ProblemError):
    def __init__(self, detail: str) -> None:
        super().__init__(401, "invalid-refresh-token", "Invalid refresh token", detail)


class TokenService:
    def __init__(self, keys: KeyStore, settings: AuthSettings) -> None:
        self._keys = keys
        self._settings = settings

    def access_token(self, user: User) -> str:
        claims = access_claims(
            user_id=user.id,
            role=user.role,
            scopes=sorted(ALL_SCOPES),
            issuer=self._settings.issuer,
            audience=self._settings.audience,
            ttl_s=self._settings.access_token_ttl_s,
        )
        return self._keys.sign(claims)

    async def issue(self, session: AsyncSession, user: User, family_id: uuid.UUID | None = None) -> TokenPair:
        refresh = secrets.token_urlsafe(32)
        expires_at = datetime.now(UTC) + timedelta(seconds=self._settings.refresh_token_ttl_s)
        await repo.add(session, user.id, family_id or uuid.uuid4(), hash_secret(refresh), expires_at)
        return TokenPair(self.access_token(user), refresh, self._settings.access_token_ttl_s, user)

    async def refresh(self, session: AsyncSession, raw: str) -> TokenPair:
        """Rotate; on reuse, revoke the family and refuse. The caller commits in both cases."""
        now = datetime.now(UTC)
        token = await repo.by_hash_for_update(session, hash_secret(raw))
        if token is None or token.revoked_at is not None or token.expires_at <= now:
            raise RefreshRefused("The refresh token is unknown, expired or revoked.")
        if token.used_at is not None:
            await repo.revoke_family(session, token.family_id, now)
            raise RefreshRefused("The refresh token was already used; every session of this sign-in is revoked.")
        token.used_at = now
        user = await users.get(session, token.user_id)
        if user is None or not user.is_active:
            raise RefreshRefused("The account is not active.")
        return await self.issue(session, user, token.family_id)

    async def revoke(self, session: AsyncSession, raw: str) -> None:
        token = await repo.by_hash_for_update(session, hash_secret(raw))
        if token is not None:
            await repo.revoke_family(session, token.family_id, datetime.now(UTC))


async def sign_out(
    session: AsyncSession, redis: Redis, tokens: TokenService, claims: AccessClaims, refresh_token: str | None
) -> None:
    """Revokes the sign-in's refresh tokens, and its access token at once (not only when it expires)."""
    if refresh_token:
        await tokens.revoke(session, refresh_token)
    remaining = max(1, claims.expires_at - int(time.time()))
    await redis.set(revoked_access_token(claims.token_id), b"1", ex=remaining)
