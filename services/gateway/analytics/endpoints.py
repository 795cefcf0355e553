"""Analytics: usage statistics over the caller's executions (administrators: everyone's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.gateway.analytics import service
from services.gateway.analytics.repository import Window
from services.gateway.analytics.schemas import (
    AnalyticsScope,
    Bucket,
    CodeMetricsTimeline,
    LanguageUsage,
    RunStats,
    Timeline,
    VerdictDistribution,
)
from services.gateway.auth.access import ExecutionsRead
from services.gateway.deps import SessionDep, SettingsDep
from shared.problems import documented_problem, problem_responses

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])


RESPONSES: dict[int | str, dict[str, Any]] = {
    **problem_responses(422),
    401: documented_problem("Needs a signed-in user or an API key"),
    403: documented_problem("The API key lacks executions:read, or `scope=global` without the admin role"),
}

WINDOW = (
    "Counts executions created in [`since`, `until`): by default the last 30 days. Times are ISO 8601 "
    "(UTC without an offset). Needs an account (`executions:read` for API keys); administrators may ask "
    "for `scope=global`: everyone's executions, anonymous ones included."
)

ScopeQuery = Annotated[
    AnalyticsScope, Query(description="`mine`, or `global` (administrators): everyone's executions.")
]
SinceQuery = Annotated[
    datetime | None,
    Query(
        description="Start of the window (inclusive); `until` minus 30 days by default.",
        examples=["2026-11-01T00:00:00Z"],
    ),
]
UntilQuery = Annotated[
    datetime | None,
    Query(description="End of the window (exclusive); now by default.", examples=["2026-12-01T00:00:00Z"]),
]


@dataclass(frozen=True, slots=True)
class ViewArgs:
    """What every view is asked about: whose executions, over which window."""

    scope: AnalyticsScope
    span: Window


async def _query(
    settings: SettingsDep,
    principal: ExecutionsRead,
    scope: ScopeQuery = AnalyticsScope.mine,
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> ViewArgs:
    return ViewArgs(scope, service.window(principal, settings, scope, since, until))


ViewQuery = Annotated[ViewArgs, Depends(_query)]


@router.get(
    "/languages",
    response_model=LanguageUsage,
    summary="Most-used languages",
    description="Executions per language, most used first. " + WINDOW,
    responses=RESPONSES,
)
async def get_language_usage(session: SessionDep, query: ViewQuery) -> LanguageUsage:
    return await service.languages(session, query.scope, query.span)


@router.get(
    "/timeline",
    response_model=Timeline,
    summary="Executions over time",
    description="Executions per hour or per day (UTC buckets); every bucket of the window is listed, "
    "empty ones with 0, at most 2,400 of them. " + WINDOW,
    responses=RESPONSES,
)
async def get_execution_timeline(
    session: SessionDep,
    settings: SettingsDep,
    query: ViewQuery,
    bucket: Annotated[Bucket, Query(description="Bucket width.")] = Bucket.day,
) -> Timeline:
    return await service.timeline(session, settings, query.scope, query.span, bucket)


@router.get(
    "/verdicts",
    response_model=VerdictDistribution,
    summary="Verdict distribution",
    description="Finished executions per verdict, most frequent first, and how many are still unfinished. " + WINDOW,
    responses=RESPONSES,
)
async def get_verdict_distribution(session: SessionDep, query: ViewQuery) -> VerdictDistribution:
    return await service.verdicts(session, query.scope, query.span)


@router.get(
    "/run-stats",
    response_model=RunStats,
    summary="Run time and memory by language",
    description="Median and 95th percentile (continuous) of the run phase's wall time and peak memory, "
    "per language, most runs first. " + WINDOW,
    responses=RESPONSES,
)
async def get_run_stats(session: SessionDep, query: ViewQuery) -> RunStats:
    return await service.run_stats(session, query.scope, query.span)


@router.get(
    "/code-metrics",
    response_model=CodeMetricsTimeline,
    summary="Code metrics over time",
    description="The code metrics of the snippets saved per hour or day (UTC buckets): how many, their lines "
    "and functions, the mean and the highest cyclomatic complexity (each snippet counted once per bucket, at its "
    "last revision saved in it; see GET /v1/snippets/{id} `metrics`). Every bucket of the window is listed, "
    "empty ones with 0 and nulls, at most 2,400 of them. The window is over the revisions' save times; "
    "`scope=global` (administrators) covers everyone's snippets. Needs an account (`executions:read` for API keys).",
    responses=RESPONSES,
)
async def get_code_metrics_timeline(
    session: SessionDep,
    settings: SettingsDep,
    query: ViewQuery,
    bucket: Annotated[Bucket, Query(description="Bucket width.")] = Bucket.day,
) -> CodeMetricsTimeline:
    return await service.code_metrics(session, settings, query.scope, query.span, bucket)
