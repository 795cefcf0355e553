"""The catalogue as Piston's runtimes: one per language version, under Piston's language names.

Names and aliases come from Piston's package metadata (packages/<lang>/<version>/metadata.json)
where Piston has the language; otherwise the entry is named by our id. Our id is always among an
entry's aliases (PyPy excepted: see ``_BY_KEY``). A version is the one the runtime reports (a
semver x.y.z), or, until an executor reported it, the catalogue's variant coerced to one, as
GET /v1/languages lists those too. Resolution is Piston's: the highest version satisfying an npm
range, among the entries whose name or aliases match."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import semantic_version  # type: ignore[import-untyped]

from shared.languages import VERSIONS, Language


@dataclass(frozen=True, slots=True)
class Naming:
    language: str
    aliases: tuple[str, ...] = ()
    # The package providing it, where Piston's package provides several languages.
    runtime: str | None = None


# Our language id -> Piston's name, aliases and runtime.
_NAMES: Mapping[str, Naming] = {
    "assembly": Naming("nasm64", ("asm64",), "nasm"),
    "awk": Naming("awk", ("gawk",), "gawk"),
    "bash": Naming("bash", ("sh",)),
    "c": Naming("c", ("gcc",)),
    "clojure": Naming("clojure", ("clj",)),
    "cobol": Naming("cobol", ("cob",)),
    "coffeescript": Naming("coffeescript", ("coffee",)),
    "commonlisp": Naming("lisp", ("cl", "sbcl")),
    "cpp": Naming("c++", ("g++",)),
    "crystal": Naming("crystal", ("cr",)),
    "csharp": Naming("csharp", ("mono", "mono-csharp", "mono-c#", "mono-cs", "c#", "cs"), "mono"),
    "d": Naming("d", ("gdc",)),
    "elixir": Naming("elixir", ("exs",)),
    "erlang": Naming("erlang", ("erl", "escript")),
    "forth": Naming("forth", ("gforth",)),
    "fortran": Naming("fortran", ("f90",)),
    "go": Naming("go", ("golang",)),
    "groovy": Naming("groovy", ("gvy",)),
    "haskell": Naming("haskell", ("hs",)),
    "java": Naming("java"),
    "javascript": Naming("javascript", ("node-javascript", "node-js", "js"), "node"),
    "kotlin": Naming("kotlin", ("kt",)),
    "lua": Naming("lua"),
    "nim": Naming("nim"),
    "ocaml": Naming("ocaml", ("ml",)),
    "octave": Naming("octave", ("matlab", "m")),
    "pascal": Naming("pascal", ("freepascal", "pp", "pas")),
    "perl": Naming("perl", ("pl",)),
    "php": Naming("php", ("php8",)),
    "prolog": Naming("prolog", ("plg",)),
    "python": Naming("python", ("py", "py3", "python3")),
    "r": Naming("rscript"),
    "racket": Naming("racket", ("rkt",)),
    "ruby": Naming("ruby", ("rb", "ruby3")),
    "rust": Naming("rust", ("rs",)),
    "scala": Naming("scala", ("sc",)),
    "sql": Naming("sqlite3", ("sqlite",)),
    "swift": Naming("swift"),
    "typescript": Naming("typescript", ("ts", "node-ts", "tsc")),
}

# Versions that are not the language's version scale get a name of their own: PyPy reports its
# own version (7.3), which would otherwise make "python" with "*" pick PyPy over CPython 3.13.
_BY_KEY: Mapping[str, Naming] = {
    "python@pypy": Naming("pypy", ("pypy3",)),
}

# Which implementation a variant is ("gcc-14", "clang-19", "tcc"...): the runtime it reports,
# and Piston's aliases naming GCC go to GCC's entries only.
_IMPLEMENTATIONS: Mapping[str, str] = {
    "gcc": "gcc",
    "gdc": "gcc",
    "clang": "clang",
    "tcc": "tcc",
    "ldc": "ldc",
    "luajit": "luajit",
}
_GCC_ALIASES = frozenset({"gcc", "g++", "gdc"})

_VERSION_DIGITS = re.compile(r"\d+(?:\.\d+){0,2}")


@dataclass(frozen=True, slots=True)
class PistonRuntime:
    language: str
    version: str
    aliases: tuple[str, ...]
    runtime: str | None
    definition: Language
    semver: Any

    def names(self, name: str) -> bool:
        return name == self.language or name in self.aliases

    def out(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"language": self.language, "version": self.version, "aliases": list(self.aliases)}
        if self.runtime is not None:
            entry["runtime"] = self.runtime
        return entry


def semver_of(text: str | None) -> Any:
    """x.y.z from the first dotted number in ``text`` ("3.11" -> 3.11.0, "gcc-14" -> 14.0.0);
    0.0.0 when it has none ("tcc", "pypy" before an executor reported their versions)."""
    match = _VERSION_DIGITS.search(text or "")
    return semantic_version.Version.coerce(match.group(0) if match else "0")


def _runtime_of(language: Language, reported: str | None) -> PistonRuntime:
    naming = _BY_KEY.get(language.key) or _NAMES.get(language.id) or Naming(language.id)
    prefix = re.match(r"[a-z]+", language.variant)
    runtime = _IMPLEMENTATIONS.get(prefix.group(0) if prefix else "", naming.runtime)
    aliases = [alias for alias in naming.aliases if alias not in _GCC_ALIASES or runtime == "gcc"]
    if language.key not in _BY_KEY:
        aliases.append(language.id)
    version = semver_of(reported or language.variant)
    return PistonRuntime(
        language=naming.language,
        version=str(version),
        aliases=tuple(dict.fromkeys(aliases)),
        runtime=runtime,
        definition=language,
        semver=version,
    )


def catalogue(versions: Mapping[str, str]) -> tuple[PistonRuntime, ...]:
    """Every language version, given the versions executors reported (by key)."""
    return _catalogue(tuple(sorted(versions.items())))


# Reports change only when executors start with new images: the entries (a millisecond to build)
# are kept per set of reported versions.
@functools.lru_cache(maxsize=8)
def _catalogue(reported: tuple[tuple[str, str], ...]) -> tuple[PistonRuntime, ...]:
    versions = dict(reported)
    return tuple(_runtime_of(language, versions.get(language.key)) for group in VERSIONS.values() for language in group)


def resolve(runtimes: Sequence[PistonRuntime], language: str, selector: str) -> PistonRuntime | None:
    """Piston's choice: the highest version satisfying the npm range ``selector`` among the
    runtimes named ``language`` (by name or alias); on a tie, the catalogue's newer variant."""
    try:
        spec = semantic_version.NpmSpec(selector)
    except ValueError:
        return None
    matching = [rt for rt in runtimes if rt.names(language) and rt.semver in spec]
    return max(matching, key=lambda rt: rt.semver, default=None)
