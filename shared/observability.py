"""Prometheus metrics and request ids, shared by every service.

Every HTTP service mounts ``ObservabilityMiddleware`` (request latency by route template, and a
request id bound into every log line and echoed as ``X-Request-ID``) and ``metrics_router``
(``GET /metrics``). The executor records executions, queue wait, pool size and container starts
with the metrics defined here and serves them from its own small HTTP listener.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = b"x-request-id"
# Ids from clients or nginx ($request_id) are kept only when they look like ids.
_ID = re.compile(rb"^[A-Za-z0-9._-]{8,128}$")

HTTP_LATENCY = Histogram(
    "crh_http_request_duration_seconds",
    "HTTP request latency, by route template.",
    ["service", "method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
EXECUTIONS = Counter("crh_executions_total", "Finished executions.", ["language", "verdict"])
EXECUTION_DURATION = Histogram(
    "crh_execution_duration_seconds",
    "From the executor starting an execution to its final result.",
    ["language"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
QUEUE_WAIT = Histogram(
    "crh_queue_wait_seconds",
    "From enqueue to an executor starting the execution.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30),
)
QUEUE_DEPTH = Gauge("crh_queue_depth", "Executions waiting in the queue.")
POOL_SIZE = Gauge("crh_sandbox_pool_size", "Warm sandboxes ready to take an execution.")
CONTAINER_START = Histogram(
    "crh_container_start_seconds",
    "Creating and starting one sandbox container.",
    buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5),
)
IN_FLIGHT = Gauge("crh_executions_in_flight", "Executions this executor is running.")


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        supplied = dict(scope.get("headers", [])).get(REQUEST_ID_HEADER, b"")
        request_id = supplied.decode() if _ID.match(supplied) else uuid.uuid4().hex
        status = 500
        started = time.perf_counter()

        async def tagged(message: Message) -> None:
            nonlocal status
            if message["type"] in ("http.response.start", "websocket.accept"):
                status = message.get("status", 101)
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())],
                }
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, tagged)
            finally:
                if scope["type"] == "http":
                    route = scope.get("route")
                    # The template (/v1/executions/{execution_id}), never the raw path: bounded labels.
                    template = getattr(route, "path", "unmatched")
                    HTTP_LATENCY.labels(self.service, scope["method"], template, str(status)).observe(
                        time.perf_counter() - started
                    )


def metrics_response() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def metrics_router() -> APIRouter:
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return metrics_response()

    return router
