"""Engine and session factories; callers own their lifetime (lifespans, job wrappers)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    # No pool_pre_ping: with asyncpg it costs three round trips (~0.4 ms) per checkout. When the
    # server restarts it closes every connection, which asyncpg notices at once, so a free check
    # on checkout (_replace_closed) keeps the first request after a restart from failing.
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)
    event.listen(engine.sync_engine, "checkout", _replace_closed)
    return engine


def _replace_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    driver = getattr(dbapi_connection, "driver_connection", None)
    if driver is not None and driver.is_closed():
        # The pool discards this connection and checks out (or opens) another.
        raise DisconnectionError("the server closed this connection")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: rows stay readable after the boundary commits.
    return async_sessionmaker(engine, expire_on_commit=False)


async def single_statement(session: AsyncSession) -> None:
    """Let the session's next statement commit by itself, without BEGIN and COMMIT: for a
    transaction of one statement (atomic on its own, durable when it answers), one round trip
    instead of three. A session that already began a transaction keeps it."""
    if not session.in_transaction():
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
