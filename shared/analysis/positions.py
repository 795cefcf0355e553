"""Positions and findings for the parsers of the compilers' and checkers' reports
(compiler_parsers.py, checker_parsers.py): a submitted file's lines in the units tools count in,
and a diagnostic being read, whose fix-its may follow on later lines.

Columns: gcc (with -fdiagnostics-column-unit=byte), clang, Go and mypy count bytes of UTF-8 (mypy
from 0); tsc counts UTF-16 code units, as the API does. Most of these tools give a start only:
the end is the end of the word there (or the one character), which an editor underlines."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.analysis.base import SANDBOX_PREFIXES
from shared.analysis.model import AnalysisDiagnostic, QuickFix, Severity, TextEdit
from shared.analysis.parsers import (
    MAX_DIAGNOSTICS,
    MAX_EDITS,
    MAX_MESSAGE_BYTES,
    SourceText,
    sort_diagnostics,
    strip_sandbox_paths,
    truncate_utf8,
)

_WORD = re.compile(r"\w")
CODE = re.compile(r"[A-Za-z0-9_=+-]{1,60}")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# One line of a tool's output is never longer than this is worth reading.
MAX_LINE = 64 << 10


class Source(SourceText):
    """One submitted file, with the units the compilers count in."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def _line(self, line: int) -> tuple[int, str] | None:
        if line > len(self.lines):
            return None
        line = max(line, 1)
        return line, self.lines[line - 1]

    def from_bytes(self, line: Any, column: Any) -> tuple[int, int] | None:
        """1-based line and byte column -> the API's (line, UTF-16 column); None unless both are ints."""
        if type(line) is not int or type(column) is not int:
            return None
        found = self._line(line)
        if found is None:
            return len(self.lines), utf16_units(self.lines[-1]) + 1
        line, text = found
        # A column inside a character (or past the end) stops at the character before.
        before = text.encode()[: max(column, 1) - 1].decode(errors="ignore")
        return line, utf16_units(before) + 1

    def from_units(self, line: Any, column: Any) -> tuple[int, int] | None:
        """1-based line and UTF-16 column, clamped into the file."""
        if type(line) is not int or type(column) is not int:
            return None
        found = self._line(line)
        if found is None:
            return len(self.lines), utf16_units(self.lines[-1]) + 1
        line, text = found
        return line, min(max(column, 1), utf16_units(text) + 1)

    def from_offset(self, offset: Any) -> tuple[int, int] | None:
        """A byte offset into the file (0-based) -> (line, UTF-16 column)."""
        if type(offset) is not int or offset < 0:
            return None
        before = self.text.encode()[:offset].decode(errors="ignore")
        breaks = list(_LINE_BREAK.finditer(before))
        # A \r\n cut between its two bytes counts as the line break it is.
        last = before[breaks[-1].end() :] if breaks else before
        return self.from_units(len(breaks) + 1, utf16_units(last) + 1)

    def word_end(self, line: int, column: int) -> int:
        """The end (exclusive) of the word at (line, UTF-16 column), or of its one character."""
        text = self.lines[line - 1] if 1 <= line <= len(self.lines) else ""
        index, units = 0, 1
        while index < len(text) and units < column:
            units += utf16_units(text[index])
            index += 1
        if index >= len(text):
            return column
        end = index + 1
        if _WORD.match(text[index]):
            while end < len(text) and _WORD.match(text[end]):
                end += 1
        return units + utf16_units(text[index:end])

    def line_end(self, line: int) -> int:
        return utf16_units(self.lines[line - 1]) + 1 if 1 <= line <= len(self.lines) else 1


def utf16_units(text: str) -> int:
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def submitted(path: str, sources: Mapping[str, Source]) -> str | None:
    """The submitted file a tool names: only below the sandbox's source directory, which holds
    nothing else (a file of the platform's, or any other, is not reported)."""
    for prefix in SANDBOX_PREFIXES:
        if path.startswith(prefix):
            name = path[len(prefix) :]
            return name if name in sources else None
    return None


def clean_message(text: str) -> str:
    return truncate_utf8(strip_sandbox_paths(text.replace("\x00", "")).strip(), MAX_MESSAGE_BYTES)


def output_lines(output: bytes) -> Iterator[str]:
    for line in output.decode(errors="replace").split("\n"):
        yield line[:MAX_LINE].rstrip("\r")


@dataclass(slots=True)
class Found:
    """A diagnostic being read: its fix-its may follow on later lines."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    severity: Severity
    message: str
    code: str | None = None
    edits: list[TextEdit] = field(default_factory=list)
    # A fix-it naming another file (or unreadable) spoils the whole fix.
    fix_broken: bool = False
    fix_title: str | None = None

    def build(self, source: str) -> AnalysisDiagnostic:
        fixes = []
        if self.edits and not self.fix_broken and len(self.edits) <= MAX_EDITS:
            title = self.fix_title or fix_title(self.edits)
            fixes = [QuickFix(title=title, applicability="unsafe", edits=self.edits)]
        return AnalysisDiagnostic(
            file=self.file,
            line=self.line,
            column=self.column,
            end_line=self.end_line,
            end_column=self.end_column,
            severity=self.severity,
            source=source,
            code=self.code,
            message=self.message,
            fixes=fixes,
        )


def fix_title(edits: list[TextEdit]) -> str:
    if len(edits) > 1:
        return "Apply the suggested fix"
    edit = edits[0]
    empty = (edit.line, edit.column) == (edit.end_line, edit.end_column)
    shown = truncate_utf8(edit.text, 80)
    if empty:
        return f"Insert “{shown}”"
    return f"Replace with “{shown}”" if edit.text else "Remove"


def point(
    sources: Mapping[str, Source], name: str, position: tuple[int, int] | None
) -> tuple[int, int, int, int] | None:
    if position is None:
        return None
    line, column = position
    return line, column, line, sources[name].word_end(line, column)


_RANK: dict[Severity, int] = {"error": 0, "warning": 1, "info": 2, "hint": 3}


def finish(found: Iterable[Found], source: str) -> list[AnalysisDiagnostic]:
    """Each diagnostic once; past the cap, errors first, then the earliest in the files (compilers
    do not report in file order: gcc lists a function's unused variables last one first). What
    was read is bounded by the tool's output limit."""
    unique: dict[tuple[str, int, int, str], Found] = {}
    for item in found:
        unique.setdefault((item.file, item.line, item.column, item.message), item)
    kept = sorted(unique.values(), key=lambda item: (_RANK[item.severity], item.file, item.line, item.column))
    return sort_diagnostics([item.build(source) for item in kept[:MAX_DIAGNOSTICS]])
