"""Languages on a managed runtime (JVM, Mono). Newest version first."""

from __future__ import annotations

from shared.languages.families.common import (
    JVM_FLAGS,
    JVM_LIMITS,
    JVM_OPTS,
    JVM_ZYGOTE_CLASSES,
    SLOW_COMPILER,
    env,
    jvm_zygote,
    limits,
)
from shared.languages.model import Language

_KOTLIN_HOME = "/usr/share/kotlin/kotlinc"


# Debian's jars (deploy/images/runtimes.conf), on the compile and run class paths after the
# program's own classes: the JVM opens a jar only when a class is not found before it.
_JAVA_LIBRARIES = ("commons-lang3", "guava", "gson")
_JAVA_CLASSPATH = ":".join(f"/usr/share/java/{jar}.jar" for jar in _JAVA_LIBRARIES)


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
            "-cp",
            _JAVA_CLASSPATH,
            "{flags}",
            "-d",
            "classes",
            "./{sources}",
        ),
        # javac loaded and warmed before the program arrives: a hello world compiles in ~0.1 s, not 0.7.
        # Its warm-up compiles with the libraries' class path too, as every program does.
        compile_zygote=jvm_zygote("javac", "", "-cp", _JAVA_CLASSPATH),
        allowed_flags=(r"-g", r"-Xlint(:[a-z,-]{1,64})?", r"-nowarn", rf"--release=({releases})", r"-parameters"),
        file_name_pattern=r"^\s*public\s+(?:(?:final|abstract|strictfp)\s+)*class\s+([A-Za-z_$][\w$]*)",
        package_pattern=r"^\s*package\s+([A-Za-z_][\w.]*)\s*;",
        artifacts=("classes",),
        run=("java", *JVM_FLAGS, "-cp", f"classes:{_JAVA_CLASSPATH}", "{main_class}"),
        version_command=("javac", "-version"),
        libraries=_JAVA_LIBRARIES,
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
        compile=("kotlinc", "-nowarn", "-kotlin-home", _KOTLIN_HOME, "{flags}", "./{sources}", "-d", "main.jar"),
        compile_env=env(JAVA_OPTS=JVM_OPTS),
        # kotlinc loaded and warmed: a hello world compiles in ~0.3 s instead of ~2.6.
        compile_zygote=jvm_zygote("kotlinc", f"{_KOTLIN_HOME}/lib/*", "-nowarn", "-kotlin-home", _KOTLIN_HOME),
        allowed_flags=(r"-Werror", r"-progressive"),
        artifacts=("main.jar",),
        # The jar's Main-Class (kotlinc names it after the file and its package), with the stdlib.
        run=(
            "java",
            *JVM_FLAGS,
            "-cp",
            f"{JVM_ZYGOTE_CLASSES}:{_KOTLIN_HOME}/lib/kotlin-stdlib.jar:main.jar",
            "JvmZygote",
            "--main-of",
            "main.jar",
        ),
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
        version_command=("mcs", "--version"),
        run_limit_defaults=limits(processes=128),
    ),
)
