"""Code metrics of saved snippets: a `metrics` analysis queued once a save has committed.

Nobody waits for it. The job carries ``persist`` (the snippet and revision), and the executor
that runs it writes the code_metrics row (services/executor/code_metrics.py says why there),
also when the same files' result is already cached. The job goes on the analysis queue like an
editor's, under the same cache key as `POST /v1/analyses` with `checks: ["metrics"]` for the
same files, but charged to no one's budget: the save was. Queueing never fails the save: a
full queue, Redis trouble or no executor offering lizard yet leave the revision without
metrics, logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, cast

from services.gateway.analyses.service import analysis_key, reported_tools
from services.gateway.state import GatewayState
from shared.analysis.model import AnalysisFile, AnalysisJob, Check, MetricsTarget, ToolVersion
from shared.analysis.tools import LIZARD
from shared.languages import LANGUAGES
from shared.redis_keys import ANALYSIS_QUEUE

logger = logging.getLogger("coderunhub.gateway.analyses")

CHECKS: list[Check] = ["metrics"]
# An executor runs the job when it gets to it; past this it is dropped (the revision keeps no metrics).
DEADLINE_S = 3_600.0
# Queueing runs after the save's commit, inside its request: it may delay the answer this much at most.
QUEUE_TIMEOUT_S = 1.0


async def queue_snippet_metrics(
    state: GatewayState,
    *,
    snippet_id: uuid.UUID,
    revision: int,
    language: str,
    files: Sequence[Mapping[str, Any]],
) -> bool:
    """Queue the metrics of a committed revision; False (logged) when they cannot be."""
    try:
        async with asyncio.timeout(QUEUE_TIMEOUT_S):
            return await _queue(state, snippet_id, revision, language, files)
    except Exception:
        logger.warning("metrics of snippet %s revision %d not queued", snippet_id, revision, exc_info=True)
        return False


async def _queue(
    state: GatewayState, snippet_id: uuid.UUID, revision: int, language_id: str, files: Sequence[Mapping[str, Any]]
) -> bool:
    language = LANGUAGES.get(language_id)
    version = (await reported_tools(state)).get(LIZARD.name)
    if language is None or version is None:
        logger.info("metrics of snippet %s not queued: no executor offers %s yet", snippet_id, LIZARD.name)
        return False
    sources = sorted(
        (AnalysisFile(name=str(file["name"]), content=str(file["content"])) for file in files),
        key=lambda file: file.name,
    )
    key = analysis_key(language, CHECKS, [ToolVersion(name=LIZARD.name, version=version)], False, sources)
    job = AnalysisJob(
        key=key,
        language=language.id,
        variant=language.variant,
        checks=CHECKS,
        files=sources,
        anonymous=False,
        deadline=time.time() + DEADLINE_S,
        persist=MetricsTarget(snippet_id=snippet_id, revision=revision),
    )
    depth = int(await cast(Awaitable[int], state.redis.llen(ANALYSIS_QUEUE)))
    if depth >= state.settings.max_queued_analyses:
        logger.warning("metrics of snippet %s revision %d not queued: the analysis queue is full", snippet_id, revision)
        return False
    await cast(Awaitable[int], state.redis.lpush(ANALYSIS_QUEUE, job.model_dump_json()))
    return True
