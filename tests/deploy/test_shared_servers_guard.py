"""The session guard on the machine's shared servers (tests/conftest.py: `database` and
`redis_client` fail the session if the PostgreSQL or Redis they started with was restarted).

Its identity helpers are shown to notice a restart on servers this module owns
(tests/deploy/servers.py); the machine's servers are only read, never stopped."""

from __future__ import annotations

import redis

from tests.conftest import postmaster_started, run_id_of
from tests.deploy.servers import own_postgres, own_redis, wait_for


def test_a_restarted_redis_has_a_new_run_id() -> None:
    with own_redis() as server:
        client = redis.Redis.from_url(server.url)
        try:
            before = run_id_of(client)
            assert run_id_of(client) == before
            server.restart()
            after = run_id_of(client)
        finally:
            client.close()
    assert after != before


def test_a_restarted_postgres_has_a_later_start_time() -> None:
    with own_postgres() as server:
        url = server.url("postgres")
        before = postmaster_started(url)
        assert postmaster_started(url) == before
        server.ctl("restart")
        wait_for(server.answers, "postgres")
        after = postmaster_started(url)
    assert after > before


def test_the_machine_servers_keep_their_identity(database: str, redis_client: redis.Redis) -> None:
    assert postmaster_started(database) == postmaster_started(database)
    assert run_id_of(redis_client) == run_id_of(redis_client)


async def test_postmaster_started_works_inside_a_running_loop(database: str) -> None:
    # Async tests share the session's event loop: the helper runs its query on a thread of its own.
    assert postmaster_started(database) == postmaster_started(database)
