"""Languages compiled to native code. Newest version first."""

from __future__ import annotations

from shared.languages.families.common import GCC_BYTE_COLUMNS, GCC_FLAGS, env
from shared.languages.model import Language

_C_STD = r"-std=(c|gnu)(89|99|11|17|2x|23)"
_CXX_STD = r"-std=(c|gnu)\+\+(11|14|17|20|2a|2b|23)"
_CLANG_VERSION = r"clang version (\d+(?:\.\d+)+)"
# The libraries are linked after the program's objects, only when it uses them (--as-needed: a
# program that does not pays nothing at start-up); the others are headers.
_C_LINK = ("-Wl,--as-needed", "-lgmp", "-lm")
_CXX_LINK = ("-Wl,--as-needed", "-lgmpxx", "-lgmp")
_C_LIBRARIES = ("GMP",)
# Debian's Eigen is under eigen3/: programs include <Eigen/Dense> as its documentation says.
_EIGEN = "-I/usr/include/eigen3"
_CXX_LIBRARIES = ("Boost (headers)", "Eigen 3 (headers)", "GMP (gmpxx)")


def _gcc(language: str, variant: str, runtime: str) -> Language:
    """C, C++ or Fortran with one GCC release."""
    release = variant.removeprefix("gcc-")
    if language == "c":
        return Language(
            id="c",
            variant=variant,
            name=f"C (GCC {release})",
            runtime=runtime,
            source_file="main.c",
            extensions=(".c",),
            # GCC has no "--": names go as ./name.
            compile=(
                "gcc",
                "-O2",
                "-std=gnu17",
                "-pipe",
                GCC_BYTE_COLUMNS,
                "{flags}",
                "-o",
                "main",
                "./{sources}",
                *_C_LINK,
            ),
            allowed_flags=(*GCC_FLAGS, _C_STD),
            artifacts=("main",),
            run=("./main",),
            version_command=("gcc", "-dumpfullversion"),
            libraries=_C_LIBRARIES,
        )
    if language == "cpp":
        return Language(
            id="cpp",
            variant=variant,
            name=f"C++ (GCC {release})",
            runtime=runtime,
            source_file="main.cpp",
            extensions=(".cpp", ".cc", ".cxx"),
            # -I/opt/crh/pch: a precompiled <bits/stdc++.h> for these flags (deploy/images/setup/gcc.sh).
            compile=(
                "g++",
                "-O2",
                "-std=gnu++17",
                "-pipe",
                GCC_BYTE_COLUMNS,
                "-I/opt/crh/pch",
                _EIGEN,
                "{flags}",
                "-o",
                "main",
                "./{sources}",
                *_CXX_LINK,
            ),
            allowed_flags=(*GCC_FLAGS, _CXX_STD),
            artifacts=("main",),
            run=("./main",),
            version_command=("g++", "-dumpfullversion"),
            libraries=_CXX_LIBRARIES,
        )
    return Language(
        id="fortran",
        variant=variant,
        name=f"Fortran (GFortran {release})",
        runtime=runtime,
        source_file="main.f90",
        extensions=(".f90", ".f95", ".f03", ".f08", ".f", ".for"),
        compile=("gfortran", "-O2", "-pipe", GCC_BYTE_COLUMNS, "{flags}", "-o", "main", "./{sources}"),
        allowed_flags=(*GCC_FLAGS, r"-std=(f95|f2003|f2008|f2018|legacy)", r"-ffree-form", r"-fcheck=all"),
        artifacts=("main",),
        run=("./main",),
        version_command=("gfortran", "-dumpfullversion"),
    )


def _clang(language: str) -> Language:
    cxx = language == "cpp"
    return Language(
        id=language,
        variant="clang-19",
        name="C++ (Clang 19)" if cxx else "C (Clang 19)",
        runtime="clang",
        source_file="main.cpp" if cxx else "main.c",
        extensions=(".cpp", ".cc", ".cxx") if cxx else (".c",),
        compile=(
            ("clang++", "-O2", "-std=gnu++17", _EIGEN, "{flags}", "-o", "main", "./{sources}", *_CXX_LINK)
            if cxx
            else ("clang", "-O2", "-std=gnu17", "{flags}", "-o", "main", "./{sources}", *_C_LINK)
        ),
        allowed_flags=(*GCC_FLAGS, _CXX_STD if cxx else _C_STD),
        artifacts=("main",),
        run=("./main",),
        version_command=("clang++" if cxx else "clang", "--version"),
        version_pattern=_CLANG_VERSION,
        libraries=_CXX_LIBRARIES if cxx else _C_LIBRARIES,
    )


def _go(variant: str, runtime: str, cache: bool) -> Language:
    """``cache``: the image has no build cache of its own. Go 1.20+ ships its standard library
    uncompiled; trixie-go's image compiles it into a read-only cache Go uses by default (its
    setup hook), so its builds must not point GOCACHE elsewhere."""
    build_env = {"GOPATH": "/tmp/go", "GO111MODULE": "off", "CGO_ENABLED": "0"}
    if cache:
        build_env["GOCACHE"] = "/tmp/go-cache"
    return Language(
        id="go",
        variant=variant,
        name=f"Go {variant}",
        runtime=runtime,
        source_file="main.go",
        extensions=(".go",),
        compile=("go", "build", "{flags}", "-o", "main", "--", "{sources}"),
        compile_env=env(**build_env),
        allowed_flags=(r"-trimpath", r"-gcflags=-[NlB]( -[NlB]){0,2}"),
        artifacts=("main",),
        run=("./main",),
        version_command=("go", "version"),
    )


def _rust(variant: str, runtime: str, editions: str) -> Language:
    return Language(
        id="rust",
        variant=variant,
        name=f"Rust {variant}",
        runtime=runtime,
        source_file="main.rs",
        extensions=(".rs",),
        compile=("rustc", "--edition", "2021", "-O", "{flags}", "-o", "main", "--", "{entry}"),
        allowed_flags=(
            r"-g",
            r"-Copt-level=[0-3sz]",
            r"-C(debug-assertions|overflow-checks)=(on|off|yes|no)",
            r"--cfg=[a-z_]{1,32}",
            rf"--edition=({editions})",
        ),
        artifacts=("main",),
        run=("./main",),
        version_command=("rustc", "--version"),
    )


LANGUAGES: tuple[Language, ...] = (
    _gcc("c", "gcc-14", "trixie-gcc"),
    _gcc("c", "gcc-12", "gcc"),
    _clang("c"),
    Language(
        id="c",
        variant="tcc",
        name="C (Tiny C Compiler)",
        runtime="trixie-gcc",
        source_file="main.c",
        extensions=(".c",),
        compile=("tcc", "{flags}", "-o", "main", "./{sources}", "-lm"),
        allowed_flags=(r"-g", r"-Wall", r"-Werror", r"-D[A-Za-z_][A-Za-z0-9_]{0,63}(=[A-Za-z0-9_.]{0,64})?"),
        artifacts=("main",),
        run=("./main",),
        version_command=("tcc", "-v"),
        version_pattern=r"tcc version (\d+(?:\.\d+)+)",
    ),
    _gcc("cpp", "gcc-14", "trixie-gcc"),
    _gcc("cpp", "gcc-12", "gcc"),
    _clang("cpp"),
    _gcc("fortran", "gcc-14", "trixie-gcc"),
    _gcc("fortran", "gcc-12", "gcc"),
    _go("1.24", "trixie-go", cache=False),
    _go("1.19", "go", cache=True),
    _rust("1.85", "trixie-rust", "2015|2018|2021|2024"),
    _rust("1.63", "rust", "2015|2018|2021"),
    Language(
        id="haskell",
        variant="9.6",
        name="Haskell (GHC 9.6)",
        runtime="haskell",
        source_file="main.hs",
        extensions=(".hs",),
        compile=("ghc", "-O", "{flags}", "-o", "main", "./{entry}"),
        allowed_flags=(r"-O[0-2]?", r"-Wall", r"-Werror", r"-threaded", r"-XStrict(Data)?"),
        artifacts=("main",),
        run=("./main",),
        version_command=("ghc", "--numeric-version"),
        # GHC's own (containers, mtl, text, bytestring, array) and Debian's packages of the others.
        libraries=("containers", "mtl", "text", "bytestring", "array", "vector", "random", "split"),
    ),
)
