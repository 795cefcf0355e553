"""Judge0's numeric language ids for the catalogue's language versions.

Judge0 CE 1.13's ids (db/languages/active.rb) name the same languages here: a client that sends
71 gets Python, 54 C++, 62 Java. Where Judge0 had several versions of one compiler (C and C++ on
GCC 7, 8 and 9), the newest id names our newest version and the older ids our older one. Every
other version in the catalogue has an id of our own from 1000 up, fixed here: ids never move, and
a test fails when a catalogue version has none. Judge0 languages with no counterpart here (Python
2, Visual Basic .NET, F#, FreeBASIC, the "Executable" and "Multi-file program" pseudo-languages)
are not listed, and submitting their ids answers Judge0's "doesn't exist" error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from shared.languages import BY_KEY, Language

# Judge0 id -> catalogue key. The first id of a key is the one GET /languages lists; later ones
# are accepted as aliases (GET /languages/all and /languages/{id} show them too).
JUDGE0_IDS: dict[int, str] = {
    43: "plaintext@coreutils-9.7",
    45: "assembly@nasm-2.16",
    46: "bash@5.2",
    48: "c@gcc-12",
    49: "c@gcc-12",
    50: "c@gcc-14",
    51: "csharp@6.12",
    52: "cpp@gcc-12",
    53: "cpp@gcc-12",
    54: "cpp@gcc-14",
    55: "commonlisp@sbcl-2.5",
    56: "d@ldc-1.40",
    57: "elixir@1.18",
    58: "erlang@27",
    59: "fortran@gcc-14",
    60: "go@1.24",
    61: "haskell@9.6",
    62: "java@25",
    63: "javascript@20",
    64: "lua@5.4",
    65: "ocaml@5.3",
    66: "octave@9.4",
    67: "pascal@fpc-3.2",
    68: "php@8.4",
    69: "prolog@gprolog-1.4",
    71: "python@3.13",
    72: "ruby@3.3",
    73: "rust@1.85",
    74: "typescript@5.9",
    75: "c@clang-19",
    76: "cpp@clang-19",
    77: "cobol@gnucobol-3.2",
    78: "kotlin@1.3",
    79: "objectivec@gcc-14",
    80: "r@4.5",
    81: "scala@2.11",
    82: "sql@3.46",
    83: "swift@6.0",
    85: "perl@5.40",
    86: "clojure@1.12",
    88: "groovy@2.4",
    # Ours, above Judge0's ids (CE and Extra CE): append only.
    1000: "python@3.11",
    1001: "python@pypy",
    1002: "java@21",
    1003: "java@17",
    1004: "javascript@18",
    1005: "typescript@7.0",
    1006: "go@1.19",
    1007: "rust@1.63",
    1008: "ruby@3.1",
    1009: "php@8.2",
    1010: "c@tcc",
    1011: "fortran@gcc-12",
    1012: "d@gdc-14",
    1013: "lua@luajit",
    1014: "prolog@swi-9.2",
    1015: "ada@gnat-14",
    1016: "awk@gawk-5.2",
    1017: "basic@yabasic-2.91",
    1018: "bc@1.07",
    1019: "coffeescript@2.7",
    1020: "crystal@1.14",
    1021: "forth@gforth-0.7",
    1022: "hy@1.0",
    1023: "nim@1.6",
    1024: "racket@8.16",
    1025: "scheme@guile-3.0",
    1026: "scheme@chez-10",
    1027: "tcl@8.6",
    1028: "vala@0.56",
}


@dataclass(frozen=True, slots=True)
class Judge0Language:
    id: int
    language: Language
    # Listed by GET /languages (the first id of its catalogue version); aliases are not.
    listed: bool


def _table() -> dict[int, Judge0Language]:
    table: dict[int, Judge0Language] = {}
    seen: set[str] = set()
    for judge0_id, key in JUDGE0_IDS.items():
        language = BY_KEY.get(key)
        if language is None:
            continue
        table[judge0_id] = Judge0Language(judge0_id, language, key not in seen)
        seen.add(key)
    return table


TABLE = _table()


def find(judge0_id: int) -> Judge0Language | None:
    return TABLE.get(judge0_id)


def display_name(language: Language, versions: Mapping[str, str]) -> str:
    """Judge0-style names carry the full version: "C (GCC 14)" running 14.2.0 is "C (GCC 14.2.0)"."""
    reported = versions.get(language.key)
    name = language.name
    if not reported:
        return name
    for match in re.finditer(r"\d+(?:\.\d+)*", name):
        short = match.group()
        if reported == short or reported.startswith(short + "."):
            return name[: match.start()] + reported + name[match.end() :]
    return name
