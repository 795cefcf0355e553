"""Running one execution's phases (compile, then run), each in a sandbox of the warm pool.

Each phase runs in a fresh cell (namespaces, mounts) of a sandbox container; whether that
container served other executions before, and may serve more after, is the execution's sandbox
mode (reuse, or fresh: a never-used container, destroyed after one run)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.executor.events import EventPublisher
from services.executor.outputs import with_output_files
from services.executor.sandbox.box import MIB, Box, BoxResult, Program, Shape
from services.executor.sandbox.pool import SandboxPool
from services.executor.sandbox.protocol import Artifact
from services.executor.verdicts import internal_error_outcome, phase_outcome
from shared.executions import CaseRecord, CompareMode, JudgeCase, Limits, OutputFile, Phase, PhaseRecord, Verdict
from shared.languages import Language

logger = logging.getLogger("coderunhub.executor.runner")

# Interactive programs get unbuffered C stdio (coreutils' stdbuf mechanism), so a prompt printed
# without a newline or fflush reaches the user before the program waits for input.
UNBUFFERED_STDIO = {"LD_PRELOAD": "/usr/libexec/coreutils/libstdbuf.so", "_STDBUF_O": "0", "_STDBUF_E": "0"}

StdinFeed = Callable[[], AsyncIterator[bytes]]


@dataclass(frozen=True, slots=True)
class ExecutionSpec:
    id: str
    language: Language
    # The entry file comes first.
    files: Sequence[tuple[str, bytes]]
    stdin: bytes
    args: Sequence[str]
    compile_options: Sequence[str]
    limits: Limits
    compile_limits: Limits | None
    # Judging: with cases, the program runs once per case (see judging.py) instead of once.
    test_cases: Sequence[JudgeCase] = ()
    compare: CompareMode = CompareMode.exact
    # Reuse mode: pooled containers that served others may run it, and serve others after it.
    reuse: bool = True
    # Whether a pool miss counts as demand for the sandbox's shape (a one-off, such as a version
    # probe, must not keep sandboxes of its shape warm).
    demand: bool = True
    # Set when the execution is cancelled (services/executor/cancels.py).
    stop: asyncio.Event | None = None
    # Paths the run phase sends back after a clean exit (services/executor/outputs.py).
    output_files: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class RunFiles:
    """What the run phase gets: the sources (interpreted languages) and the compiled artifacts."""

    sources: Sequence[tuple[str, bytes, int]] = ()
    artifacts: Sequence[Artifact] = ()


@dataclass(slots=True)
class ExecutionOutcome:
    verdict: Verdict
    message: str
    phases: list[PhaseRecord] = field(default_factory=list)
    tests: list[CaseRecord] = field(default_factory=list)
    files: list[OutputFile] = field(default_factory=list)


def sandbox_shape(image: str, language: Language, limits: Limits, phase: Phase) -> Shape:
    """The sandbox a phase needs; phases with a zygote get their interpreter or compiler pre-started."""
    zygote, env = (
        (language.zygote, language.run_env) if phase is Phase.run else (language.compile_zygote, language.compile_env)
    )
    if zygote:
        return Shape.of(image, limits, zygote, tuple(f"{key}={value}" for key, value in sorted(env.items())))
    return Shape.of(image, limits)


def _now() -> datetime:
    return datetime.now(UTC)


class Runner:
    def __init__(
        self,
        pool: SandboxPool,
        *,
        image_prefix: str,
        image_tag: str,
        grace_s: float,
        artifact_max_bytes: int,
        work_size_mb: int,
        output_files_max_bytes: int = 4 * MIB,
    ) -> None:
        self.pool = pool
        self._image_prefix = image_prefix
        self._image_tag = image_tag
        self._grace_s = grace_s
        self._artifact_max = artifact_max_bytes
        self._work_bytes = work_size_mb * MIB
        self._output_files_max = output_files_max_bytes

    def image(self, language: Language) -> str:
        return f"{self._image_prefix}{language.runtime}:{self._image_tag}"

    def shape(self, language: Language, limits: Limits, phase: Phase = Phase.compile) -> Shape:
        return sandbox_shape(self.image(language), language, limits, phase)

    async def acquire(self, spec: ExecutionSpec, phase: Phase, limits: Limits) -> Box:
        box, _warm = await self.pool.acquire(
            self.shape(spec.language, limits, phase), reuse=spec.reuse, demand=spec.demand
        )
        return box

    def artifact_room(self, run_sources: Sequence[tuple[str, bytes, int]]) -> int:
        """The most compiled data the run sandbox's /work can take next to the run's sources: a
        larger artifact is the submitter's error, reported at compile time."""
        room = self._work_bytes - sum(len(content) for _, content, _ in run_sources) - MIB
        return max(0, min(self._artifact_max, room))

    async def run_in_sandbox(
        self,
        spec: ExecutionSpec,
        phase: Phase,
        program: Program,
        events: EventPublisher | None,
        launch: asyncio.Task[Box] | None = None,
        on_user_code: Callable[[], None] | None = None,
        test: int | None = None,
    ) -> BoxResult:
        """Run one program in a sandbox; a sandbox that died before the program started is replaced once."""
        for attempt in range(2):
            box = (
                await launch if launch is not None and attempt == 0 else await self.acquire(spec, phase, program.limits)
            )
            if not spec.reuse:
                # A single-use container is named after its execution once it runs it, so a
                # leftover can be traced to one (off the critical path; a sandbox taken but
                # unused goes back to the pool under its pool name, reused ones keep theirs).
                self.pool.spawn(box.assign(spec.id, phase.value if test is None else f"{phase.value}-{test}"))
            if spec.stop is not None and spec.stop.is_set():
                # Cancelled before this phase started: it does not.
                self.pool.release(box)
                return BoxResult(cancelled=True)
            try:
                if on_user_code is not None:
                    on_user_code()
                on_output = (lambda s, d: events.output(phase.value, s, d, test)) if events else (lambda _s, _d: None)
                result = await box.run(program, on_output, self._grace_s)
            except BaseException:
                self.pool.release(box)
                raise
            self.pool.release(box, reusable=spec.reuse and result.clean)
            # A sandbox that failed before the program started is replaced once; the submitter's
            # own errors (files that do not fit) are not retried.
            if result.started or result.record is not None or result.user_error is not None:
                return result
            logger.warning("sandbox for %s (%s) failed before starting the program: %s", spec.id, phase, result.error)
        return result

    async def execute(
        self,
        spec: ExecutionSpec,
        events: EventPublisher,
        on_user_code: Callable[[], None],
        stdin_feed: StdinFeed | None = None,
    ) -> ExecutionOutcome:
        outcome = ExecutionOutcome(Verdict.ok, "")

        # The run sandbox is taken (or started) while the compiler works.
        run_box = asyncio.create_task(self.acquire(spec, Phase.run, spec.limits))
        handed_over = False
        try:
            compiled, run_files = await self.compile(spec, events, on_user_code)
            if compiled is not None:
                outcome.phases.append(compiled)
                if compiled.verdict is not Verdict.ok:
                    outcome.verdict, outcome.message = compile_verdict(compiled)
                    return outcome
            program = self.run_program(spec, run_files, spec.stdin, stdin_feed)
            handed_over = True
            ran, collected = await self.run_phase(spec, Phase.run, program, events, on_user_code, run_box)
            if spec.output_files:
                ran, outcome.files = with_output_files(ran, collected, self._output_files_max)
            outcome.phases.append(ran)
            outcome.verdict, outcome.message = ran.verdict, ran.message or ""
            return outcome
        finally:
            # Whatever happened, the run sandbox must not outlive the execution.
            if not handed_over:
                if not run_box.done():
                    run_box.cancel()
                await asyncio.wait([run_box])
                if not run_box.cancelled() and run_box.exception() is None:
                    self.pool.release(run_box.result())

    async def compile(
        self, spec: ExecutionSpec, events: EventPublisher, on_user_code: Callable[[], None]
    ) -> tuple[PhaseRecord | None, RunFiles]:
        """The compile phase's record (None for interpreted languages) and the run phase's files."""
        language = spec.language
        entry, entry_source = spec.files[0][0], spec.files[0][1].decode()
        names = [name for name, _ in spec.files]
        sources = [(name, content, 0o644) for name, content in spec.files]
        run_sources = sources if language.run_needs_sources else []
        if language.compile is None:
            return None, RunFiles(sources=run_sources)
        support = [
            (name, content.encode(), 0o644) for name, content in language.support_files.items() if name not in names
        ]
        program = Program(
            files=sources + support,
            argv=language.expand(language.compile, entry, names, flags=spec.compile_options, entry_source=entry_source),
            env=language.compile_env,
            limits=spec.compile_limits or spec.limits,
            collect=language.artifacts,
            artifact_max_bytes=self.artifact_room(run_sources),
            stop=spec.stop,
        )
        compiled, artifacts = await self.run_phase(spec, Phase.compile, program, events, on_user_code, None)
        return compiled, RunFiles(sources=run_sources, artifacts=artifacts)

    def run_program(
        self,
        spec: ExecutionSpec,
        run_files: RunFiles,
        stdin: bytes,
        stdin_feed: StdinFeed | None = None,
    ) -> Program:
        language = spec.language
        entry, entry_source = spec.files[0][0], spec.files[0][1].decode()
        names = [name for name, _ in spec.files]
        env = dict(language.run_env)
        if stdin_feed is not None:
            env.update(UNBUFFERED_STDIO)
        program = Program(
            files=run_files.sources,
            artifacts=run_files.artifacts,
            argv=[*language.expand(language.run, entry, names, entry_source=entry_source), *spec.args],
            env=env,
            limits=spec.limits,
            stdin=stdin,
            stdin_feed=stdin_feed,
            stop=spec.stop,
        )
        if spec.output_files:
            # The agent bounds the data it sends back by the cap (outputs.py, the apparent sizes).
            program = dataclasses.replace(program, collect=spec.output_files, artifact_max_bytes=self._output_files_max)
        return program

    async def run_phase(
        self,
        spec: ExecutionSpec,
        phase: Phase,
        program: Program,
        events: EventPublisher,
        on_user_code: Callable[[], None],
        launch: asyncio.Task[Box] | None,
        test: int | None = None,
    ) -> tuple[PhaseRecord, list[Artifact]]:
        started_at = _now()
        events.status("running", phase.value, test)
        try:
            result = await self.run_in_sandbox(spec, phase, program, events, launch, on_user_code, test)
        except Exception as exc:
            logger.exception("no sandbox for %s (%s)", spec.id, phase)
            return internal_error_outcome(phase, f"Could not start the sandbox: {exc}", started_at), []
        finished_at = _now()
        if result.error and result.record is None:
            logger.warning("sandbox of %s (%s) ended without a result: %s", spec.id, phase, result.error)
        output_files_cap = program.artifact_max_bytes if phase is Phase.run and program.collect else None
        outcome = phase_outcome(phase, result, program.limits, started_at, finished_at, output_files_cap)
        return outcome, result.artifacts


def compile_verdict(compiled: PhaseRecord) -> tuple[Verdict, str]:
    message = compiled.message or "failed"
    if compiled.verdict in (Verdict.internal_error, Verdict.cancelled):
        return compiled.verdict, message
    detail = message[0].lower() + message[1:]
    if compiled.verdict is Verdict.runtime_error:
        return Verdict.compilation_error, f"Compilation failed: {detail}"
    return Verdict.compilation_error, f"Compilation stopped: {detail}"
