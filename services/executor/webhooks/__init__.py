"""Webhooks in the executor: delivery (the arq job), its wire (resolution, pinned POST), its body
and its SQL. Callers use what is exported here."""

from services.executor.webhooks.delivery import (
    backoff_s,
    deliver_webhook,
    job_timeout_s,
    pending_webhook,
    requeue_stranded,
)
from services.executor.webhooks.payload import webhook_payload
from services.executor.webhooks.transport import AttemptResult, destination_of, post, resolver_for
from shared.queue import enqueue_delivery

__all__ = [
    "AttemptResult",
    "backoff_s",
    "deliver_webhook",
    "destination_of",
    "enqueue_delivery",
    "job_timeout_s",
    "pending_webhook",
    "post",
    "requeue_stranded",
    "resolver_for",
    "webhook_payload",
]
