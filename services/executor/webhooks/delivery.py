"""Webhook delivery: an execution's result POSTed to its callback URL, signed, retried with backoff.

The executor enqueues ``deliver_webhook`` after the final result is committed. Each attempt checks
the destination again (names are resolved now, and every address must be public), connects to the
vetted address itself with the original name as Host and TLS SNI (no second resolution, so no DNS
rebinding; see transport.py), never follows redirects, and reads at most a few KB of the answer. A
2xx answer delivers; anything else is a failed attempt, retried after base * 2^(attempt-1) seconds
until the attempts run out. A refused destination is final at once.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pydantic_core
from arq import Retry

from services.executor.state import ExecutorState
from services.executor.webhooks import repository as repo
from services.executor.webhooks.payload import webhook_payload
from services.executor.webhooks.transport import attempt_deadline_s, destination_of, post
from shared.compat.judge0.attributes import DEFAULT_FIELDS
from shared.compat.judge0.render import render as judge0_render
from shared.executions import ExecutionStatus
from shared.queue import enqueue_delivery
from shared.settings import ExecutorSettings
from shared.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    EXECUTION_FINISHED,
    SIGNATURE_HEADER,
    UrlRefused,
    WebhookDelivery,
    WebhookStatus,
    check_callback_url,
    new_secret,
    parse_networks,
    signature_header,
)

logger = logging.getLogger("coderunhub.executor.webhooks")

USER_AGENT = "CodeRunHub-Webhooks/1.0"


def job_timeout_s(settings: ExecutorSettings) -> float:
    """Longer than one attempt can take: resolution, connection, sending and reading the answer."""
    return settings.webhook_resolve_timeout_s + attempt_deadline_s(settings) + 10


def backoff_s(settings: ExecutorSettings, attempt: int) -> float:
    return float(min(settings.webhook_base_delay_s * 2 ** (attempt - 1), settings.webhook_max_delay_s))


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
        destination = await destination_of(callback, settings)
    except UrlRefused as exc:
        logger.warning("webhook of %s refused: %s", eid, exc)
        await _save(state, eid, WebhookStatus.refused, attempt, None, str(exc))
        return "refused"

    # Submissions made through Judge0's API get Judge0's callback: a PUT of the submission's
    # default attributes, base64-encoded (its isolate_job.rb call_callback).
    judge0 = (execution.api_options or {}).get("api") == "judge0"
    payload = judge0_render(execution, record, DEFAULT_FIELDS, encoded=True) if judge0 else webhook_payload(record)
    body = pydantic_core.to_json(payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: EXECUTION_FINISHED,
        DELIVERY_HEADER: delivery_id,
        "CodeRunHub-Attempt": str(attempt),
        SIGNATURE_HEADER: signature_header(secret, body),
    }
    result = await post(destination, body, headers, settings, "PUT" if judge0 else "POST")
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
