"""`make run`'s process layout: the Procfile brings up gateway, auth and executor, which serve a
hello world end to end, and Ctrl-C (SIGINT to honcho) stops all of them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import redis

from tests.conftest import LOG_DIR, ROOT, free_port
from tests.deploy.servers import side_redis
from tests.e2e.quickstart import run_quickstart

SUITE_REDIS = side_redis(14)


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the suite exited early"
        try:
            languages = httpx.get(f"{url}/v1/languages", timeout=1).json()
            if any(item["id"] == "python" and item["version"] for item in languages):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError("the suite did not come up")


def test_procfile_suite_serves_and_stops_cleanly(database: str, tmp_path: Path) -> None:
    redis.Redis.from_url(SUITE_REDIS).flushdb()
    gateway_port, auth_port = free_port(), free_port()
    env = {
        **os.environ,
        "CRH_REDIS_URL": SUITE_REDIS,
        "CRH_GATEWAY_PORT": str(gateway_port),
        "CRH_AUTH_PORT": str(auth_port),
        "CRH_EXECUTOR_EXECUTOR_ID": "executor-suite",
        # This suite's auth service, not one `make run` may be serving on 8001.
        "CRH_GATEWAY_AUTH_PROXY_URL": f"http://127.0.0.1:{auth_port}",
        "CRH_GATEWAY_AUTH_JWKS_URL": f"http://127.0.0.1:{auth_port}/auth/v1/.well-known/jwks.json",
        "CRH_AUTH_PUBLIC_URL": f"http://127.0.0.1:{gateway_port}",
        # Not 9100: a suite started by `make run` on this machine holds it.
        "CRH_EXECUTOR_METRICS_PORT": str(free_port()),
        "CRH_EXECUTOR_POOL_MAX_TOTAL": "0",
        "CRH_EXECUTOR_POOL_SIZES": "{}",
        # The published clients below run a dozen executions, some three at a time, anonymously.
        "CRH_GATEWAY_ANONYMOUS_RATE_LIMITS": json.dumps(
            {"executions": "100/minute", "reads": "1000/minute", "writes": "100/minute", "max_in_flight": 8}
        ),
    }
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    children: list[str] = []
    with (LOG_DIR / "suite.log").open("ab") as log:
        proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/honcho"), "start", "-f", "Procfile"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            url = f"http://127.0.0.1:{gateway_port}"
            wait_ready(url, proc)
            response = httpx.post(
                f"{url}/v1/executions",
                params={"wait": "true"},
                json={"language": "python", "source": 'print("Hello, world!")'},
                timeout=60,
            )
            assert response.status_code == 200
            assert response.json()["run"]["stdout"] == "Hello, world!\n"
            assert httpx.get(f"http://127.0.0.1:{auth_port}/readyz").status_code == 200
            published_clients_run(url)
            # docs/quickstart.md, every command as written, against the suite as `make run` starts it.
            quickstart = {key: value for key, value in os.environ.items() if not key.startswith("CRH_")}
            run_quickstart({**quickstart, "CRH": url, "CRH_LOG": str(LOG_DIR / "suite.log")}, tmp_path)
            children += subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
            assert len(children) == 3, "gateway, auth and executor run under honcho"
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
            code = proc.wait(60)
    assert code in (0, 130, -signal.SIGINT)
    # Nothing of the suite is left running.
    for pid in children:
        assert not process_alive(int(pid)), f"process {pid} outlived Ctrl-C"


def published_clients_run(url: str) -> None:
    """Judge0's Python SDK and piston-client, unmodified (`make compat-clients`), against the suite
    as `make run` starts it (tests/compat covers them in depth)."""
    judge0 = subprocess.run(
        [str(ROOT / "build/judge0-sdk/bin/python"), str(ROOT / "tests/clients/judge0/check.py"), f"{url}/judge0", "-"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert judge0.returncode == 0, judge0.stderr
    seen = json.loads(judge0.stdout)
    assert seen["stdin"]["stdout"] == "hi sdk\n"
    assert [item["status"] for item in seen["judged"]] == [3, 4]
    piston = subprocess.run(
        ["node", "check.mjs", url],
        cwd=ROOT / "tests/clients/piston",
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert piston.returncode == 0, piston.stderr
    ran = json.loads(piston.stdout)
    assert ran["echo"]["run"]["stdout"] == "'from stdin\\n' ['x', 'y']\n"
    assert ran["compileError"]["compile"]["code"] != 0


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
