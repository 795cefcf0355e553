"""History rules: who may list whose executions, time bounds, cursors, and building the page."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway import paging
from services.gateway.auth.principal import Principal
from services.gateway.executions.schemas import ExecutionOut, OutputEncoding
from services.gateway.history import repository as repo
from services.gateway.history.schemas import ExecutionPage, HistoryScope
from shared.db.models import Execution
from shared.db.records import execution_record
from shared.executions import CaseRecord, OutputFile, PhaseRecord
from shared.problems import ProblemError, ValidationProblem


def owner_filter(principal: Principal, scope: HistoryScope, user_id: uuid.UUID | None) -> uuid.UUID | None:
    """Whose executions the caller lists: their own, or (admins, scope=all) everyone's or one user's."""
    if scope is HistoryScope.all:
        if not principal.is_admin:
            raise ProblemError(403, "forbidden", "Forbidden", "Only administrators may list everyone's executions.")
        return user_id
    if user_id is not None:
        raise ValidationProblem.for_field(["user_id"], "only with scope=all", source="query")
    assert principal.user_id is not None
    return principal.user_id


# --- pages ------------------------------------------------------------------------------------


async def page(
    session: AsyncSession, query: repo.HistoryQuery, *, with_output: bool, encoding: OutputEncoding
) -> ExecutionPage:
    items, next_cursor = paging.split_page(await repo.page(session, query), query.limit)
    return ExecutionPage(items=await _details(session, items, with_output, encoding), next_cursor=next_cursor)


async def _details(
    session: AsyncSession, executions: Sequence[Execution], with_output: bool, encoding: OutputEncoding
) -> list[ExecutionOut]:
    if not executions:
        return []
    ids = [execution.id for execution in executions]
    phases: defaultdict[uuid.UUID, list[PhaseRecord]] = defaultdict(list)
    for row in await repo.phases(session, ids, with_output=with_output):
        phases[row["execution_id"]].append(PhaseRecord.model_validate(dict(row)))
    tests: defaultdict[uuid.UUID, list[CaseRecord]] = defaultdict(list)
    judged = [execution.id for execution in executions if execution.test_cases]
    if judged:
        for row in await repo.test_results(session, judged, with_output=with_output):
            tests[row["execution_id"]].append(CaseRecord.model_validate(dict(row)))
    files: defaultdict[uuid.UUID, list[OutputFile]] = defaultdict(list)
    collecting = [execution.id for execution in executions if execution.output_files]
    if collecting:
        for row in await repo.output_files(session, collecting):
            files[row["execution_id"]].append(OutputFile.model_validate(dict(row)))
    items = []
    for execution in executions:
        record = execution_record(execution, ()).model_copy(
            update={"phases": phases[execution.id], "tests": tests[execution.id], "files": files[execution.id]}
        )
        items.append(ExecutionOut.build(record, encoding, with_output, file_contents=False))
    return items
