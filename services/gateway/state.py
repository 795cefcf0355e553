"""What the gateway's lifespan owns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx
from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.gateway.auth.jwks import JwksCache
from services.gateway.executions.recent import RecentExecutions
from services.gateway.languages.service import VersionCache
from services.gateway.lru import Recent
from services.gateway.relay import EventHub
from shared.settings import GatewaySettings

if TYPE_CHECKING:
    from services.gateway.auth.principal import CheckedKey
    from services.gateway.collab.rooms import Rooms
    from services.gateway.collab.signaling import SignalRooms


@dataclass(slots=True)
class GatewayState:
    settings: GatewaySettings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    # One client for everything: ArqRedis is a redis.asyncio.Redis that can also enqueue jobs.
    redis: ArqRedis
    hub: EventHub
    versions: VersionCache
    jwks: JwksCache
    # The development proxy's client to the auth service (auth_proxy_url; None otherwise).
    auth_proxy: httpx.AsyncClient | None = None
    # Owners and result frames of recent executions, shared by all their viewers.
    recent: RecentExecutions = field(default_factory=RecentExecutions)
    # API keys found valid lately, by their hash (services/gateway/auth/principal.py).
    api_keys: Recent[bytes, CheckedKey] = field(default_factory=lambda: Recent(4096))
    # Collaborative sessions' rooms on this gateway (services/gateway/collab/rooms.py), set by the lifespan.
    collab: Rooms | None = None
    # Their WebRTC signal sockets' rooms (services/gateway/collab/signaling.py), set by the lifespan.
    signal: SignalRooms | None = None
