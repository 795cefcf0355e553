"""What the executor's lifespan owns, handed to every job through arq's ctx."""

from __future__ import annotations

from dataclasses import dataclass, field

import aiodocker
from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.executor.cancels import Cancellations
from services.executor.liveness import DeathWatch
from services.executor.runner import Runner
from shared.settings import ExecutorSettings


@dataclass(slots=True)
class ExecutorState:
    settings: ExecutorSettings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: ArqRedis
    docker: aiodocker.Docker
    runner: Runner
    # language key (python@3.13) -> version reported by its runtime image
    versions: dict[str, str] = field(default_factory=dict)
    # The sweeper's view of which other executors are dead.
    deaths: DeathWatch = field(default_factory=DeathWatch)
    # Start-up done (runtimes probed, pool warming): published in the heartbeat.
    ready: bool = False
    cancels: Cancellations = field(init=False)

    def __post_init__(self) -> None:
        self.cancels = Cancellations(self.redis)
