"""Where each analysis tool runs, and with what. The analysis image's tools run in its own warm
shape. A compiler's own checks (gcc, clang, tsc, go vet, gofmt) run in the runtime image of the
language version asked for, at the memory and process limits of that version's compile sandboxes
(for a caller without an account, the anonymous compile defaults: compile limits follow the
caller, docs/security.md), so they share that shape's warm pool, pre-started compiler included
(TypeScript 5's snapshot), while CPU, wall time and output stay the analysis' own, smaller limits."""

from __future__ import annotations

from collections.abc import Mapping

from services.executor.runner import ExecutionSpec
from shared.analysis.base import ANALYSIS_RUNTIME, Tool, ToolRun
from shared.analysis.model import AnalysisJob
from shared.analysis.tools import analysis_limits
from shared.executions import Limits
from shared.languages import BY_KEY, Language
from shared.limits import default_limits
from shared.settings import ANONYMOUS_COMPILE_LIMITS, ExecutorSettings

# The runner needs a Language to pick the image and the pool shape: the analysis image, plain.
ANALYSIS_LANGUAGE = Language(
    id="analysis",
    name="Code analysis",
    runtime=ANALYSIS_RUNTIME,
    variant="tools",
    source_file="main.py",
    extensions=(),
    run=(),
    version_command=(),
)
# Tools use one thread: the sandbox has one CPU, and every thread counts against its processes.
TOOL_ENV: Mapping[str, str] = {"RAYON_NUM_THREADS": "1"}


def tool_language(tool: Tool) -> Language:
    return BY_KEY[tool.runtime] if tool.runtime else ANALYSIS_LANGUAGE


def tool_limits(tool: Tool, settings: ExecutorSettings, *, anonymous: bool) -> Limits:
    limits = analysis_limits(anonymous=anonymous)
    if tool.runtime is None:
        return limits
    language = BY_KEY[tool.runtime]
    policy = ANONYMOUS_COMPILE_LIMITS if anonymous else settings.compile_limits
    compile_limits = default_limits(policy, language.compile_limit_defaults)
    return limits.model_copy(update={"memory_mb": compile_limits.memory_mb, "processes": compile_limits.processes})


def tool_spec(run: ToolRun, job: AnalysisJob, settings: ExecutorSettings) -> ExecutionSpec:
    limits = tool_limits(run.tool, settings, anonymous=job.anonymous)
    return ExecutionSpec(
        id=f"analysis-{job.key[:16]}",
        language=tool_language(run.tool),
        files=(),
        stdin=b"",
        args=(),
        compile_options=(),
        limits=limits,
        compile_limits=None,
        reuse=settings.sandbox_mode_for(anonymous=job.anonymous) == "reuse",
    )


def tool_env(run: ToolRun) -> dict[str, str]:
    return {**TOOL_ENV, **run.env}


def tool_files(run: ToolRun, submitted: list[tuple[str, bytes, int]]) -> list[tuple[str, bytes, int]]:
    """Every submitted file (under src/), and the platform's support files beside them."""
    return [*submitted, *((name, content.encode(), 0o644) for name, content in run.support_files)]
