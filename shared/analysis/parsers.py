"""Tool output turned into the API's diagnostics and formatted files: pure functions.

Whatever a tool prints came out of a sandbox and is untrusted, like the code it read: only typed
JSON is accepted, every field is checked, files that were not submitted are dropped, lines and
columns are clamped to the source, messages and fixes are capped, and sandbox paths are stripped.
Nothing here raises on bad input; it yields less.

Columns: ruff and shellcheck (json1) count characters (code points, a tab as one); the API counts
UTF-16 code units, as CodeMirror does, so a column after an astral character (an emoji) moves by
one more."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from shared.analysis.base import SANDBOX_PREFIXES, SANDBOX_SOURCE_DIR
from shared.analysis.model import AnalysisDiagnostic, FormattedFile, QuickFix, Severity, TextEdit

MAX_DIAGNOSTICS = 200
MAX_MESSAGE_BYTES = 1024
# Per diagnostic; and each fix's edits, and the text one edit may insert.
MAX_FIXES = 20
MAX_EDITS = 20
MAX_EDIT_TEXT = 16 << 10
MAX_TITLE = 200
MAX_URL = 300

# CodeMirror's line breaks (its default lineSeparator): the document's lines are these.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_CODE = re.compile(r"[A-Za-z0-9_-]{1,40}")
_URL = re.compile(r"https://[!-~]{1,290}")
# ruff's own rules for what is certainly broken (pyflakes' and pycodestyle's error classes, as
# flake8's --select=E9,F63,F7,F82 names them); every other rule is a warning.
_ERROR_CODES = re.compile(r"invalid-syntax|E9\d\d|F63\d|F7\d\d|F82\d")


class SourceText:
    """One submitted file, for turning a tool's (line, character column) into the API's position."""

    def __init__(self, text: str) -> None:
        self.lines = _LINE_BREAK.split(text)

    def position(self, line: Any, column: Any) -> tuple[int, int] | None:
        """1-based line and UTF-16 column, clamped into the document; None unless both are ints."""
        if type(line) is not int or type(column) is not int:
            return None
        count = len(self.lines)
        if line > count:
            # Past the end (a tool's end-of-file position): the end of the last line.
            return count, _utf16_len(self.lines[-1]) + 1
        line = max(line, 1)
        text = self.lines[line - 1]
        characters = min(max(column, 1) - 1, len(text))
        return line, _utf16_len(text[:characters]) + 1


def _utf16_len(text: str) -> int:
    # Astral characters are two UTF-16 code units (a surrogate pair), the others one.
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def truncate_utf8(text: str, limit: int) -> str:
    """At most ``limit`` bytes of UTF-8, cut on a character boundary, marked with an ellipsis."""
    if len(text) * 4 <= limit or len(text.encode(errors="replace")) <= limit:
        return text
    cut = text.encode(errors="replace")[: limit - 3].decode(errors="ignore")
    return cut + "…"


def strip_sandbox_paths(text: str) -> str:
    """Where a tool names a file by its absolute path in the sandbox, the submitted name only."""
    return text.replace(SANDBOX_SOURCE_DIR, "")


def submitted_name(path: Any, sources: Mapping[str, Any]) -> str | None:
    """The submitted file a tool's path names, or None (a file nobody submitted is dropped)."""
    if not isinstance(path, str):
        return None
    for prefix in SANDBOX_PREFIXES:
        if path.startswith(prefix):
            path = path[len(prefix) :]
            break
    return path if path in sources else None


def _clean_text(value: Any, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    return truncate_utf8(strip_sandbox_paths(value.replace("\x00", "")), limit)


def _range(item: Mapping[str, Any], source: SourceText) -> tuple[int, int, int, int] | None:
    start, end = item.get("location"), item.get("end_location")
    if not isinstance(start, dict):
        return None
    begin = source.position(start.get("row"), start.get("column"))
    if begin is None:
        return None
    finish = source.position(end.get("row"), end.get("column")) if isinstance(end, dict) else None
    if finish is None or finish < begin:
        finish = begin
    return (*begin, *finish)


def _edits(raw: Any, name: str, source: SourceText) -> list[TextEdit] | None:
    """A fix's edits, or None when any is unreadable (half a fix must never be offered)."""
    if not isinstance(raw, list) or not raw or len(raw) > MAX_EDITS:
        return None
    edits: list[TextEdit] = []
    for item in raw:
        if not isinstance(item, dict):
            return None
        span = _range(item, source)
        text = item.get("content")
        if span is None or not isinstance(text, str) or len(text) > MAX_EDIT_TEXT or "\x00" in text:
            return None
        line, column, end_line, end_column = span
        edits.append(TextEdit(file=name, line=line, column=column, end_line=end_line, end_column=end_column, text=text))
    return edits


def _ruff_fixes(raw: Any, name: str, source: SourceText) -> list[QuickFix]:
    if not isinstance(raw, dict):
        return []
    applicability = raw.get("applicability")
    if applicability not in ("safe", "unsafe"):
        # ruff's third kind, "display-only", is not meant to be applied.
        return []
    edits = _edits(raw.get("edits"), name, source)
    title = _clean_text(raw.get("message"), MAX_TITLE) or "Fix"
    return [QuickFix(title=title, applicability=applicability, edits=edits)] if edits else []


def _severity(code: str | None) -> Severity:
    return "error" if code is None or _ERROR_CODES.fullmatch(code) else "warning"


def parse_ruff_check(stdout: bytes, sources: Mapping[str, str]) -> list[AnalysisDiagnostic] | None:
    """``ruff check --output-format json``: its diagnostics, or None when the output is not the
    JSON list ruff prints (the tool failed)."""
    try:
        items = json.loads(stdout)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(items, list):
        return None
    texts = {name: SourceText(content) for name, content in sources.items()}
    diagnostics: list[AnalysisDiagnostic] = []
    for item in items:
        if len(diagnostics) >= MAX_DIAGNOSTICS:
            break
        if not isinstance(item, dict) or item.get("cell") is not None:
            continue
        name = submitted_name(item.get("filename"), sources)
        message = _clean_text(item.get("message"), MAX_MESSAGE_BYTES)
        if name is None or not message:
            continue
        span = _range(item, texts[name])
        if span is None:
            continue
        raw_code = item.get("code")
        code = raw_code if isinstance(raw_code, str) and _CODE.fullmatch(raw_code) else None
        url = item.get("url")
        line, column, end_line, end_column = span
        diagnostics.append(
            AnalysisDiagnostic(
                file=name,
                line=line,
                column=column,
                end_line=end_line,
                end_column=end_column,
                severity=_severity(code),
                source="ruff",
                code=code,
                message=message,
                url=url if isinstance(url, str) and _URL.fullmatch(url) else None,
                fixes=_ruff_fixes(item.get("fix"), name, texts[name])[:MAX_FIXES],
            )
        )
    return sort_diagnostics(diagnostics)


_SHELLCHECK_LEVELS: dict[str, Severity] = {"error": "error", "warning": "warning", "info": "info", "style": "hint"}


def _shellcheck_fixes(raw: Any, name: str, source: SourceText) -> list[QuickFix]:
    if not isinstance(raw, dict):
        return []
    replacements = raw.get("replacements")
    if not isinstance(replacements, list):
        return []
    # shellcheck's own field names, as _edits reads ruff's.
    renamed = [
        {
            "location": {"row": item.get("line"), "column": item.get("column")},
            "end_location": {"row": item.get("endLine"), "column": item.get("endColumn")},
            "content": item.get("replacement"),
        }
        for item in replacements
        if isinstance(item, dict)
    ]
    edits = _edits(renamed, name, source) if len(renamed) == len(replacements) else None
    # Its fixes change what the script does (quoting, `|| exit`), as intended: offered, not applied.
    return [QuickFix(title="Apply ShellCheck's suggestion", applicability="unsafe", edits=edits)] if edits else []


def parse_shellcheck(stdout: bytes, sources: Mapping[str, str]) -> list[AnalysisDiagnostic] | None:
    """``shellcheck --format json1``: its comments, or None when the output is not its JSON."""
    try:
        document = json.loads(stdout)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    comments = document.get("comments") if isinstance(document, dict) else None
    if not isinstance(comments, list):
        return None
    texts = {name: SourceText(content) for name, content in sources.items()}
    diagnostics: list[AnalysisDiagnostic] = []
    for item in comments:
        if len(diagnostics) >= MAX_DIAGNOSTICS:
            break
        if not isinstance(item, dict):
            continue
        name = submitted_name(item.get("file"), sources)
        message = _clean_text(item.get("message"), MAX_MESSAGE_BYTES)
        number = item.get("code")
        level = item.get("level")
        if name is None or not message or type(number) is not int or level not in _SHELLCHECK_LEVELS:
            continue
        span = _range(
            {
                "location": {"row": item.get("line"), "column": item.get("column")},
                "end_location": {"row": item.get("endLine"), "column": item.get("endColumn")},
            },
            texts[name],
        )
        if span is None:
            continue
        code = f"SC{number}"
        line, column, end_line, end_column = span
        diagnostics.append(
            AnalysisDiagnostic(
                file=name,
                line=line,
                column=column,
                end_line=end_line,
                end_column=end_column,
                severity=_SHELLCHECK_LEVELS[level],
                source="shellcheck",
                code=code,
                message=message,
                url=f"https://www.shellcheck.net/wiki/{code}",
                fixes=_shellcheck_fixes(item.get("fix"), name, texts[name]),
            )
        )
    return sort_diagnostics(diagnostics)


def sort_diagnostics(diagnostics: Sequence[AnalysisDiagnostic]) -> list[AnalysisDiagnostic]:
    return sorted(diagnostics, key=lambda d: (d.file, d.line, d.column, d.code or ""))


def parse_formatted(collected: Sequence[tuple[str, bytes]], sources: Mapping[str, str]) -> list[FormattedFile]:
    """The formatter's files sent back from the sandbox (paths as the agent names them, under
    src/), for the submitted files it reads: unchanged ones too, so a client sees every file."""
    formatted: dict[str, FormattedFile] = {}
    for path, data in collected:
        name = submitted_name(path, sources)
        if name is None or name in formatted:
            continue
        try:
            content = data.decode()
        except UnicodeDecodeError:
            continue
        formatted[name] = FormattedFile(name=name, content=content, changed=content != sources[name])
    return [formatted[name] for name in sorted(formatted)]
