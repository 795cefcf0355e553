"""Stored rows as the shared ExecutionRecord the API is built from."""

from __future__ import annotations

from collections.abc import Sequence

from shared.db.models import Execution, ExecutionPhase
from shared.executions import ExecutionRecord, Limits, PhaseRecord


def execution_record(execution: Execution, phases: Sequence[ExecutionPhase]) -> ExecutionRecord:
    return ExecutionRecord(
        id=execution.id,
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
    )
