"""Which tool analyses what, and how it runs: image, argv, limits, and which parser reads it.

Tools run in the `analysis` runtime image (deploy/images/runtimes.conf, its setup hook
deploy/images/setup/analysis.sh installs the versions pinned here and fails the build when they
do not answer), in sandboxes like any execution's. Everything a tool gets is an argv array: the
submitted files go under ``src/`` and after ``--``, so no file name can be read as an option
(the gateway refuses names starting with ``-`` as well), and configuration the submission ships
(``pyproject.toml``, ``ruff.toml``) is ignored by construction (``--isolated``)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from shared.analysis import checkers
from shared.analysis.base import ANALYSIS_RUNTIME as ANALYSIS_RUNTIME
from shared.analysis.base import SANDBOX_PREFIXES as SANDBOX_PREFIXES
from shared.analysis.base import SANDBOX_SOURCE_DIR as SANDBOX_SOURCE_DIR
from shared.analysis.base import SOURCE_DIR, VENV, Tool, ToolRun, sandbox_path
from shared.analysis.checkers import CLANG, CLANG_FORMAT, CLANGXX, GCC, GO_VET, GOFMT, GXX, MYPY, PRETTIER, TSC
from shared.analysis.model import Check
from shared.executions import Limits

RUFF = Tool("ruff", "0.17.6", f"{VENV}/bin/ruff")
# Debian trixie's package (the setup hook checks the version it installed).
SHELLCHECK = Tool("shellcheck", "0.10.0", "/usr/bin/shellcheck")
# Code metrics for every language (the `metrics` check): its Python API, run by METRICS_SCRIPT.
LIZARD = Tool("lizard", "1.24.3", f"{VENV}/bin/lizard")
# The analysis image's tools (probed by the executors, published in crh:analysis:tools); the
# compilers' versions are their runtimes' (crh:runtimes).
TOOLS: dict[str, Tool] = {tool.name: tool for tool in (RUFF, SHELLCHECK, LIZARD, *checkers.ANALYSIS_IMAGE_TOOLS)}
_NO_VARIANTS: Mapping[str, Mapping[Check, Tool]] = MappingProxyType({})


# Per language: the tool doing each check, and which submitted files its tools read.
@dataclass(frozen=True, slots=True)
class Analyser:
    language: str
    extensions: tuple[str, ...]
    checks: dict[Check, Tool]
    # Versions whose tools differ (a compiler is each version's own), over `checks`.
    variants: Mapping[str, Mapping[Check, Tool]] = field(default_factory=lambda: _NO_VARIANTS)

    def reads(self, name: str) -> bool:
        return name.endswith(self.extensions)

    def tools(self, variant: str | None = None) -> dict[Check, Tool]:
        return {**self.checks, **self.variants.get(variant or "", {})}


_GCC_12 = "gcc-12"
ANALYSERS: dict[str, Analyser] = {
    "python": Analyser("python", checkers.PYTHON_FILES, {"lint": RUFF, "format": RUFF, "types": MYPY}),
    "bash": Analyser("bash", (".sh", ".bash"), {"lint": SHELLCHECK}),
    # Tiny C has no syntax-only mode: its programs are checked by GCC 14, beside it in its image.
    "c": Analyser(
        "c",
        checkers.C_FILES,
        {"lint": GCC["gcc-14"], "format": CLANG_FORMAT},
        {_GCC_12: {"lint": GCC[_GCC_12]}, "clang-19": {"lint": CLANG}},
    ),
    "cpp": Analyser(
        "cpp",
        checkers.CXX_FILES,
        {"lint": GXX["gcc-14"], "format": CLANG_FORMAT},
        {_GCC_12: {"lint": GXX[_GCC_12]}, "clang-19": {"lint": CLANGXX}},
    ),
    "go": Analyser(
        "go",
        checkers.GO_FILES,
        {"lint": GO_VET["1.24"], "format": GOFMT["1.24"]},
        {"1.19": {"lint": GO_VET["1.19"], "format": GOFMT["1.19"]}},
    ),
    "typescript": Analyser(
        "typescript", checkers.PRETTIER_FILES, {"lint": TSC["7.0"], "format": PRETTIER}, {"5.9": {"lint": TSC["5.9"]}}
    ),
    # JavaScript is checked by TypeScript 7 (--checkJs), whichever Node.js runs it.
    "javascript": Analyser("javascript", checkers.PRETTIER_FILES, {"lint": TSC["7.0"], "format": PRETTIER}),
}

# Limits of each tool run (the design's figures): ruff takes ~20 ms and ~30 MiB on a typical file;
# these leave room for big submissions and bound hostile ones.
ANALYSIS_LIMITS = Limits(
    wall_time_ms=8_000, cpu_time_ms=5_000, memory_mb=512, processes=32, output_bytes=1 << 20, file_size_kb=4_096
)
ANONYMOUS_ANALYSIS_LIMITS = ANALYSIS_LIMITS.model_copy(update={"cpu_time_ms": 3_000, "memory_mb": 384})
# Formatted files the agent may send back, all together (the gateway accepts 512 KiB of source).
FORMATTED_MAX_BYTES = 2 << 20


def analysis_limits(*, anonymous: bool) -> Limits:
    return ANONYMOUS_ANALYSIS_LIMITS if anonymous else ANALYSIS_LIMITS


def analyser(language: str) -> Analyser | None:
    return ANALYSERS.get(language)


def tools_for(language: str, checks: Sequence[Check], variant: str | None = None) -> list[Tool]:
    """The tools these checks run for this language version (None: its default tools), once each,
    in a stable order (they are part of the cache key)."""
    if "metrics" in checks:
        # Every language has metrics (lizard's, or line counts alone).
        others = tools_for(language, [check for check in checks if check != "metrics"], variant)
        return sorted({LIZARD, *others}, key=lambda tool: tool.name)
    found = analyser(language)
    if found is None:
        return []
    tools = found.tools(variant)
    return sorted({tools[check] for check in checks if check in tools}, key=lambda tool: tool.name)


def python_target(variant: str) -> str:
    """ruff's --target-version for a catalogue variant ("3.13" -> py313); PyPy implements 3.11."""
    match = re.fullmatch(r"3\.(\d{1,2})", variant)
    return f"py3{match.group(1)}" if match else "py311"


def plan(language: str, variant: str, checks: Sequence[Check], names: Sequence[str]) -> list[ToolRun]:
    """The runs these checks need over the submitted files (none when no file is the tool's)."""
    if "metrics" in checks:
        others = plan(language, variant, [check for check in checks if check != "metrics"], names)
        return [metrics_run(names), *others] if names else others
    found = analyser(language)
    if found is None:
        return []
    paths = [sandbox_path(name) for name in names if found.reads(name)]
    if not paths:
        return []
    runs: list[ToolRun] = []
    # The compilers' checks, mypy and the formatters other than ruff's (checkers.py).
    for check, tool in sorted(found.tools(variant).items()):
        if check in checks and tool not in (RUFF, SHELLCHECK):
            run = checkers.checker_run(tool, check, language, variant, names)
            runs.extend([run] if run is not None else [])
    if language == "bash" and "lint" in checks:
        # json1 counts a tab as one column (the legacy json as eight); --norc ignores a submitted
        # .shellcheckrc; without -x, `source`d files are never read.
        argv = (SHELLCHECK.path, "--format", "json1", "--norc", "--shell", "bash", "--", *paths)
        runs.append(ToolRun(SHELLCHECK, "lint", argv, "shellcheck"))
    if language == "python":
        target = python_target(variant)
        if "lint" in checks:
            argv = (
                RUFF.path,
                "check",
                "--isolated",
                "--no-cache",
                "--exit-zero",
                "--output-format",
                "json",
                "--target-version",
                target,
                "--",
                *paths,
            )
            runs.append(ToolRun(RUFF, "lint", argv, "ruff-check"))
        if "format" in checks:
            # ruff exits 2 when a file does not parse (it still formats the others, and leaves that
            # one as it was), and the agent sends files back only after a clean exit: the fixed
            # script (no data in it) makes that exit 0, while a crash stays one. The file names
            # reach ruff as the script's positional arguments, after "--".
            script = (
                f'{RUFF.path} format --isolated --no-cache --quiet --target-version {target} -- "$@"; '
                'status=$?; [ "$status" -le 2 ] && exit 0; exit "$status"'
            )
            argv = ("sh", "-c", script, "ruff-format", *paths)
            runs.append(ToolRun(RUFF, "format", argv, "formatted", collect=(SOURCE_DIR,)))
    return runs


# lizard over the submitted files, through its Python API: unlike `lizard --csv` it gives each
# file's NLOC, and the totals come out of the sandbox already summed (a 512 KiB file of one-line
# functions lists ~50,000 of them: past the output limit), with the first MAX_FUNCTIONS listed.
# Files lizard has no reader for are left out (its CLI would read them as C); the parser counts
# their lines. A file it fails on is left out too. sys.argv is reset before the import, as
# lizard puts its script's directory on sys.path (with -c: the working directory); -I keeps
# PYTHON* variables and the working directory out as well. No data goes into the script: the
# file names are its arguments, after "--".
MAX_FUNCTIONS = 500
METRICS_SCRIPT = f"""
import json, sys
paths = sys.argv[sys.argv.index("--") + 1 :]
sys.argv = ["{LIZARD.path}"]
import lizard
files, functions, count, ccn_sum, ccn_max = [], [], 0, 0, 0
for path in paths:
    if lizard.get_reader_for(path) is None:
        continue
    try:
        info = lizard.analyze_file(path)
    except Exception:
        continue
    files.append({{"file": path, "nloc": info.nloc}})
    for f in info.function_list:
        ccn = f.cyclomatic_complexity
        count, ccn_sum, ccn_max = count + 1, ccn_sum + ccn, max(ccn_max, ccn)
        if len(functions) < {MAX_FUNCTIONS}:
            functions.append({{"file": path, "name": f.name[:200], "line": f.start_line, "ccn": ccn,
                              "nloc": f.nloc, "params": f.parameter_count}})
json.dump({{"files": files, "functions": functions, "count": count, "ccn_sum": ccn_sum, "ccn_max": ccn_max}},
          sys.stdout)
"""


def metrics_run(names: Sequence[str]) -> ToolRun:
    argv = (f"{VENV}/bin/python", "-I", "-c", METRICS_SCRIPT, "--", *(sandbox_path(name) for name in names))
    return ToolRun(LIZARD, "metrics", argv, "lizard")
