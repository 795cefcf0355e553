"""What the auth service's lifespan owns."""

from __future__ import annotations

from dataclasses import dataclass

from authlib.integrations.starlette_client import OAuth
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.auth.keys.service import KeyStore
from services.auth.phone.service import PhoneService
from services.auth.tokens.service import TokenService
from shared.settings import AuthSettings


@dataclass(slots=True)
class AuthState:
    settings: AuthSettings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: Redis
    keys: KeyStore
    tokens: TokenService
    phone: PhoneService | None
    oauth: OAuth
