"""`make run`'s process layout: the Procfile brings up gateway, auth and executor, which serve a
hello world end to end, and Ctrl-C (SIGINT to honcho) stops all of them."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import httpx
import redis

from tests.conftest import LOG_DIR, ROOT, free_port

SUITE_REDIS = "redis://127.0.0.1:6379/14"


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


def test_procfile_suite_serves_and_stops_cleanly(database: str) -> None:
    redis.Redis.from_url(SUITE_REDIS).flushdb()
    gateway_port, auth_port = free_port(), free_port()
    env = {
        **os.environ,
        "CRH_REDIS_URL": SUITE_REDIS,
        "CRH_GATEWAY_PORT": str(gateway_port),
        "CRH_AUTH_PORT": str(auth_port),
        "CRH_EXECUTOR_EXECUTOR_ID": "executor-suite",
        # Not 9100: a suite started by `make run` on this machine holds it.
        "CRH_EXECUTOR_METRICS_PORT": str(free_port()),
        "CRH_EXECUTOR_POOL_MAX_TOTAL": "0",
        "CRH_EXECUTOR_POOL_SIZES": "{}",
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


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
