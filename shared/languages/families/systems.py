"""More languages compiled to native code (and Forth). Newest version first."""

from __future__ import annotations

from shared.languages.families.common import GCC_BYTE_COLUMNS, GCC_FLAGS, SLOW_COMPILER
from shared.languages.model import Language

_DEFINE = r"[A-Za-z_][A-Za-z0-9_]{0,63}"


def _d(variant: str, compile_argv: tuple[str, ...], flags: tuple[str, ...], version: tuple[str, ...]) -> Language:
    compiler = "LDC" if variant.startswith("ldc") else "GDC"
    return Language(
        id="d",
        variant=variant,
        name=f"D ({compiler} {variant.split('-', 1)[1]})",
        runtime="dlang",
        source_file="main.d",
        extensions=(".d",),
        compile=compile_argv,
        allowed_flags=flags,
        artifacts=("main",),
        run=("./main",),
        version_command=version,
    )


LANGUAGES: tuple[Language, ...] = (
    Language(
        id="pascal",
        variant="fpc-3.2",
        name="Pascal (Free Pascal 3.2)",
        runtime="pascal",
        source_file="main.pas",
        extensions=(".pas", ".pp"),
        # -l-: no banner; -v0: errors only (units are found next to the program).
        compile=("fpc", "-l-", "-v0", "-O2", "{flags}", "-omain", "./{entry}"),
        allowed_flags=(
            r"-O[1-4-]",
            r"-g",
            r"-gl",
            r"-C[roitR]{1,5}",
            r"-Sa",
            r"-M(fpc|objfpc|delphi|tp|iso|macpas|extendedpascal|delphiunicode)",
            r"-v[ewnhi]{1,5}",
            rf"-d{_DEFINE}",
        ),
        artifacts=("main",),
        run=("./main",),
        version_command=("fpc", "-iV"),
    ),
    Language(
        id="ada",
        variant="gnat-14",
        name="Ada (GNAT 14)",
        runtime="ada",
        # GNAT wants a unit's file named after it: main.adb holds `procedure Main`.
        source_file="main.adb",
        extensions=(".adb", ".ads"),
        # gnatmake finds and compiles the units the program withs.
        compile=("gnatmake", "-q", "-O2", "{flags}", "-o", "main", "./{entry}"),
        allowed_flags=(
            r"-O[0-3s]?",
            r"-g",
            r"-gnat(95|2005|2012|2022)",
            r"-gnat[aopE]",
            r"-gnatw[ae]",
            r"-gnatVa",
        ),
        artifacts=("main",),
        run=("./main",),
        version_command=("gnatmake", "--version"),
    ),
    _d(
        "ldc-1.40",
        ("ldc2", "-O", "{flags}", "-of=main", "./{sources}"),
        (
            r"-O[0-5sz]?",
            r"-release",
            r"-g",
            r"-wi?",
            r"-boundscheck=(on|safeonly|off)",
            r"-unittest",
            r"-d-debug",
            rf"-d-version={_DEFINE}",
        ),
        ("ldc2", "--version"),
    ),
    _d(
        "gdc-14",
        ("gdc", "-O2", "-pipe", "{flags}", "-o", "main", "./{sources}"),
        (
            r"-O[0-3sg]?",
            r"-g",
            r"-W(all|extra|error)",
            r"-frelease",
            r"-fbounds-check=(on|safeonly|off)",
            r"-funittest",
            r"-fdebug",
            rf"-fversion={_DEFINE}",
            r"-march=x86-64(-v[234])?",
        ),
        ("gdc", "-dumpfullversion"),
    ),
    Language(
        id="assembly",
        variant="nasm-2.16",
        name="Assembly (NASM)",
        runtime="trixie-gcc",
        source_file="main.asm",
        extensions=(".asm", ".nasm"),
        # x86-64 Linux, no C library: the program starts at `_start` and talks to the kernel with
        # syscall. Two tools, so a shell runs them; the source is its first argument.
        compile=(
            "sh",
            "-c",
            'nasm -f elf64 -o main.o "$@" && exec ld -z noexecstack -o main main.o',
            "nasm",
            "{flags}",
            "./{entry}",
        ),
        allowed_flags=(
            r"-g",
            r"-F(dwarf|stabs)",
            r"-O[01xv]",
            r"-w[+-][a-z-]{1,40}",
            rf"-D{_DEFINE}(=[A-Za-z0-9_.]{{0,64}})?",
        ),
        artifacts=("main",),
        run=("./main",),
        version_command=("nasm", "-v"),
    ),
    Language(
        id="objectivec",
        variant="gcc-14",
        name="Objective-C (GCC 14)",
        runtime="trixie-gcc",
        source_file="main.m",
        extensions=(".m",),
        # The GNU runtime (libobjc: Object, classes, messages) and the C library; no Foundation.
        compile=(
            "gcc",
            "-x",
            "objective-c",
            "-O2",
            "-pipe",
            GCC_BYTE_COLUMNS,
            "{flags}",
            "-o",
            "main",
            "./{sources}",
            "-lobjc",
        ),
        allowed_flags=(*GCC_FLAGS, r"-std=(c|gnu)(89|99|11|17|2x|23)"),
        artifacts=("main",),
        run=("./main",),
        version_command=("gcc", "-dumpfullversion"),
    ),
    Language(
        id="cobol",
        variant="gnucobol-3.2",
        name="COBOL (GnuCOBOL 3.2)",
        runtime="trixie-gcc",
        source_file="main.cob",
        extensions=(".cob", ".cbl"),
        # Fixed (reference) format, cobc's default and most programs' (a sequence area, the
        # indicator in column 7, code from column 8); `-free` or `>>SOURCE FORMAT IS FREE` for
        # free format. The first source is the main program.
        compile=("cobc", "-x", "-O2", "{flags}", "-o", "main", "./{sources}"),
        allowed_flags=(
            r"-O[0-2s]?",
            r"-g",
            r"-debug",
            r"-(F|-free|-fixed)",
            r"-fformat=(fixed|free|variable)",
            r"-std=(default|cobol2014|cobol2002|cobol85|ibm|mvs|mf|bs2000|acu|rm|xopen)",
            r"-W(all|extra)?",
            r"-ftrace(all)?",
        ),
        artifacts=("main",),
        run=("./main",),
        version_command=("cobc", "--version"),
    ),
    Language(
        id="nim",
        variant="1.6",
        name="Nim 1.6",
        runtime="nim",
        source_file="main.nim",
        extensions=(".nim",),
        # Nim finds the modules the program imports; its C files go to ~/.cache/nim. The C backend
        # is tcc: GCC spends ~2 s of a hello world's ~2.7 s optimising Nim's runtime (0.7 s with
        # tcc); --cc:gcc builds code that runs up to ~10x faster for CPU-bound programs.
        compile=("nim", "c", "--hints:off", "-d:release", "--cc:tcc", "--passL:-lm", "{flags}", "-o:main", "./{entry}"),
        allowed_flags=(
            r"--cc:(tcc|gcc)",
            # Threads with tcc need emulated thread-local storage.
            r"--tlsEmulation:(on|off)",
            r"-d:(release|danger|useMalloc)",
            r"--opt:(none|speed|size)",
            r"--(checks|boundChecks|overflowChecks|assertions|threads|warnings):(on|off)",
            r"--gc:(refc|arc|orc|markAndSweep)",
        ),
        artifacts=("main",),
        run=("./main",),
        version_command=("nim", "--version"),
    ),
    Language(
        id="crystal",
        variant="1.14",
        name="Crystal 1.14",
        runtime="crystal",
        source_file="main.cr",
        extensions=(".cr",),
        # The image's object cache of the runtime's modules (deploy/images/setup/crystal.sh),
        # copied into this sandbox's home first: Crystal writes where it reads.
        compile=(
            "sh",
            "-c",
            'cp -r /opt/crh/crystal-cache "$HOME/.cache-crystal" && export CRYSTAL_CACHE_DIR="$HOME/.cache-crystal"'
            ' && exec "$@"',
            "crystal",
            "crystal",
            "build",
            "{flags}",
            "-o",
            "main",
            "./{entry}",
        ),
        allowed_flags=(r"--release", r"--no-debug", r"--error-trace", r"-D[a-z_][a-z0-9_]{0,31}", r"-O[0-3]"),
        artifacts=("main",),
        run=("./main",),
        version_command=("crystal", "--version"),
        compile_limit_defaults=SLOW_COMPILER,
    ),
    Language(
        id="swift",
        variant="6.0",
        name="Swift 6.0",
        runtime="swift",
        source_file="main.swift",
        extensions=(".swift",),
        # main.swift holds the top-level code; the other files declarations.
        compile=("swiftc", "-O", "{flags}", "-o", "main", "./{sources}"),
        allowed_flags=(
            r"-O(none|unchecked|size)?",
            r"-g",
            r"-warnings-as-errors",
            r"-enforce-exclusivity=(checked|unchecked)",
        ),
        artifacts=("main",),
        run=("./main",),
        version_command=("swiftc", "--version"),
        version_pattern=r"Swift version (\d+(?:\.\d+)+)",
        compile_limit_defaults=SLOW_COMPILER,
    ),
    Language(
        id="vala",
        variant="0.56",
        name="Vala 0.56",
        runtime="vala",
        source_file="main.vala",
        extensions=(".vala",),
        compile=("valac", "{flags}", "-o", "main", "./{sources}"),
        allowed_flags=(
            r"--pkg=(posix|linux|gio-2.0|gobject-2.0)",
            r"--disable-assert",
            r"--enable-checking",
            r"--enable-experimental",
            r"-g",
            rf"--define={_DEFINE}",
        ),
        artifacts=("main",),
        run=("./main",),
        version_command=("valac", "--version"),
    ),
    Language(
        id="forth",
        variant="gforth-0.7",
        name="Forth (Gforth 0.7)",
        runtime="forth",
        source_file="main.fs",
        extensions=(".fs", ".fth", ".4th"),
        # Gforth would take the program's arguments for more files to load (and then stay for an
        # interactive session): it includes the program and says `bye`, the arguments left for
        # `next-arg`.
        run=("gforth", "-e", "include ./{entry} bye"),
        version_command=("gforth", "--version"),
    ),
)
