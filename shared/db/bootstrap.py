"""Create the configured database if it does not exist (``python -m shared.db.bootstrap [--recreate]``)."""

from __future__ import annotations

import argparse
import asyncio

import asyncpg
from sqlalchemy.engine import make_url

from shared.settings import ServiceSettings


async def ensure_database(url: str, *, recreate: bool = False) -> None:
    target = make_url(url)
    name = target.database
    if not name:
        raise SystemExit("the database URL names no database")
    admin = target.set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        if recreate:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recreate", action="store_true", help="drop the database first")
    args = parser.parse_args()
    asyncio.run(ensure_database(ServiceSettings().database_url.get_secret_value(), recreate=args.recreate))


if __name__ == "__main__":
    main()
