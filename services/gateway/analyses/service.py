"""Requesting an analysis: validated as an execution would be, answered from the cache when the
same files were analysed with the same tools lately, otherwise queued once (however many callers
ask at the same moment) and waited for.

The key is a hash of everything that decides the answer (the result schema, the tools and their
versions, the language version, the checks, the caller class's limits, the files), so a cached
answer is exactly what running the tools again would give. Waiting subscribes to the key's done
channel through the gateway's one pub/sub connection (relay.EventHub) before anything is queued;
the request that wins the pending marker queues the job, the others only wait. Nothing is
written to PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Sequence
from typing import cast

from pydantic import ValidationError

from services.gateway.analyses.schemas import AnalyserOut, AnalysisRequest, AnalysisResult, ToolVersion
from services.gateway.auth.principal import Principal
from services.gateway.executions.queueing import versions_or_empty
from services.gateway.executions.schemas import ExecutionCreate, FileIn
from services.gateway.executions.service import build_execution
from services.gateway.ratelimit.analyses import analysis_slot
from services.gateway.ratelimit.service import Caller
from services.gateway.state import GatewayState
from shared.analysis.base import Tool, reported_version
from shared.analysis.model import SCHEMA_VERSION, AnalysisFile, AnalysisJob, AnalysisStatus, Check
from shared.analysis.tools import ANALYSERS, tools_for
from shared.languages import BY_KEY, LANGUAGES, Language
from shared.problems import ProblemError
from shared.redis_keys import ANALYSIS_QUEUE, ANALYSIS_TOOLS, analysis_done, analysis_pending, analysis_result

logger = logging.getLogger("coderunhub.gateway.analyses")

# The winner's marker outlives its wait a little: a request arriving just after the job was
# queued waits for that job rather than queueing another.
PENDING_TTL_S = 15
QUEUE_FULL_RETRY_AFTER_S = 2
UNAVAILABLE_RETRY_AFTER_S = 5


async def reported_tools(state: GatewayState) -> dict[str, str]:
    """Tool name -> the version executors found in their analysis image."""
    raw = await cast(Awaitable[dict[bytes, bytes]], state.redis.hgetall(ANALYSIS_TOOLS))
    versions: dict[str, str] = {}
    for name, value in raw.items():
        try:
            versions[name.decode()] = str(json.loads(value)["version"])
        except (ValueError, KeyError, TypeError):
            continue
    return versions


def analysis_key(
    language: Language,
    checks: Sequence[Check],
    tools: Sequence[ToolVersion],
    anonymous: bool,
    files: list[AnalysisFile],
) -> str:
    material = [
        SCHEMA_VERSION,
        [[tool.name, tool.version] for tool in tools],
        language.id,
        language.variant,
        list(checks),
        # The caller class's limits can decide the outcome (a timeout under the anonymous ones).
        "anonymous" if anonymous else "account",
        [[file.name, file.content] for file in files],
    ]
    return hashlib.sha256(json.dumps(material, ensure_ascii=False).encode()).hexdigest()


def _validated(
    payload: AnalysisRequest, state: GatewayState, versions: dict[str, str], principal: Principal
) -> Language:
    """The language version, once the files passed an execution's checks (names, count, sizes,
    text): 422 or 413 otherwise, with the same field errors an execution gets."""
    execution = build_execution(
        ExecutionCreate(
            language=payload.language,
            version=payload.version,
            files=[FileIn(name=file.name, content=file.content) for file in payload.files],
        ),
        state.settings,
        versions,
        user_id=principal.user_id,
    )
    return BY_KEY[f"{execution.language}@{execution.variant}"]


def unavailable(detail: str) -> ProblemError:
    return ProblemError(
        503,
        "analysis-unavailable",
        "Analysis unavailable",
        detail,
        headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER_S)},
    )


async def read_cached(state: GatewayState, key: str) -> AnalysisResult | None:
    raw = await state.redis.get(analysis_result(key))
    if raw is None:
        return None
    try:
        return AnalysisResult.model_validate_json(raw).model_copy(update={"cached": True})
    except ValidationError:
        logger.warning("unreadable cached analysis %s", key)
        return None


async def request_analysis(
    state: GatewayState, principal: Principal, caller: Caller | None, payload: AnalysisRequest
) -> AnalysisResult | str:
    """The result (cached, or fresh within the wait), or the key to poll when it is not ready yet."""
    versions = await versions_or_empty(state)
    language = _validated(payload, state, versions, principal)
    checks: list[Check] = sorted(set(payload.checks))
    files = sorted(payload.files, key=lambda file: file.name)
    anonymous = principal.user_id is None
    needed = tools_for(language.id, checks, language.variant)
    if not needed:
        key = analysis_key(language, checks, [], anonymous, files)
        return AnalysisResult(
            id=key,
            language=language.id,
            version=language.variant,
            status=AnalysisStatus.unsupported,
            detail=f"No analyser for {language.id} yet; analysed languages: {', '.join(sorted(ANALYSERS))}.",
        )
    reported = await reported_tools(state)
    # Each tool's version is part of the key: the analysis image's as probed, a compiler's its runtime's.
    found = {tool: reported_version(tool, reported, versions) for tool in needed}
    missing = [tool.name for tool, version in found.items() if version is None]
    if missing:
        raise unavailable(f"No executor offers {', '.join(missing)} yet; retry shortly.")
    tools = [ToolVersion(name=tool.name, version=found[tool] or "") for tool in needed]
    key = analysis_key(language, checks, tools, anonymous, files)
    # Cache hits cost the budget (already charged) but no slot: nothing runs for them.
    if (cached := await read_cached(state, key)) is not None:
        return cached
    job = AnalysisJob(
        key=key,
        language=language.id,
        variant=language.variant,
        checks=checks,
        files=files,
        anonymous=anonymous,
        deadline=time.time() + state.settings.analysis_wait_s,
    )
    async with analysis_slot(state, caller):
        return await _queue_and_wait(state, job)


async def _queue_and_wait(state: GatewayState, job: AnalysisJob) -> AnalysisResult | str:
    key = job.key
    wait_s = state.settings.analysis_wait_s
    try:
        subscription = state.hub.subscribe(analysis_done(key))
        async with subscription as sub:
            # Cached between the first look and the subscription: no message will come for it.
            if (cached := await read_cached(state, key)) is not None:
                return cached
            if await state.redis.set(analysis_pending(key), "1", nx=True, ex=PENDING_TTL_S):
                await _enqueue(state, job)
            deadline = time.monotonic() + wait_s
            while (left := deadline - time.monotonic()) > 0:
                message = await sub.next(left)
                if message is not None:
                    return AnalysisResult.model_validate_json(message)
                if sub.take_gap() and (cached := await read_cached(state, key)) is not None:
                    # A message may have been lost (a reconnect): the cache has the result.
                    return cached
    except TimeoutError as exc:
        # The pub/sub connection did not confirm the subscription (Redis is struggling).
        raise unavailable("Results cannot be waited for right now; retry shortly.") from exc
    return (await read_cached(state, key)) or key


async def _enqueue(state: GatewayState, job: AnalysisJob) -> None:
    limit = state.settings.max_queued_analyses
    depth = int(await cast(Awaitable[int], state.redis.llen(ANALYSIS_QUEUE)))
    if depth >= limit:
        await state.redis.delete(analysis_pending(job.key))
        raise ProblemError(
            503,
            "queue-full",
            "Queue full",
            f"The analysis queue is full ({depth} of {limit} jobs); retry later.",
            headers={"Retry-After": str(QUEUE_FULL_RETRY_AFTER_S)},
        )
    await cast(Awaitable[int], state.redis.lpush(ANALYSIS_QUEUE, job.model_dump_json()))


async def pending(state: GatewayState, key: str) -> bool:
    return bool(await state.redis.exists(analysis_pending(key)))


async def list_analysers(state: GatewayState) -> list[AnalyserOut]:
    """One entry per language, or per version where the versions' tools differ (compilers)."""
    reported = await reported_tools(state)
    runtimes = await versions_or_empty(state)
    items = []
    for language_id, found in sorted(ANALYSERS.items()):
        variants = [language.variant for language in BY_KEY.values() if language.id == language_id]
        toolsets = {variant: tools_for(language_id, list(found.tools(variant)), variant) for variant in variants}
        shared = len({tuple(tools) for tools in toolsets.values()}) <= 1
        for variant in [None] if shared else variants:
            tools: list[Tool] = toolsets[variant] if variant else tools_for(language_id, list(found.checks))
            versions = {tool: reported_version(tool, reported, runtimes) for tool in tools}
            items.append(
                AnalyserOut(
                    language=language_id,
                    version=variant,
                    checks=sorted(found.tools(variant)),
                    # Until an executor reported it: the pinned version (a compiler's is its runtime's).
                    tools=[ToolVersion(name=tool.name, version=versions[tool] or tool.version) for tool in tools],
                    available=None not in versions.values() and language_id in LANGUAGES,
                )
            )
    return items
