"""Languages on a managed runtime (JVM, Mono). Newest version first."""

from __future__ import annotations

from shared.languages.families.common import JVM_FLAGS, JVM_LIMITS, JVM_OPTS, SLOW_COMPILER, env, limits
from shared.languages.model import Language


def _java(variant: str, runtime: str, releases: str) -> Language:
    return Language(
        id="java",
        variant=variant,
        name=f"Java (OpenJDK {variant})",
        runtime=runtime,
        source_file="Main.java",
        extensions=(".java",),
        compile=(
            "javac",
            *(f"-J{flag}" for flag in JVM_FLAGS),
            "-encoding",
            "UTF-8",
            "{flags}",
            "-d",
            "classes",
            "./{sources}",
        ),
        allowed_flags=(r"-g", r"-Xlint(:[a-z,-]{1,64})?", r"-nowarn", rf"--release=({releases})", r"-parameters"),
        file_name_pattern=r"^\s*public\s+(?:(?:final|abstract|strictfp)\s+)*class\s+([A-Za-z_$][\w$]*)",
        package_pattern=r"^\s*package\s+([A-Za-z_][\w.]*)\s*;",
        artifacts=("classes",),
        run=("java", *JVM_FLAGS, "-cp", "classes", "{main_class}"),
        run_needs_sources=False,
        version_command=("javac", "-version"),
        run_limit_defaults=JVM_LIMITS,
    )


LANGUAGES: tuple[Language, ...] = (
    _java("25", "java25", "8|11|17|21|25"),
    _java("21", "java21", "8|11|17|21"),
    _java("17", "java", "8|11|17"),
    Language(
        id="kotlin",
        variant="1.3",
        name="Kotlin 1.3 (JVM)",
        runtime="kotlin",
        source_file="main.kt",
        extensions=(".kt",),
        compile=("kotlinc", "-nowarn", "{flags}", "./{sources}", "-include-runtime", "-d", "main.jar"),
        compile_env=env(JAVA_OPTS=JVM_OPTS),
        allowed_flags=(r"-Werror", r"-progressive"),
        artifacts=("main.jar",),
        run=("java", *JVM_FLAGS, "-jar", "main.jar"),
        run_needs_sources=False,
        version_command=("kotlinc", "-version"),
        version_pattern=r"kotlinc-jvm (\d+(?:\.\d+)+)",
        run_limit_defaults=JVM_LIMITS,
        compile_limit_defaults=SLOW_COMPILER,
    ),
    Language(
        id="csharp",
        variant="6.12",
        name="C# (Mono 6.12)",
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
        run_limit_defaults=limits(processes=128),
    ),
)
