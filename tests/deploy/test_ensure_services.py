"""`make test` and `make run` bring up the machine's PostgreSQL and Redis when they are down.

A server restarted by an earlier run (the fault tests restart both) need not outlive that run, so
deploy/scripts/ensure-services.sh starts whichever one does not answer."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redis

from tests.conftest import REDIS_URL

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "scripts" / "ensure-services.sh"


def ensure_services() -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT)], check=True, capture_output=True, text=True, timeout=120)


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.ConnectionError:
        return False


def postgres_answers() -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"], check=False).returncode == 0


def test_nothing_is_done_when_both_answer() -> None:
    assert redis_answers()
    assert postgres_answers()
    result = ensure_services()
    assert result.stdout == ""


def test_a_stopped_redis_is_started_again() -> None:
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"], check=False)
    deadline = time.monotonic() + 10
    while redis_answers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not redis_answers()
    result = ensure_services()
    assert "starting Redis" in result.stdout
    assert redis_answers()


def test_a_stopped_postgres_is_started_again() -> None:
    version, name = subprocess.run(
        ["pg_lsclusters", "--no-header"], check=True, capture_output=True, text=True
    ).stdout.split()[:2]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "stop"], check=True)
    assert not postgres_answers()
    result = ensure_services()
    assert f"starting PostgreSQL {version}/{name}" in result.stdout
    assert postgres_answers()
