"""Settings for every service: one base class, one subclass and env prefix per service.

A field is read from ``CRH_<SERVICE>_<FIELD>`` first, then from ``CRH_<FIELD>`` (shared by all
services, e.g. ``CRH_DATABASE_URL``), then the default.
"""

from __future__ import annotations

import socket
from typing import Annotated, Literal

from limits import parse_many
from pydantic import BaseModel, Field, IPvAnyAddress, IPvAnyNetwork, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

Environment = Literal["development", "test", "production"]

PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "password", "development"})
# Development defaults start with this; production refuses them.
DEV_SECRET_PREFIX = "dev-only-"  # noqa: S105  (a marker, not a secret)
# URL schemes of ICE servers (RFC 7064, RFC 7065): the collab_ice_servers a gateway hands browsers.
TURN_SCHEMES = frozenset({"turn", "turns"})
ICE_SCHEMES = TURN_SCHEMES | {"stun"}


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRH_", extra="ignore")

    environment: Environment = "development"
    database_url: SecretStr = SecretStr("postgresql+asyncpg://postgres@127.0.0.1:5432/coderunhub")
    redis_url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")
    log_level: str = "INFO"
    log_json: bool = True

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        shared_env = EnvSettingsSource(settings_cls, env_prefix="CRH_")
        return init_settings, env_settings, shared_env, dotenv_settings, file_secret_settings

    def secret_fields(self) -> dict[str, SecretStr]:
        return {name: value for name, value in self if isinstance(value, SecretStr)}

    @property
    def development(self) -> bool:
        return self.environment in ("development", "test")

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> ServiceSettings:
        if self.environment == "production":
            for name, value in self.secret_fields().items():
                if name.endswith("_url"):
                    continue
                plain = value.get_secret_value().strip().lower()
                if plain in PLACEHOLDER_SECRETS or plain.startswith(DEV_SECRET_PREFIX):
                    raise ValueError(f"{name} must be set to a real secret in production")
        return self


class LimitBounds(BaseModel):
    """Inclusive range a client may ask for, and the value used when it asks for nothing."""

    default: int
    minimum: int
    maximum: int


class LimitsPolicy(BaseModel):
    """Per-phase resource limits the gateway accepts; language definitions may raise defaults."""

    wall_time_ms: LimitBounds = LimitBounds(default=10_000, minimum=100, maximum=30_000)
    cpu_time_ms: LimitBounds = LimitBounds(default=5_000, minimum=50, maximum=20_000)
    memory_mb: LimitBounds = LimitBounds(default=256, minimum=16, maximum=2_048)
    processes: LimitBounds = LimitBounds(default=64, minimum=1, maximum=256)
    output_bytes: LimitBounds = LimitBounds(default=1 << 20, minimum=1_024, maximum=16 << 20)
    file_size_kb: LimitBounds = LimitBounds(default=16_384, minimum=1, maximum=262_144)


class CompileLimitsPolicy(LimitsPolicy):
    wall_time_ms: LimitBounds = LimitBounds(default=30_000, minimum=1_000, maximum=60_000)
    cpu_time_ms: LimitBounds = LimitBounds(default=20_000, minimum=500, maximum=60_000)
    memory_mb: LimitBounds = LimitBounds(default=1_024, minimum=64, maximum=2_048)
    processes: LimitBounds = LimitBounds(default=128, minimum=8, maximum=256)
    output_bytes: LimitBounds = LimitBounds(default=256 << 10, minimum=1_024, maximum=1 << 20)
    file_size_kb: LimitBounds = LimitBounds(default=131_072, minimum=1_024, maximum=262_144)


# Anonymous callers' defaults (the gateways enforce them; executors warm sandboxes of their shapes).
ANONYMOUS_LIMITS = LimitsPolicy(
    wall_time_ms=LimitBounds(default=5_000, minimum=100, maximum=10_000),
    cpu_time_ms=LimitBounds(default=2_000, minimum=50, maximum=5_000),
    memory_mb=LimitBounds(default=128, minimum=16, maximum=256),
    processes=LimitBounds(default=32, minimum=1, maximum=64),
    output_bytes=LimitBounds(default=64 << 10, minimum=1_024, maximum=1 << 20),
    file_size_kb=LimitBounds(default=4_096, minimum=1, maximum=16_384),
)
# Compilers run code too (Template Haskell, constexpr, macros, type-level programs): anonymous
# callers' compile phases get a stricter policy as well. Every language's hello world compiles
# within its defaults (Kotlin and TypeScript, the heaviest, take ~3-4.5 s CPU and ~260 MiB).
ANONYMOUS_COMPILE_LIMITS = CompileLimitsPolicy(
    wall_time_ms=LimitBounds(default=20_000, minimum=1_000, maximum=30_000),
    cpu_time_ms=LimitBounds(default=10_000, minimum=500, maximum=10_000),
    memory_mb=LimitBounds(default=512, minimum=64, maximum=512),
    processes=LimitBounds(default=64, minimum=8, maximum=64),
    output_bytes=LimitBounds(default=64 << 10, minimum=1_024, maximum=256 << 10),
    file_size_kb=LimitBounds(default=32_768, minimum=1_024, maximum=65_536),
)


class RateLimitPolicy(BaseModel):
    """One kind of caller's budgets, in the limits library's notation (e.g. "60/minute", "5/second").

    ``executions`` counts executions created (batch items and snippet runs each count), ``reads``
    GET requests, ``writes`` every other mutation; ``max_in_flight`` caps queued + running executions.
    ``analyses`` counts POST /v1/analyses (cache hits too), apart from the others: an editor linting
    as someone types never eats into their executions; ``max_analyses_in_flight`` caps the analyses
    one caller waits for at once."""

    executions: str = "60/minute"
    reads: str = "600/minute"
    writes: str = "120/minute"
    max_in_flight: int = Field(default=8, ge=1)
    analyses: str = "240/minute"
    max_analyses_in_flight: int = Field(default=2, ge=1)

    @field_validator("executions", "reads", "writes", "analyses")
    @classmethod
    def _one_rate(cls, value: str) -> str:
        try:
            rates = parse_many(value)
        except ValueError as exc:
            raise ValueError(f"not a rate like '60/minute': {value!r}") from exc
        if len(rates) != 1:
            raise ValueError(f"one rate per budget, like '60/minute': {value!r}")
        return value


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CRH_GATEWAY_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    max_request_bytes: int = 2 << 20
    max_source_bytes: int = 512 << 10
    max_stdin_bytes: int = 1 << 20
    max_files: int = 64
    max_args: int = 64
    max_arg_bytes: int = 4_096
    wait_timeout_s: float = Field(default=60.0, gt=0)
    stream_idle_check_s: float = Field(default=2.0, gt=0)
    limits: LimitsPolicy = LimitsPolicy()
    compile_limits: CompileLimitsPolicy = CompileLimitsPolicy()
    # A conversation with a person needs more wall-clock time than a batch run (CPU limits still apply).
    # A program waiting for input holds an executor slot all that time: anonymous sessions get less.
    interactive_wall_time_ms: LimitBounds = LimitBounds(default=300_000, minimum=1_000, maximum=900_000)
    anonymous_interactive_wall_time_ms: LimitBounds = LimitBounds(default=120_000, minimum=1_000, maximum=300_000)
    # Interactive input: every frame (stdin, end of input, kill, or one the gateway cannot parse)
    # costs at least this many bytes of max_stdin_bytes, and a session sends at most this many frames,
    # so neither tiny frames nor empty ones can grow the input Stream without bound.
    interactive_input_frame_cost_bytes: int = Field(default=64, ge=1)
    interactive_max_input_frames: int = Field(default=10_000, ge=1)
    # How long a new interactive WebSocket may take to send its start frame.
    interactive_start_timeout_s: float = 10.0
    # Executors' version reports are read at most this often.
    versions_cache_s: float = 5.0
    # The Judge0 CE (/judge0) and Piston v2 (/api/v2) dialects (docs/compat.md), and the header
    # Judge0 clients send their API key in.
    compat_enabled: bool = True
    judge0_auth_header: str = "X-Auth-Token"
    # Access tokens are verified against the auth service's published keys (cached).
    auth_jwks_url: str = "http://127.0.0.1:8001/auth/v1/.well-known/jwks.json"
    auth_issuer: str = "coderunhub-auth"
    auth_audience: str = "coderunhub"
    jwks_refresh_s: float = 300.0
    # Pages of these origins may use session cookies on WebSockets (cross-site hijacking guard).
    allowed_origins: list[str] = Field(default_factory=lambda: ["http://127.0.0.1:8000", "http://localhost:8000"])
    # Anonymous callers may run code under stricter limits (or not at all).
    anonymous_enabled: bool = True
    anonymous_limits: LimitsPolicy = ANONYMOUS_LIMITS
    anonymous_compile_limits: CompileLimitsPolicy = ANONYMOUS_COMPILE_LIMITS
    # Snippets: list page sizes (files are checked like an execution's: max_files, max_source_bytes).
    snippet_page_default: int = Field(default=20, ge=1)
    snippet_page_max: int = Field(default=100, ge=1)
    # Collaborative sessions on snippets (docs/api.md#collaborative-sessions): a new session's
    # participant cap (owner included; the owner may set 2..50 per session), the open sessions one
    # owner may hold at once, and how long a join's participant token (cookie and Redis) lasts.
    collab_max_participants: int = Field(default=10, ge=2, le=50)
    collab_max_active_sessions: int = Field(default=5, ge=1)
    collab_participant_token_ttl_s: int = Field(default=86_400, ge=60)
    # A session nobody touched (no edit compacted, no REST change) for this long is ended and
    # saved to its snippet; each gateway looks every collab_sweep_interval_s (one of them acts).
    collab_idle_end_s: int = Field(default=86_400, ge=60)
    collab_sweep_interval_s: float = Field(default=60.0, gt=0)
    # Idempotency-Key: how long a finished request's response is replayed, and how long a request
    # still in progress holds its key (past that, a crashed request's key is free again).
    idempotency_ttl_s: int = Field(default=86_400, ge=1)
    idempotency_pending_ttl_s: int = Field(default=180, ge=1)
    # Request bounds: JSON bodies nested deeper than this, or with a number literal longer than
    # this many characters, are refused (400) before anything parses them.
    max_json_depth: int = Field(default=32, ge=1)
    max_json_number_chars: int = Field(default=1_000, ge=16)
    # OpenAPI: the server URL advertised in /openapi.json ("/" = wherever the document was fetched).
    # An absolute one (https://api.example.com) is also what executions' links are built from;
    # otherwise links follow each request (its Host, and its scheme as uvicorn's proxy headers give it).
    public_url: str = "/"
    # Browser integration (docs/api.md#browser-integration): pages of these origins may call the API
    # cross-origin (CORS, without credentials: API keys and tokens go in Authorization). Empty: no
    # CORS headers at all. Unlike allowed_origins, this never lets a page use the session cookies.
    cors_origins: list[str] = Field(default_factory=list)
    # How long a stream ticket (POST /v1/stream-tickets) may wait for its one WebSocket.
    stream_ticket_ttl_s: int = Field(default=60, ge=1, le=600)
    # Judging: test cases per execution, the UTF-8 size of each case's stdin and of its expected
    # stdout, their sum over all cases, and the most wall time all cases may take together
    # (cases x limits.wall_time_ms; keeps a judged execution well inside the executor's job timeout).
    judge_max_tests: int = Field(default=50, ge=1)
    judge_max_case_bytes: int = Field(default=256 << 10, ge=0)
    judge_max_total_bytes: int = Field(default=1 << 20, ge=0)
    judge_max_wall_ms: int = Field(default=600_000, ge=1)
    # The same bound for anonymous callers: a judged execution holds an executor slot for all its cases.
    anonymous_judge_max_wall_ms: int = Field(default=120_000, ge=1)
    # Webhooks: callback URLs must resolve to public addresses only (checked at submission, and again
    # by the executor at delivery). Networks listed here are allowed anyway: for tests and private
    # deployments only (e.g. '["127.0.0.0/8"]'); CRH_WEBHOOK_ALLOWED_NETWORKS sets it for every service.
    webhook_allowed_networks: list[IPvAnyNetwork] = Field(default_factory=list)
    webhook_resolve_timeout_s: float = Field(default=3.0, gt=0)
    # History: page size when `limit` is omitted (at most 100). Analytics: the range a view covers
    # when `since` is omitted, the longest range one may ask for, and the most buckets a timeline has.
    history_page_default: int = Field(default=20, ge=1, le=100)
    analytics_default_days: int = Field(default=30, ge=1)
    analytics_max_days: int = Field(default=400, ge=1)
    analytics_max_buckets: int = Field(default=2_400, ge=1)
    # Rate limits and quotas (Redis, the limits library; docs/api.md#rate-limits). Budgets are kept per
    # API key, per user (access token or session) and per client address (anonymous callers, who get
    # the stricter policy). max_in_flight is per user (all their keys together) or per address. While
    # the execution queue holds max_queued due jobs, creating executions answers 503.
    rate_limits_enabled: bool = True
    user_rate_limits: RateLimitPolicy = RateLimitPolicy()
    anonymous_rate_limits: RateLimitPolicy = RateLimitPolicy(
        executions="10/minute", reads="120/minute", writes="30/minute", max_in_flight=2, analyses="60/minute"
    )
    max_queued: int = Field(default=1_000, ge=1)
    queue_full_retry_after_s: int = Field(default=5, ge=1)
    # Code analysis (POST /v1/analyses): while this many jobs wait on the analysis queue, a new one is
    # a 503; a request waits this long for its result before answering 202 (the job's deadline too).
    max_queued_analyses: int = Field(default=200, ge=1)
    analysis_wait_s: float = Field(default=10.0, gt=0, le=60)
    # Batches: executions per POST /v1/batches, and how long a batch stays readable (its executions stay).
    batch_max_size: int = Field(default=20, ge=1)
    batch_ttl_s: int = Field(default=7 * 86_400, ge=60)
    # Web app (web/, built by `make web`): its build is served at / when this directory exists. In
    # development the browser reaches the auth service through this gateway: /auth/v1/* is proxied to
    # auth_proxy_url when set (`make run` sets it; production routes /auth/ with nginx instead).
    web_dist_dir: str = "web/dist"
    auth_proxy_url: str | None = None
    auth_proxy_timeout_s: float = Field(default=30.0, gt=0)
    # Collaborative sessions' socket (services/gateway/collab, docs/api.md "Collaborative sessions:
    # the socket"). A frame, one client's awareness state and the encoded document (tombstones
    # included) at most this large; the files' text and count are bounded by max_source_bytes and
    # max_files, as for snippets. Past any of them: a type-100 error event, then close 4413.
    collab_max_frame_bytes: int = Field(default=1 << 20, ge=1_024)
    collab_max_state_bytes: int = Field(default=4 << 20, ge=1_024)
    collab_max_awareness_bytes: int = Field(default=4 << 10, ge=256)
    # Messages a socket may send per second, with bursts of twice as many; past that the gateway
    # reads it more slowly (nothing is dropped: TCP holds the rest).
    collab_messages_per_s: float = Field(default=50.0, gt=0)
    # A participant's sockets at once (browser tabs); the participant cap itself is the session's.
    collab_max_sockets_per_participant: int = Field(default=4, ge=1)
    # A socket's presence entry (what the participant cap counts across gateways) lives this long
    # unless its gateway renews it (every third of it), so a dead gateway's sockets stop counting.
    collab_presence_ttl_s: int = Field(default=30, ge=3)
    # Compaction of the update log into the PostgreSQL snapshot: this long after edits settle, at
    # least this often while they go on, and whenever a room closes.
    collab_compact_idle_s: float = Field(default=2.0, gt=0)
    collab_compact_max_interval_s: float = Field(default=30.0, gt=0)
    # The update log (a Redis Stream) expires this long after its last write: longer than any
    # session stays idle, so only a log whose edits were never opened again can go.
    collab_log_ttl_s: int = Field(default=7 * 86_400, ge=60)
    # WebRTC between a session's participants (docs/deploy.md "WebRTC: STUN and TURN"): browsers sync
    # the document over data channels and talk over audio tracks peer to peer; gateways only relay
    # their signaling (offers, answers, ICE candidates) and hand out ICE servers, never media. Off:
    # GET .../rtc answers 404 collab-webrtc-disabled and the signal socket closes 4404.
    collab_webrtc: bool = True
    # STUN and TURN servers browsers are given (stun:host:3478, turn:host:3478?transport=udp,
    # turns:host:5349). Empty: host candidates only, which is enough on one machine or a LAN.
    collab_ice_servers: list[str] = Field(default_factory=list)
    # coturn's static-auth-secret (use-auth-secret, the TURN REST API): turn:/turns: URLs get
    # per-participant credentials made from it, valid this long. Needed for any TURN URL: browsers
    # refuse a TURN server without credentials, and a fixed password would be everyone's.
    collab_turn_secret: SecretStr | None = None
    collab_turn_credential_ttl_s: int = Field(default=12 * 3600, ge=60)
    # "relay": browsers use TURN relays only, so participants never learn each other's addresses
    # (needs a TURN URL above); "all": direct connections where they work.
    collab_ice_transport_policy: Literal["all", "relay"] = "all"
    # The signal socket (docs/api.md "Collaborative sessions: WebRTC signaling"): a message at most
    # this large (past it: an error message, then close 4413; an offer with its candidates is a few
    # KiB), messages read per second (bursts of twice as many; past that it is read more slowly), and
    # the distinct peer ids one socket may speak for (y-webrtc uses one per room).
    collab_signal_max_message_bytes: int = Field(default=64 << 10, ge=1_024)
    collab_signal_messages_per_s: float = Field(default=50.0, gt=0)
    collab_signal_max_peer_ids: int = Field(default=8, ge=1)

    @field_validator("collab_turn_secret", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        # CRH_GATEWAY_COLLAB_TURN_SECRET= (as .env files leave it) means "no TURN credentials".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("collab_ice_servers")
    @classmethod
    def _ice_urls(cls, value: list[str]) -> list[str]:
        for url in value:
            scheme, sep, rest = url.partition(":")
            if not sep or scheme not in ICE_SCHEMES or not rest or any(ch.isspace() for ch in url):
                raise ValueError(f"not a stun:, turn: or turns: URL: {url!r}")
        return value

    @model_validator(mode="after")
    def _turn_needs_secret(self) -> GatewaySettings:
        turn = [url for url in self.collab_ice_servers if url.partition(":")[0] in TURN_SCHEMES]
        if turn and self.collab_turn_secret is None:
            raise ValueError("collab_ice_servers lists TURN URLs: set collab_turn_secret (coturn's static-auth-secret)")
        if self.collab_ice_transport_policy == "relay" and not turn:
            raise ValueError("collab_ice_transport_policy relay needs a turn: or turns: URL in collab_ice_servers")
        return self


class ExecutorSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CRH_EXECUTOR_", extra="ignore")

    executor_id: str = Field(default_factory=lambda: f"executor-{socket.gethostname()}")
    concurrency: int = Field(default=4, ge=1)
    docker_url: str | None = None
    runtime: str = "runc"
    image_prefix: str = "coderunhub/runtime-"
    image_tag: str = "latest"
    nano_cpus: int = 1_000_000_000
    # Each execution's cell mounts these (tmpfs, counted in its memory): /work, /tmp, /dev/shm.
    work_size_mb: int = 64
    tmp_size_mb: int = 32
    shm_size_mb: int = 16
    # Sandbox containers: "reuse" keeps a container that ran an execution cleanly for the next one
    # (any user's; each execution still gets fresh namespaces, mounts and processes), "fresh" gives
    # every execution a never-used container and destroys it after (docs/security.md compares
    # them). anonymous_sandbox_mode overrides it for callers without an account.
    sandbox_mode: Literal["reuse", "fresh"] = "reuse"
    anonymous_sandbox_mode: Literal["reuse", "fresh"] | None = None
    # A reused container is retired after this many executions.
    sandbox_max_runs: int = Field(default=200, ge=1)
    # Socket buffers of sandboxes (cgroup v1 only charges them when capped, see
    # services/executor/sandbox/cgroups.py): the host cgroup tree the executor writes the cap into,
    # and the cap per sandbox (at most its memory limit).
    cgroup_root: str = "/sys/fs/cgroup"
    socket_memory_mb: int = Field(default=16, ge=1)
    # Compiled files handed from the compile to the run phase, at most (also bounded by what the
    # run sandbox's /work can hold).
    artifact_max_bytes: int = 128 << 20
    # Output files (an execution's output_files) the run phase may send back, all together: their
    # apparent sizes (a sparse file counts whole, as it is stored) and their data. More is output_limit.
    output_files_max_bytes: int = Field(default=4 << 20, ge=0)
    # How long past a phase's wall limit the executor waits for the agent before killing the box.
    grace_s: float = 5.0
    # Fallback poll for jobs when no wake-up arrives (e.g. one enqueued by another tool).
    poll_delay_s: float = 0.5
    # An execution's event Stream (replay for WebSocket clients) lives this long past its last event
    # while the execution runs, and stream_finished_ttl_s past the final one (the result is in
    # PostgreSQL; later readers get it from there).
    stream_ttl_s: int = 3_600
    stream_finished_ttl_s: int = Field(default=60, ge=1)
    # Live output one execution may publish to Redis, all phases and judged cases together (every
    # event counts with its framing); past it, clients get a live_output_limit frame and the rest only
    # in the result. An account's executions together hold at most stream_caller_budget_bytes.
    stream_output_budget_bytes: int = Field(default=4 << 20, ge=0)
    anonymous_stream_output_budget_bytes: int = Field(default=1 << 20, ge=0)
    stream_caller_budget_bytes: int = Field(default=16 << 20, ge=0)
    # While Redis holds more than this fraction of its maxmemory, live output is not published
    # (0 turns the check off; without a maxmemory it never applies). See docs/deploy.md#redis.
    stream_redis_memory_ceiling: float = Field(default=0.75, ge=0, le=1)
    # Warm pool: started sandboxes per shape (image, memory, processes), for the default version
    # of each language in pool_languages, at its default run limits and, for compiled languages,
    # its default compile limits. pool_sizes overrides per language id (its default version) or
    # key ("python@3.11"). Other languages and versions are pooled on demand once used.
    pool_size: int = Field(default=1, ge=0)
    pool_languages: list[str] = Field(
        default_factory=lambda: [
            "python",
            "javascript",
            "typescript",
            "c",
            "cpp",
            "java",
            "go",
            "rust",
            "csharp",
            "php",
            "ruby",
            "bash",
        ]
    )
    pool_sizes: dict[str, int] = Field(default_factory=lambda: {"python": 4})
    pool_max_per_shape: int = Field(default=16, ge=0)
    pool_max_total: int = Field(default=64, ge=0)
    pool_idle_ttl_s: float = 900.0
    pool_refill_parallelism: int = Field(default=2, ge=1)
    # The limits policies the gateways use, so the pool warms sandboxes of the shapes they ask for
    # (anonymous callers' run shapes too; their compile shapes are pooled on demand).
    limits: LimitsPolicy = LimitsPolicy()
    compile_limits: CompileLimitsPolicy = CompileLimitsPolicy()
    anonymous_limits: LimitsPolicy = ANONYMOUS_LIMITS
    sweep_interval_s: float = 30.0
    stuck_after_s: float = 30.0
    # Metrics (/metrics) and health (/healthz, /readyz) listener; port 0 turns it off.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9100
    # On SIGTERM: stop taking work, let running executions finish for this long, then hand the
    # rest back (their jobs are retried or, if user code had started, finished as interrupted).
    shutdown_grace_s: int = 60
    # Webhooks: delivery attempts (the first included), exponential backoff between them
    # (base * 2^(attempt-1), at most webhook_max_delay_s), timeouts, and how much of an answer is read.
    webhook_max_attempts: int = Field(default=5, ge=1, le=20)
    webhook_base_delay_s: float = Field(default=2.0, gt=0)
    webhook_max_delay_s: float = Field(default=300.0, gt=0)
    webhook_connect_timeout_s: float = Field(default=3.0, gt=0)
    webhook_timeout_s: float = Field(default=5.0, gt=0)
    webhook_resolve_timeout_s: float = Field(default=3.0, gt=0)
    webhook_max_response_bytes: int = Field(default=4_096, ge=0)
    # Destinations inside these networks are allowed although not public. For tests and private
    # deployments only (e.g. '["127.0.0.0/8"]'); the default, empty, allows public addresses only.
    # CRH_WEBHOOK_ALLOWED_NETWORKS sets it for the gateway and the executors at once.
    webhook_allowed_networks: list[IPvAnyNetwork] = Field(default_factory=list)
    # DNS servers that resolve callback hosts (address, port), asked in turn, instead of the
    # system's resolver: e.g. a filtering resolver ('[["10.0.0.53", 53]]'). Empty: getaddrinfo.
    webhook_nameservers: list[tuple[IPvAnyAddress, Annotated[int, Field(ge=1, le=65535)]]] = Field(default_factory=list)
    # Judging: stdout and stderr kept per test case (the comparison sees the whole output).
    judge_output_bytes: int = Field(default=64 << 10, ge=0)
    # Code analysis (services/executor/analysis.py): jobs run at once, outside `concurrency` (each
    # holds one sandbox for a fraction of a second); warm sandboxes of the analysis image per caller
    # class; how long a result stays cached.
    analysis_concurrency: int = Field(default=1, ge=0)
    analysis_pool_size: int = Field(default=1, ge=0)
    analysis_cache_ttl_s: int = Field(default=3_600, ge=1)

    def sandbox_mode_for(self, *, anonymous: bool) -> str:
        if anonymous and self.anonymous_sandbox_mode is not None:
            return self.anonymous_sandbox_mode
        return self.sandbox_mode


class AuthSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CRH_AUTH_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8001
    # Where browsers reach this service (OAuth callbacks are built from it).
    public_url: str = "http://127.0.0.1:8001"
    issuer: str = "coderunhub-auth"
    audience: str = "coderunhub"
    access_token_ttl_s: int = 900
    refresh_token_ttl_s: int = 30 * 24 * 3600
    # Encrypts signing keys at rest, and signs the OAuth state cookie.
    key_encryption_secret: SecretStr = SecretStr("dev-only-key-encryption-secret")
    session_secret: SecretStr = SecretStr("dev-only-session-secret")
    # After sign-in (OAuth), browsers are sent only to these origins.
    allowed_redirect_origins: list[str] = Field(default_factory=lambda: ["http://127.0.0.1:8000"])
    # Phone one-time codes: Twilio Verify when configured; otherwise, in development and tests,
    # a development provider that logs the code.
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_verify_service_sid: str | None = None
    twilio_verify_url: str = "https://verify.twilio.com"
    otp_max_attempts: int = 5
    otp_window_s: int = 900
    otp_resend_cooldown_s: int = 30
    otp_starts_per_hour: int = 5
    # Codes requested from one client address (many numbers: SMS pumping), per hour.
    otp_starts_per_address_per_hour: int = 30
    otp_ttl_s: int = 600
    # The country (ISO 3166-1 alpha-2, e.g. US) of phone numbers written without their +country
    # code, when the request names none; empty: such numbers are refused with a 422.
    default_phone_region: str = ""
    # OAuth providers (unset client id: the provider is off).
    google_client_id: str | None = None
    google_client_secret: SecretStr | None = None
    google_discovery_url: str = "https://accounts.google.com/.well-known/openid-configuration"
    github_client_id: str | None = None
    github_client_secret: SecretStr | None = None
    github_authorize_url: str = "https://github.com/login/oauth/authorize"
    github_token_url: str = "https://github.com/login/oauth/access_token"  # noqa: S105  (a URL)
    github_api_url: str = "https://api.github.com/"
    # Accounts whose verified email or phone (E.164) is listed get the admin role when they sign in.
    admins: list[str] = Field(default_factory=list)

    @field_validator("default_phone_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        # Imported here: only the auth service parses phone numbers, the other services need not load it.
        import phonenumbers

        region = value.strip().upper()
        if region and region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"not a region phonenumbers knows (ISO 3166-1 alpha-2, e.g. US): {value!r}")
        return region
