from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from fastapi.responses import JSONResponse

from services.gateway.analyses import service
from services.gateway.analyses.schemas import AnalyserOut, AnalysisQueued, AnalysisRequest, AnalysisResult
from services.gateway.auth.access import ExecutionsWrite
from services.gateway.deps import StateDep
from services.gateway.ratelimit.wiring import AdmittedAnalysis
from shared.problems import PROBLEM_RESPONSES, NotFoundProblem, documented_problem

router = APIRouter(prefix="/v1/analyses", tags=["analyses"])

KeyPath = Annotated[str, Path(pattern="^[0-9a-f]{64}$", description="The analysis' `id`.")]

ANALYSES_DESCRIPTION = """
Lints, type-checks and formats files the way an editor asks for it: the tools (ruff, mypy,
ShellCheck; each C, C++, Go and TypeScript version's own compiler; clang-format, prettier, gofmt)
run in the same hardened sandboxes as executions (no network, capped CPU, memory and output), with
configuration the files carry (`pyproject.toml`, `mypy.ini`, `tsconfig.json`, `.prettierrc`,
`.clang-format`, `go.mod`) ignored. Files are checked as an execution's are (names, count, sizes).
Positions are 1-based; columns count UTF-16 code units, as CodeMirror does.
The `metrics` check measures any language's files with lizard (lines, and per function its
cyclomatic complexity, lines of code and parameters; line counts only where lizard reads none).

Answers come from a cache (an hour) when the same files were analysed with the same tools; the
`analyses` rate budget counts every request, cache hits included, apart from executions. A
language without an analyser answers `status: unsupported`. When the tools take longer than the
server's wait (10 s), the answer is a 202 whose `Location` serves the result once it is ready.
"""


def _queued(key: str) -> JSONResponse:
    location = f"/v1/analyses/{key}"
    body = AnalysisQueued(id=key).model_dump()
    return JSONResponse(body, status_code=status.HTTP_202_ACCEPTED, headers={"Location": location, "Retry-After": "1"})


@router.post(
    "",
    response_model=AnalysisResult,
    summary="Lint or format files",
    description=ANALYSES_DESCRIPTION,
    responses={
        202: {"model": AnalysisQueued, "description": "Still running: poll `Location`"},
        429: documented_problem("The analyses budget, or the analyses in flight, are exhausted"),
        503: documented_problem("The analysis queue is full, or no executor offers the tools yet"),
        **PROBLEM_RESPONSES,
    },
)
async def create_analysis(
    payload: AnalysisRequest, state: StateDep, principal: ExecutionsWrite, caller: AdmittedAnalysis
) -> AnalysisResult | Response:
    answer = await service.request_analysis(state, principal, caller, payload)
    return _queued(answer) if isinstance(answer, str) else answer


@router.get(
    "/tools",
    response_model=list[AnalyserOut],
    summary="The analysers offered, per language",
)
async def list_analysis_tools(state: StateDep) -> list[AnalyserOut]:
    return await service.list_analysers(state)


@router.get(
    "/{analysis_id}",
    response_model=AnalysisResult,
    summary="Get an analysis' result",
    description="The result while it is cached (an hour); 202 while it is still running; 404 when unknown or "
    "expired (request it again).",
    responses={
        202: {"model": AnalysisQueued, "description": "Still running"},
        **PROBLEM_RESPONSES,
    },
)
async def get_analysis(analysis_id: KeyPath, state: StateDep, principal: ExecutionsWrite) -> AnalysisResult | Response:
    cached = await service.read_cached(state, analysis_id)
    if cached is not None:
        return cached
    if await service.pending(state, analysis_id):
        return _queued(analysis_id)
    raise NotFoundProblem(f"Analysis {analysis_id}")
