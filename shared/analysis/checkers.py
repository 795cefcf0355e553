"""The analysers beyond ruff and ShellCheck (docs/design/collaboration-and-analysis.md, 2.1): each
compiler's own checks, mypy, and the formatters clang-format, prettier and gofmt.

Compiler checks (gcc/g++ and clang ``-fsyntax-only``, ``tsc --noEmit``, ``go vet``) run in the
runtime image of the language version asked for, in the shape of its compile sandboxes (already
warm for the default versions): they say exactly what that compiler says when the program is
built. mypy, clang-format and prettier are in the analysis image, gofmt in the Go images.

Configuration the submission ships is ignored by construction: file names are given to every tool
(so tsc reads no tsconfig.json; TypeScript 7 is told so with --ignoreConfig), mypy gets
``--config-file=`` (no plugins), prettier ``--no-config --no-editorconfig``, clang-format an
explicit style, and Go builds in GOPATH mode (no go.mod, so no toolchain line) with
GOTOOLCHAIN=local and GOENV=off. Names reach tools after ``--``, or as ``./name`` where a tool has
no ``--`` (gcc, clang, tsc)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from shared.analysis.base import SOURCE_DIR, Tool, ToolRun, sandbox_path, tolerant
from shared.analysis.model import Check
from shared.languages import BY_KEY

# Debian trixie's packages (runtimes.conf: analysis); setup/analysis.sh checks the versions.
MYPY = Tool("mypy", "1.15.0", "/usr/bin/mypy")
CLANG_FORMAT = Tool("clang-format", "19.1.7", "/usr/bin/clang-format")
# npm, pinned: setup/analysis.sh installs it into its own prefix.
PRETTIER = Tool("prettier", "3.10.2", "/opt/crh/prettier/node_modules/.bin/prettier")
ANALYSIS_IMAGE_TOOLS = (MYPY, CLANG_FORMAT, PRETTIER)

# Compilers of the languages' own images: versioned by their runtime (Tool.runtime).
GCC = {variant: Tool("gcc", "", "gcc", f"c@{variant}") for variant in ("gcc-14", "gcc-12")}
GXX = {variant: Tool("g++", "", "g++", f"cpp@{variant}") for variant in ("gcc-14", "gcc-12")}
CLANG = Tool("clang", "", "clang", "c@clang-19")
CLANGXX = Tool("clang++", "", "clang++", "cpp@clang-19")
TSC = {"7.0": Tool("tsc", "", "tsc", "typescript@7.0"), "5.9": Tool("tsc", "", "tsc5", "typescript@5.9")}
GO_VET = {variant: Tool("go vet", "", "go", f"go@{variant}") for variant in ("1.24", "1.19")}
GOFMT = {variant: Tool("gofmt", "", "gofmt", f"go@{variant}") for variant in ("1.24", "1.19")}

# The files each tool is given: compilers their language's translation units (headers are read
# through #include, and diagnostics in them are kept), formatters every file they know.
C_UNITS = (".c",)
C_FILES = (".c", ".h")
CXX_UNITS = (".cpp", ".cc", ".cxx")
CXX_FILES = (*CXX_UNITS, ".h", ".hpp", ".hh", ".hxx")
TS_UNITS = (".ts", ".mts", ".cts")
JS_UNITS = (".js", ".mjs", ".cjs")
PRETTIER_FILES = (*JS_UNITS, ".jsx", *TS_UNITS, ".tsx", ".json", ".css", ".md")
GO_FILES = (".go",)
PYTHON_FILES = (".py", ".pyi")

# The catalogue's standards (shared/languages/families/native.py) and its C++ include paths: the
# precompiled <bits/stdc++.h> (setup/gcc.sh) serves -O2 -std=gnu++17, and with it a syntax check
# of a program including it takes ~0.25 s instead of ~2 s.
_GCC_COMMON = (
    "-fsyntax-only",
    "-Wall",
    "-Wextra",
    # One line per diagnostic (no source excerpt, colour or URL), fix-its as `fix-it:` lines, and
    # columns in bytes (gcc >= 11 counts display cells by default: a tab is up to 8).
    "-fdiagnostics-plain-output",
    "-fdiagnostics-parseable-fixits",
    "-fdiagnostics-column-unit=byte",
)
# clang counts bytes already; its fix-its need the source excerpt, which the parser skips (its
# lines start with a line number and a bar); ranges come as {l:c-l:c} after the position.
_CLANG_COMMON = (
    "-fsyntax-only",
    "-Wall",
    "-Wextra",
    "-fno-color-diagnostics",
    "-fdiagnostics-parseable-fixits",
    "-fdiagnostics-print-source-range-info",
)
_CXX_INCLUDES = ("-I/usr/include/eigen3",)
_C_STD = "-std=gnu17"
_CXX_STD = "-std=gnu++17"

_JS_MODULES = (("crh-js-modules.d.ts", 'declare module "*";\n'),)
# The catalogue's TypeScript options (shared/languages/families/scripting.py), without emitting.
_TSC_OPTIONS = ("--noEmit", "--pretty", "false", "--skipLibCheck", "--target", "es2022", "--module", "commonjs")

# mypy reads no configuration with --config-file= (so no plugins); imports of packages the runtime
# images have but the analysis image has not (numpy, pandas) are not errors; the cache of the
# standard library's stubs, built read-only into the image for these exact options
# (setup/analysis.sh), makes a check ~0.25 s of CPU instead of ~1 s (mypy ignores failed writes).
MYPY_CACHE = "/opt/crh/mypy-cache"
MYPY_OPTIONS = ("-O", "json", "--config-file=", "--ignore-missing-imports", "--no-error-summary")

# An explicit style: a submitted .clang-format is never read.
CLANG_FORMAT_STYLE = "--style={BasedOnStyle: LLVM, IndentWidth: 4}"
_PRETTIER_OPTIONS = "--no-config --no-editorconfig --ignore-path=/dev/null --log-level=silent --write"

GO_CACHE = "/opt/go-cache"
# go vet stops at the first type error; then the compiler (which stops before linking) lists them
# all (-gcflags=-e: not only the first ten). Both report on stderr; the parser keeps each once.
_GO_VET_SCRIPT = 'go vet -json -- "$@" || go build -gcflags=-e -o /dev/null -- "$@"; exit 0'


def python_version(variant: str) -> str:
    """mypy's --python-version for a catalogue variant ("3.13"); PyPy implements 3.11."""
    return variant if re.fullmatch(r"3\.\d{1,2}", variant) else "3.11"


def _named(names: Sequence[str], extensions: tuple[str, ...], dot_slash: bool = False) -> tuple[str, ...]:
    prefix = "./" if dot_slash else ""
    return tuple(prefix + sandbox_path(name) for name in names if name.endswith(extensions))


def _compiler_run(tool: Tool, names: Sequence[str]) -> ToolRun | None:
    cxx = tool.name in ("g++", "clang++")
    units = _named(names, CXX_UNITS if cxx else C_UNITS, dot_slash=True)
    if not units:
        return None
    standard = _CXX_STD if cxx else _C_STD
    if tool.name.startswith("clang"):
        argv = (tool.path, *_CLANG_COMMON, standard, *(_CXX_INCLUDES if cxx else ()), *units)
    else:
        includes = ("-O2", "-pipe", "-I/opt/crh/pch", *_CXX_INCLUDES) if cxx else ()
        argv = (tool.path, *_GCC_COMMON, standard, *includes, *units)
    return ToolRun(tool, "lint", argv, "gcc", stream="stderr")


def _tsc_run(tool: Tool, language: str, names: Sequence[str]) -> ToolRun | None:
    javascript = language == "javascript"
    units = _named(names, JS_UNITS if javascript else TS_UNITS, dot_slash=True)
    if not units:
        return None
    runtime = BY_KEY[tool.runtime or ""]
    # TypeScript 7 refuses to ignore a tsconfig.json it finds unless told to (TS5112); 5 ignores it.
    ignore = ("--ignoreConfig",) if tool.path == "tsc" else ()
    checks_js = ("--allowJs", "--checkJs") if javascript else ()
    # Node's globals (require, process), as the compile phase declares them; for JavaScript also
    # every module as `any` (without it, each require("fs") is an error: no @types/node here).
    support = (*runtime.support_files.items(), *(_JS_MODULES if javascript else ()))
    argv = (tool.path, *ignore, *_TSC_OPTIONS, *checks_js, *units, *(name for name, _ in support))
    return ToolRun(tool, "lint", argv, "tsc", support_files=support)


def _go_vet_run(tool: Tool, names: Sequence[str]) -> ToolRun | None:
    files = _named(names, GO_FILES, dot_slash=True)
    if not files:
        return None
    runtime = BY_KEY[tool.runtime or ""]
    # The compile phase's environment (GOPATH mode, no cgo), the local toolchain only, no go env
    # file, and the image's read-only build cache, which holds go vet's facts about the common
    # standard packages (setup/go.sh builds it in exactly this environment).
    env = {**runtime.compile_env, "GOTOOLCHAIN": "local", "GOENV": "off", "GOFLAGS": "", "GOCACHE": GO_CACHE}
    argv = ("sh", "-c", _GO_VET_SCRIPT, "go-vet", *files)
    return ToolRun(tool, "lint", argv, "go-vet", stream="stderr", env=env)


def _format_run(tool: Tool, names: Sequence[str], extensions: tuple[str, ...]) -> ToolRun | None:
    paths = _named(names, extensions)
    if not paths:
        return None
    if tool is CLANG_FORMAT:
        argv = (tool.path, CLANG_FORMAT_STYLE, "-i", "--", *paths)
    elif tool is PRETTIER:
        # prettier exits 2 when a file does not parse (the others are still written).
        argv = tolerant(f"{tool.path} {_PRETTIER_OPTIONS}", 2, "prettier", paths)
    else:
        # gofmt exits 2 when a file does not parse.
        argv = tolerant(f"{tool.path} -w", 2, "gofmt", paths)
    return ToolRun(tool, "format", argv, "formatted", collect=(SOURCE_DIR,))


def checker_run(tool: Tool, check: Check, language: str, variant: str, names: Sequence[str]) -> ToolRun | None:
    """The run of one of this module's tools for ``check``, or None when no submitted file is its."""
    if tool is MYPY:
        paths = _named(names, PYTHON_FILES)
        if not paths:
            return None
        version = python_version(variant)
        cache = f"--cache-dir={MYPY_CACHE}/{version}"
        argv = (tool.path, *MYPY_OPTIONS, cache, "--python-version", version, "--", *paths)
        return ToolRun(tool, check, argv, "mypy")
    if check == "format":
        extensions = {"c": C_FILES, "cpp": CXX_FILES, "go": GO_FILES}.get(language, PRETTIER_FILES)
        return _format_run(tool, names, extensions)
    if tool.name == "tsc":
        return _tsc_run(tool, language, names)
    if tool.name == "go vet":
        return _go_vet_run(tool, names)
    return _compiler_run(tool, names)
