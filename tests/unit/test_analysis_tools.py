"""The analysis tool table (shared/analysis/tools.py): pinned versions match what the image's setup
hook installs, argv never lets a file name become an option, and the cache key covers everything
that decides an answer."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.routing import APIRoute

from services.gateway.analyses.service import analysis_key
from services.gateway.app import create_app
from services.gateway.ratelimit.wiring import admits_itself, admitted_analysis
from shared.analysis.model import AnalysisFile, ToolVersion
from shared.analysis.tools import ANALYSIS_RUNTIME, RUFF, TOOLS, plan, python_target, tools_for
from shared.languages import BY_KEY
from tests.conftest import gateway_settings

ROOT = Path(__file__).resolve().parents[2]
SETUP = ROOT / "deploy" / "images" / "setup" / "analysis.sh"


def test_pinned_versions_are_the_ones_the_image_installs() -> None:
    hook = SETUP.read_text()
    pins = dict(re.findall(r"^([A-Z_]+)=(\S+)$", hook, re.MULTILINE))
    named = {name.lower().replace("_", "-"): version for name, version in pins.items()}
    assert {name: version for name, version in named.items() if name in TOOLS} == {
        tool.name: tool.version for tool in TOOLS.values()
    }
    assert '"ruff==$RUFF"' in hook
    conf = (ROOT / "deploy" / "images" / "runtimes.conf").read_text()
    assert re.search(rf"^{ANALYSIS_RUNTIME} trixie: .*python3-venv.* mypy clang-format nodejs npm$", conf, re.MULTILINE)


def test_file_names_reach_ruff_after_double_dash_and_below_the_source_dir() -> None:
    names = ["main.py", "a-b.py", "pkg/--fix.py", "-x.py", "data.txt", "stubs.pyi"]
    lint, fmt = plan("python", "3.13", ["lint", "format"], names)
    assert lint.argv[:2] == (RUFF.path, "check")
    assert "--isolated" in lint.argv
    assert "--no-cache" in lint.argv
    files = list(lint.argv[lint.argv.index("--") + 1 :])
    # Only the tool's own files are named, each as src/<name>: never with a leading dash.
    assert files == ["src/main.py", "src/a-b.py", "src/pkg/--fix.py", "src/-x.py", "src/stubs.pyi"]
    assert not any(arg.startswith("-") for arg in files)
    # Formatting: a fixed script; the names are its positional arguments, passed on after "--".
    assert fmt.argv[:2] == ("sh", "-c")
    script = fmt.argv[2]
    assert '-- "$@"' in script
    assert "--isolated" in script
    assert not any(name in script for name in names)
    assert list(fmt.argv[4:]) == files
    assert fmt.collect == ("src",)


def test_shell_scripts_reach_shellcheck_after_double_dash() -> None:
    (lint,) = plan("bash", "5.2", ["lint", "format"], ["main.sh", "lib/-x.sh", ".shellcheckrc", "x.py"])
    assert lint.argv == (
        "/usr/bin/shellcheck",
        "--format",
        "json1",
        "--norc",
        "--shell",
        "bash",
        "--",
        "src/main.sh",
        "src/lib/-x.sh",
    )
    assert lint.parser == "shellcheck"
    # No formatter for shell scripts (yet): format alone is unsupported.
    assert tools_for("bash", ["format"]) == []


def test_what_is_not_analysed() -> None:
    assert plan("rust", "1.85", ["lint"], ["main.rs"]) == []
    assert plan("python", "3.13", ["lint"], ["notes.txt"]) == []
    assert plan("c", "gcc-14", ["lint"], ["util.h"]) == []
    assert tools_for("rust", ["lint"]) == []
    assert [tool.name for tool in tools_for("python", ["lint", "format"])] == ["ruff"]


def test_target_versions() -> None:
    targets = {lang.variant: python_target(lang.variant) for lang in BY_KEY.values() if lang.id == "python"}
    assert targets == {"3.13": "py313", "3.11": "py311", "pypy": "py311"}


def test_the_cache_key_changes_with_everything_that_decides_the_answer() -> None:
    python = BY_KEY["python@3.13"]
    files = [AnalysisFile(name="main.py", content="import os\n")]
    ruff = [ToolVersion(name="ruff", version="0.17.6")]
    key = analysis_key(python, ["lint"], ruff, False, files)
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert key == analysis_key(python, ["lint"], ruff, False, [AnalysisFile(name="main.py", content="import os\n")])
    others = {
        analysis_key(BY_KEY["python@3.11"], ["lint"], ruff, False, files),
        analysis_key(python, ["format", "lint"], ruff, False, files),
        analysis_key(python, ["lint"], [ToolVersion(name="ruff", version="0.17.7")], False, files),
        analysis_key(python, ["lint"], ruff, True, files),
        analysis_key(python, ["lint"], ruff, False, [AnalysisFile(name="other.py", content="import os\n")]),
        analysis_key(python, ["lint"], ruff, False, [AnalysisFile(name="main.py", content="import os \n")]),
    }
    assert key not in others
    assert len(others) == 6


def test_requesting_an_analysis_declares_the_analyses_budget() -> None:
    routes: list[APIRoute] = []
    pending: list[object] = list(create_app(gateway_settings()).routes)
    while pending:
        route = pending.pop()
        if isinstance(route, APIRoute) and route.path.startswith("/v1/analyses"):
            routes.append(route)
        elif (router := getattr(route, "original_router", None)) is not None:
            pending.extend(router.routes)
    admitted = {(method, route.path) for route in routes if admits_itself(route) for method in route.methods or ()}
    # Only the POST: it is charged to `analyses`, not to `writes`; reading a result is a read.
    assert admitted == {("POST", "/v1/analyses")}
    post = next(route for route in routes if route.path == "/v1/analyses")
    assert any(dep.call is admitted_analysis for dep in post.dependant.dependencies)
