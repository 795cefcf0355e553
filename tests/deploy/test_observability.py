"""Metrics, request ids in JSON logs, and readiness, from real service processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from bench.nginx import wait_for_port
from shared.redis_keys import executor_heartbeat
from tests.conftest import LOG_DIR, ROOT, free_port, start_executor, wait_until_ready


def samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


@pytest.fixture(scope="module")
def gateway(database: str, redis_client: redis.Redis) -> Iterator[tuple[str, Path]]:
    port = free_port()
    log = LOG_DIR / f"gateway-json-{port}.log"
    env = {**os.environ, "CRH_GATEWAY_PORT": str(port), "CRH_LOG_JSON": "true"}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "services.gateway"], cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}", log
    finally:
        proc.terminate()
        proc.wait(20)


@pytest.fixture(scope="module")
def executor_metrics(database: str, redis_client: redis.Redis) -> Iterator[str]:
    port = free_port()
    proc = start_executor("executor-metrics", "executor-metrics.log", CRH_EXECUTOR_METRICS_PORT=str(port))
    try:
        wait_until_ready(redis_client, "executor-metrics", proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(60)


def test_gateway_metrics_and_request_ids(gateway: tuple[str, Path]) -> None:
    url, log = gateway
    with httpx.Client(base_url=url, timeout=30) as client:
        supplied = client.get("/v1/languages", headers={"X-Request-ID": "trace-0123456789"})
        assert supplied.headers["x-request-id"] == "trace-0123456789"
        generated = client.get("/v1/executions/00000000-0000-0000-0000-000000000000")
        assert generated.status_code == 404
        assert len(generated.headers["x-request-id"]) == 32
        bogus = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
        assert bogus.headers["x-request-id"] != "bad id with spaces"
        metrics = samples(client.get("/metrics").text)
    routes = {labels["route"] for labels, _ in metrics["crh_http_request_duration_seconds_count"]}
    # Route templates, not raw paths: the label set stays bounded.
    assert {"/v1/languages", "/v1/executions/{execution_id}"} <= routes
    assert not any("00000000" in route for route in routes)

    # Every log line of that request carries its id, as JSON.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
        if any(line.get("request_id") == "trace-0123456789" for line in lines):
            break
        time.sleep(0.1)
    assert any(line.get("request_id") == "trace-0123456789" for line in lines)


def executed(client: httpx.Client) -> float:
    counted = samples(client.get("/metrics").text).get("crh_executions_total", [])
    return sum(value for labels, value in counted if labels == {"language": "python", "verdict": "ok"})


def test_executor_metrics_and_readiness(executor_metrics: str, gateway: tuple[str, Path]) -> None:
    with (
        httpx.Client(base_url=executor_metrics, timeout=30) as client,
        httpx.Client(base_url=gateway[0], timeout=60) as api,
    ):
        # Other executors may be consuming the same queue: run until this one has taken a job.
        for _ in range(20):
            ran = api.post("/v1/executions?wait=true", json={"language": "python", "source": "print(1)"})
            assert ran.json()["verdict"] == "ok"
            if executed(client) >= 1:
                break
        assert executed(client) >= 1
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "redis": "ok", "docker": "ok"}
        metrics = samples(client.get("/metrics").text)
    assert metrics["crh_container_start_seconds_count"][0][1] > 0, "the warm pool started containers"
    assert "crh_queue_depth" in metrics


def pool_state(redis_client: redis.Redis) -> dict[str, int]:
    """The executor's pool as its heartbeat reports it (targets grow as new shapes are asked for)."""
    heartbeat = redis_client.get(executor_heartbeat("executor-metrics"))
    assert isinstance(heartbeat, bytes), "the executor beats"
    pool: dict[str, int] = json.loads(heartbeat)["pool"]
    return pool


def test_the_pool_size_gauge_counts_the_warm_sandboxes(executor_metrics: str, redis_client: redis.Redis) -> None:
    """The gauge is the pool's own count of never-used warm sandboxes (as the heartbeat reports
    it), bounded by the pool's target, and that many containers (plus those kept for reuse) run."""
    gauge, pool = -1.0, pool_state(redis_client)
    assert pool["target"] > 0, "the executor warms sandboxes"
    with httpx.Client(base_url=executor_metrics, timeout=30) as client:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            gauge = samples(client.get("/metrics").text)["crh_sandbox_pool_size"][0][1]
            pool = pool_state(redis_client)
            # (Both are read once a second: equal once the pool is steady; it may still be empty
            # just after the executor started, or drained by executions, until it refills.)
            if gauge == pool["idle"] > 0:
                break
            time.sleep(0.5)
    assert gauge == pool["idle"], pool
    assert 0 < gauge <= pool["target"], pool
    running = subprocess.run(
        ["docker", "ps", "-q", "--filter", "label=coderunhub.executor=executor-metrics"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert len(running) >= pool["idle"] + pool["reused"], (pool, running)
