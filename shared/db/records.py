"""Stored rows as the shared ExecutionRecord the API is built from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.db.models import Execution, ExecutionFile, ExecutionPhase, ExecutionTestResult
from shared.executions import CaseRecord, ExecutionJob, ExecutionRecord, Limits, OutputFile, PhaseRecord
from shared.webhooks import WebhookDelivery


def execution_record(
    execution: Execution,
    phases: Sequence[ExecutionPhase],
    tests: Sequence[ExecutionTestResult] = (),
    files: Sequence[ExecutionFile] = (),
) -> ExecutionRecord:
    """``files``: the execution_files rows, loaded only when the execution asked for output files."""
    return ExecutionRecord(
        id=execution.id,
        user_id=execution.user_id,
        language=execution.language,
        version=execution.version,
        status=execution.status,
        verdict=execution.verdict,
        message=execution.message,
        created_at=execution.created_at,
        started_at=execution.started_at,
        finished_at=execution.finished_at,
        limits=Limits.model_validate(execution.limits),
        compile_limits=Limits.model_validate(execution.compile_limits) if execution.compile_limits else None,
        phases=[PhaseRecord.model_validate(phase, from_attributes=True) for phase in phases],
        test_count=len(execution.test_cases or ()),
        compare=execution.compare,
        tests=[CaseRecord.model_validate(test, from_attributes=True) for test in tests],
        webhook=webhook_delivery(execution),
        api=api_of(execution),
        files=[OutputFile.model_validate(file, from_attributes=True) for file in files],
    )


def api_of(execution: Any) -> str | None:
    """The API an Execution row (ORM object or Core row) was submitted through, if not ours."""
    options = execution.api_options
    api = options.get("api") if isinstance(options, dict) else None
    return str(api) if api else None


def webhook_delivery(execution: Any) -> WebhookDelivery | None:
    """An Execution row's webhook state (ORM object or Core row), if it has a callback URL."""
    if execution.webhook_url is None:
        return None
    return WebhookDelivery(
        url=execution.webhook_url,
        status=execution.webhook_status or "pending",
        attempts=execution.webhook_attempts,
        last_status_code=execution.webhook_last_status_code,
        last_error=execution.webhook_last_error,
        delivered_at=execution.webhook_delivered_at,
    )


def execution_job(execution: Any) -> ExecutionJob:
    """From an Execution row (ORM object or Core row with the same columns)."""
    return ExecutionJob(
        id=execution.id,
        language=execution.language,
        variant=execution.variant,
        version=execution.version,
        files=execution.files,
        stdin=bytes(execution.stdin),
        args=execution.args,
        compile_options=execution.compile_options,
        limits=execution.limits,
        compile_limits=execution.compile_limits,
        interactive=execution.interactive,
        created_at=execution.created_at,
        user_id=execution.user_id,
        test_cases=execution.test_cases or [],
        compare=execution.compare or "exact",
        api=api_of(execution),
        output_files=execution.output_files or [],
    )
