"""Response bodies of the analytics API."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from shared.executions import Verdict


class AnalyticsScope(StrEnum):
    mine = "mine"
    global_ = "global"


class Bucket(StrEnum):
    hour = "hour"
    day = "day"


_WINDOW = {"scope": "mine", "since": "2026-10-27T12:00:00Z", "until": "2026-11-26T12:00:00Z"}


class Window(BaseModel):
    scope: AnalyticsScope = Field(description="`mine`, or `global` (administrators): everyone's executions.")
    since: datetime = Field(description="Executions created at or after this time are counted.")
    until: datetime = Field(description="... and before this time.")


class LanguageCount(BaseModel):
    language: str
    count: int


class LanguageUsage(Window):
    """Executions per language, most used first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_WINDOW,
                    "total": 42,
                    "items": [{"language": "python", "count": 30}, {"language": "cpp", "count": 12}],
                }
            ]
        }
    )

    total: int = Field(description="Executions in the window.")
    items: list[LanguageCount]


class TimelinePoint(BaseModel):
    start: datetime = Field(description="Start of the bucket (UTC).")
    count: int


class Timeline(Window):
    """Executions per hour or day (UTC buckets), every bucket of the window listed, empty ones as 0."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "scope": "mine",
                    "since": "2026-11-24T00:00:00Z",
                    "until": "2026-11-26T00:00:00Z",
                    "bucket": "day",
                    "total": 9,
                    "items": [
                        {"start": "2026-11-24T00:00:00Z", "count": 7},
                        {"start": "2026-11-25T00:00:00Z", "count": 2},
                    ],
                }
            ]
        }
    )

    bucket: Bucket
    total: int = Field(description="Executions in the window.")
    items: list[TimelinePoint]


class VerdictCount(BaseModel):
    verdict: Verdict
    count: int


class VerdictDistribution(Window):
    """Finished executions per verdict, most frequent first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_WINDOW,
                    "finished": 40,
                    "unfinished": 2,
                    "items": [{"verdict": "ok", "count": 31}, {"verdict": "runtime_error", "count": 9}],
                }
            ]
        }
    )

    finished: int = Field(description="Finished executions in the window (the sum of `items`).")
    unfinished: int = Field(description="Executions in the window still queued or running.")
    items: list[VerdictCount]


class Percentiles(BaseModel):
    p50: float | None = Field(description="Median (continuous percentile); null without measurements.")
    p95: float | None = Field(description="95th percentile (continuous).")


class LanguageRunStats(BaseModel):
    language: str
    runs: int = Field(description="Run phases measured (judged executions, whose runs are per case, excluded).")
    wall_time_ms: Percentiles = Field(description="Wall-clock time of the run phase, in milliseconds.")
    memory_kb: Percentiles = Field(description="Peak resident memory of the run phase, in KiB.")


class RunStats(Window):
    """Run time and memory percentiles per language, most runs first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_WINDOW,
                    "items": [
                        {
                            "language": "python",
                            "runs": 30,
                            "wall_time_ms": {"p50": 21.4, "p95": 180.2},
                            "memory_kb": {"p50": 9120.0, "p95": 30410.5},
                        }
                    ],
                }
            ]
        }
    )

    items: list[LanguageRunStats]


class CodeMetricsPoint(BaseModel):
    start: datetime = Field(description="Start of the bucket (UTC).")
    snippets: int = Field(description="Snippets saved in the bucket (and measured), each counted once.")
    lines: int = Field(description="Lines of those snippets, each at its last revision saved in the bucket.")
    functions: int = Field(description="Functions in them (languages lizard reads).")
    ccn_avg: float | None = Field(description="Mean cyclomatic complexity over those functions; null without any.")
    ccn_max: int | None = Field(description="The highest cyclomatic complexity among them; null without functions.")


class CodeMetricsTimeline(BaseModel):
    """Code metrics of the snippets saved per hour or day (UTC buckets), every bucket listed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "scope": "mine",
                    "since": "2026-11-24T00:00:00Z",
                    "until": "2026-11-26T00:00:00Z",
                    "bucket": "day",
                    "items": [
                        {
                            "start": "2026-11-24T00:00:00Z",
                            "snippets": 3,
                            "lines": 120,
                            "functions": 9,
                            "ccn_avg": 2.44,
                            "ccn_max": 6,
                        },
                        {
                            "start": "2026-11-25T00:00:00Z",
                            "snippets": 0,
                            "lines": 0,
                            "functions": 0,
                            "ccn_avg": None,
                            "ccn_max": None,
                        },
                    ],
                }
            ]
        }
    )

    scope: AnalyticsScope = Field(description="`mine`, or `global` (administrators): everyone's snippets.")
    since: datetime = Field(description="Revisions saved at or after this time are counted.")
    until: datetime = Field(description="... and before this time.")
    bucket: Bucket
    items: list[CodeMetricsPoint]
