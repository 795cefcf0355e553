"""The suite never points at a running suite's data: it drops its database and flushes its Redis
database, so it takes them from CRH_TEST_* only, whatever CRH_DATABASE_URL / CRH_REDIS_URL say."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT

LIVE = {
    "CRH_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/coderunhub",
    "CRH_REDIS_URL": "redis://127.0.0.1:6379/0",
}
PRINT = "import os, tests.conftest as c; print(c.DATABASE_URL, os.environ['CRH_DATABASE_URL'], c.REDIS_URL)"


def _conftest(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CRH_")}
    return subprocess.run(
        [sys.executable, "-c", PRINT], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


def test_exported_live_urls_are_not_the_suites() -> None:
    done = _conftest(**LIVE)
    assert done.returncode == 0, done.stderr
    database, exported, cache = done.stdout.split()
    assert database.endswith("/coderunhub_test")
    assert exported == database
    assert cache == "redis://127.0.0.1:6379/15"


def test_a_live_database_named_as_the_suites_is_refused() -> None:
    for env in (
        {"CRH_TEST_DATABASE_URL": LIVE["CRH_DATABASE_URL"]},
        {"CRH_TEST_REDIS_URL": LIVE["CRH_REDIS_URL"]},
    ):
        done = _conftest(**env)
        assert done.returncode != 0
        assert "refusing to test against" in done.stderr
