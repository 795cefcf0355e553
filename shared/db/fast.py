"""Statements on every execution's path, sent through the session's own asyncpg connection.

Through SQLAlchemy's Core, one such statement costs ~2-3 ms of CPU on a small machine (its
construction, cache lookup, parameter processing, result wrapping and greenlet bridge), against
~0.5 ms for the same statement sent by asyncpg; an execution's path has three (the gateway's
INSERT, the executor's claim and its result), each blocking its service's event loop meanwhile.

The SQL is still made from the tables' metadata, and values are bound by SQLAlchemy's own type
processors for the session's dialect, so rows are stored exactly as the ORM would store them.
The session's transaction (or autocommit, see session.single_statement) applies as usual.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import asyncpg
from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession


async def driver(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under the session's connection."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return cast(asyncpg.Connection, raw.driver_connection)


def _processor(table: Table, key: str, dialect: Dialect) -> Callable[[Any], Any] | None:
    return cast(Callable[[Any], Any] | None, table.columns[key].type.bind_processor(dialect))


@functools.cache
def _processors(table: Table, keys: tuple[str, ...], dialect: Dialect) -> tuple[Callable[[Any], Any] | None, ...]:
    return tuple(_processor(table, key, dialect) for key in keys)


def bind(table: Table, dialect: Dialect, keys: Sequence[str], values: Mapping[str, Any]) -> list[Any]:
    """``values[key]`` for each key, as SQLAlchemy would bind them to ``table``'s columns."""
    processors = _processors(table, tuple(keys), dialect)
    return [
        value if process is None or value is None else process(value)
        for process, value in zip(processors, (values[key] for key in keys), strict=True)
    ]


@functools.cache
def insert_sql(table: Table, keys: tuple[str, ...], first: int = 1) -> str:
    """``INSERT INTO table (keys) VALUES ($first, ...)``."""
    placeholders = ", ".join(f"${first + index}" for index in range(len(keys)))
    return f"INSERT INTO {table.name} ({', '.join(keys)}) VALUES ({placeholders})"  # noqa: S608 - metadata names


async def insert(session: AsyncSession, table: Table, row: Mapping[str, Any]) -> None:
    """INSERT one row (its keys are ``table``'s column keys)."""
    keys = tuple(row)
    dialect = session.get_bind().dialect
    await (await driver(session)).execute(insert_sql(table, keys), *bind(table, dialect, keys, row))
