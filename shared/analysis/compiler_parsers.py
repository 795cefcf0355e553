"""gcc's, clang's and tsc's reports turned into the API's diagnostics (checkers.py's compiler
checks): pure functions over untrusted output, as in parsers.py. Only anchored lines are read;
files that were not submitted are dropped; positions are clamped into the source; messages, fixes
and the count are capped. Positions: positions.py."""

from __future__ import annotations

import re
from collections.abc import Mapping

from shared.analysis.model import AnalysisDiagnostic, Severity, TextEdit
from shared.analysis.parsers import MAX_EDIT_TEXT
from shared.analysis.positions import (
    CODE,
    Found,
    Source,
    clean_message,
    finish,
    output_lines,
    point,
    submitted,
)

# ---------------------------------------------------------------------------------------------
# gcc and clang: `file:line:column:[{ranges}:] severity: message [-Wflag]`, fix-it lines after.

_GNU = re.compile(
    r"(?P<file>[^\s:][^:]*):(?P<line>\d{1,9}):(?P<column>\d{1,9}):"
    r"(?:(?P<ranges>(?:\{\d{1,9}:\d{1,9}-\d{1,9}:\d{1,9}\})+):)? "
    r"(?P<severity>fatal error|error|warning|note|remark): (?P<message>.*)"
)
_RANGE = re.compile(r"\{(\d+):(\d+)-(\d+):(\d+)\}")
_FLAG = re.compile(r"\s\[(-[A-Za-z][\w=+-]*(?:,-[A-Za-z][\w=+-]*)*)\]$")
_INCLUDED = re.compile(r"(?:In file included|\s+) from (?P<file>[^\s:][^:]*):(?P<line>\d{1,9})[:,]")
_REQUIRED = re.compile(r"(?P<file>[^\s:][^:]*):(?P<line>\d{1,9}):(?P<column>\d{1,9}):\s+required from here")
_FIXIT = re.compile(
    r'fix-it:"(?P<file>(?:[^"\\]|\\.)*)":\{(\d{1,9}):(\d{1,9})-(\d{1,9}):(\d{1,9})\}:"(?P<text>(?:[^"\\]|\\.)*)"'
)
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.DOTALL)
_SEVERITIES: dict[str, Severity] = {
    "fatal error": "error",
    "error": "error",
    "warning": "warning",
    "note": "info",
    "remark": "info",
}


def _unescape(text: str) -> str | None:
    """A fix-it's replacement as gcc and clang print it: C escapes, bytes >= 0x80 as octal."""

    def one(match: re.Match[bytes]) -> bytes:
        value = match.group(1)
        if value[:1].isdigit():
            return bytes([int(value, 8) & 0xFF])
        return {b"n": b"\n", b"t": b"\t", b"r": b"\r"}.get(value, value)

    try:
        return _ESCAPE.sub(one, text.encode()).decode()
    except UnicodeDecodeError:
        return None


def _flag(message: str) -> tuple[str, str | None]:
    """The message without its trailing [-Wflag], and the flag (clang: [-Werror,-Wflag])."""
    match = _FLAG.search(message)
    if match is None:
        return message, None
    flags = match.group(1).split(",")
    warning = [flag for flag in flags if flag.startswith("-W") and not flag.startswith("-Werror")]
    flag = (warning or flags)[-1].removeprefix("-Werror=")
    code = flag.lstrip("-")
    return message[: match.start()], (flag if CODE.fullmatch(code) else None)


def _gnu_span(source: Source, line: int, column: int, ranges: str | None) -> tuple[int, int, int, int] | None:
    position = source.from_bytes(line, column)
    if position is None:
        return None
    start_line, start = position
    for match in _RANGE.finditer(ranges or ""):
        begin = source.from_bytes(int(match.group(1)), int(match.group(2)))
        end = source.from_bytes(int(match.group(3)), int(match.group(4)))
        # clang's range around the caret (end exclusive) is the diagnostic's extent.
        if begin is not None and end is not None and begin <= position < end:
            return (*begin, *end)
    return start_line, start, start_line, source.word_end(start_line, start)


class _GnuReader:
    """gcc's and clang's text, line by line. An error in a file that was not submitted (a system
    header, or whatever an #include named) is reported once, at the submitted line that led to it:
    gcc's `required from here` before it, else clang's note in a submitted file after it, else the
    #include of the chain that reached that file."""

    def __init__(self, sources: Mapping[str, Source]) -> None:
        self.sources = sources
        self.found: list[Found] = []
        self.recognised = False
        # The #include chain printed before a header's first diagnostic: gcc names the innermost
        # includer first ("In file included from X,\n  from Y:"), clang the outermost (one
        # "In file included from" line each).
        self.chain: list[tuple[str, int]] = []
        self.clang_chain = False
        self.include_site: dict[str, tuple[str, int]] = {}
        self.required: tuple[str, int, int] | None = None
        # An error of another file waiting for its place: (message, path, the #include's site).
        self.orphan: tuple[str, str, tuple[str, int] | None] | None = None
        self.last: Found | None = None

    def read(self, line: str) -> None:
        if match := _INCLUDED.match(line):
            self.recognised = True
            self.clang_chain = line.startswith("In file") and (not self.chain or self.clang_chain)
            self.chain.append((match.group("file"), int(match.group("line"))))
        elif match := _REQUIRED.fullmatch(line):
            name = submitted(match.group("file"), self.sources)
            if name is not None:
                self.required = (name, int(match.group("line")), int(match.group("column")))
        elif match := _GNU.fullmatch(line):
            self.recognised = True
            self._diagnostic(match)
        elif (match := _FIXIT.fullmatch(line)) and self.last is not None:
            self._fixit(match, self.last)

    def finish(self) -> list[Found]:
        self._flush()
        return self.found

    def _diagnostic(self, match: re.Match[str]) -> None:
        path, severity = match.group("file"), _SEVERITIES[match.group("severity")]
        line, column = int(match.group("line")), int(match.group("column"))
        if self.chain:
            # The submitted file nearest to `path` in the chain that led to it.
            for site_file, site_line in reversed(self.chain) if self.clang_chain else self.chain:
                if (name := submitted(site_file, self.sources)) is not None:
                    self.include_site[path] = (name, site_line)
                    break
            self.chain, self.clang_chain = [], False
        message, code = _flag(match.group("message"))
        message = clean_message(message)
        name = submitted(path, self.sources)
        self.last = None
        if name is None:
            if severity == "error":
                self._flush()
                if self.required is not None:
                    self._attribute(self.required, message, path)
                else:
                    self.orphan = (message, path, self.include_site.get(path))
            self.required = None
            return
        span = _gnu_span(self.sources[name], line, column, match.group("ranges"))
        if span is None or not message:
            return
        if match.group("severity") == "note" and self.orphan is not None:
            self._attribute((name, span[0], span[1]), *self.orphan[:2])
        if severity != "info":
            self._flush()
            self.required = None
        self.last = Found(name, *span, severity, message, code)
        self.found.append(self.last)

    def _flush(self) -> None:
        """An error of another file that no note placed: at the #include that reached it."""
        if self.orphan is not None and (site := self.orphan[2]) is not None:
            self._attribute((site[0], site[1], 0), *self.orphan[:2])
        self.orphan = None

    def _attribute(self, at: tuple[str, int, int], message: str, path: str) -> None:
        name, line, column = at
        source = self.sources[name]
        position = source.from_bytes(line, column) if column else source.from_units(line, 1)
        if position is not None:
            begin_line, begin = position
            end = source.word_end(begin_line, begin) if column else source.line_end(begin_line)
            text = clean_message(f"{message} (in {path})")
            self.found.append(Found(name, begin_line, begin, begin_line, end, "error", text))
        self.orphan = None

    def _fixit(self, match: re.Match[str], target: Found) -> None:
        name = submitted(_unescape(match.group("file")) or "", self.sources)
        text = _unescape(match.group("text"))
        if name != target.file or text is None or len(text) > MAX_EDIT_TEXT:
            target.fix_broken = True
            return
        source = self.sources[name]
        begin = source.from_bytes(int(match.group(2)), int(match.group(3)))
        end = source.from_bytes(int(match.group(4)), int(match.group(5)))
        if begin is None or end is None or end < begin:
            target.fix_broken = True
            return
        target.edits.append(
            TextEdit(file=name, line=begin[0], column=begin[1], end_line=end[0], end_column=end[1], text=text)
        )


def parse_gcc(output: bytes, sources: Mapping[str, str], source: str = "gcc") -> list[AnalysisDiagnostic] | None:
    """gcc's or clang's diagnostics (stderr); None when nothing in it is theirs (the tool failed)."""
    reader = _GnuReader({name: Source(text) for name, text in sources.items()})
    text = ""
    for line in output_lines(output):
        reader.read(line)
        text = text or line.strip()
    if not reader.recognised and text:
        return None
    return finish(reader.finish(), source)


# ---------------------------------------------------------------------------------------------
# tsc --pretty false: `file(line,column): error TSnnnn: message`, a message chain indented below.

_TSC = re.compile(
    r"(?P<file>[^\s(][^(]*)\((?P<line>\d{1,9}),(?P<column>\d{1,9})\): "
    r"(?P<severity>error|warning|message|suggestion) (?P<code>TS\d{1,6}): (?P<message>.*)"
)
_TSC_GLOBAL = re.compile(r"(?:error|warning) TS\d{1,6}: .*")
_TSC_SEVERITIES: dict[str, Severity] = {"error": "error", "warning": "warning", "message": "info", "suggestion": "hint"}


def parse_tsc(output: bytes, sources: Mapping[str, str]) -> list[AnalysisDiagnostic] | None:
    """tsc's diagnostics (stdout); None when it reports none of a file's and failed as a whole (an
    error of no file: its options or inputs, never the code)."""
    texts = {name: Source(text) for name, text in sources.items()}
    found: list[Found] = []
    last: Found | None = None
    recognised, failed = False, False
    for line in output_lines(output):
        if match := _TSC.fullmatch(line):
            recognised, last = True, None
            name = submitted(match.group("file"), texts)
            message = clean_message(match.group("message"))
            if name is None or not message:
                continue
            position = texts[name].from_units(int(match.group("line")), int(match.group("column")))
            span = point(texts, name, position)
            if span is not None:
                severity = _TSC_SEVERITIES[match.group("severity")]
                last = Found(name, *span, severity, message, match.group("code"))
                found.append(last)
        elif _TSC_GLOBAL.fullmatch(line):
            failed = True
        elif line.startswith("  ") and last is not None:
            last.message = clean_message(f"{last.message}\n{line.strip()}")
    if failed and not recognised:
        return None
    return finish(found, "tsc")
