"""Every Redis key and channel name the services share."""

from __future__ import annotations

import uuid

# arq's sorted set of queued execution jobs.
EXECUTION_QUEUE = "crh:queue:executions"
# A list executors block on (BLPOP) so dispatch does not wait for arq's poll.
EXECUTION_WAKE = "crh:queue:wake"
# Hash: language id -> JSON {version, image, executor, probed_at}, written by executors.
RUNTIMES = "crh:runtimes"
# A channel each gateway's relay stays subscribed to, so its reader loop always has a subscription.
GATEWAY_KEEPALIVE_CHANNEL = "crh:gateway:keepalive"


def execution_channel(execution_id: uuid.UUID | str) -> str:
    """Pub/sub channel carrying an execution's events live."""
    return f"crh:exec:{execution_id}:events"


def execution_stream(execution_id: uuid.UUID | str) -> str:
    """Capped Redis Stream keeping an execution's events for replay (entry id = ``<seq>-0``)."""
    return f"crh:exec:{execution_id}:log"


def execution_input(execution_id: uuid.UUID | str) -> str:
    """Redis Stream of an interactive execution's input (stdin data, end of input, kill)."""
    return f"crh:exec:{execution_id}:input"


def executor_heartbeat(executor_id: str) -> str:
    """Present (with a short TTL) while the executor is alive; sweepers treat its absence as death."""
    return f"crh:executor:{executor_id}:alive"
