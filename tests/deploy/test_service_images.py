"""The service images build from deploy/docker/Dockerfile and run: unprivileged, and the gateway
image serves against this machine's PostgreSQL and Redis."""

from __future__ import annotations

import json
import subprocess
import time

import httpx
import pytest

from tests.conftest import DATABASE_URL, REDIS_URL, ROOT, free_port


@pytest.fixture(scope="module")
def images(database: str) -> None:
    subprocess.run(["bash", str(ROOT / "deploy" / "scripts" / "build-service-images.sh")], check=True, cwd=ROOT)


def inspect(image: str) -> dict[str, object]:
    out = subprocess.run(["docker", "image", "inspect", image], check=True, capture_output=True, text=True).stdout
    config: dict[str, object] = json.loads(out)[0]["Config"]
    return config


@pytest.mark.parametrize("service", ["gateway", "auth", "executor", "migrate"])
def test_images_run_unprivileged(images: None, service: str) -> None:
    config = inspect(f"coderunhub/{service}:latest")
    assert config["User"] == "10001"
    module = {"migrate": "alembic.config"}.get(
        service, f"services.{service}.app" if service != "executor" else "services.executor.worker"
    )
    run = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--entrypoint",
            "python3",
            f"coderunhub/{service}:latest",
            "-c",
            f"import {module}; import os; print(os.getuid())",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    assert run.stdout.strip() == "10001"


def test_the_gateway_image_serves(images: None) -> None:
    port = free_port()
    name = f"crh-gateway-test-{port}"
    subprocess.run(
        [
            "docker", "run", "-d", "--rm", "--name", name, "--network", "host", "--read-only", "--tmpfs", "/tmp",
            "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
            "-e", f"CRH_DATABASE_URL={DATABASE_URL}", "-e", f"CRH_REDIS_URL={REDIS_URL}",
            "-e", "CRH_GATEWAY_HOST=127.0.0.1", "-e", f"CRH_GATEWAY_PORT={port}",
            "coderunhub/gateway:latest",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        ready = None
        while time.monotonic() < deadline:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.3)
        assert ready is not None, subprocess.run(["docker", "logs", name], capture_output=True, text=True).stderr
        assert ready.status_code == 200, ready.text
        languages = httpx.get(f"http://127.0.0.1:{port}/v1/languages", timeout=5)
        assert languages.status_code == 200
        # Logs are JSON lines in the image.
        logs = subprocess.run(["docker", "logs", name], capture_output=True, text=True)
        assert any(line.startswith("{") for line in (logs.stdout + logs.stderr).splitlines())
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
