"""Models of the CodeRunHub API, generated from the gateway's OpenAPI document by
``coderunhub/_codegen.py``. Do not edit: regenerate (see clients/python/README.md)."""

from __future__ import annotations

import datetime
import uuid
from typing import Literal

from pydantic import Field

from coderunhub._base import OpenEnum, RequestModel, ResponseModel

__all__ = [
    "AnalyserOut",
    "AnalysisDiagnostic",
    "AnalysisFile",
    "AnalysisQueued",
    "AnalysisRequest",
    "AnalysisResult",
    "AnalysisStatus",
    "AnalyticsScope",
    "BatchCreate",
    "BatchOut",
    "Bucket",
    "Budget",
    "BudgetOut",
    "BudgetsOut",
    "CallerClassOut",
    "CodeMetrics",
    "CodeMetricsPoint",
    "CodeMetricsTimeline",
    "CompareMode",
    "ConfigOut",
    "DiagnosticOut",
    "Exceeded",
    "ExecutionCreate",
    "ExecutionLinks",
    "ExecutionOut",
    "ExecutionPage",
    "ExecutionStatus",
    "FieldError",
    "FileIn",
    "FileOut",
    "ForkOrigin",
    "FormattedFile",
    "FunctionMetrics",
    "Health",
    "HistoryScope",
    "IceServer",
    "InFlightOut",
    "InviteCreate",
    "InviteOut",
    "JoinIn",
    "JoinOut",
    "JudgeCaseIn",
    "JudgeCaseOut",
    "JudgeOut",
    "LanguageCount",
    "LanguageOut",
    "LanguageRunStats",
    "LanguageUsage",
    "LanguageVersionOut",
    "LimitRangesOut",
    "Limits",
    "LimitsIn",
    "LimitsOut",
    "OutputFileOut",
    "ParticipantOut",
    "ParticipantPut",
    "Percentiles",
    "PhaseOut",
    "Problem",
    "QueueOut",
    "QuickFix",
    "RangeOut",
    "RevisionOut",
    "RevisionSummary",
    "RtcConfig",
    "RtcRooms",
    "RunStats",
    "SaveOut",
    "SessionCreate",
    "SessionLinks",
    "SessionOut",
    "SessionUpdate",
    "SessionYou",
    "SharedRunCreate",
    "SharedRunInput",
    "SharedRunOut",
    "SizesOut",
    "SnippetCreate",
    "SnippetLinks",
    "SnippetMetrics",
    "SnippetOut",
    "SnippetPage",
    "SnippetRun",
    "SnippetSummary",
    "SnippetUpdate",
    "StreamTicketCreate",
    "StreamTicketOut",
    "SubmissionOut",
    "SubmittedFileOut",
    "TextEdit",
    "Timeline",
    "TimelinePoint",
    "ToolVersion",
    "Verdict",
    "VerdictCount",
    "VerdictDistribution",
    "WebhookDelivery",
    "WebhookSecretOut",
    "WebhookStatus",
]


class ToolVersion(ResponseModel):
    name: str
    version: str


class AnalyserOut(ResponseModel):
    language: str
    #: The checks offered for this language.
    checks: list[Literal["lint", "format", "types", "metrics"]]
    #: The tools that run them, with the version the executors' analysis image reports (or the pinned
    #: one, until an executor reported it).
    tools: list[ToolVersion]
    #: Whether an executor reported every one of these tools.
    available: bool
    #: The language version these tools serve, where a compiler is each version's own (C, C++, Go,
    #: TypeScript); null: every version of the language.
    version: str | None = None


class TextEdit(ResponseModel):
    file: str
    line: int
    #: UTF-16 code units, 1-based.
    column: int
    end_line: int
    #: UTF-16 code units, 1-based, exclusive.
    end_column: int
    #: What replaces the range (empty: a deletion).
    text: str


class QuickFix(ResponseModel):
    title: str
    #: `safe`: keeps the code's meaning; `unsafe`: may change it (offer, never apply unasked).
    applicability: Literal["safe", "unsafe"]
    #: Applied together, as one change.
    edits: list[TextEdit]


class AnalysisDiagnostic(ResponseModel):
    #: One of the submitted files.
    file: str
    line: int
    #: UTF-16 code units, 1-based.
    column: int
    end_line: int
    #: UTF-16 code units, 1-based, exclusive.
    end_column: int
    severity: Literal["error", "warning", "info", "hint"]
    #: The tool that reported it.
    source: str
    message: str
    #: The tool's rule code.
    code: str | None = None
    #: The rule's documentation.
    url: str | None = None
    fixes: list[QuickFix] = Field(default_factory=list)


class AnalysisFile(RequestModel):
    #: Relative path, e.g. `main.py` or `pkg/util.py`.
    name: str
    #: The file's text (UTF-8, no NUL characters).
    content: str


class AnalysisQueued(ResponseModel):
    """The analysis is still running: its result will be at `Location` (GET /v1/analyses/{id})."""

    #: The analysis' key.
    id: str


class AnalysisRequest(RequestModel):
    #: Language id from GET /v1/languages.
    language: str
    #: The files to analyse, as an execution would get them.
    files: list[AnalysisFile]
    #: The language version (prefix match, e.g. `3.11`).
    version: str | None = None
    #: `lint`: diagnostics with quick fixes (C, C++, Go, JavaScript and TypeScript: their compiler's
    #: own checks); `format`: each file as the formatter writes it; `types`: a type checker that is a
    #: tool of its own (Python: mypy), only when asked for; `metrics`: line counts and per-function
    #: cyclomatic complexity (lizard; every language).
    checks: list[Literal["lint", "format", "types", "metrics"]] = Field(default_factory=list)


class AnalysisStatus(OpenEnum):
    ok = "ok"
    timeout = "timeout"
    limit = "limit"
    error = "error"
    unsupported = "unsupported"


class FunctionMetrics(ResponseModel):
    #: One of the submitted files.
    file: str
    #: The function's name as lizard reads it.
    name: str
    #: Where it starts.
    line: int
    #: Cyclomatic complexity (1 + its decision points).
    ccn: int
    #: Lines of code in it, comments and blank lines left out.
    nloc: int
    #: Its parameters.
    params: int


class CodeMetrics(ResponseModel):
    """The `metrics` check: lizard's per-function numbers for the files it reads (by extension: C/C++, Java, C#,
    JavaScript/TypeScript, Python, Go, Rust, Kotlin, Swift, Scala, Ruby, PHP, Lua, Erlang, Fortran, Perl, R, Zig
    and more), line counts alone for the others.
    """

    #: Lines of every submitted file.
    lines: int
    #: Lines with code: lizard's NLOC where it reads the file, else the non-blank lines.
    code_lines: int
    #: The files lizard read (functions come from these); empty: line counts only.
    measured_files: list[str]
    #: Functions found, all of them (`functions` lists the first 500).
    function_count: int
    #: By file and line, at most 500.
    functions: list[FunctionMetrics]
    #: The highest cyclomatic complexity; null without functions.
    ccn_max: int | None
    #: The mean cyclomatic complexity over all functions; null without any.
    ccn_avg: float | None


class FormattedFile(ResponseModel):
    name: str
    #: The file as the formatter wrote it (unchanged when it could not parse it).
    content: str
    changed: bool


class AnalysisResult(ResponseModel):
    #: The analysis' key: GET /v1/analyses/{id} reads it while it is cached.
    id: str
    language: str
    #: The language version the tools were configured for.
    version: str
    status: AnalysisStatus
    #: Why the status is not `ok`.
    detail: str | None = None
    tools: list[ToolVersion] = Field(default_factory=list)
    diagnostics: list[AnalysisDiagnostic] = Field(default_factory=list)
    #: Answered from the cache: no tool ran for this request.
    cached: bool = False
    #: Time the tools took in their sandboxes.
    duration_ms: int = 0
    #: With the `format` check.
    formatted: list[FormattedFile] | None = None
    #: With the `metrics` check.
    metrics: CodeMetrics | None = None


class AnalyticsScope(OpenEnum):
    mine = "mine"
    global_ = "global"


class CompareMode(OpenEnum):
    """How a test case's stdout is compared with its expected output. exact: byte for byte. whitespace: line by line,
    ignoring trailing whitespace (spaces, tabs, carriage returns) at the end of each line and blank lines at the
    end of the output.
    """

    exact = "exact"
    whitespace = "whitespace"


class FileIn(RequestModel):
    #: Relative path, e.g. `main.py` or `lib/util.py`.
    name: str
    content: str
    #: `text` (UTF-8; also when omitted or null) or `base64`: `content` is the base64 of the file's
    #: bytes (any bytes; sizes count the decoded bytes). The entry file must be text. Executions only:
    #: snippets hold text.
    encoding: Literal["text", "base64"] | None = None


class JudgeCaseIn(RequestModel):
    """One test case: the program runs with this stdin and must print `expected_stdout`."""

    #: The standard output this case must produce, compared as `compare` says (no NUL characters).
    expected_stdout: str
    #: A label shown with the case's result.
    name: str | None = None
    #: Standard input of this case's run (no NUL characters).
    stdin: str = ""


class LimitsIn(RequestModel):
    """Per-phase limits; omitted fields take the language's or the server's default."""

    #: Wall-clock time limit in milliseconds.
    wall_time_ms: int | None = None
    #: CPU time limit (user + system, all processes).
    cpu_time_ms: int | None = None
    #: Memory limit in MiB.
    memory_mb: int | None = None
    #: Maximum number of processes and threads.
    processes: int | None = None
    #: Maximum bytes kept per stream (stdout, stderr).
    output_bytes: int | None = None
    #: Largest file the program may write, in KiB.
    file_size_kb: int | None = None


class ExecutionCreate(RequestModel):
    #: Language id from GET /v1/languages.
    language: str
    #: Required version (prefix match, e.g. `3.11`).
    version: str | None = None
    #: A single source file; use `files` for several.
    source: str | None = None
    #: Source files; mutually exclusive with `source`.
    files: list[FileIn] | None = None
    #: Entry file among `files`; defaults to the language's file name convention.
    entry: str | None = None
    #: Data sent to the program's standard input.
    stdin: str = ""
    #: Command-line arguments passed to the program.
    args: list[str] = Field(default_factory=list)
    #: Compiler flags, each matching one of the language's `compile_options` patterns (GET
    #: /v1/languages); passed as separate arguments, never through a shell.
    compile_options: list[str] = Field(default_factory=list)
    #: Limits of the run phase.
    limits: LimitsIn | None = None
    #: Limits of the compile phase.
    compile_limits: LimitsIn | None = None
    #: Judging: with `test_cases`, the program is compiled once and then run once per case, each run in
    #: its own sandbox with the run `limits`, the case's stdin, and `args`. A case is `accepted` when
    #: its stdout matches `expected_stdout`, `wrong_answer` when it does not, or takes its run's
    #: verdict (`time_limit`, `memory_limit`, `runtime_error`, `output_limit`, `internal_error`) when
    #: the run failed. The execution's verdict (also `judge.verdict`) is `accepted` when every case is,
    #: otherwise that of the first failing case in `test_cases` order; every case runs. At most
    #: `judge_max_tests` cases (50 by default); the top-level `stdin` must then be empty, and
    #: interactive executions cannot be judged.
    test_cases: list[JudgeCaseIn] | None = None
    #: How each case's stdout is compared with `expected_stdout`: `exact` (byte for byte) or
    #: `whitespace` (line by line, ignoring trailing spaces, tabs and carriage returns at the end of
    #: each line, and blank lines at the end of the output). Used only with `test_cases`.
    compare: CompareMode = CompareMode.exact
    #: Paths (relative to the program's working directory; files or directories, whose files are taken
    #: recursively) sent back after the run phase exits cleanly (exit code 0), in the result's `files`
    #: and at GET /v1/executions/{id}/files/{name}. At most 16; paths that do not exist are left out.
    #: Files larger than the server's cap together make the verdict `output_limit`.
    output_files: list[str] = Field(default_factory=list)
    #: Webhook: when the execution finishes, its result (this API's execution object, text encoding) is
    #: POSTed here as JSON, signed with your webhook secret (GET /v1/webhooks/secret). http or https;
    #: the host must resolve to public addresses only. Needs an account.
    callback_url: str | None = None


class BatchCreate(RequestModel):
    #: The executions, each as in POST /v1/executions; at most the server's batch size (20 by default).
    executions: list[ExecutionCreate]


class ExecutionLinks(ResponseModel):
    #: This execution's URL (absolute, where the request reached the API).
    self: str
    #: The WebSocket URL (`ws://` or `wss://`) streaming this execution's output; browsers add
    #: `?ticket=` from POST /v1/stream-tickets.
    stream: str


class ExecutionStatus(OpenEnum):
    queued = "queued"
    running = "running"
    finished = "finished"


class Exceeded(OpenEnum):
    """Which limit ended a phase, when one did."""

    cpu_time = "cpu_time"
    wall_time = "wall_time"
    memory = "memory"
    output = "output"


class Verdict(OpenEnum):
    ok = "ok"
    compilation_error = "compilation_error"
    runtime_error = "runtime_error"
    time_limit = "time_limit"
    memory_limit = "memory_limit"
    output_limit = "output_limit"
    internal_error = "internal_error"
    accepted = "accepted"
    wrong_answer = "wrong_answer"
    cancelled = "cancelled"


class JudgeCaseOut(ResponseModel):
    """One test case's result: the judged verdict and its run's measurements."""

    #: Position of the case in the request's `test_cases` (0-based).
    index: int
    name: str | None
    #: `accepted`, `wrong_answer`, or the run's verdict when it failed.
    verdict: Verdict
    message: str | None
    #: The limit that ended the run, if any.
    exceeded: Exceeded | None
    exit_code: int | None
    signal: int | None
    signal_name: str | None
    #: Captured stdout in `encoding` (capped); null in stream result frames.
    stdout: str | None
    #: Captured stderr in `encoding` (capped); null in stream result frames.
    stderr: str | None
    encoding: Literal["text", "base64"]
    stdout_truncated: bool
    stderr_truncated: bool
    cpu_time_ms: float | None
    wall_time_ms: float | None
    #: Peak resident memory of the largest process, in KiB.
    memory_kb: int | None
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None


class JudgeOut(ResponseModel):
    """Summary of a judged execution."""

    #: `accepted` when every case passed, else the first failing case's verdict (or the execution's,
    #: e.g. `compilation_error`); null until the execution finishes.
    verdict: Verdict | None
    #: Cases accepted so far.
    passed: int
    #: Cases in the request.
    total: int
    compare: CompareMode


class Limits(ResponseModel):
    """Effective limits of one phase, as stored on the execution and applied by the executor."""

    wall_time_ms: int
    cpu_time_ms: int
    memory_mb: int
    processes: int
    output_bytes: int
    file_size_kb: int


class OutputFileOut(ResponseModel):
    """A file the run phase left at one of the requested `output_files` paths."""

    #: Its path relative to the working directory.
    name: str
    #: Its size in bytes.
    size: int
    #: Its bytes in base64 (always: files may hold any bytes); null in stream result frames and history
    #: pages. GET /v1/executions/{id}/files/{name} answers the raw bytes.
    content: str | None


class DiagnosticOut(ResponseModel):
    """One compiler message at its place in a submitted file."""

    #: The submitted file, by its name in `files`.
    file: str
    #: 1-based line.
    line: int
    #: 1-based column as the compiler counts it; null when it gives none.
    column: int | None
    severity: Literal["error", "warning", "note", "info"]
    #: The message's first line (at most 500 characters).
    message: str
    #: The compiler's code for it, e.g. `E0308`, `TS2322`, `-Wunused-variable`.
    code: str | None
    #: Where the marked range ends, when the compiler says.
    end_line: int | None = None
    #: Column where the marked range ends (inclusive).
    end_column: int | None = None


class PhaseOut(ResponseModel):
    verdict: Verdict
    message: str | None
    #: The limit that ended the phase, if any.
    exceeded: Exceeded | None
    exit_code: int | None
    signal: int | None
    signal_name: str | None
    #: Captured stdout in `encoding`; null in stream result frames.
    stdout: str | None
    #: Captured stderr in `encoding`; null in stream result frames.
    stderr: str | None
    encoding: Literal["text", "base64"]
    stdout_truncated: bool
    stderr_truncated: bool
    cpu_time_ms: float | None
    wall_time_ms: float | None
    #: Peak resident memory of the largest process, in KiB.
    memory_kb: int | None
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    #: The compile phase's messages that name a place in a submitted file (gcc, clang, javac, rustc,
    #: go, tsc, and the other compilers' formats), in the compiler's order, duplicates dropped, at most
    #: 200; also in stream result frames. Empty for the run phase and for a compile that said nothing.
    diagnostics: list[DiagnosticOut] = Field(default_factory=list)


class WebhookStatus(OpenEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"
    refused = "refused"


class WebhookDelivery(ResponseModel):
    """Where an execution's result is POSTed, and how that went."""

    #: The callback URL given at submission.
    url: str
    #: `pending` until delivered or given up; `delivered` (a 2xx answer), `failed` (every attempt
    #: failed: error, timeout, non-2xx or redirect) or `refused` (the destination is not a public
    #: address).
    status: WebhookStatus
    #: Delivery attempts made so far.
    attempts: int
    #: HTTP status of the last attempt's answer, if any.
    last_status_code: int | None
    #: Why the last attempt did not deliver, if it did not.
    last_error: str | None
    delivered_at: datetime.datetime | None


class ExecutionOut(ResponseModel):
    id: uuid.UUID
    language: str
    version: str | None
    status: ExecutionStatus
    verdict: Verdict | None
    message: str | None
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    limits: Limits
    compile_limits: Limits | None
    compile: PhaseOut | None
    #: The run phase; null for judged executions (see `tests`).
    run: PhaseOut | None
    #: Judging: each test case's result, in order; empty when not judged.
    tests: list[JudgeCaseOut]
    #: Judging summary; null when the execution has no cases.
    judge: JudgeOut | None
    links: ExecutionLinks
    #: The webhook's delivery state, when the execution named a `callback_url`.
    webhook: WebhookDelivery | None = None
    #: The API the execution was submitted through, when not this one: `judge0` (`/judge0`) or `piston`
    #: (`/api/v2`); see docs/compat.md.
    api: Literal["judge0", "piston"] | None = None
    #: Output files: what the run phase left at the requested `output_files` paths after a clean exit,
    #: by name; empty otherwise.
    files: list[OutputFileOut] = Field(default_factory=list)


class BatchOut(ResponseModel):
    id: uuid.UUID
    created_at: datetime.datetime
    #: `finished` once every execution has finished, `queued` while none has started, else `running`.
    status: ExecutionStatus
    #: How many of the executions have finished.
    finished: int
    #: How many executions the batch has.
    total: int
    #: Every execution of the batch, in submission order.
    executions: list[ExecutionOut]


class Bucket(OpenEnum):
    hour = "hour"
    day = "day"


class Budget(OpenEnum):
    executions = "executions"
    reads = "reads"
    writes = "writes"
    analyses = "analyses"


class BudgetOut(ResponseModel):
    #: `executions`: executions created (each batch item and snippet run counts); `reads`: GET
    #: requests; `writes`: other requests that change something; `analyses`: analyses requested (POST
    #: /v1/analyses, answers from the cache too).
    name: Budget
    #: The rate in the server's notation.
    policy: str
    #: Uses allowed per window.
    limit: int
    #: The moving window, in seconds.
    window_s: int
    #: Uses left in the current window.
    remaining: int
    #: Seconds until the oldest use leaves the window.
    reset_after_s: int


class BudgetsOut(ResponseModel):
    #: Executions created per window, e.g. `60/minute`.
    executions: str
    reads: str
    writes: str
    #: Queued and running executions at a time.
    max_in_flight: int
    #: Analyses requested per window (POST /v1/analyses, cache hits too).
    analyses: str
    #: Analyses waited for at a time.
    max_analyses_in_flight: int


class RangeOut(ResponseModel):
    default: int
    minimum: int
    maximum: int


class LimitRangesOut(ResponseModel):
    """A phase's `limits`: what is used when a field is left out, and what may be asked for."""

    wall_time_ms: RangeOut
    cpu_time_ms: RangeOut
    memory_mb: RangeOut
    processes: RangeOut
    output_bytes: RangeOut
    file_size_kb: RangeOut


class CallerClassOut(ResponseModel):
    run_limits: LimitRangesOut
    compile_limits: LimitRangesOut
    #: The run phase's wall time of interactive executions.
    interactive_wall_time_ms: RangeOut
    #: Test cases x the run wall time limit may not exceed this.
    judge_max_wall_ms: int
    rate_limits: BudgetsOut


class CodeMetricsPoint(ResponseModel):
    #: Start of the bucket (UTC).
    start: datetime.datetime
    #: Snippets saved in the bucket (and measured), each counted once.
    snippets: int
    #: Lines of those snippets, each at its last revision saved in the bucket.
    lines: int
    #: Functions in them (languages lizard reads).
    functions: int
    #: Mean cyclomatic complexity over those functions; null without any.
    ccn_avg: float | None
    #: The highest cyclomatic complexity among them; null without functions.
    ccn_max: int | None


class CodeMetricsTimeline(ResponseModel):
    """Code metrics of the snippets saved per hour or day (UTC buckets), every bucket listed."""

    #: `mine`, or `global` (administrators): everyone's snippets.
    scope: AnalyticsScope
    #: Revisions saved at or after this time are counted.
    since: datetime.datetime
    #: ... and before this time.
    until: datetime.datetime
    bucket: Bucket
    items: list[CodeMetricsPoint]


class SizesOut(ResponseModel):
    max_request_bytes: int
    #: All submitted files together.
    max_source_bytes: int
    max_stdin_bytes: int
    max_files: int
    max_args: int
    max_arg_bytes: int
    judge_max_tests: int
    judge_max_case_bytes: int
    judge_max_total_bytes: int
    batch_max_size: int


class ConfigOut(ResponseModel):
    #: Which class this request was served as.
    caller: Literal["anonymous", "account"]
    #: Whether anonymous callers may create executions.
    anonymous_enabled: bool
    rate_limits_enabled: bool
    #: How long `?wait=true` waits before answering 202.
    wait_timeout_s: float
    #: What each class of caller gets: signing in (or an API key) moves a caller to `account`.
    classes: dict[str, CallerClassOut]
    sizes: SizesOut


class ExecutionPage(ResponseModel):
    """One page of executions, newest first."""

    #: Executions, newest first (by creation time, then id).
    items: list[ExecutionOut]
    #: Pass as `cursor` for the next page; null on the last page.
    next_cursor: str | None


class FieldError(ResponseModel):
    #: Path to the offending field, e.g. ['body', 'limits', 'memory_mb'].
    loc: list[str | int]
    msg: str
    type: str


class FileOut(ResponseModel):
    name: str
    content: str


class ForkOrigin(ResponseModel):
    id: uuid.UUID
    #: The origin's revision the fork was made from.
    revision: int | None


class Health(ResponseModel):
    status: str
    checks: dict[str, str] = Field(default_factory=dict)


class HistoryScope(OpenEnum):
    mine = "mine"
    all = "all"


class IceServer(ResponseModel):
    """An RTCIceServer, as RTCPeerConnection takes it."""

    #: `stun:`, `turn:` or `turns:` URLs of one server kind.
    urls: list[str]
    #: TURN only: `<expiry, Unix seconds>:<participant id>` (coturn's REST API).
    username: str | None = None
    #: TURN only: base64 HMAC-SHA1 of `username` under the TURN server's shared secret.
    credential: str | None = None


class InFlightOut(ResponseModel):
    #: Your executions queued or running now.
    current: int
    #: At most this many at once; beyond it, creating one is a 429.
    limit: int
    #: Counted per account (all its API keys and sessions) or, for anonymous callers, per client
    #: address.
    scope: Literal["user", "address"]


class InviteCreate(RequestModel):
    role: Literal["editor", "viewer"]
    #: Seconds until the invite stops admitting anyone (a minute to 30 days; 7 days by default).
    expires_in_s: int = 604800
    #: Joins the invite admits at most; unlimited when omitted.
    max_uses: int | None = None


class InviteOut(ResponseModel):
    id: uuid.UUID
    role: Literal["editor", "viewer"]
    #: The invite's secret, only in the answer that created it (the server keeps its hash).
    token: str | None
    #: The web link to share (`.../collab/{id}#k=<token>`), with the token.
    url: str | None
    created_at: datetime.datetime
    expires_at: datetime.datetime | None
    max_uses: int | None
    #: Joins it admitted so far.
    uses: int
    revoked_at: datetime.datetime | None


class JoinIn(RequestModel):
    #: An invite's token (the link's `#k=`).
    invite: str | None = None
    #: The name others see, for callers without a profile name (guests are `Guest N` otherwise).
    display_name: str | None = None


class ParticipantOut(ResponseModel):
    id: uuid.UUID
    #: Null for an anonymous guest.
    user_id: uuid.UUID | None
    display_name: str
    #: The participant's cursor colour (`#rrggbb`), picked by join order.
    color: str
    role: Literal["editor", "viewer"]
    is_owner: bool
    #: Added by the owner by user id rather than through an invite.
    named_by_owner: bool
    joined_at: datetime.datetime
    #: Set once the owner revoked the participant (owner view only).
    revoked_at: datetime.datetime | None


class SessionLinks(ResponseModel):
    self: str
    #: The session's WebSocket (y-websocket protocol; see docs/api.md).
    socket: str
    #: The web app's page of the session.
    web: str


class SessionYou(ResponseModel):
    participant_id: uuid.UUID
    role: Literal["owner", "editor", "viewer"]


class SessionOut(ResponseModel):
    id: uuid.UUID
    snippet_id: uuid.UUID
    owner_id: uuid.UUID
    status: Literal["active", "ended"]
    #: The snippet revision the session's document started from.
    base_revision: int
    #: The snippet revision the session last saved, if any.
    last_saved_revision: int | None
    allow_anonymous: bool
    max_participants: int
    created_at: datetime.datetime
    ended_at: datetime.datetime | None
    last_activity_at: datetime.datetime
    #: The caller's place in the session.
    you: SessionYou
    #: In join order; revoked participants are listed to the owner only.
    participants: list[ParticipantOut]
    links: SessionLinks


class JoinOut(ResponseModel):
    session: SessionOut
    participant: ParticipantOut
    #: A credential: opens the session's socket as this participant (`?token=`) for 24 hours, like the
    #: `crh_collab` cookie set with this answer. Keep it secret.
    socket_token: str


class LanguageCount(ResponseModel):
    language: str
    count: int


class LanguageVersionOut(ResponseModel):
    #: The version's name; pass it (or a prefix of it or of `version`) as an execution's `version`.
    variant: str
    #: Version reported by the runtime itself; null until an executor reported it.
    version: str | None
    #: Whether an execution naming no version runs this one (the newest).
    default: bool
    name: str
    compiled: bool
    #: Default entry file name, e.g. `Main.java`.
    source_file: str
    #: File extensions that count as this language's sources.
    extensions: list[str]
    #: The compile command as argv (no shell); placeholders: `{entry}`, `{sources}` (every source file,
    #: entry first), `{flags}` (the submission's compile options), `{entry_base}`, `{main_class}`.
    compile_command: list[str] | None
    #: The run command as argv; the program's args follow it.
    run_command: list[str]
    #: Regular expressions; each compile option of a submission must match one entirely.
    compile_options: list[str]
    #: Libraries preinstalled for this version.
    libraries: list[str]


class LanguageOut(ResponseModel):
    id: str
    #: The language's name; each version has its own.
    name: str
    #: The default version as its runtime reports it; null until reported.
    version: str | None
    compiled: bool
    #: Default entry file name, e.g. `Main.java`.
    source_file: str
    extensions: list[str]
    #: The default version's allowed compile options (regular expressions matched entirely).
    compile_options: list[str]
    #: Every version offered, the default (newest) first.
    versions: list[LanguageVersionOut]


class Percentiles(ResponseModel):
    #: Median (continuous percentile); null without measurements.
    p50: float | None
    #: 95th percentile (continuous).
    p95: float | None


class LanguageRunStats(ResponseModel):
    language: str
    #: Run phases measured (judged executions, whose runs are per case, excluded).
    runs: int
    #: Wall-clock time of the run phase, in milliseconds.
    wall_time_ms: Percentiles
    #: Peak resident memory of the run phase, in KiB.
    memory_kb: Percentiles


class LanguageUsage(ResponseModel):
    """Executions per language, most used first."""

    #: `mine`, or `global` (administrators): everyone's executions.
    scope: AnalyticsScope
    #: Executions created at or after this time are counted.
    since: datetime.datetime
    #: ... and before this time.
    until: datetime.datetime
    #: Executions in the window.
    total: int
    items: list[LanguageCount]


class QueueOut(ResponseModel):
    #: Jobs due on the execution queue (everyone's, queued or running).
    depth: int
    #: While the queue holds this many, creating executions is a 503.
    limit: int


class LimitsOut(ResponseModel):
    #: Whether this gateway enforces rate limits (the queue bound always applies).
    enabled: bool
    #: Whose budgets these are: this API key's, this user's sessions', or this client address's.
    caller: Literal["anonymous", "user", "api_key"]
    budgets: list[BudgetOut]
    in_flight: InFlightOut
    queue: QueueOut


class ParticipantPut(RequestModel):
    role: Literal["editor", "viewer"]


class Problem(ResponseModel):
    """RFC 9457 problem details."""

    #: URI identifying the problem type.
    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    #: Field errors, for validation problems.
    errors: list[FieldError] | None = None


class RevisionOut(ResponseModel):
    snippet_id: uuid.UUID
    number: int
    title: str
    description: str
    language: str
    files: list[FileOut]
    created_at: datetime.datetime


class RevisionSummary(ResponseModel):
    number: int
    title: str
    language: str
    created_at: datetime.datetime


class RtcRooms(ResponseModel):
    #: The y-webrtc room syncing the document: editors only, `null` for viewers (who must not join one:
    #: y-webrtc applies any peer's update).
    document: str | None
    #: The y-webrtc room for voice: every participant.
    voice: str


class RtcConfig(ResponseModel):
    #: The path of the session's signaling WebSocket (y-webrtc's `signaling` option, on this API's host
    #: with `ws:` or `wss:`), admitted like the session's socket.
    signaling_url: str
    #: Room names (y-webrtc topics), stable for the session's life.
    rooms: RtcRooms
    #: RTCPeerConnection's `iceServers`; empty when the deployment has none (host candidates only).
    ice_servers: list[IceServer]
    #: RTCPeerConnection's `iceTransportPolicy`: `relay` hides participants' addresses from each other.
    ice_transport_policy: Literal["all", "relay"]
    #: When the TURN credentials expire (fetch this again before); `null` without TURN servers.
    expires_at: datetime.datetime | None
    #: The largest document update the session's socket takes (`collab_max_frame_bytes`). Updates from
    #: peers skip the server's checks: a client refuses a larger one, as the server would.
    max_update_bytes: int
    #: The largest document the server keeps (its encoded state, `collab_max_state_bytes`): a client
    #: refuses peers' updates that would grow the document past it, and stops syncing the document with
    #: peers.
    max_document_bytes: int


class RunStats(ResponseModel):
    """Run time and memory percentiles per language, most runs first."""

    #: `mine`, or `global` (administrators): everyone's executions.
    scope: AnalyticsScope
    #: Executions created at or after this time are counted.
    since: datetime.datetime
    #: ... and before this time.
    until: datetime.datetime
    items: list[LanguageRunStats]


class SaveOut(ResponseModel):
    snippet_id: uuid.UUID
    #: The snippet's revision holding the session's files.
    revision: int
    #: False when the snippet already held these files (no revision was added).
    saved: bool


class SessionCreate(RequestModel):
    #: Let callers without an account join, as viewers (with or without an invite).
    allow_anonymous: bool = False
    #: Participants at most, the owner included (default: the server's, 10).
    max_participants: int | None = None


class SessionUpdate(RequestModel):
    """Omitted fields keep their value."""

    #: New anonymous joins; guests already admitted stay until revoked.
    allow_anonymous: bool | None = None
    #: Applies to new joins; nobody admitted is removed by lowering it.
    max_participants: int | None = None


class SharedRunCreate(RequestModel):
    """How to run the session's files: the same options as running a snippet."""

    #: Data sent to the program's standard input.
    stdin: str = ""
    #: Command-line arguments passed to the program.
    args: list[str] = Field(default_factory=list)
    #: Required language version (prefix match).
    version: str | None = None
    #: Compiler flags (see GET /v1/languages).
    compile_options: list[str] = Field(default_factory=list)
    #: Limits of the run phase.
    limits: LimitsIn | None = None
    #: Limits of the compile phase.
    compile_limits: LimitsIn | None = None
    #: Cancel the session's current run if it is still going, instead of a 409.
    replace: bool = False
    #: Run it interactively: editors type its input as it runs (POST .../input); `stdin`, if given, is
    #: its first input.
    interactive: bool = False


class SharedRunInput(RequestModel):
    """Input for an interactive shared run: text, or the end of input."""

    #: Text sent to the program's standard input.
    data: str | None = None
    #: Close the program's standard input (after `data`, if both).
    eof: bool = False


class SharedRunOut(ResponseModel):
    execution_id: uuid.UUID
    runner_participant_id: uuid.UUID
    runner_name: str
    started_at: datetime.datetime
    #: The WebSocket URL every participant streams the run from.
    stream: str
    #: Editors type its input (POST .../input).
    interactive: bool = False


class SnippetCreate(RequestModel):
    title: str
    #: Language id from GET /v1/languages.
    language: str
    #: Source files (relative paths). The entry is the language's conventional file name (e.g.
    #: `main.py`, `Main.java`) when present, else the first file.
    files: list[FileIn]
    description: str = ""
    #: `private`: only the owner (and admins); `unlisted`: anyone holding the share link
    #: (`links.share`, shown to the owner), never listed; `public`: anyone, listed in GET
    #: /v1/snippets/public.
    visibility: Literal["private", "unlisted", "public"] = "private"


class SnippetLinks(ResponseModel):
    self: str
    revisions: str
    run: str
    #: The share link (owner only); it works while the snippet is not private.
    share: str | None


class SnippetMetrics(ResponseModel):
    """Code metrics of the snippet's current revision (lizard, computed once it is saved)."""

    #: The revision measured: always the current one.
    revision: int
    language: str
    #: Lines of all the files.
    lines: int
    #: Lines with code (lizard's NLOC; non-blank lines where it reads no file).
    code_lines: int
    #: Functions found; null where lizard reads none of the files.
    functions: int | None
    #: The highest cyclomatic complexity of a function; null without any.
    ccn_max: int | None
    #: The mean cyclomatic complexity of its functions; null without any.
    ccn_avg: float | None
    #: When the revision was saved.
    computed_at: datetime.datetime


class SnippetOut(ResponseModel):
    id: uuid.UUID
    owner_id: uuid.UUID
    title: str
    description: str
    language: str
    visibility: Literal["private", "unlisted", "public"]
    #: The current (latest) revision number.
    revision: int
    forked_from: ForkOrigin | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    links: SnippetLinks
    files: list[FileOut]
    #: Code metrics of the current revision: null until an executor has computed them (about a second
    #: after a save), and where they could not be (a tool limit).
    metrics: SnippetMetrics | None = None


class SnippetSummary(ResponseModel):
    id: uuid.UUID
    owner_id: uuid.UUID
    title: str
    description: str
    language: str
    visibility: Literal["private", "unlisted", "public"]
    #: The current (latest) revision number.
    revision: int
    forked_from: ForkOrigin | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    links: SnippetLinks
    #: Code metrics of the current revision: null until an executor has computed them (about a second
    #: after a save), and where they could not be (a tool limit).
    metrics: SnippetMetrics | None = None


class SnippetPage(ResponseModel):
    items: list[SnippetSummary]
    #: Pass as `cursor` for the next page; null on the last page.
    next_cursor: str | None


class SnippetRun(RequestModel):
    """How to run a snippet: the same options as POST /v1/executions, minus the code."""

    #: Data sent to the program's standard input.
    stdin: str = ""
    #: Command-line arguments passed to the program.
    args: list[str] = Field(default_factory=list)
    #: Required language version (prefix match).
    version: str | None = None
    #: Compiler flags (see GET /v1/languages).
    compile_options: list[str] = Field(default_factory=list)
    #: Limits of the run phase.
    limits: LimitsIn | None = None
    #: Limits of the compile phase.
    compile_limits: LimitsIn | None = None


class SnippetUpdate(RequestModel):
    """Omitted fields keep their value. A change of title, description, language or files is a new revision."""

    title: str | None = None
    description: str | None = None
    language: str | None = None
    files: list[FileIn] | None = None
    #: `private`: only the owner (and admins); `unlisted`: anyone holding the share link
    #: (`links.share`, shown to the owner), never listed; `public`: anyone, listed in GET
    #: /v1/snippets/public.
    visibility: Literal["private", "unlisted", "public"] | None = None
    #: Refuse the update (409) unless this is still the current revision (like `If-Match`).
    expected_revision: int | None = None


class StreamTicketCreate(RequestModel):
    #: Bind the ticket to this execution: it then opens only that execution's stream. Without it, the
    #: ticket opens any one of the caller's WebSockets (a stream or an interactive session).
    execution_id: uuid.UUID | None = None


class StreamTicketOut(ResponseModel):
    #: Add `?ticket=<ticket>` to the WebSocket URL. Single use.
    ticket: str
    #: Unused past this instant, the ticket is refused.
    expires_at: datetime.datetime
    #: The execution the ticket is bound to, if any.
    execution_id: uuid.UUID | None


class SubmittedFileOut(ResponseModel):
    name: str
    content: str
    #: `text`, or `base64` for a binary input file.
    encoding: Literal["text", "base64"] = "text"


class SubmissionOut(ResponseModel):
    """What was submitted: the code and its input, for showing an execution from history."""

    id: uuid.UUID
    language: str
    version: str | None
    #: Source files, the entry point first.
    files: list[SubmittedFileOut]
    #: Standard input (UTF-8; empty for interactive runs).
    stdin: str
    args: list[str]
    compile_options: list[str]
    interactive: bool
    #: The snippet this execution ran, if any.
    snippet_id: uuid.UUID | None


class TimelinePoint(ResponseModel):
    #: Start of the bucket (UTC).
    start: datetime.datetime
    count: int


class Timeline(ResponseModel):
    """Executions per hour or day (UTC buckets), every bucket of the window listed, empty ones as 0."""

    #: `mine`, or `global` (administrators): everyone's executions.
    scope: AnalyticsScope
    #: Executions created at or after this time are counted.
    since: datetime.datetime
    #: ... and before this time.
    until: datetime.datetime
    bucket: Bucket
    #: Executions in the window.
    total: int
    items: list[TimelinePoint]


class VerdictCount(ResponseModel):
    verdict: Verdict
    count: int


class VerdictDistribution(ResponseModel):
    """Finished executions per verdict, most frequent first."""

    #: `mine`, or `global` (administrators): everyone's executions.
    scope: AnalyticsScope
    #: Executions created at or after this time are counted.
    since: datetime.datetime
    #: ... and before this time.
    until: datetime.datetime
    #: Finished executions in the window (the sum of `items`).
    finished: int
    #: Executions in the window still queued or running.
    unfinished: int
    items: list[VerdictCount]


class WebhookSecretOut(ResponseModel):
    #: Signs every webhook POSTed for your executions: the `CodeRunHub-Signature` header is `t=<unix
    #: seconds>,v1=<hex HMAC-SHA256(secret, '<t>.' + raw body)>`.
    secret: str
    created_at: datetime.datetime
    #: When the secret was last replaced, if ever.
    rotated_at: datetime.datetime | None
    #: The header carrying the signature.
    signature_header: str = "CodeRunHub-Signature"
    #: The header naming the event.
    event_header: str = "CodeRunHub-Event"
