"""Real nginx (Debian's, configured from deploy/nginx's template) in front of two gateway processes
and the auth service: the machinery tests/deploy/test_nginx.py and test_collab_nginx.py share.

Its fixtures (``executors``, ``suite``) are imported into the test modules that use them; each
module gets its own (module scope). ``running_suite`` starts one with other options (the web app's
build behind nginx, for browsers)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import redis

from bench.nginx import nginx, wait_for_port
from tests.auth_support import AuthService
from tests.conftest import LOG_DIR, ROOT, _die_with_the_test_run, free_port, start_executor, wait_until_ready

# What nginx serves at / unless a suite serves the web app's build.
PLACEHOLDER_PAGE = "<!doctype html><title>CodeRunHub</title><div id=app></div>"


@dataclass
class Gateway:
    port: int
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log = (LOG_DIR / f"gateway-{self.port}.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.gateway"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            # A gateway outliving a killed test run would keep its port and its Redis subscriptions.
            preexec_fn=_die_with_the_test_run,
        )
        log.close()
        wait_for_port(self.port, self.proc)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def instance(self) -> str:
        """What its X-CRH-Instance header says (services/gateway/instance.py)."""
        assert self.proc is not None
        return f"{socket.gethostname()}:{self.proc.pid}"


@dataclass
class Suite:
    url: str
    gateways: list[Gateway]
    nginx_log: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def serving(self, instance: str) -> Gateway:
        return next(g for g in self.gateways if g.instance == instance)


def gateway_env(port: int, auth: AuthService, **settings: str) -> dict[str, str]:
    return {
        **os.environ,
        "CRH_GATEWAY_HOST": "127.0.0.1",
        "CRH_GATEWAY_PORT": str(port),
        "CRH_GATEWAY_AUTH_JWKS_URL": f"{auth.url}/auth/v1/.well-known/jwks.json",
        "CRH_GATEWAY_STREAM_IDLE_CHECK_S": "1.0",
        "CRH_LOG_JSON": "false",
        **settings,
    }


def _port_other_than(taken: set[int]) -> int:
    while (candidate := free_port()) in taken:
        pass
    return candidate


@contextmanager
def running_suite(auth: AuthService, *, web_dist: Path | None = None, gateways: int = 2) -> Iterator[Suite]:
    """nginx on a free port in front of ``gateways`` gateway processes and the auth service.

    With ``web_dist``, nginx serves that build of the web app at / (as deployed) and the gateways
    take its origin for a page of their own (CRH_GATEWAY_ALLOWED_ORIGINS: cookies on WebSockets);
    otherwise a placeholder page."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = {"CRH_GATEWAY_ALLOWED_ORIGINS": json.dumps([url])} if web_dist is not None else {}
    started: list[Gateway] = []
    # nginx binds its port last: until then free_port() may hand the same port to a gateway (seen
    # in CI: the suite's URL reached a gateway directly), so the gateways' ports avoid it.
    taken = {port}
    try:
        for _ in range(gateways):
            gateway = Gateway(_port_other_than(taken), {})
            taken.add(gateway.port)
            gateway.env = gateway_env(gateway.port, auth, **settings)
            started.append(gateway)
            gateway.start()
        auth_port = int(auth.url.rsplit(":", 1)[1])
        with nginx(port, [g.port for g in started], auth_port, PLACEHOLDER_PAGE) as workdir:
            if web_dist is not None:
                # nginx's workers run as nobody: the copy sits in its (world-readable) work directory.
                shutil.copytree(web_dist, workdir / "web", dirs_exist_ok=True)
            yield Suite(url, started, workdir / "error.log")
    finally:
        for gateway in started:
            gateway.stop()


@pytest.fixture(scope="module")
def executors(database: str, redis_client: redis.Redis) -> Iterator[None]:
    procs = [start_executor(f"executor-lb-{n}", f"executor-lb-{n}.log", CRH_EXECUTOR_CONCURRENCY="2") for n in (1, 2)]
    try:
        for n, proc in enumerate(procs, start=1):
            wait_until_ready(redis_client, f"executor-lb-{n}", proc)
        yield
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest_asyncio.fixture(scope="module")
async def suite(auth: AuthService, executors: None) -> AsyncIterator[Suite]:
    """Two gateways and two executors behind nginx (a placeholder page at /)."""
    with running_suite(auth) as running:
        yield running
