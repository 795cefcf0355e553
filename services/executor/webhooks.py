"""Webhook delivery: an execution's result POSTed to its callback URL, signed, retried with backoff.

The executor enqueues ``deliver_webhook`` after the final result is committed. Each attempt checks
the destination again (names are resolved now, and every address must be public), connects to the
vetted address itself with the original name as Host and TLS SNI (no second resolution, so no DNS
rebinding), never follows redirects, and reads at most a few KB of the answer. A 2xx answer
delivers; anything else is a failed attempt, retried after base * 2^(attempt-1) seconds until the
attempts run out. A refused destination is final at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import ssl
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import certifi
import httpx
import pydantic_core
from arq import Retry
from arq.connections import ArqRedis
from redis.exceptions import RedisError

from services.executor import webhooks_repository as repo
from services.executor.state import ExecutorState
from shared.executions import ExecutionRecord, ExecutionStatus, Verdict
from shared.redis_keys import EXECUTION_QUEUE, webhook_job_id
from shared.settings import ExecutorSettings
from shared.signals import signal_name
from shared.webhooks import (
    DELIVER_WEBHOOK_JOB,
    DELIVERY_HEADER,
    EVENT_HEADER,
    EXECUTION_FINISHED,
    SIGNATURE_HEADER,
    Destination,
    UrlRefused,
    WebhookDelivery,
    WebhookStatus,
    check_callback_url,
    new_secret,
    parse_networks,
    resolve_destination,
    signature_header,
)

logger = logging.getLogger("coderunhub.executor.webhooks")

USER_AGENT = "CodeRunHub-Webhooks/1.0"


def job_timeout_s(settings: ExecutorSettings) -> float:
    """Longer than one attempt can take: resolution, connection, sending and reading the answer."""
    return settings.webhook_resolve_timeout_s + _attempt_deadline_s(settings) + 10


def _attempt_deadline_s(settings: ExecutorSettings) -> float:
    # httpx's read timeout is per read: a server dripping bytes is cut off by this overall bound.
    return settings.webhook_connect_timeout_s + 2 * settings.webhook_timeout_s


def backoff_s(settings: ExecutorSettings, attempt: int) -> float:
    return float(min(settings.webhook_base_delay_s * 2 ** (attempt - 1), settings.webhook_max_delay_s))


async def enqueue_delivery(redis: ArqRedis, execution_id: uuid.UUID) -> None:
    """Queue the delivery (once per execution: the job id is derived from it). Never raises: a
    delivery that could not be queued is found by the sweeper."""
    try:
        await redis.enqueue_job(
            DELIVER_WEBHOOK_JOB,
            str(execution_id),
            str(uuid.uuid4()),
            _job_id=webhook_job_id(execution_id),
            _queue_name=EXECUTION_QUEUE,
        )
    except (RedisError, OSError):
        logger.warning("could not queue the webhook of %s; the sweeper will", execution_id, exc_info=True)


async def requeue_stranded(state: ExecutorState) -> int:
    """Sweeper: queue the webhooks of executions finished a while ago whose delivery never started."""
    before = datetime.now(UTC) - timedelta(seconds=state.settings.stuck_after_s)
    async with state.sessionmaker() as session:
        ids = await repo.stranded(session, before)
    for execution_id in ids:
        await enqueue_delivery(state.redis, execution_id)
    return len(ids)


def pending_webhook(url: str | None) -> WebhookDelivery | None:
    """The webhook state of an execution that just finished (for its final event)."""
    if url is None:
        return None
    return WebhookDelivery(
        url=url, status=WebhookStatus.pending, attempts=0, last_status_code=None, last_error=None, delivered_at=None
    )


@dataclass(frozen=True, slots=True)
class AttemptResult:
    delivered: bool
    status_code: int | None
    error: str | None


async def deliver_webhook(ctx: dict[str, Any], execution_id: str, delivery_id: str) -> str:
    state: ExecutorState = ctx["state"]
    settings = state.settings
    attempt = int(ctx.get("job_try", 1))
    eid = uuid.UUID(execution_id)
    try:
        return await _attempt(state, eid, delivery_id, attempt)
    except Retry:
        raise
    except Exception as exc:
        # A database or Redis hiccup: like a failed attempt, retried while attempts remain.
        logger.exception("webhook delivery of %s failed in the executor", execution_id)
        if attempt < settings.webhook_max_attempts:
            raise Retry(defer=backoff_s(settings, attempt)) from exc
        with contextlib.suppress(Exception):
            await _save(state, eid, WebhookStatus.failed, attempt, None, "the executor could not deliver it")
        return "failed"


async def _attempt(state: ExecutorState, eid: uuid.UUID, delivery_id: str, attempt: int) -> str:
    settings = state.settings
    async with state.sessionmaker() as session:
        loaded = await repo.load(session, eid)
        if loaded is None or loaded[0].webhook_status != WebhookStatus.pending.value:
            return "nothing to do"
        execution, record = loaded
        if record.status is not ExecutionStatus.finished:
            return "not finished"
        secret = None
        if execution.user_id is not None:
            secret = await repo.secret_of(session, execution.user_id, new_secret())
            await session.commit()
    url = execution.webhook_url or ""
    if secret is None:
        # Only accounts may name a callback; an execution without one is not delivered.
        await _save(state, eid, WebhookStatus.refused, attempt, None, "the execution has no owner to sign for")
        return "refused"

    allowed = parse_networks(str(network) for network in settings.webhook_allowed_networks)
    try:
        callback = check_callback_url(url, allowed)
        destination = await resolve_destination(callback, allowed, timeout_s=settings.webhook_resolve_timeout_s)
    except UrlRefused as exc:
        logger.warning("webhook of %s refused: %s", eid, exc)
        await _save(state, eid, WebhookStatus.refused, attempt, None, str(exc))
        return "refused"

    body = pydantic_core.to_json(webhook_payload(record))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: EXECUTION_FINISHED,
        DELIVERY_HEADER: delivery_id,
        "CodeRunHub-Attempt": str(attempt),
        SIGNATURE_HEADER: signature_header(secret, body),
    }
    result = await post(destination, body, headers, settings)
    if result.delivered:
        await _save(state, eid, WebhookStatus.delivered, attempt, result.status_code, None, datetime.now(UTC))
        return "delivered"
    if attempt >= settings.webhook_max_attempts:
        await _save(state, eid, WebhookStatus.failed, attempt, result.status_code, result.error)
        return "failed"
    await _save(state, eid, WebhookStatus.pending, attempt, result.status_code, result.error)
    raise Retry(defer=backoff_s(settings, attempt))


async def _save(
    state: ExecutorState,
    eid: uuid.UUID,
    status: WebhookStatus,
    attempts: int,
    status_code: int | None,
    error: str | None,
    delivered_at: datetime | None = None,
) -> None:
    async with state.sessionmaker() as session:
        await repo.record_attempt(
            session,
            eid,
            status=status,
            attempts=attempts,
            status_code=status_code,
            error=error,
            delivered_at=delivered_at,
        )
        await session.commit()


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Certificates are verified against the original host name (sent as SNI), not the address.
    return ssl.create_default_context(cafile=certifi.where())


async def post(
    destination: Destination, body: bytes, headers: dict[str, str], settings: ExecutorSettings
) -> AttemptResult:
    """One POST to the vetted address; never follows redirects, reads at most a few KB back."""
    callback = destination.callback
    extensions: dict[str, Any] = {}
    if callback.scheme == "https" and callback.literal is None:
        extensions["sni_hostname"] = callback.host
    timeout = httpx.Timeout(settings.webhook_timeout_s, connect=settings.webhook_connect_timeout_s)
    # A client per delivery: a pooled connection must never carry one host's request to another.
    async with httpx.AsyncClient(
        timeout=timeout, follow_redirects=False, trust_env=False, verify=_tls_context()
    ) as client:
        request = client.build_request(
            "POST",
            destination.pinned_url(),
            content=body,
            headers={**headers, "Host": callback.host_header},
            extensions=extensions,
        )
        try:
            async with asyncio.timeout(_attempt_deadline_s(settings)):
                response = await client.send(request, stream=True)
                try:
                    await _read_some(response, settings.webhook_max_response_bytes)
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException):
            return AttemptResult(False, None, "timed out")
        except httpx.HTTPError as exc:
            return AttemptResult(False, None, f"{type(exc).__name__}: {exc}"[:500])
    code = response.status_code
    if 200 <= code < 300:
        return AttemptResult(True, code, None)
    if response.is_redirect or 300 <= code < 400:
        location = response.headers.get("location", "")
        return AttemptResult(False, code, f"answered {code} (redirects are not followed): {location}"[:500])
    return AttemptResult(False, code, f"answered {code}")


async def _read_some(response: httpx.Response, limit: int) -> bytes:
    data = b""
    async for chunk in response.aiter_raw():
        data += chunk
        if len(data) >= limit:
            break
    return data[:limit]


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _measured(values: dict[str, Any]) -> dict[str, Any]:
    """A phase's or test case's stored result as the API shows it (text encoding)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key.endswith("_us"):
            out[key.removesuffix("_us") + "_ms"] = value / 1000 if value is not None else None
        elif isinstance(value, bytes):
            out[key] = _text(value)
        else:
            out[key] = value
        if key == "signal":
            out["signal_name"] = signal_name(value) if value else None
    out["encoding"] = "text"
    return out


def webhook_payload(record: ExecutionRecord) -> dict[str, Any]:
    """The execution as GET /v1/executions/{id} shows it (text encoding), without its webhook state."""
    data = record.model_dump(exclude={"phases", "tests", "user_id", "webhook", "test_count", "compare"})
    phases = {phase.phase.value: _measured(phase.model_dump(exclude={"phase"})) for phase in record.phases}
    data["compile"] = phases.get("compile")
    data["run"] = phases.get("run")
    data["tests"] = [_measured(test.model_dump()) for test in record.tests]
    data["judge"] = None
    if record.test_count:
        passed = sum(test.verdict is Verdict.accepted for test in record.tests)
        data["judge"] = {
            "verdict": record.verdict,
            "passed": passed,
            "total": record.test_count,
            "compare": record.compare or "exact",
        }
    data["links"] = {"self": f"/v1/executions/{record.id}", "stream": f"/v1/executions/{record.id}/stream"}
    return data
