"""The compilers' checks, mypy and the formatters (shared/analysis/checkers.py): which tool runs
for each language version, in which image and sandbox shape, and argv that reads no file name as
an option and no configuration the submission ships."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.executor.analysis_sandboxes import ANALYSIS_LANGUAGE, tool_env, tool_language, tool_limits
from services.executor.runner import sandbox_shape
from services.executor.worker import pool_settings
from shared.analysis.base import ANALYSIS_RUNTIME, ToolRun, reported_version
from shared.analysis.checkers import CLANG_FORMAT_STYLE, GO_CACHE, MYPY, MYPY_OPTIONS, PRETTIER, python_version
from shared.analysis.model import Check
from shared.analysis.tools import ANALYSERS, TOOLS, plan, tools_for
from shared.executions import Phase
from shared.languages import BY_KEY
from shared.settings import ExecutorSettings

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ["-v.c", "pkg/--help.c", "main.c", "util.h", "-o.cpp", "a.cc", "x.hpp", "tsconfig.json", ".clang-format"]


def _one(language: str, variant: str, check: Check, names: list[str]) -> ToolRun:
    (run,) = [run for run in plan(language, variant, [check], names) if run.check == check]
    return run


def _names(run: ToolRun, first: int) -> list[str]:
    return list(run.argv[first:])


def test_every_version_of_every_analysed_language_has_its_tools() -> None:
    for language_id, found in ANALYSERS.items():
        variants = [language.variant for language in BY_KEY.values() if language.id == language_id]
        assert variants, language_id
        assert set(found.variants) <= set(variants), language_id
        for variant in variants:
            for tool in tools_for(language_id, list(found.tools(variant)), variant):
                # A compiler runs in an image the catalogue has, and is versioned by that runtime;
                # the others are the analysis image's, pinned and probed.
                if tool.runtime is not None:
                    assert tool.runtime in BY_KEY
                    assert tool.version == ""
                else:
                    assert TOOLS[tool.name] is tool


def test_each_version_is_checked_by_its_own_compiler() -> None:
    def lint(language: str, variant: str) -> tuple[str, str | None]:
        (tool,) = tools_for(language, ["lint"], variant)
        return tool.name, tool.runtime

    assert lint("c", "gcc-14") == ("gcc", "c@gcc-14")
    assert lint("c", "gcc-12") == ("gcc", "c@gcc-12")
    assert lint("c", "clang-19") == ("clang", "c@clang-19")
    # Tiny C has no syntax-only mode: GCC 14, in the same image.
    assert lint("c", "tcc") == ("gcc", "c@gcc-14")
    assert BY_KEY["c@tcc"].runtime == BY_KEY["c@gcc-14"].runtime
    assert lint("cpp", "gcc-12") == ("g++", "cpp@gcc-12")
    assert lint("cpp", "clang-19") == ("clang++", "cpp@clang-19")
    assert lint("go", "1.19") == ("go vet", "go@1.19")
    assert lint("typescript", "5.9") == ("tsc", "typescript@5.9")
    assert lint("javascript", "18") == ("tsc", "typescript@7.0")
    assert [tool.name for tool in tools_for("go", ["format"], "1.19")] == ["gofmt"]
    assert tools_for("python", ["types"], "3.11") == [MYPY]
    # Type checking is opt-in: `lint` alone never runs mypy.
    assert MYPY not in tools_for("python", ["lint", "format"], "3.13")


def test_c_and_cpp_names_reach_the_compiler_as_dot_slash_paths() -> None:
    gcc = _one("c", "gcc-14", "lint", HOSTILE)
    assert gcc.argv[:2] == ("gcc", "-fsyntax-only")
    assert {"-fdiagnostics-plain-output", "-fdiagnostics-parseable-fixits", "-fdiagnostics-column-unit=byte"} <= set(
        gcc.argv
    )
    # Translation units only (headers come through #include), each ./src/<name>.
    assert [arg for arg in gcc.argv if "src/" in arg] == ["./src/-v.c", "./src/pkg/--help.c", "./src/main.c"]
    assert (gcc.parser, gcc.stream) == ("gcc", "stderr")
    gxx = _one("cpp", "gcc-12", "lint", HOSTILE)
    assert gxx.argv[0] == "g++"
    # The catalogue's precompiled <bits/stdc++.h> serves -O2 -std=gnu++17.
    assert {"-O2", "-std=gnu++17", "-I/opt/crh/pch"} <= set(gxx.argv)
    assert [arg for arg in gxx.argv if "src/" in arg] == ["./src/-o.cpp", "./src/a.cc"]
    clang = _one("cpp", "clang-19", "lint", HOSTILE)
    assert clang.argv[0] == "clang++"
    assert "-fdiagnostics-print-source-range-info" in clang.argv
    for run in (gcc, gxx, clang):
        assert not any(arg.startswith("-") and "src/" in arg for arg in run.argv)


def test_tsc_gets_an_explicit_file_list_and_no_tsconfig() -> None:
    names = ["main.ts", "-p.ts", "lib/util.mts", "app.js", "tsconfig.json", "README.md"]
    ts7 = _one("typescript", "7.0", "lint", names)
    assert ts7.argv[:2] == ("tsc", "--ignoreConfig")
    assert {"--noEmit", "--skipLibCheck"} <= set(ts7.argv)
    assert "--project" not in ts7.argv
    assert "-p" not in ts7.argv
    assert [arg for arg in ts7.argv if "src/" in arg] == ["./src/main.ts", "./src/-p.ts", "./src/lib/util.mts"]
    # Node's globals, as the compile phase declares them: beside src/, so never reported.
    assert ts7.argv[-1] == "crh-node-globals.d.ts"
    assert dict(ts7.support_files) == dict(BY_KEY["typescript@7.0"].support_files)
    ts5 = _one("typescript", "5.9", "lint", names)
    # TypeScript 5 has no --ignoreConfig (it ignores a tsconfig.json when files are named).
    assert ts5.argv[0] == "tsc5"
    assert "--ignoreConfig" not in ts5.argv
    js = _one("javascript", "20", "lint", names)
    assert {"--allowJs", "--checkJs"} <= set(js.argv)
    assert [arg for arg in js.argv if "src/" in arg] == ["./src/app.js"]
    assert dict(js.support_files)["crh-js-modules.d.ts"] == 'declare module "*";\n'


def test_go_vet_runs_in_gopath_mode_with_the_local_toolchain() -> None:
    for variant in ("1.24", "1.19"):
        vet = _one("go", variant, "lint", ["main.go", "-x.go", "go.mod", "util.c"])
        assert vet.argv[:2] == ("sh", "-c")
        assert '-- "$@"' in vet.argv[2]
        assert _names(vet, 4) == ["./src/main.go", "./src/-x.go"]
        env = tool_env(vet)
        # No go.mod is read (so no toolchain line), nothing is downloaded, no cgo.
        assert env["GO111MODULE"] == "off"
        assert env["GOTOOLCHAIN"] == "local"
        assert env["CGO_ENABLED"] == "0"
        assert env["GOENV"] == "off"
        assert (vet.parser, vet.stream) == ("go-vet", "stderr")
    # The image's read-only cache, with go vet's facts about the common standard packages, built
    # by the setup hook in exactly this environment (other values would key other entries).
    hook = (ROOT / "deploy" / "images" / "setup" / "go.sh").read_text()
    assert (ROOT / "deploy" / "images" / "setup" / "trixie-go.sh").resolve().name == "go.sh"
    for variant in ("1.24", "1.19"):
        env = tool_env(_one("go", variant, "lint", ["main.go"]))
        assert env["GOCACHE"] == GO_CACHE
        assert f"cache={GO_CACHE}\n" in hook
        warm = "env GOCACHE=$cache GOPATH=/tmp/go GO111MODULE=off CGO_ENABLED=0 GOTOOLCHAIN=local GOENV=off GOFLAGS="
        assert warm in hook
        assert {
            key: env[key] for key in ("GOPATH", "GO111MODULE", "CGO_ENABLED", "GOTOOLCHAIN", "GOENV", "GOFLAGS")
        } == {
            "GOPATH": "/tmp/go",
            "GO111MODULE": "off",
            "CGO_ENABLED": "0",
            "GOTOOLCHAIN": "local",
            "GOENV": "off",
            "GOFLAGS": "",
        }


def test_mypy_reads_no_configuration_and_uses_the_images_cache() -> None:
    run = _one("python", "pypy", "types", ["main.py", "-x.py", "mypy.ini", "pyproject.toml"])
    assert run.argv[: len(MYPY_OPTIONS) + 1] == (MYPY.path, *MYPY_OPTIONS)
    assert "--config-file=" in run.argv
    assert "--python-version" in run.argv
    assert python_version("pypy") == "3.11"
    assert "--cache-dir=/opt/crh/mypy-cache/3.11" in run.argv
    assert _names(run, run.argv.index("--") + 1) == ["src/main.py", "src/-x.py"]
    # The image's cache was built with exactly these options (a cache built with others is unused).
    hook = (ROOT / "deploy" / "images" / "setup" / "analysis.sh").read_text()
    assert " ".join(("mypy", *MYPY_OPTIONS)) in hook
    assert "for version in 3.13 3.11" in hook
    assert {python_version(lang.variant) for lang in BY_KEY.values() if lang.id == "python"} == {"3.13", "3.11"}


@pytest.mark.parametrize(
    ("language", "variant", "names", "files"),
    [
        ("c", "clang-19", ["main.c", "util.h", "-x.cpp"], ["src/main.c", "src/util.h"]),
        ("cpp", "gcc-14", ["main.cpp", "a.hpp", "b.c"], ["src/main.cpp", "src/a.hpp"]),
        ("typescript", "5.9", ["main.ts", "-d.json", "x.md", "z.go"], ["src/main.ts", "src/-d.json", "src/x.md"]),
        ("javascript", "18", ["app.js", "App.jsx"], ["src/app.js", "src/App.jsx"]),
        ("go", "1.19", ["main.go", "-w.go", "x.c"], ["src/main.go", "src/-w.go"]),
    ],
)
def test_formatters_take_names_after_double_dash(
    language: str, variant: str, names: list[str], files: list[str]
) -> None:
    run = _one(language, variant, "format", names)
    assert (run.collect, run.parser) == (("src",), "formatted")
    assert [arg for arg in run.argv if arg.startswith("src/")] == files
    if run.argv[0] == "sh":
        # A fixed script (formatters that exit 2 on a file they cannot parse); names are its arguments.
        assert '-- "$@"' in run.argv[2]
        assert list(run.argv[4:]) == files
    else:
        assert list(run.argv[run.argv.index("--") + 1 :]) == files
    if run.tool is PRETTIER:
        assert "--no-config --no-editorconfig" in run.argv[2]
    elif run.tool.name == "clang-format":
        # An explicit style: a submitted .clang-format is never read.
        assert run.argv[1] == CLANG_FORMAT_STYLE
    else:
        assert (run.tool.name, run.tool.runtime) == ("gofmt", f"go@{variant}")


def test_compilers_share_the_compile_pool_of_their_version() -> None:
    settings = ExecutorSettings()
    warm = pool_settings(settings).base_targets
    image = f"{settings.image_prefix}{{}}:{settings.image_tag}"
    for language, variant in [("c", "gcc-14"), ("cpp", "gcc-14"), ("go", "1.24"), ("typescript", "7.0")]:
        (tool,) = tools_for(language, ["lint"], variant)
        runtime = tool_language(tool)
        limits = tool_limits(tool, settings, anonymous=False)
        shape = sandbox_shape(image.format(runtime.runtime), runtime, limits, Phase.compile)
        # The default versions' compile sandboxes are warm already: the analysis takes one.
        assert shape in warm, (language, variant)
    # TypeScript 5's analysis gets its pre-started compiler, as its compile phase does.
    (tsc5,) = tools_for("typescript", ["lint"], "5.9")
    limits = tool_limits(tsc5, settings, anonymous=False)
    shape = sandbox_shape(image.format("trixie-node"), tool_language(tsc5), limits, Phase.compile)
    assert shape.zygote == BY_KEY["typescript@5.9"].compile_zygote


def test_compilers_keep_the_analysis_time_limits_and_the_callers_compile_memory() -> None:
    settings = ExecutorSettings()
    (gcc,) = tools_for("c", ["lint"], "gcc-14")
    account = tool_limits(gcc, settings, anonymous=False)
    anonymous = tool_limits(gcc, settings, anonymous=True)
    assert (account.cpu_time_ms, account.wall_time_ms, account.output_bytes) == (5_000, 8_000, 1 << 20)
    assert (account.memory_mb, account.processes) == (1_024, 128)
    # Compile limits follow the caller (docs/security.md): the anonymous compile defaults.
    assert (anonymous.cpu_time_ms, anonymous.memory_mb, anonymous.processes) == (3_000, 512, 64)
    assert tool_language(MYPY) is ANALYSIS_LANGUAGE
    assert ANALYSIS_LANGUAGE.runtime == ANALYSIS_RUNTIME
    assert tool_limits(MYPY, settings, anonymous=True).memory_mb == 384


def test_no_argv_carries_request_data_into_a_shell_script() -> None:
    names = ["main.go", "$(reboot).go", "a;b.go", "`x`.c", "main.c"]
    for language, variant in [("go", "1.24"), ("c", "gcc-14")]:
        for run in plan(language, variant, ["lint", "format"], names):
            if run.argv[0] == "sh":
                # The script is fixed text; the names come after it, as its arguments.
                assert not any(name in run.argv[2] for name in names)
                assert all(arg.startswith(("src/", "./src/")) for arg in run.argv[4:])


def test_each_tools_version_comes_from_where_it_runs() -> None:
    # Part of the cache key: a compiler's is its runtime's (crh:runtimes), the others the analysis
    # image's probe (crh:analysis:tools); unknown until an executor reported it.
    (gcc12,) = tools_for("c", ["lint"], "gcc-12")
    runtimes = {"c@gcc-12": "12.2.0", "c@gcc-14": "14.2.0"}
    probed = {"mypy": "1.15.0", "gcc": "not this"}
    assert reported_version(gcc12, probed, runtimes) == "12.2.0"
    assert reported_version(MYPY, probed, runtimes) == "1.15.0"
    assert reported_version(PRETTIER, probed, runtimes) is None
    (clang,) = tools_for("c", ["lint"], "clang-19")
    assert reported_version(clang, probed, runtimes) is None
