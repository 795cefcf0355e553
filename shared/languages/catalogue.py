"""Every supported language. Adding one: an entry here, its runtime in deploy/images/runtimes.conf,
and its programs in tests/e2e/programs.py."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from shared.languages.model import Language


def _map(**values: str) -> Mapping[str, str]:
    return MappingProxyType(values)


_JVM_FLAGS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xss64m")
_JVM_LIMITS = MappingProxyType({"memory_mb": 512, "processes": 128})
_GCC_FLAGS = (
    r"-O[0-3sg]?",
    r"-g",
    r"-W(all|extra|error|pedantic|shadow|conversion|no-unused-result)",
    r"-pedantic",
    r"-D[A-Za-z_][A-Za-z0-9_]{0,63}(=[A-Za-z0-9_.]{0,64})?",
    r"-l(m|pthread)",
    r"-pthread",
    r"-march=x86-64(-v[234])?",
    r"-fno-(exceptions|rtti|strict-aliasing)",
)
_NODE_GLOBALS = """// Node.js globals for TypeScript programs, without @types/node.
declare var require: any;
declare var module: any;
declare var exports: any;
declare var process: any;
declare var Buffer: any;
declare var __dirname: string;
declare var __filename: string;
"""

LANGUAGES: Mapping[str, Language] = MappingProxyType(
    {
        lang.id: lang
        for lang in (
            Language(
                id="python",
                name="Python 3 (with NumPy and pandas)",
                runtime="python",
                source_file="main.py",
                extensions=(".py",),
                # Not "--": the zygote (deploy/images/agent/zygote.py) takes argv[1] as the script.
                run=("python3", "{entry}"),
                zygote=("python3", "/opt/crh/zygote.py"),
                run_env=_map(PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1", MPLCONFIGDIR="/tmp"),
                version_command=("python3", "--version"),
            ),
            Language(
                id="javascript",
                name="JavaScript (Node.js)",
                runtime="node",
                source_file="main.js",
                extensions=(".js", ".mjs", ".cjs"),
                run=("node", "--", "{entry}"),
                version_command=("node", "--version"),
            ),
            Language(
                id="typescript",
                name="TypeScript (tsc, Node.js)",
                runtime="typescript",
                source_file="main.ts",
                extensions=(".ts",),
                compile=(
                    "tsc",
                    "--outDir",
                    "out",
                    "--rootDir",
                    ".",
                    "--target",
                    "es2020",
                    "--module",
                    "commonjs",
                    "--pretty",
                    "false",
                    "{flags}",
                    "./{sources}",
                    "crh-node-globals.d.ts",
                ),
                support_files=_map(**{"crh-node-globals.d.ts": _NODE_GLOBALS}),
                allowed_flags=(r"--strict", r"--noImplicitAny", r"--strictNullChecks", r"--noUnusedLocals"),
                artifacts=("out",),
                run=("node", "out/{entry_base}.js"),
                run_needs_sources=False,
                version_command=("tsc", "--version"),
            ),
            Language(
                id="c",
                name="C (GCC)",
                runtime="gcc",
                source_file="main.c",
                extensions=(".c",),
                # GCC has no "--": names go as ./name.
                compile=("gcc", "-O2", "-std=gnu17", "-pipe", "{flags}", "-o", "main", "./{sources}", "-lm"),
                allowed_flags=(*_GCC_FLAGS, r"-std=(c|gnu)(89|99|11|17|2x)"),
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
                compile=("g++", "-O2", "-std=gnu++17", "-pipe", "{flags}", "-o", "main", "./{sources}"),
                allowed_flags=(*_GCC_FLAGS, r"-std=(c|gnu)\+\+(11|14|17|20|2b)"),
                artifacts=("main",),
                run=("./main",),
                run_needs_sources=False,
                version_command=("g++", "-dumpfullversion"),
            ),
            Language(
                id="fortran",
                name="Fortran (GFortran)",
                runtime="gcc",
                source_file="main.f90",
                extensions=(".f90", ".f95", ".f03", ".f08", ".f", ".for"),
                compile=("gfortran", "-O2", "-pipe", "{flags}", "-o", "main", "./{sources}"),
                allowed_flags=(*_GCC_FLAGS, r"-std=(f95|f2003|f2008|f2018|legacy)", r"-ffree-form", r"-fcheck=all"),
                artifacts=("main",),
                run=("./main",),
                run_needs_sources=False,
                version_command=("gfortran", "-dumpfullversion"),
            ),
            Language(
                id="go",
                name="Go",
                runtime="go",
                source_file="main.go",
                extensions=(".go",),
                compile=("go", "build", "{flags}", "-o", "main", "--", "{sources}"),
                compile_env=_map(GOCACHE="/tmp/go-cache", GOPATH="/tmp/go", GO111MODULE="off", CGO_ENABLED="0"),
                allowed_flags=(r"-trimpath", r"-gcflags=-[NlB]( -[NlB]){0,2}"),
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
                    "{flags}",
                    "-d",
                    "classes",
                    "./{sources}",
                ),
                allowed_flags=(r"-g", r"-Xlint(:[a-z,-]{1,64})?", r"-nowarn", r"--release=(8|11|17)", r"-parameters"),
                file_name_pattern=r"^\s*public\s+(?:(?:final|abstract|strictfp)\s+)*class\s+([A-Za-z_$][\w$]*)",
                package_pattern=r"^\s*package\s+([A-Za-z_][\w.]*)\s*;",
                artifacts=("classes",),
                run=("java", *_JVM_FLAGS, "-cp", "classes", "{main_class}"),
                run_needs_sources=False,
                version_command=("javac", "-version"),
                run_limit_defaults=_JVM_LIMITS,
            ),
            Language(
                id="kotlin",
                name="Kotlin (JVM)",
                runtime="kotlin",
                source_file="main.kt",
                extensions=(".kt",),
                compile=("kotlinc", "-nowarn", "{flags}", "./{sources}", "-include-runtime", "-d", "main.jar"),
                compile_env=_map(JAVA_OPTS="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Xss4m"),
                allowed_flags=(r"-Werror", r"-progressive"),
                artifacts=("main.jar",),
                run=("java", *_JVM_FLAGS, "-jar", "main.jar"),
                run_needs_sources=False,
                version_command=("kotlinc", "-version"),
                version_pattern=r"kotlinc-jvm (\d+(?:\.\d+)+)",
                run_limit_defaults=_JVM_LIMITS,
                compile_limit_defaults=MappingProxyType({"wall_time_ms": 60_000, "cpu_time_ms": 60_000}),
            ),
            Language(
                id="csharp",
                name="C# (Mono)",
                runtime="mono",
                source_file="main.cs",
                extensions=(".cs",),
                compile=("mcs", "-out:main.exe", "{flags}", "./{sources}"),
                allowed_flags=(
                    r"-optimize[+-]?",
                    r"-checked[+-]?",
                    r"-unsafe[+-]?",
                    r"-warnaserror[+-]?",
                    r"-debug[+-]?",
                ),
                artifacts=("main.exe",),
                run=("mono", "main.exe"),
                run_needs_sources=False,
                version_command=("mcs", "--version"),
                run_limit_defaults=MappingProxyType({"processes": 128}),
            ),
            Language(
                id="rust",
                name="Rust",
                runtime="rust",
                source_file="main.rs",
                extensions=(".rs",),
                compile=("rustc", "--edition", "2021", "-O", "{flags}", "-o", "main", "--", "{entry}"),
                allowed_flags=(
                    r"-g",
                    r"-Copt-level=[0-3sz]",
                    r"-C(debug-assertions|overflow-checks)=(on|off|yes|no)",
                    r"--cfg=[a-z_]{1,32}",
                ),
                artifacts=("main",),
                run=("./main",),
                run_needs_sources=False,
                version_command=("rustc", "--version"),
            ),
            Language(
                id="haskell",
                name="Haskell (GHC)",
                runtime="haskell",
                source_file="main.hs",
                extensions=(".hs",),
                compile=("ghc", "-O", "{flags}", "-o", "main", "./{entry}"),
                allowed_flags=(r"-O[0-2]?", r"-Wall", r"-Werror", r"-threaded", r"-XStrict(Data)?"),
                artifacts=("main",),
                run=("./main",),
                run_needs_sources=False,
                version_command=("ghc", "--numeric-version"),
            ),
            Language(
                id="ruby",
                name="Ruby",
                runtime="ruby",
                source_file="main.rb",
                extensions=(".rb",),
                run=("ruby", "--", "{entry}"),
                version_command=("ruby", "-e", "print RUBY_VERSION"),
            ),
            Language(
                id="php",
                name="PHP",
                runtime="php",
                source_file="main.php",
                extensions=(".php",),
                # "php -- file" would read the program from stdin; "-f file --" keeps argv as it was.
                run=("php", "-f", "{entry}", "--"),
                version_command=("php", "-r", "echo PHP_VERSION;"),
            ),
            Language(
                id="perl",
                name="Perl 5",
                runtime="perl",
                source_file="main.pl",
                extensions=(".pl", ".pm"),
                run=("perl", "--", "{entry}"),
                version_command=("perl", "-e", "print substr($^V, 1)"),
            ),
            Language(
                id="lua",
                name="Lua",
                runtime="lua",
                source_file="main.lua",
                extensions=(".lua",),
                run=("lua5.4", "--", "{entry}"),
                version_command=("lua5.4", "-v"),
            ),
            Language(
                id="bash",
                name="Bash",
                runtime="base",
                source_file="main.sh",
                extensions=(".sh",),
                run=("bash", "--", "{entry}"),
                version_command=("bash", "-c", "echo $BASH_VERSION"),
            ),
            Language(
                id="sql",
                name="SQL (SQLite)",
                runtime="sqlite",
                source_file="main.sql",
                extensions=(".sql",),
                run=("sqlite3", "-bail", ":memory:", ".read {entry}"),
                version_command=("sqlite3", "--version"),
            ),
        )
    }
)
