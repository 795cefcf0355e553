"""What one tool run is, for both tool tables (tools.py: ruff, ShellCheck, lizard and the language
map; checkers.py: the compilers' own checks, mypy and the formatters): the tool, its argv, where it
runs, and where the submitted files are in its sandbox."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from shared.analysis.model import Check

# The runtimes.conf line (and pool shape) the tool-only analysers run in.
ANALYSIS_RUNTIME = "analysis"
VENV = "/opt/crh/analysis"
# Where the submitted files go, relative to the sandbox's work dir (/work): the formatter's
# results are collected back from here, and the parsers strip it from what tools print.
SOURCE_DIR = "src"
SANDBOX_SOURCE_DIR = f"/work/{SOURCE_DIR}/"
SANDBOX_PREFIXES = (SANDBOX_SOURCE_DIR, f"./{SOURCE_DIR}/", f"{SOURCE_DIR}/")

ParserName = Literal["ruff-check", "shellcheck", "formatted", "lizard", "mypy", "gcc", "clang", "tsc", "go-vet"]
Stream = Literal["stdout", "stderr"]
EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    # The analysis image's tools: pinned, setup/analysis.sh installs exactly this and checks it
    # (tests/unit/test_analysis_tools.py). A compiler of a language's own image: empty, its version
    # is the one that runtime reports (crh:runtimes, under `runtime`).
    version: str
    path: str
    # The language version (catalogue key, "c@gcc-14") whose runtime image carries the tool and
    # whose sandbox shape it runs in; None: the analysis image.
    runtime: str | None = None


@dataclass(frozen=True, slots=True)
class ToolRun:
    """One program in one sandbox: a tool doing one check over the submitted files."""

    tool: Tool
    check: Check
    argv: tuple[str, ...]
    parser: ParserName
    # Paths (relative to /work) the agent sends back after a clean exit: the formatted files.
    collect: tuple[str, ...] = ()
    # Where the tool writes what its parser reads (compilers report on stderr).
    stream: Stream = "stdout"
    # Environment beside the sandbox's own (PATH, HOME, LANG); fixed values, never request data.
    env: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    # Files the platform adds (name relative to /work, content): outside src/, so nothing a tool
    # says about them is reported, and no submitted file can take their place.
    support_files: tuple[tuple[str, str], ...] = ()


def sandbox_path(name: str) -> str:
    return f"{SOURCE_DIR}/{name}"


def tolerant(command: str, worst: int, label: str, paths: tuple[str, ...]) -> tuple[str, ...]:
    """argv running a formatter that exits with 1..``worst`` when a file does not parse (it still
    formats the others and leaves that one as it was): the agent sends files back only after a
    clean exit, so this fixed script (no data in it) makes that exit 0, while a crash or a signal
    stays one. The file names reach the command as the script's arguments, after "--"."""
    script = f'{command} -- "$@"; status=$?; [ "$status" -le {worst} ] && exit 0; exit "$status"'
    return ("sh", "-c", script, label, *paths)


def reported_version(tool: Tool, analysis_versions: Mapping[str, str], runtimes: Mapping[str, str]) -> str | None:
    """The version executors report for the tool: their analysis image's (crh:analysis:tools, by
    name), or for a compiler its runtime's (crh:runtimes, by language version); None: not yet."""
    if tool.runtime is not None:
        return runtimes.get(tool.runtime)
    return analysis_versions.get(tool.name)
