"""Interpreted languages (and TypeScript, compiled to JavaScript). Newest version first."""

from __future__ import annotations

from shared.languages.families.common import env
from shared.languages.model import Language

_PYTHON_ENV = env(PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1", MPLCONFIGDIR="/tmp", MPLBACKEND="Agg")
_PYTHON_LIBRARIES = ("numpy", "pandas", "scipy", "sympy", "matplotlib")

_NODE_GLOBALS = """// Node.js globals for TypeScript programs, without @types/node.
declare var require: any;
declare var module: any;
declare var exports: any;
declare var process: any;
declare var Buffer: any;
declare var __dirname: string;
declare var __filename: string;
"""


def _python(variant: str, runtime: str, libraries: tuple[str, ...]) -> Language:
    return Language(
        id="python",
        variant=variant,
        name=f"Python {variant}",
        runtime=runtime,
        source_file="main.py",
        extensions=(".py",),
        # Not "--": the zygote (deploy/images/agent/zygote.py) takes argv[1] as the script.
        run=("python3", "{entry}"),
        zygote=("python3", "/opt/crh/zygote.py"),
        run_env=_PYTHON_ENV,
        version_command=("python3", "--version"),
        libraries=libraries,
    )


def _node(variant: str, runtime: str) -> Language:
    return Language(
        id="javascript",
        variant=variant,
        name=f"JavaScript (Node.js {variant})",
        runtime=runtime,
        source_file="main.js",
        extensions=(".js", ".mjs", ".cjs"),
        run=("node", "--", "{entry}"),
        version_command=("node", "--version"),
        # Debian's Node.js finds Debian's packages of modules (node-lodash) without a path.
        libraries=("lodash",),
    )


def _typescript(variant: str, tsc: str, zygote: tuple[str, ...] | None = None) -> Language:
    return Language(
        id="typescript",
        variant=variant,
        name=f"TypeScript {variant} (Node.js 20)",
        runtime="trixie-node",
        source_file="main.ts",
        extensions=(".ts",),
        compile=(
            tsc,
            "--outDir",
            "out",
            "--rootDir",
            ".",
            # The library's declarations are TypeScript's, not the program's: checking them is most
            # of a small program's compile (~0.7 s).
            "--skipLibCheck",
            "--target",
            "es2022",
            "--module",
            "commonjs",
            "--pretty",
            "false",
            "{flags}",
            "./{sources}",
            "crh-node-globals.d.ts",
        ),
        compile_zygote=zygote,
        support_files=env(**{"crh-node-globals.d.ts": _NODE_GLOBALS}),
        allowed_flags=(r"--strict", r"--noImplicitAny", r"--strictNullChecks", r"--noUnusedLocals"),
        artifacts=("out",),
        run=("node", "out/{entry_base}.js"),
        version_command=(tsc, "--version"),
    )


def _ruby(variant: str, runtime: str) -> Language:
    return Language(
        id="ruby",
        variant=variant,
        name=f"Ruby {variant}",
        runtime=runtime,
        source_file="main.rb",
        extensions=(".rb",),
        run=("ruby", "--", "{entry}"),
        version_command=("ruby", "-e", "print RUBY_VERSION"),
        # Gems Ruby bundles (Debian's libruby), beside the standard library's json and set.
        libraries=("prime", "matrix", "bigdecimal", "json"),
    )


def _php(variant: str, runtime: str) -> Language:
    return Language(
        id="php",
        variant=variant,
        name=f"PHP {variant}",
        runtime=runtime,
        source_file="main.php",
        extensions=(".php",),
        # "php -- file" would read the program from stdin; "-f file --" keeps argv as it was.
        run=("php", "-f", "{entry}", "--"),
        version_command=("php", "-r", "echo PHP_VERSION;"),
        libraries=("bcmath", "gmp", "mbstring"),
    )


LANGUAGES: tuple[Language, ...] = (
    _python("3.13", "trixie-python", _PYTHON_LIBRARIES),
    _python("3.11", "python", ("numpy", "pandas")),
    Language(
        id="python",
        variant="pypy",
        name="Python 3 (PyPy)",
        runtime="pypy",
        source_file="main.py",
        extensions=(".py",),
        run=("pypy3", "--", "{entry}"),
        run_env=env(PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1"),
        version_command=("pypy3", "-c", "import sys; print(sys.version.split('[')[1])"),
        version_pattern=r"PyPy (\d+(?:\.\d+)+)",
    ),
    _node("20", "trixie-node"),
    _node("18", "node"),
    _typescript("7.0", "tsc"),
    # TypeScript 7's tsc is native (Go) and starts fast; 5's is JavaScript, loaded and warmed
    # ahead of its program, deserialized from a start-up snapshot with its library parsed
    # (deploy/images/setup/trixie-node.d/tsc-zygote.js).
    _typescript("5.9", "tsc5", ("node", "--snapshot-blob", "/opt/crh/tsc5.blob")),
    _ruby("3.3", "trixie-ruby"),
    _ruby("3.1", "ruby"),
    _php("8.4", "trixie-php"),
    _php("8.2", "php"),
    Language(
        id="perl",
        variant="5.40",
        name="Perl 5.40",
        runtime="trixie-base",
        source_file="main.pl",
        extensions=(".pl", ".pm"),
        run=("perl", "--", "{entry}"),
        version_command=("perl", "-e", "print substr($^V, 1)"),
    ),
    Language(
        id="lua",
        variant="5.4",
        name="Lua 5.4",
        runtime="trixie-base",
        source_file="main.lua",
        extensions=(".lua",),
        run=("lua5.4", "--", "{entry}"),
        version_command=("lua5.4", "-v"),
    ),
    Language(
        id="lua",
        variant="luajit",
        name="Lua (LuaJIT 2.1)",
        runtime="trixie-base",
        source_file="main.lua",
        extensions=(".lua",),
        run=("luajit", "--", "{entry}"),
        version_command=("luajit", "-v"),
        version_pattern=r"LuaJIT (\d+(?:\.\d+)+)",
    ),
    Language(
        id="bash",
        variant="5.2",
        name="Bash 5.2",
        runtime="trixie-base",
        source_file="main.sh",
        extensions=(".sh",),
        run=("bash", "--", "{entry}"),
        version_command=("bash", "-c", "echo $BASH_VERSION"),
    ),
    Language(
        id="sql",
        variant="3.46",
        name="SQL (SQLite 3.46)",
        runtime="trixie-base",
        source_file="main.sql",
        extensions=(".sql",),
        run=("sqlite3", "-bail", ":memory:", ".read {entry}"),
        version_command=("sqlite3", "--version"),
    ),
)
