"""Every SQL statement of the analytics feature: aggregates computed in PostgreSQL.

Per user they run as index-only scans of ix_executions_user_created_id, globally of
ix_executions_created_id (the run percentiles included: their columns are in both).
The statements are built apart from running them so the bench can EXPLAIN them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeVarTuple

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Float,
    Interval,
    Row,
    Select,
    func,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY, array, distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from shared.db.models import CodeMetric, Execution

_Ts = TypeVarTuple("_Ts")
BucketName = Literal["hour", "day"]


@dataclass(frozen=True, slots=True)
class Window:
    # None: everyone's executions (admins).
    user_id: uuid.UUID | None
    since: datetime
    until: datetime


def _within(stmt: Select[*_Ts], window: Window) -> Select[*_Ts]:
    stmt = stmt.where(Execution.created_at >= window.since, Execution.created_at < window.until)
    if window.user_id is not None:
        stmt = stmt.where(Execution.user_id == window.user_id)
    return stmt


def languages_stmt(window: Window) -> Select[str, int]:
    count = func.count().label("count")
    stmt = _within(select(Execution.language, count), window).group_by(Execution.language)
    return stmt.order_by(count.desc(), Execution.language)


def _bucket_start(column: InstrumentedAttribute[datetime], bucket: BucketName) -> ColumnElement[datetime]:
    # Buckets are cut in UTC whatever the session's time zone: date_bin from a UTC midnight is plain
    # arithmetic (date_trunc with a zone converts every row, about three times slower). The stride is
    # a literal from a closed set, so the GROUP BY expression is the very one selected.
    stride = literal_column("interval '1 hour'" if bucket == "hour" else "interval '1 day'", Interval)
    origin = literal_column("timestamptz '2000-01-01 00:00:00+00'", DateTime(timezone=True))
    return func.date_bin(stride, column, origin, type_=DateTime(timezone=True))


def timeline_stmt(window: Window, bucket: BucketName) -> Select[datetime, int]:
    start = _bucket_start(Execution.created_at, bucket)
    stmt = _within(select(start.label("start"), func.count()), window)
    return stmt.group_by(literal_column("1")).order_by(literal_column("1"))


def verdicts_stmt(window: Window) -> Select[str | None, int]:
    count = func.count().label("count")
    stmt = _within(select(Execution.verdict, count), window).group_by(Execution.verdict)
    return stmt.order_by(count.desc(), Execution.verdict)


def run_stats_stmt(window: Window) -> Select[str, int, list[float | None] | None, list[float | None] | None]:
    """Per language: runs, [p50, p95] of wall time (us) and [p50, p95] of peak memory (KiB).

    The run's measurements are on the execution row and in the covering indexes (migration 0009):
    no join to the phases. Both percentiles of a measure come from one ordered-set aggregate: one
    sort, not two."""
    quantiles = array([0.5, 0.95], type_=Float)
    runs = func.count().label("runs")
    stmt = _within(
        select(
            Execution.language,
            runs,
            type_coerce(func.percentile_cont(quantiles).within_group(Execution.run_wall_time_us), ARRAY(Float)),
            type_coerce(func.percentile_cont(quantiles).within_group(Execution.run_memory_kb), ARRAY(Float)),
            # Executions whose run phase left a measurement (either one may be missing).
        ).where(or_(Execution.run_wall_time_us.is_not(None), Execution.run_memory_kb.is_not(None))),
        window,
    )
    return stmt.group_by(Execution.language).order_by(runs.desc(), Execution.language)


async def languages(session: AsyncSession, window: Window) -> Sequence[Row[str, int]]:
    return (await session.execute(languages_stmt(window))).all()


async def timeline(session: AsyncSession, window: Window, bucket: BucketName) -> Sequence[Row[datetime, int]]:
    return (await session.execute(timeline_stmt(window, bucket))).all()


async def verdicts(session: AsyncSession, window: Window) -> Sequence[Row[str | None, int]]:
    """Counts per verdict; a None verdict counts the executions not finished yet."""
    return (await session.execute(verdicts_stmt(window))).all()


async def run_stats(
    session: AsyncSession, window: Window
) -> Sequence[Row[str, int, list[float | None] | None, list[float | None] | None]]:
    return (await session.execute(run_stats_stmt(window))).all()


CodeMetricsRow = Row[datetime, int, int, int, int | None, float | None]


def code_metrics_stmt(window: Window, bucket: BucketName) -> Select[datetime, int, int, int, int | None, float | None]:
    """Per bucket of the window: snippets saved, and of their last revision saved in the bucket
    the lines and functions (summed), the highest CCN and the mean CCN over all their functions.

    A scan of ix_code_metrics_owner_created (per user); DISTINCT ON keeps each snippet's latest
    revision per bucket, so a snippet saved ten times in a day counts once."""
    start = _bucket_start(CodeMetric.created_at, bucket).label("start")
    latest = select(start, CodeMetric.lines, CodeMetric.functions, CodeMetric.ccn_max, CodeMetric.ccn_avg).where(
        CodeMetric.created_at >= window.since, CodeMetric.created_at < window.until
    )
    if window.user_id is not None:
        latest = latest.where(CodeMetric.owner_id == window.user_id)
    latest = latest.ext(distinct_on(start, CodeMetric.snippet_id)).order_by(
        start, CodeMetric.snippet_id, CodeMetric.revision.desc()
    )
    rows = latest.subquery("latest")
    functions = func.coalesce(func.sum(rows.c.functions), 0)
    # The mean over functions: each revision's mean weighted by its function count.
    ccn_avg = func.sum(rows.c.ccn_avg * rows.c.functions) / func.nullif(func.sum(rows.c.functions), 0)
    stmt = select(
        rows.c.start,
        func.count(),
        func.coalesce(func.sum(rows.c.lines), 0),
        functions,
        func.max(rows.c.ccn_max),
        type_coerce(ccn_avg, Float),
    )
    return stmt.group_by(rows.c.start).order_by(rows.c.start)


async def code_metrics(session: AsyncSession, window: Window, bucket: BucketName) -> Sequence[CodeMetricsRow]:
    return (await session.execute(code_metrics_stmt(window, bucket))).all()
