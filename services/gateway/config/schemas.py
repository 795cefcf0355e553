"""What a caller can ask for: limit ranges, sizes and budgets per caller class (GET /v1/config)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from shared.settings import GatewaySettings, LimitBounds, LimitsPolicy, RateLimitPolicy


class RangeOut(BaseModel):
    default: int
    minimum: int
    maximum: int

    @classmethod
    def of(cls, bounds: LimitBounds) -> RangeOut:
        return cls(default=bounds.default, minimum=bounds.minimum, maximum=bounds.maximum)


class LimitRangesOut(BaseModel):
    """A phase's `limits`: what is used when a field is left out, and what may be asked for."""

    wall_time_ms: RangeOut
    cpu_time_ms: RangeOut
    memory_mb: RangeOut
    processes: RangeOut
    output_bytes: RangeOut
    file_size_kb: RangeOut

    @classmethod
    def of(cls, policy: LimitsPolicy) -> LimitRangesOut:
        return cls(**{name: RangeOut.of(bounds) for name, bounds in policy})


class BudgetsOut(BaseModel):
    executions: str = Field(description="Executions created per window, e.g. `60/minute`.")
    reads: str
    writes: str
    max_in_flight: int = Field(description="Queued and running executions at a time.")
    analyses: str = Field(description="Analyses requested per window (POST /v1/analyses, cache hits too).")
    max_analyses_in_flight: int = Field(description="Analyses waited for at a time.")

    @classmethod
    def of(cls, policy: RateLimitPolicy) -> BudgetsOut:
        return cls.model_validate(policy.model_dump())


class CallerClassOut(BaseModel):
    run_limits: LimitRangesOut
    compile_limits: LimitRangesOut
    interactive_wall_time_ms: RangeOut = Field(description="The run phase's wall time of interactive executions.")
    judge_max_wall_ms: int = Field(description="Test cases x the run wall time limit may not exceed this.")
    rate_limits: BudgetsOut


class SizesOut(BaseModel):
    max_request_bytes: int
    max_source_bytes: int = Field(description="All submitted files together.")
    max_stdin_bytes: int
    max_files: int
    max_args: int
    max_arg_bytes: int
    judge_max_tests: int
    judge_max_case_bytes: int
    judge_max_total_bytes: int
    batch_max_size: int


class ConfigOut(BaseModel):
    caller: Literal["anonymous", "account"] = Field(description="Which class this request was served as.")
    anonymous_enabled: bool = Field(description="Whether anonymous callers may create executions.")
    rate_limits_enabled: bool
    wait_timeout_s: float = Field(description="How long `?wait=true` waits before answering 202.")
    classes: dict[Literal["anonymous", "account"], CallerClassOut] = Field(
        description="What each class of caller gets: signing in (or an API key) moves a caller to `account`."
    )
    sizes: SizesOut

    @classmethod
    def build(cls, settings: GatewaySettings, caller: Literal["anonymous", "account"]) -> ConfigOut:
        anonymous = CallerClassOut(
            run_limits=LimitRangesOut.of(settings.anonymous_limits),
            compile_limits=LimitRangesOut.of(settings.anonymous_compile_limits),
            interactive_wall_time_ms=RangeOut.of(settings.anonymous_interactive_wall_time_ms),
            judge_max_wall_ms=settings.anonymous_judge_max_wall_ms,
            rate_limits=BudgetsOut.of(settings.anonymous_rate_limits),
        )
        account = CallerClassOut(
            run_limits=LimitRangesOut.of(settings.limits),
            compile_limits=LimitRangesOut.of(settings.compile_limits),
            interactive_wall_time_ms=RangeOut.of(settings.interactive_wall_time_ms),
            judge_max_wall_ms=settings.judge_max_wall_ms,
            rate_limits=BudgetsOut.of(settings.user_rate_limits),
        )
        sizes = SizesOut(
            **{name: getattr(settings, name) for name in SizesOut.model_fields},
        )
        return cls(
            caller=caller,
            anonymous_enabled=settings.anonymous_enabled,
            rate_limits_enabled=settings.rate_limits_enabled,
            wait_timeout_s=settings.wait_timeout_s,
            classes={"anonymous": anonymous, "account": account},
            sizes=sizes,
        )
