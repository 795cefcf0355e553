"""Analytics rules: whose executions a view covers, its time window, and shaping the aggregates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.analytics import repository as repo
from services.gateway.analytics.schemas import (
    AnalyticsScope,
    Bucket,
    CodeMetricsPoint,
    CodeMetricsTimeline,
    LanguageCount,
    LanguageRunStats,
    LanguageUsage,
    Percentiles,
    RunStats,
    Timeline,
    TimelinePoint,
    VerdictCount,
    VerdictDistribution,
)
from services.gateway.auth.principal import Principal
from services.gateway.paging import as_utc
from shared.problems import ProblemError, ValidationProblem
from shared.settings import GatewaySettings

STEPS = {Bucket.hour: timedelta(hours=1), Bucket.day: timedelta(days=1)}


def window(
    principal: Principal,
    settings: GatewaySettings,
    scope: AnalyticsScope,
    since: datetime | None,
    until: datetime | None,
) -> repo.Window:
    if scope is AnalyticsScope.global_ and not principal.is_admin:
        raise ProblemError(403, "forbidden", "Forbidden", "Only administrators may see global analytics.")
    end = as_utc(until, "until") or datetime.now(UTC)
    try:
        start = as_utc(since, "since") or end - timedelta(days=settings.analytics_default_days)
    except OverflowError as exc:
        raise ValidationProblem.for_field(
            ["until"], "too early for the default window; give `since`", source="query"
        ) from exc
    if start >= end:
        raise ValidationProblem.for_field(["since"], "must be before `until`", source="query")
    if end - start > timedelta(days=settings.analytics_max_days):
        raise ValidationProblem.for_field(
            ["since"], f"the window may span at most {settings.analytics_max_days} days", source="query"
        )
    return repo.Window(principal.user_id if scope is AnalyticsScope.mine else None, start, end)


def _truncate(moment: datetime, bucket: Bucket) -> datetime:
    moment = moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if bucket is Bucket.day else moment


async def languages(session: AsyncSession, scope: AnalyticsScope, span: repo.Window) -> LanguageUsage:
    items = [LanguageCount(language=language, count=count) for language, count in await repo.languages(session, span)]
    return LanguageUsage(
        scope=scope, since=span.since, until=span.until, total=sum(i.count for i in items), items=items
    )


def _buckets(settings: GatewaySettings, span: repo.Window, bucket: Bucket) -> list[datetime]:
    """The starts of every bucket of the window (422 when there are too many)."""
    first, step = _truncate(span.since, bucket), STEPS[bucket]
    buckets = -(-(span.until - first) // step)
    if buckets > settings.analytics_max_buckets:
        raise ValidationProblem.for_field(
            ["bucket"],
            f"{buckets} buckets; at most {settings.analytics_max_buckets}: narrow the window",
            source="query",
        )
    return [first + i * step for i in range(buckets)]


async def timeline(
    session: AsyncSession, settings: GatewaySettings, scope: AnalyticsScope, span: repo.Window, bucket: Bucket
) -> Timeline:
    starts = _buckets(settings, span, bucket)
    counts = {start.astimezone(UTC): count for start, count in await repo.timeline(session, span, bucket.value)}
    items = [TimelinePoint(start=start, count=counts.get(start, 0)) for start in starts]
    return Timeline(
        scope=scope,
        since=span.since,
        until=span.until,
        bucket=bucket,
        total=sum(counts.values()),
        items=items,
    )


async def verdicts(session: AsyncSession, scope: AnalyticsScope, span: repo.Window) -> VerdictDistribution:
    rows = await repo.verdicts(session, span)
    items = [VerdictCount(verdict=verdict, count=count) for verdict, count in rows if verdict is not None]
    unfinished = sum(count for verdict, count in rows if verdict is None)
    return VerdictDistribution(
        scope=scope,
        since=span.since,
        until=span.until,
        finished=sum(i.count for i in items),
        unfinished=unfinished,
        items=items,
    )


def _ms(value: float | None) -> float | None:
    return round(value / 1000, 3) if value is not None else None


def _pair(values: list[float | None] | None) -> tuple[float | None, float | None]:
    # percentile_cont over no (non-null) values is null, not an array of nulls.
    return (values[0], values[1]) if values else (None, None)


async def run_stats(session: AsyncSession, scope: AnalyticsScope, span: repo.Window) -> RunStats:
    items = [
        LanguageRunStats(
            language=language,
            runs=runs,
            wall_time_ms=Percentiles(p50=_ms(_pair(wall)[0]), p95=_ms(_pair(wall)[1])),
            memory_kb=Percentiles(p50=_pair(memory)[0], p95=_pair(memory)[1]),
        )
        for language, runs, wall, memory in await repo.run_stats(session, span)
    ]
    return RunStats(scope=scope, since=span.since, until=span.until, items=items)


async def code_metrics(
    session: AsyncSession, settings: GatewaySettings, scope: AnalyticsScope, span: repo.Window, bucket: Bucket
) -> CodeMetricsTimeline:
    starts = _buckets(settings, span, bucket)
    found = {
        start.astimezone(UTC): CodeMetricsPoint(
            start=start.astimezone(UTC),
            snippets=snippets,
            lines=lines,
            functions=functions,
            ccn_avg=round(ccn_avg, 2) if ccn_avg is not None else None,
            ccn_max=ccn_max,
        )
        for start, snippets, lines, functions, ccn_max, ccn_avg in await repo.code_metrics(session, span, bucket.value)
    }
    empty = {"snippets": 0, "lines": 0, "functions": 0, "ccn_avg": None, "ccn_max": None}
    items = [found.get(start) or CodeMetricsPoint(start=start, **empty) for start in starts]
    return CodeMetricsTimeline(scope=scope, since=span.since, until=span.until, bucket=bucket, items=items)
