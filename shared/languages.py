"""The language catalogue: one declarative definition per language.

Adding a language is one entry here, its runtime image under deploy/images/, and its tests.
Command templates are argv lists (never shell strings); placeholders:
``{entry}`` the entry file, ``{entry_stem}`` its name without extension,
``{sources}`` every submitted file with one of the language's extensions (expands to many args).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True, slots=True)
class Language:
    id: str
    name: str
    runtime: str
    source_file: str
    extensions: tuple[str, ...]
    run: tuple[str, ...]
    version_command: tuple[str, ...]
    compile: tuple[str, ...] | None = None
    # Paths (files or directories, relative to the work dir) the compile phase hands to the run phase.
    artifacts: tuple[str, ...] = ()
    # Interpreted languages need their sources at run time; compiled ones only the artifacts.
    run_needs_sources: bool = True
    run_env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    compile_env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    version_pattern: str = r"(\d+(?:\.\d+)+)"
    # Defaults that differ from the server-wide ones, e.g. a JVM needs more threads.
    run_limit_defaults: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    compile_limit_defaults: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def compiled(self) -> bool:
        return self.compile is not None

    def expand(self, template: Sequence[str], entry: str, files: Sequence[str]) -> list[str]:
        """Fill a command template; ``{sources}`` lists the entry file first, then the rest sorted."""
        sources = [entry, *sorted(name for name in files if name != entry and name.endswith(self.extensions))]
        stem = entry.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        argv: list[str] = []
        for arg in template:
            if arg == "{sources}":
                argv.extend(sources)
            else:
                argv.append(arg.replace("{entry}", entry).replace("{entry_stem}", stem))
        return argv

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "compiled": self.compiled,
            "source_file": self.source_file,
            "extensions": list(self.extensions),
        }


def _env(**values: str) -> Mapping[str, str]:
    return MappingProxyType(values)


_JVM_FLAGS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xss64m")

LANGUAGES: Mapping[str, Language] = MappingProxyType(
    {
        lang.id: lang
        for lang in (
            Language(
                id="python",
                name="Python 3",
                runtime="python",
                source_file="main.py",
                extensions=(".py",),
                run=("python3", "{entry}"),
                run_env=_env(PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1"),
                version_command=("python3", "--version"),
            ),
            Language(
                id="javascript",
                name="JavaScript (Node.js)",
                runtime="node",
                source_file="main.js",
                extensions=(".js", ".mjs", ".cjs"),
                run=("node", "{entry}"),
                version_command=("node", "--version"),
            ),
            Language(
                id="c",
                name="C (GCC)",
                runtime="gcc",
                source_file="main.c",
                extensions=(".c",),
                compile=("gcc", "-O2", "-std=gnu17", "-pipe", "-o", "main", "{sources}", "-lm"),
                artifacts=("main",),
                run=("./main",),
                run_needs_sources=False,
                version_command=("gcc", "-dumpfullversion"),
            ),
            Language(
                id="cpp",
                name="C++ (G++)",
                runtime="gcc",
                source_file="main.cpp",
                extensions=(".cpp", ".cc", ".cxx"),
                compile=("g++", "-O2", "-std=gnu++17", "-pipe", "-o", "main", "{sources}"),
                artifacts=("main",),
                run=("./main",),
                run_needs_sources=False,
                version_command=("g++", "-dumpfullversion"),
            ),
            Language(
                id="go",
                name="Go",
                runtime="go",
                source_file="main.go",
                extensions=(".go",),
                compile=("go", "build", "-o", "main", "{sources}"),
                compile_env=_env(GOCACHE="/tmp/go-cache", GOPATH="/tmp/go", GO111MODULE="off", CGO_ENABLED="0"),
                artifacts=("main",),
                run=("./main",),
                run_needs_sources=False,
                version_command=("go", "version"),
            ),
            Language(
                id="java",
                name="Java (OpenJDK)",
                runtime="java",
                source_file="Main.java",
                extensions=(".java",),
                compile=(
                    "javac",
                    *(f"-J{flag}" for flag in _JVM_FLAGS),
                    "-encoding",
                    "UTF-8",
                    "-d",
                    "classes",
                    "{sources}",
                ),
                artifacts=("classes",),
                run=("java", *_JVM_FLAGS, "-cp", "classes", "{entry_stem}"),
                run_needs_sources=False,
                version_command=("javac", "-version"),
                run_limit_defaults=MappingProxyType({"memory_mb": 512, "processes": 128}),
            ),
            Language(
                id="rust",
                name="Rust",
                runtime="rust",
                source_file="main.rs",
                extensions=(".rs",),
                compile=("rustc", "--edition", "2021", "-O", "-o", "main", "{entry}"),
                artifacts=("main",),
                run=("./main",),
                run_needs_sources=False,
                version_command=("rustc", "--version"),
            ),
            Language(
                id="bash",
                name="Bash",
                runtime="base",
                source_file="main.sh",
                extensions=(".sh",),
                run=("bash", "{entry}"),
                version_command=("bash", "-c", "echo $BASH_VERSION"),
            ),
        )
    }
)
