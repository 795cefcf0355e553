"""docs/languages.md, written from the catalogue: `python -m shared.languages.docs > docs/languages.md`
(tests/unit/test_catalogue.py fails when the file and the catalogue disagree)."""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Iterable

from shared.languages.catalogue import VERSIONS, family_name
from shared.languages.model import Language

HEADER = """# Languages

Generated from the catalogue (`shared/languages/`) by `python -m shared.languages.docs`; the
same facts, with the version each runtime reports, are served by `GET /v1/languages`.

An execution names a `language` and optionally a `version`: a prefix of a version's name (`3.11`,
`gcc`, `pypy`) or of the version its runtime reports (`3.11.2`), matched at dots and dashes (`3.1`
matches neither 3.11 nor 3.13). Without one, the newest (listed first) runs.

Conventions for every language: the files are written to the sandbox's working directory
`/work`; the entry file is the `entry` named in the request, or, for a single `source`, the
language's entry file name below (Java and Kotlin name it after the public class when they can).
Commands are argument vectors, never run through a shell: `{entry}` is the entry file,
`{sources}` every submitted file with one of the language's extensions (entry first), `{flags}`
the submission's `compile_options`, each of which must match one of the listed patterns
entirely; the program's `args` follow the run command. A non-zero exit of the compile command is a
`compilation_error` (its output is the compile phase's stderr/stdout); of the run command, a
`runtime_error` with its exit code or signal. Standard input is the request's `stdin`.
"""


def _code(argv: Iterable[str]) -> str:
    # Quoted as a shell would need it where an argument has spaces or quotes (a `sh -c` script).
    return "`" + " ".join(shlex.quote(arg) if re.search(r"[\s'\"$]", arg) else arg for arg in argv) + "`"


def _version(language: Language, default: bool) -> list[str]:
    lines = [f"#### {language.name} — `{language.variant}`{' (default)' if default else ''}", ""]
    lines.append(f"- entry file: `{language.source_file}`; extensions: {', '.join(language.extensions)}")
    if language.compile:
        lines.append(f"- compile: {_code(language.compile)}")
    lines.append(f"- run: {_code(language.run)}")
    if language.allowed_flags:
        patterns = ", ".join(f"`{flag}`" for flag in language.allowed_flags)
        lines.append(f"- compile options (regular expressions): {patterns}")
    if language.libraries:
        lines.append(f"- libraries: {', '.join(language.libraries)}")
    if language.run_limit_defaults:
        defaults = ", ".join(f"{key} {value}" for key, value in language.run_limit_defaults.items())
        lines.append(f"- default run limits differ: {defaults}")
    if language.compile_zygote or language.zygote:
        lines.append(
            "- kept warm: its " + ("compiler" if language.compile_zygote else "interpreter") + " is started "
            "and warmed in each sandbox before the program arrives (one program per process)"
        )
    return [*lines, ""]


def render() -> str:
    lines = [HEADER, "| language | id | versions (newest first) |", "|---|---|---|"]
    for language_id, group in VERSIONS.items():
        variants = ", ".join(f"`{lang.variant}`" for lang in group)
        lines.append(f"| {family_name(group[0].name)} | `{language_id}` | {variants} |")
    lines.append("")
    for language_id, group in VERSIONS.items():
        lines += [f"### {family_name(group[0].name)} (`{language_id}`)", ""]
        for index, language in enumerate(group):
            lines += _version(language, index == 0)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
