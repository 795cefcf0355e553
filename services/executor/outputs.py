"""Output files: what the run phase's agent sent back for an execution's ``output_files``.

The agent sends files as extents without their holes and bounds only the data it sends; the
apparent sizes are the program's to choose (``truncate(1 << 40)`` costs nothing in the sandbox).
A file is rebuilt from its extents only once every size is known to fit the cap, so no sparse file
is ever inflated past it.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.executor.sandbox.protocol import Artifact, inflate
from shared.executions import Exceeded, OutputFile, PhaseRecord, Verdict

# Rows one execution may add to execution_files: names are up to 1 KiB each and empty files cost
# nothing against the byte cap, so their number is bounded too.
MAX_OUTPUT_FILES = 256


def too_large_message(cap: int) -> str:
    return f"Output files take more than {cap} bytes"


def output_files(artifacts: Sequence[Artifact], cap: int) -> list[OutputFile] | str:
    """The files, or why they are refused (the run's output_limit message)."""
    if len(artifacts) > MAX_OUTPUT_FILES:
        return f"More than {MAX_OUTPUT_FILES} output files"
    if sum(artifact.size for artifact in artifacts) > cap:
        return too_large_message(cap)
    # Every size is known to fit: only now are the holes filled in. Names that are not UTF-8 may
    # read alike once shown (protocol._safe_name): the first keeps it.
    files: dict[str, OutputFile] = {}
    for a in artifacts:
        files.setdefault(a.name, OutputFile(name=a.name, size=a.size, mode=a.mode, content=inflate(a)))
    return list(files.values())


def with_output_files(
    ran: PhaseRecord, artifacts: Sequence[Artifact], cap: int
) -> tuple[PhaseRecord, list[OutputFile]]:
    """The run phase and its output files: only after a clean run (the agent collects nothing
    otherwise); files that do not fit make the run an output_limit and none are kept."""
    if ran.verdict is not Verdict.ok:
        return ran, []
    files = output_files(artifacts, cap)
    if isinstance(files, str):
        refused = {"verdict": Verdict.output_limit, "message": files, "exceeded": Exceeded.output}
        return ran.model_copy(update=refused), []
    return ran, files
