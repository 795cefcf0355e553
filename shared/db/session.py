"""Engine and session factories; callers own their lifetime (lifespans, job wrappers)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    # No pre-ping: with asyncpg it costs three round trips per checkout. A connection that died
    # (database restart) fails one statement; SQLAlchemy then invalidates the pool and callers
    # retry (requests answer 503, executor jobs are re-run by arq).
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: rows stay readable after the boundary commits.
    return async_sessionmaker(engine, expire_on_commit=False)
