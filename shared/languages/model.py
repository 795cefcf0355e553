"""What a language definition is, and how its command templates expand.

Command templates are argv lists, never shell strings. Placeholders:
``{entry}`` the entry file; ``{entry_base}`` the entry without its extension (directories kept);
``{main_class}`` the entry's class for JVM languages (package-qualified, from the source);
``{sources}`` every submitted file with one of the language's extensions, entry first (many args;
``./{sources}`` prefixes each with ``./``);
``{flags}`` the submission's compile options, each matched against the allow-list (many args).

File names reach tools as argv, so templates pass them where no tool can read one as an option:
after ``--`` or as ``./name`` (the gateway also refuses names starting with ``-``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

EMPTY: Mapping[str, str] = MappingProxyType({})
NO_LIMITS: Mapping[str, int] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Language:
    id: str
    name: str
    runtime: str
    # Which version this definition runs, as callers select it ("3.13", "gcc-14", "pypy"); a
    # language's first definition in the catalogue is its default (the newest).
    variant: str
    source_file: str
    extensions: tuple[str, ...]
    run: tuple[str, ...]
    version_command: tuple[str, ...]
    compile: tuple[str, ...] | None = None
    # Paths (files or directories, relative to the work dir) the compile phase hands to the run phase.
    artifacts: tuple[str, ...] = ()
    run_env: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    compile_env: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    # An interpreter the warm sandbox starts before its program arrives (see the agent's zygote
    # mode); it then runs the run command's script. None: the run command is executed at once.
    zygote: tuple[str, ...] | None = None
    # The same for the compile phase: a compiler loaded and warmed before its program arrives
    # (deploy/images/agent/JvmZygote.java), which then compiles the compile command's argv.
    compile_zygote: tuple[str, ...] | None = None
    # Files the platform adds to the compile phase (e.g. type declarations), name -> content.
    support_files: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    version_pattern: str = r"(\d+(?:\.\d+)+)"
    # Anchored regular expressions; a compile option must match one of them entirely.
    allowed_flags: tuple[str, ...] = ()
    # For languages whose file name must follow the source (Java's public class): a regex whose
    # first group, plus the extension, names the file when a single `source` is submitted.
    file_name_pattern: str | None = None
    package_pattern: str | None = None
    # Defaults that differ from the server-wide ones, e.g. a JVM needs more memory and threads.
    run_limit_defaults: Mapping[str, int] = field(default_factory=lambda: NO_LIMITS)
    compile_limit_defaults: Mapping[str, int] = field(default_factory=lambda: NO_LIMITS)
    # Libraries preinstalled in the runtime image, as users would name them.
    libraries: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Unique per definition: probes, pools and jobs name a language's version by it."""
        return f"{self.id}@{self.variant}"

    @property
    def compiled(self) -> bool:
        return self.compile is not None

    @property
    def run_needs_sources(self) -> bool:
        """Interpreted languages need their sources at run time; compiled ones only the artifacts."""
        return not self.compiled

    def file_name_for(self, source: str) -> str:
        """The entry file's name for a single submitted source."""
        if self.file_name_pattern:
            match = re.search(self.file_name_pattern, source, re.MULTILINE)
            if match:
                return match.group(1) + self.extensions[0]
        return self.source_file

    def disallowed_flags(self, flags: Sequence[str]) -> list[str]:
        return [flag for flag in flags if not any(re.fullmatch(p, flag) for p in self.allowed_flags)]

    def main_class(self, entry: str, entry_source: str) -> str:
        stem = entry.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if self.package_pattern:
            match = re.search(self.package_pattern, entry_source, re.MULTILINE)
            if match:
                return f"{match.group(1)}.{stem}"
        return stem

    def expand(
        self,
        template: Sequence[str],
        entry: str,
        files: Sequence[str],
        *,
        flags: Sequence[str] = (),
        entry_source: str = "",
    ) -> list[str]:
        sources = [entry, *sorted(name for name in files if name != entry and name.endswith(self.extensions))]
        values = {
            "{entry}": entry,
            "{entry_base}": entry.rsplit(".", 1)[0],
            "{main_class}": self.main_class(entry, entry_source),
        }
        argv: list[str] = []
        for arg in template:
            if arg.endswith("{sources}"):
                prefix = arg[: -len("{sources}")]
                argv.extend(prefix + name for name in sources)
            elif arg == "{flags}":
                argv.extend(flags)
            else:
                for placeholder, value in values.items():
                    arg = arg.replace(placeholder, value)
                argv.append(arg)
        return argv

    def describe(self) -> dict[str, Any]:
        """The convention a caller writes against (entry file, commands, options, libraries)."""
        return {
            "variant": self.variant,
            "name": self.name,
            "compiled": self.compiled,
            "source_file": self.source_file,
            "extensions": list(self.extensions),
            "compile_command": list(self.compile) if self.compile else None,
            "run_command": list(self.run),
            "compile_options": list(self.allowed_flags),
            "libraries": list(self.libraries),
        }
