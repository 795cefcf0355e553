"""docker-compose.yml brought up on this machine as a self-hoster would (a .env with real secrets,
production mode), driven through its nginx: a submission runs, a stream is watched, and
`down -v` leaves nothing behind. Without a registry, the third-party images are the project's
stand-ins (deploy/compose-images); the services' images are built from this checkout."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from services.executor.sandbox.box import LABEL_QUEUE, queue_label
from tests.conftest import ROOT, free_port

SCRIPTS = ROOT / "deploy" / "scripts"
# The Redis URL docker-compose.yml gives the services: their sandboxes carry its queue label.
COMPOSE_REDIS_URL = "redis://redis:6379/0"
COUNTING = "import time\nfor i in range(5):\n    print(i, flush=True)\n    time.sleep(0.2)\n"
PROJECT_PREFIX = "crh-compose-test-"
WEB_MARKER = "<!doctype html><title>crh compose test</title>"


@dataclass(frozen=True)
class Deployment:
    project: str
    directory: Path
    url: str

    def compose(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["docker", "compose", "-p", self.project, "--project-directory", str(self.directory), *args],
            cwd=self.directory,
            check=check,
            capture_output=True,
            text=True,
        )

    def logs(self) -> str:
        return self.compose("logs", "--no-color", "--tail", "40", check=False).stdout


def docker_lines(*args: str) -> list[str]:
    out = subprocess.run(["docker", *args], check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line]


def leftovers(project: str) -> dict[str, list[str]]:
    label = f"label=com.docker.compose.project={project}"
    return {
        "containers": docker_lines("ps", "-aq", "--filter", label),
        "networks": docker_lines("network", "ls", "-q", "--filter", label),
        "volumes": docker_lines("volume", "ls", "-q", "--filter", label),
        "sandboxes": docker_lines("ps", "-aq", "--filter", f"label={LABEL_QUEUE}={queue_label(COMPOSE_REDIS_URL)}"),
    }


def remove_stale_projects() -> None:
    """A run killed before its teardown leaves its project running: removed by the next run."""
    projects = json.loads(docker_lines("compose", "ls", "-a", "--format", "json")[0])
    for project in projects:
        if project["Name"].startswith(PROJECT_PREFIX):
            subprocess.run(
                ["docker", "compose", "-p", project["Name"], "down", "-v", "--timeout", "30"],
                check=True,
                capture_output=True,
            )


def project_directory(tmp: Path, port: int) -> None:
    """The repository's compose file with a .env of its own; the nginx template is the
    repository's, the web root a stand-in page (the app's build is not this test's subject)."""
    shutil.copy(ROOT / "docker-compose.yml", tmp / "docker-compose.yml")
    (tmp / "deploy").symlink_to(ROOT / "deploy")
    (tmp / "web" / "dist").mkdir(parents=True)
    (tmp / "web" / "dist" / "index.html").write_text(WEB_MARKER)
    env = {
        "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
        "CRH_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "CRH_HTTP_PORT": str(port),
        "CRH_ENVIRONMENT": "production",
        "CRH_AUTH_KEY_ENCRYPTION_SECRET": secrets.token_urlsafe(32),
        "CRH_AUTH_SESSION_SECRET": secrets.token_urlsafe(32),
        # Light on a shared machine: one warm Python sandbox, no others.
        "CRH_EXECUTOR_CONCURRENCY": "2",
        "CRH_EXECUTOR_POOL_SIZE": "0",
        "CRH_EXECUTOR_POOL_SIZES": '{"python": 1}',
    }
    (tmp / ".env").write_text("".join(f"{key}={value}\n" for key, value in env.items()))


def wait_ready(deployment: Deployment, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            ready = httpx.get(f"{deployment.url}/readyz", timeout=3)
            if ready.status_code == 200:
                return
            last = f"{ready.status_code} {ready.text}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.5)
    pytest.fail(f"the compose suite never became ready ({last}):\n{deployment.logs()}")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    for script in ("ensure-compose.sh", "build-compose-images.sh", "build-service-images.sh"):
        subprocess.run(["bash", str(SCRIPTS / script)], check=True, cwd=ROOT)
    remove_stale_projects()
    port = free_port()
    tmp = tmp_path_factory.mktemp("compose")
    project_directory(tmp, port)
    deployment = Deployment(project=f"{PROJECT_PREFIX}{port}", directory=tmp, url=f"http://127.0.0.1:{port}")
    try:
        # --no-build: the images were built above; one executor is enough to run code here.
        up = deployment.compose("up", "-d", "--no-build", "--scale", "executor=1", check=False)
        assert up.returncode == 0, up.stderr + deployment.logs()
        wait_ready(deployment)
        yield deployment
    finally:
        deployment.compose("down", "-v", "--remove-orphans", "--timeout", "30", check=False)
    assert leftovers(deployment.project) == {"containers": [], "networks": [], "volumes": [], "sandboxes": []}


def test_nothing_but_nginx_is_published(deployment: Deployment) -> None:
    # 5432 and 6379 belong to this machine's own PostgreSQL and Redis (and production has no use for them).
    published = deployment.compose("ps", "--format", "json").stdout
    rows = [json.loads(line) for line in published.splitlines() if line.strip()]
    ports = {
        (row["Service"], p["PublishedPort"]) for row in rows for p in row.get("Publishers") or [] if p["PublishedPort"]
    }
    assert ports == {("nginx", int(deployment.url.rsplit(":", 1)[1]))}


def test_a_submission_runs_through_nginx(deployment: Deployment) -> None:
    with httpx.Client(base_url=deployment.url, timeout=90) as client:
        ran = client.post(
            "/v1/executions", params={"wait": "true"}, json={"language": "python", "source": "print(6 * 7)"}
        )
        assert ran.status_code == 200, ran.text
        assert ran.json()["verdict"] == "ok"
        assert ran.json()["run"]["stdout"] == "42\n"
        # Both gateway replicas take traffic behind nginx.
        served = {client.get("/v1/languages").headers["x-crh-instance"] for _ in range(12)}
        assert len(served) == 2
        # The auth service is routed too, and nginx serves the web root.
        jwks = client.get("/auth/v1/.well-known/jwks.json")
        assert jwks.status_code == 200
        assert jwks.json()["keys"]
        assert client.get("/").text == WEB_MARKER


async def test_a_stream_is_watched_through_nginx(deployment: Deployment) -> None:
    async with httpx.AsyncClient(base_url=deployment.url, timeout=30) as client:
        created = await client.post("/v1/executions", json={"language": "python", "source": COUNTING})
    assert created.status_code == 202, created.text
    frames: list[dict[str, Any]] = []
    async with connect(created.json()["links"]["stream"]) as ws:
        async for message in ws:
            frames.append(json.loads(message))
    assert "".join(f["data"] for f in frames if f["type"] == "stdout") == "0\n1\n2\n3\n4\n"
    assert frames[-1]["type"] == "result"
    assert frames[-1]["execution"]["verdict"] == "ok"
