"""`make test` and `make run` bring up PostgreSQL and Redis when they are down.

A server that stopped need not stay down, so deploy/scripts/ensure-services.sh starts whichever one
does not answer. The stopped servers here are the test's own (on their own ports, named to the
script by CRH_REDIS_PORT and CRH_POSTGRES_PORT); the machine's are only checked, never stopped."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.deploy.servers import (
    MACHINE_POSTGRES_PORT,
    MACHINE_REDIS_PORT,
    own_postgres,
    own_redis,
    postgres_answers,
    redis_answers,
    wait_for,
)

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "scripts" / "ensure-services.sh"


def ensure_services(
    redis_port: int = MACHINE_REDIS_PORT, postgres_port: int = MACHINE_POSTGRES_PORT
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CRH_REDIS_PORT": str(redis_port), "CRH_POSTGRES_PORT": str(postgres_port)}
    return subprocess.run(["bash", str(SCRIPT)], check=True, capture_output=True, text=True, timeout=120, env=env)


def test_nothing_is_done_when_both_answer() -> None:
    assert redis_answers(MACHINE_REDIS_PORT)
    assert postgres_answers(MACHINE_POSTGRES_PORT)
    result = ensure_services()
    assert result.stdout == ""


def test_a_stopped_redis_is_started_again() -> None:
    with own_redis() as server:
        server.stop()
        assert not server.answers()
        result = ensure_services(redis_port=server.port)
        assert f"starting Redis on 127.0.0.1:{server.port}" in result.stdout
        wait_for(server.answers, "redis")
    assert redis_answers(MACHINE_REDIS_PORT)


def test_a_stopped_postgres_is_started_again() -> None:
    with own_postgres() as server:
        server.ctl("stop")
        assert not server.answers()
        result = ensure_services(postgres_port=server.port)
        assert f"starting PostgreSQL {server.version}/{server.name}" in result.stdout
        assert server.answers()
    assert postgres_answers(MACHINE_POSTGRES_PORT)
