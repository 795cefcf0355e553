"""Every Redis key and channel name the services share."""

from __future__ import annotations

import uuid

# arq's sorted set of queued execution jobs.
EXECUTION_QUEUE = "crh:queue:executions"
# A list executors block on (BLPOP) so dispatch does not wait for arq's poll.
EXECUTION_WAKE = "crh:queue:wake"
# Hash: language id -> JSON {version, image, executor, probed_at}, written by executors.
RUNTIMES = "crh:runtimes"
# Executors listen here for cancellations (payload: the execution id); see execution_cancel.
EXECUTION_CANCEL_CHANNEL = "crh:exec:cancel"
# A channel each gateway's relay stays subscribed to, so its reader loop always has a subscription.
GATEWAY_KEEPALIVE_CHANNEL = "crh:gateway:keepalive"


def execution_channel(execution_id: uuid.UUID | str) -> str:
    """Pub/sub channel carrying an execution's events live."""
    return f"crh:exec:{execution_id}:events"


def execution_stream(execution_id: uuid.UUID | str) -> str:
    """Capped Redis Stream keeping an execution's events for replay (entry id = ``<seq>-0``)."""
    return f"crh:exec:{execution_id}:log"


def execution_stream_end(execution_id: uuid.UUID | str) -> str:
    """The seq of an execution's final event, kept a while after its Stream expired, so events
    rebuilt from PostgreSQL are numbered after those a client may already have."""
    return f"crh:exec:{execution_id}:end"


def live_output_ledger(owner: str) -> str:
    """Hash: execution id -> bytes of live output an account's execution may hold in its Stream.
    ``owner`` is ``user:<id>``."""
    return f"crh:live-output:{owner}"


def live_output_ledger_until(owner: str) -> str:
    """Sorted set: the account's executions in the ledger, scored by when their Stream expires (ms)."""
    return f"crh:live-output:{owner}:until"


def execution_input(execution_id: uuid.UUID | str) -> str:
    """Redis Stream of an interactive execution's input (stdin data, end of input, kill)."""
    return f"crh:exec:{execution_id}:input"


def execution_cancel(execution_id: uuid.UUID | str) -> str:
    """Present once a cancellation was asked for: an executor that takes the execution after the
    message on EXECUTION_CANCEL_CHANNEL went out still sees it."""
    return f"crh:exec:{execution_id}:cancel"


def executor_heartbeat(executor_id: str) -> str:
    """Present (with a short TTL) while the executor is alive; sweepers treat its absence as death."""
    return f"crh:executor:{executor_id}:alive"


def revoked_access_token(token_id: str) -> str:
    """Present until the access token would expire anyway: it was signed out."""
    return f"crh:auth:revoked:{token_id}"


def otp_key(kind: str, subject: str) -> str:
    """Phone sign-in counters and markers: ``kind`` is cooldown, starts, address, attempts or dev
    (the development provider's pending code); ``subject`` a number or a client address."""
    return f"crh:auth:otp:{kind}:{subject}"


def api_key_touched(key_id: object) -> str:
    """Present while an API key's last_used_at is fresh enough not to be written again."""
    return f"crh:auth:key-touched:{key_id}"


def api_key_changed(key_id: object) -> str:
    """Present for a minute after an API key was revoked: no gateway trusts its cached copy of the
    key meanwhile (shared.auth.api_keys.CACHE_S)."""
    return f"crh:auth:key-changed:{key_id}"


def idempotency_key(caller: str, route: str, key_digest: str) -> str:
    """A request made with an Idempotency-Key: its body's fingerprint and, once done, its response.
    ``caller`` is ``user:<id>`` or ``ip:<address>``; ``key_digest`` the SHA-256 of the client's key."""
    return f"crh:idem:{caller}:{route}:{key_digest}"


def webhook_job_id(execution_id: uuid.UUID | str) -> str:
    """The arq job id (``arq:job:<id>``) delivering an execution's webhook: one per execution."""
    return f"webhook:{execution_id}"


# Prefix of the limits library's moving windows (one per budget and caller).
RATE_LIMIT_PREFIX = "crh:ratelimit"


def execution_budget(bucket: str) -> str:
    """Sorted set of the charges to a caller's executions budget in its moving window (score: when;
    the limits library keeps the other budgets under RATE_LIMIT_PREFIX too)."""
    return f"{RATE_LIMIT_PREFIX}:executions:{bucket}"


def in_flight(caller: str) -> str:
    """Sorted set of a caller's queued or running executions (ids; score = admission time), and
    reservations (``pending:<token>``) of requests creating one. ``caller`` is ``user:<id>`` or ``ip:<address>``."""
    return f"crh:inflight:{caller}"


def batch(batch_id: uuid.UUID | str) -> str:
    """A batch: JSON {user_id, execution_ids, created_at}, kept for batch_ttl_s."""
    return f"crh:batch:{batch_id}"


def stream_ticket(digest: str) -> str:
    """A stream ticket (POST /v1/stream-tickets): JSON of the principal it stands for (and the one
    execution it may watch), until its first use (GETDEL) or its TTL. ``digest``: the ticket's
    SHA-256, so what Redis holds cannot be replayed as a ticket."""
    return f"crh:ticket:{digest}"
