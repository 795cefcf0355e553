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


# Collaborative sessions (issue 18; docs/design/collaboration-and-analysis.md).
def collab_updates(session_id: uuid.UUID | str) -> str:
    """Redis Stream: the session document's Yjs updates not yet folded into its PostgreSQL snapshot."""
    return f"crh:collab:{session_id}:updates"


def collab_channel(session_id: uuid.UUID | str) -> str:
    """Pub/sub channel relaying a session's updates and awareness between gateways."""
    return f"crh:collab:{session_id}"


def collab_control_channel(session_id: uuid.UUID | str) -> str:
    """Pub/sub channel for a session's control events (JSON): revocations, role changes, session end."""
    return f"crh:collab:{session_id}:control"


def collab_presence(session_id: uuid.UUID | str) -> str:
    """Hash: socket id -> expiry (epoch seconds) of every socket connected to a session, on any gateway."""
    return f"crh:collab:{session_id}:presence"


def collab_compact_lock(session_id: uuid.UUID | str) -> str:
    """Held (SET NX PX) by the gateway folding a session's update log into its snapshot."""
    return f"crh:collab:{session_id}:compact"


def collab_participant_token(digest: str) -> str:
    """A participant's socket credential (the join cookie), under the token's SHA-256."""
    return f"crh:collab:pt:{digest}"


def collab_run_input(execution_id: uuid.UUID | str) -> str:
    """Hash {bytes, frames}: the input editors typed into an interactive shared run, against its caps."""
    return f"crh:collab:input:{execution_id}"


def collab_run(session_id: uuid.UUID | str) -> str:
    """The session's current shared run: JSON {execution_id, runner participant id, started_at}."""
    return f"crh:collab:{session_id}:run"


# WebRTC between a session's participants (issue 21; services/gateway/collab/rtc.py, signaling.py).
# The key every gateway names sessions' y-webrtc rooms with (32 random bytes, made by the first
# gateway that needs it, SET NX, no expiry): rooms stay the same on every gateway and request.
COLLAB_WEBRTC_ROOM_KEY = "crh:collab:webrtc-room-key"


def collab_signal_channel(session_id: uuid.UUID | str) -> str:
    """Pub/sub channel relaying a session's WebRTC signaling messages (JSON) between gateways."""
    return f"crh:collab:{session_id}:signal"


def collab_signal_presence(session_id: uuid.UUID | str) -> str:
    """Hash: signal socket id -> expiry, as collab_presence for the session's signal sockets."""
    return f"crh:collab:{session_id}:signal-presence"


def collab_signal_peer(session_id: uuid.UUID | str, peer_id: str) -> str:
    """The signal socket (its id) a y-webrtc peer id speaks through: SET NX by its first message,
    renewed while the socket lives, deleted when it closes; no other socket may use the peer id."""
    return f"crh:collab:{session_id}:signal-peer:{peer_id}"


# Code analysis (issue 18; shared/analysis, services/executor/analysis.py).
# List of queued analysis jobs (JSON shared.analysis.model.AnalysisJob): gateways LPUSH, executors BLMOVE.
ANALYSIS_QUEUE = "crh:queue:analyses"
# Hash: tool name -> JSON {version, image, image_id, executor, probed_at}, as executors found them.
ANALYSIS_TOOLS = "crh:analysis:tools"


def analysis_processing(executor_id: str) -> str:
    """List of the analysis jobs an executor took and has not finished: re-queued once if it dies."""
    return f"crh:analyses:processing:{executor_id}"


def analysis_result(key: str) -> str:
    """An analysis' result (JSON AnalysisResult), cached an hour under its key (a content hash)."""
    return f"crh:analysis:{key}"


def analysis_pending(key: str) -> str:
    """Held (SET NX, short TTL) by the request that queued the analysis: others wait for its result."""
    return f"crh:analysis:{key}:pending"


def analysis_done(key: str) -> str:
    """Pub/sub channel an analysis' result is published on (payload: the result's JSON)."""
    return f"crh:analysis:done:{key}"


def analyses_in_flight(owner: str) -> str:
    """Sorted set of a caller's analysis requests waiting for a result (tokens; score = start)."""
    return f"crh:analyses:inflight:{owner}"
