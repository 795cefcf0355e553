"""Running one execution's phases (compile, then run), each in its own fresh sandbox."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiodocker

from services.executor.events import EventPublisher
from services.executor.sandbox.box import LABEL_EXECUTION, LABEL_PHASE, Box, BoxOptions, Program, container_config
from services.executor.verdicts import PhaseOutcome, internal_error_outcome, phase_outcome
from shared.executions import Limits, Phase, Verdict
from shared.languages import Language

logger = logging.getLogger("coderunhub.executor.runner")


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


@dataclass(slots=True)
class ExecutionOutcome:
    verdict: Verdict
    message: str
    phases: list[PhaseOutcome] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC)


class Runner:
    def __init__(
        self,
        docker: aiodocker.Docker,
        options: BoxOptions,
        *,
        image_prefix: str,
        image_tag: str,
        grace_s: float,
        artifact_max_bytes: int,
    ) -> None:
        self._docker = docker
        self._options = options
        self._image_prefix = image_prefix
        self._image_tag = image_tag
        self._grace_s = grace_s
        self._artifact_max = artifact_max_bytes

    def image(self, language: Language) -> str:
        return f"{self._image_prefix}{language.runtime}:{self._image_tag}"

    async def launch(self, spec: ExecutionSpec, phase: Phase, limits: Limits) -> Box:
        labels = {LABEL_EXECUTION: spec.id, LABEL_PHASE: phase.value}
        config = container_config(self.image(spec.language), limits, self._options, labels)
        return await Box.launch(self._docker, config)

    async def execute(
        self, spec: ExecutionSpec, events: EventPublisher, on_user_code: Callable[[], None]
    ) -> ExecutionOutcome:
        language = spec.language
        entry, entry_source = spec.files[0][0], spec.files[0][1].decode()
        names = [name for name, _ in spec.files]
        sources = [(name, content, 0o644) for name, content in spec.files]
        run_files: list[tuple[str, bytes, int]] = list(sources) if language.run_needs_sources else []
        outcome = ExecutionOutcome(Verdict.ok, "")

        # The run sandbox starts while the compiler works: container start-up is off the critical path.
        run_box_task = asyncio.create_task(self.launch(spec, Phase.run, spec.limits))
        try:
            if language.compile is not None:
                compile_limits = spec.compile_limits or spec.limits
                support = [
                    (name, content.encode(), 0o644)
                    for name, content in language.support_files.items()
                    if name not in names
                ]
                program = Program(
                    files=sources + support,
                    argv=language.expand(
                        language.compile, entry, names, flags=spec.compile_options, entry_source=entry_source
                    ),
                    env=language.compile_env,
                    limits=compile_limits,
                    collect=language.artifacts,
                    artifact_max_bytes=self._artifact_max,
                )
                compiled, artifacts = await self._phase(spec, Phase.compile, program, events, on_user_code, None)
                outcome.phases.append(compiled)
                if compiled.verdict is not Verdict.ok:
                    outcome.verdict, outcome.message = _compile_verdict(compiled)
                    return outcome
                run_files += [(name, content, mode) for name, mode, content in artifacts]
            program = Program(
                files=run_files,
                argv=[*language.expand(language.run, entry, names, entry_source=entry_source), *spec.args],
                env=language.run_env,
                limits=spec.limits,
                stdin=spec.stdin,
            )
            ran, _ = await self._phase(spec, Phase.run, program, events, on_user_code, run_box_task)
            outcome.phases.append(ran)
            outcome.verdict, outcome.message = ran.verdict, ran.message
            return outcome
        finally:
            # Whatever happened, the pre-started run sandbox must not outlive the execution.
            if not run_box_task.done():
                run_box_task.cancel()
            await asyncio.wait([run_box_task])
            if not run_box_task.cancelled() and run_box_task.exception() is None:
                await run_box_task.result().destroy()

    async def _phase(
        self,
        spec: ExecutionSpec,
        phase: Phase,
        program: Program,
        events: EventPublisher,
        on_user_code: Callable[[], None],
        launch: asyncio.Task[Box] | None,
    ) -> tuple[PhaseOutcome, list[tuple[str, int, bytes]]]:
        started_at = _now()
        try:
            box = await launch if launch is not None else await self.launch(spec, phase, program.limits)
        except aiodocker.DockerError as exc:
            logger.error("cannot start a %s sandbox for %s: %s", phase, spec.id, exc)
            return internal_error_outcome(phase, f"Could not start the sandbox: {exc.message}", started_at), []
        try:
            events.status("running", phase.value)
            on_user_code()
            result = await box.run(
                program, lambda stream, data: events.output(phase.value, stream, data), self._grace_s
            )
        finally:
            await box.destroy()
        finished_at = _now()
        if result.error and result.record is None:
            logger.warning("sandbox of %s (%s) ended without a result: %s", spec.id, phase, result.error)
        return phase_outcome(phase, result, program.limits, started_at, finished_at), result.artifacts


def _compile_verdict(compiled: PhaseOutcome) -> tuple[Verdict, str]:
    if compiled.verdict is Verdict.internal_error:
        return Verdict.internal_error, compiled.message
    detail = compiled.message[0].lower() + compiled.message[1:]
    if compiled.verdict is Verdict.runtime_error:
        return Verdict.compilation_error, f"Compilation failed: {detail}"
    return Verdict.compilation_error, f"Compilation stopped: {detail}"
