"""Compiler messages turned into positions: the compile phase's output parsed into diagnostics.

Pure and forgiving: the text is untrusted (a program's compiler may print anything), so every
format is an anchored line pattern, lines that match none are skipped, and nothing here raises.
One pass recognises every format the catalogue's compilers print:

- ``file:line:col: severity: message [-Wflag]``: gcc, g++, gfortran (message on a later
  ``Error:`` line), clang, go, kotlinc, swiftc, ghc (message on the next line), gdc, gnat,
  erlc, vala (``file:l.c-l.c:``), and without a column javac, scalac, tcc, nasm, cobc (javac's
  and scalac's caret line then gives the column);
- ``file(line,col): severity CODE: message``: tsc, mcs, fpc, nim, ldc (``file(line): Error:``);
- rustc's ``error[E0308]: message`` followed by `` --> file:line:col``;
- kotlinc's ``e: file:///work/main.kt:3:5 message``; OCaml's ``File "f", line l, characters a-b:``;
  crystal's ``In file:line:col`` followed by ``Error: message``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from shared.executions import Phase, PhaseRecord, Verdict

Severity = Literal["error", "warning", "note", "info"]

MAX_DIAGNOSTICS = 200
MAX_MESSAGE = 500
# Lines beyond which a location waiting for its message (or caret) gives up.
_LOOKAHEAD = 8
_WORK_DIR = "/work/"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    file: str
    line: int
    column: int | None
    severity: Severity
    message: str
    code: str | None = None
    end_line: int | None = None
    end_column: int | None = None


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_SEVERITIES: dict[str, Severity] = {
    "error": "error",
    "fatal error": "error",
    "fatal": "error",
    "e": "error",
    "warning": "warning",
    "deprecation": "warning",
    "w": "warning",
    "note": "note",
    "help": "note",
    "hint": "note",
    "v": "note",
    "info": "info",
    "remark": "info",
    "message": "info",
    "i": "info",
}
_SEV = r"fatal error|error|warning|note|remark|info|fatal|hint|deprecation|message"
_GNU = re.compile(
    r"(?P<file>[^\s:(][^:]*?):(?P<line>\d+)(?:[:.](?P<col>\d+))?"
    r"(?:-(?:(?P<eline>\d+)\.)?(?P<ecol>\d+))?:(?P<rest>.*)"
)
_GNU_REST = re.compile(rf"\s*(?P<sev>{_SEV})(?:\[(?P<code>[^\]]+)\])?:\s*(?P<msg>.*)", re.IGNORECASE)
_PAREN = re.compile(
    r"(?P<file>[^\s(][^(]*?)\((?P<line>\d+)(?:,\s*(?P<col>\d+))?\):?\s+"
    rf"(?P<sev>{_SEV})(?:\s+(?P<code>[A-Z]+\d+))?:\s*(?P<msg>.*)",
    re.IGNORECASE,
)
_RUST_HEAD = re.compile(r"(?P<sev>error|warning|note|help)(?:\[(?P<code>[A-Z]+\d+)\])?:\s*(?P<msg>.*)")
_RUST_AT = re.compile(r"\s*-->\s*(?P<file>.+?):(?P<line>\d+):(?P<col>\d+)\s*")
_KOTLIN = re.compile(
    r"(?P<sev>[ewiv]):\s+(?P<file>\S+?):(?:(?P<line>\d+):(?P<col>\d+)|\s*\((?P<line2>\d+),\s*(?P<col2>\d+)\):)"
    r"\s+(?P<msg>.*)"
)
_OCAML = re.compile(
    r'File "(?P<file>[^"]+)", lines? (?P<line>\d+)(?:-(?P<eline>\d+))?'
    r"(?:, characters (?P<col>\d+)-(?P<ecol>\d+))?:\s*"
)
_CRYSTAL = re.compile(r"In (?P<file>\S+?):(?P<line>\d+):(?P<col>\d+)\s*")
# The message line that follows a bare location (gfortran, OCaml, crystal).
_LATER_MESSAGE = re.compile(
    r"(?P<sev>Fatal error|Error|Warning|Alert)(?:\s+\d+)?(?:\s*\[(?P<code>[^\]]+)\])?(?:\s*\([^)]*\))?:\s*(?P<msg>.*)"
)
_CARET = re.compile(r"(?P<indent>\s*)\^\s*")
# A message that is only its code(s): ghc's ``error: [GHC-39999]``, whose text is on the next line.
_LEADING_CODES = re.compile(r"(?:\[[^\]]+\]\s*)+")
_TRAILING_FLAG = re.compile(r"\s*\[(?P<code>-W[\w=+-]*)\]\s*$")
_NOISE = re.compile(r"There were \d+ errors", re.IGNORECASE)


def normalise_path(path: str, files: Sequence[str] | None) -> str | None:
    """The submitted file a path in the output names, or None (system headers, other files)."""
    path = path.strip()
    path = path.removeprefix("file://")
    path = path.removeprefix(_WORK_DIR)
    while path.startswith("./"):
        path = path[2:]
    if files is not None:
        return path if path in files else None
    if not path or path.startswith("/") or ".." in path.split("/"):
        return None
    return path


@dataclass(slots=True)
class _Pending:
    """A location still waiting for its message (or a message for its location)."""

    file: str
    line: int
    column: int | None
    end_line: int | None = None
    end_column: int | None = None
    severity: Severity = "error"
    code: str | None = None
    age: int = 0
    # ghc: the message is the next non-empty line, whatever it says.
    next_line: bool = False


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    value = int(text[:9])
    return value if value >= 1 else None


def _severity(text: str) -> Severity:
    return _SEVERITIES.get(text.strip().lower(), "error")


def _clean(message: str) -> str:
    return message.strip().lstrip("•").strip()[:MAX_MESSAGE]


class _Collector:
    def __init__(self, files: Sequence[str] | None) -> None:
        self.files = files
        self.found: list[Diagnostic] = []
        self.seen: set[Diagnostic] = set()

    def add(self, at: _Pending, message: str) -> None:
        message = _clean(message)
        if not message or _NOISE.match(message) or len(self.found) >= MAX_DIAGNOSTICS:
            return
        code = at.code
        flag = _TRAILING_FLAG.search(message)
        if flag:
            code = code or flag["code"]
            message = message[: flag.start()]
        diagnostic = Diagnostic(
            file=at.file,
            line=at.line,
            column=at.column,
            end_line=at.end_line,
            end_column=at.end_column,
            severity=at.severity,
            message=message,
            code=code,
        )
        if diagnostic not in self.seen:
            self.seen.add(diagnostic)
            self.found.append(diagnostic)

    def at(
        self,
        file: str,
        line: str | None,
        column: str | None,
        *,
        severity: Severity = "error",
        code: str | None = None,
        end_line: int | None = None,
        end_column: int | None = None,
    ) -> _Pending | None:
        name = normalise_path(file, self.files)
        number = _int(line)
        if name is None or number is None:
            return None
        return _Pending(name, number, _int(column), end_line, end_column, severity, code)


def parse(compiler_output: str, files: Sequence[str] | None = None) -> list[Diagnostic]:
    """Diagnostics in ``compiler_output`` for ``files`` (None: any relative path in the work dir)."""
    out = _Collector(files)
    waiting_message: _Pending | None = None  # a bare location (gfortran, OCaml, crystal, ghc)
    waiting_caret: tuple[_Pending, str] | None = None  # javac/scalac: the caret line gives the column
    rust_head: tuple[Severity, str | None, str] | None = None
    pending: _Pending | None
    for raw in _ANSI.sub("", compiler_output).splitlines():
        line = raw.rstrip()
        if waiting_caret is not None:
            located, message = waiting_caret
            caret = _CARET.fullmatch(line)
            located.age += 1
            if caret or located.age > _LOOKAHEAD or _GNU.match(line):
                if caret:
                    located.column = len(caret["indent"]) + 1
                out.add(located, message)
                waiting_caret = None
                if caret:
                    continue
        if waiting_message is not None:
            waiting_message.age += 1
            if waiting_message.age > _LOOKAHEAD:
                waiting_message = None
            elif waiting_message.next_line and line.strip():
                out.add(waiting_message, line)
                waiting_message = None
                continue
            elif (later := _LATER_MESSAGE.match(line)) and not waiting_message.next_line:
                waiting_message.severity = _severity(later["sev"])
                waiting_message.code = later["code"]
                out.add(waiting_message, later["msg"])
                waiting_message = None
                continue
        # rustc's location follows its message at once.
        previous, rust_head = rust_head, None
        if (rust := _RUST_AT.fullmatch(line)) and previous is not None:
            severity, code, message = previous
            if pending := out.at(rust["file"], rust["line"], rust["col"], severity=severity, code=code):
                out.add(pending, message)
            continue
        if match := _RUST_HEAD.fullmatch(line):
            rust_head = (_severity(match["sev"]), match["code"], match["msg"])
            continue
        if match := _KOTLIN.fullmatch(line):
            pending = out.at(
                match["file"],
                match["line"] or match["line2"],
                match["col"] or match["col2"],
                severity=_severity(match["sev"]),
            )
            if pending:
                out.add(pending, match["msg"])
            continue
        if match := _OCAML.fullmatch(line):
            column = str(int(match["col"]) + 1) if match["col"] else None
            end = match["ecol"]  # 0-based and exclusive: the same number is 1-based and inclusive
            end_line = match["eline"] or (match["line"] if end else None)
            waiting_message = out.at(
                match["file"], match["line"], column, end_line=_int(end_line), end_column=_int(end)
            )
            continue
        if match := _CRYSTAL.fullmatch(line):
            waiting_message = out.at(match["file"], match["line"], match["col"])
            continue
        if match := _PAREN.fullmatch(line):
            pending = out.at(
                match["file"], match["line"], match["col"], severity=_severity(match["sev"]), code=match["code"]
            )
            if pending:
                out.add(pending, match["msg"])
            continue
        if match := _GNU.fullmatch(line):
            rest = match["rest"]
            pending = out.at(
                match["file"],
                match["line"],
                match["col"],
                end_line=_int(match["eline"]),
                end_column=_int(match["ecol"]),
            )
            if pending is None:
                continue
            if pending.end_column is not None and pending.end_line is None:
                pending.end_line = pending.line
            if not rest.strip():
                waiting_message = pending
                continue
            if rest.startswith("  "):  # gcc's "  required from here" context lines
                continue
            message = rest
            if head := _GNU_REST.fullmatch(rest):
                pending.severity = _severity(head["sev"])
                pending.code = head["code"]
                message = head["msg"]
            if codes := _LEADING_CODES.match(message):
                pending.code = pending.code or message[1 : message.index("]")]
                message = message[codes.end() :]
                if not message.strip():
                    pending.next_line = True
                    waiting_message = pending
                    continue
            if pending.column is None:
                waiting_caret = (pending, message)
            else:
                out.add(pending, message)
    if waiting_caret is not None:
        out.add(*waiting_caret)
    return out.found


# Parsed from at most this much of each stream: the first 200 messages fit in it, and building a
# response never spends more than a few milliseconds on them, however often a caller reads an
# execution whose compiler wrote megabytes.
PARSED_BYTES = 64 * 1024


def of_phase(phase: PhaseRecord) -> list[Diagnostic]:
    """A compile phase's diagnostics (none for other phases), as the API shows them. Parsed only
    when there is something to parse: a clean compile with no output (the common case) costs nothing."""
    if phase.phase != Phase.compile or (phase.verdict == Verdict.ok and not phase.stdout and not phase.stderr):
        return []
    return parse((phase.stderr[:PARSED_BYTES] + b"\n" + phase.stdout[:PARSED_BYTES]).decode("utf-8", errors="replace"))
