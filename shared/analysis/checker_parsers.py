"""go vet's and mypy's reports turned into the API's diagnostics (checkers.py): pure functions
over untrusted output, as in parsers.py: only typed JSON or anchored lines are read, files that
were not submitted are dropped, positions are clamped, messages, fixes and the count are capped.
Positions: positions.py."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from shared.analysis.model import AnalysisDiagnostic, Severity, TextEdit
from shared.analysis.parsers import MAX_EDIT_TEXT, MAX_EDITS, MAX_TITLE, truncate_utf8
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
# go vet -json (stderr): JSON blocks of findings; type and build errors as `file:line:col: message`
# (`vet: ` before the first type error), details indented by a tab.

_GO = re.compile(r"(?P<vet>vet: )?(?P<file>[^\s:#][^:]*\.go):(?P<line>\d{1,9}):(?P<column>\d{1,9}): (?P<message>.*)")
_ANALYZER = re.compile(r"[a-z][a-z0-9_]{0,40}")


def _go_findings(block: Any, texts: Mapping[str, Source]) -> Iterator[Found]:
    if not isinstance(block, dict):
        return
    for analyzers in block.values():
        if not isinstance(analyzers, dict):
            continue
        for analyzer, findings in analyzers.items():
            if not isinstance(findings, list) or not _ANALYZER.fullmatch(str(analyzer)):
                continue
            for finding in findings:
                if isinstance(finding, dict) and (item := _go_finding(finding, str(analyzer), texts)):
                    yield item


def _go_finding(finding: dict[str, Any], analyzer: str, texts: Mapping[str, Source]) -> Found | None:
    posn, message = finding.get("posn"), finding.get("message")
    if not isinstance(posn, str) or not isinstance(message, str):
        return None
    path, _, place = posn.rpartition(":")
    path, _, line = path.rpartition(":")
    name = submitted(path, texts)
    if name is None or not line.isdigit() or not place.isdigit():
        return None
    span = point(texts, name, texts[name].from_bytes(int(line), int(place)))
    text = clean_message(message)
    if span is None or not text:
        return None
    found = Found(name, *span, "warning", text, analyzer)
    fixes = finding.get("suggested_fixes")
    if isinstance(fixes, list) and fixes and isinstance(fixes[0], dict):
        _go_fix(fixes[0], found, texts)
    return found


def _go_fix(fix: dict[str, Any], found: Found, texts: Mapping[str, Source]) -> None:
    edits = fix.get("edits")
    if not isinstance(edits, list) or not edits or len(edits) > MAX_EDITS:
        return
    for edit in edits:
        if not isinstance(edit, dict) or submitted(str(edit.get("filename")), texts) != found.file:
            return
        text = edit.get("new")
        begin = texts[found.file].from_offset(edit.get("start"))
        end = texts[found.file].from_offset(edit.get("end"))
        if not isinstance(text, str) or len(text) > MAX_EDIT_TEXT or begin is None or end is None or end < begin:
            return
        found.edits.append(
            TextEdit(file=found.file, line=begin[0], column=begin[1], end_line=end[0], end_column=end[1], text=text)
        )
    title = fix.get("message")
    found.fix_title = truncate_utf8(title, MAX_TITLE) if isinstance(title, str) and title else None


def parse_go_vet(output: bytes, sources: Mapping[str, str]) -> list[AnalysisDiagnostic] | None:
    """go vet's findings and the type errors it (or the compiler after it) reports; None when its
    output has none of those shapes (it failed: e.g. files in several directories)."""
    texts = {name: Source(text) for name, text in sources.items()}
    compiled: list[Found] = []
    vetted: list[Found] = []
    last: Found | None = None
    block: list[str] | None = None
    recognised, other = False, ""
    for line in output_lines(output):
        if block is not None:
            block.append(line)
            if line == "}":
                recognised = True
                with contextlib.suppress(ValueError, RecursionError):
                    vetted.extend(_go_findings(json.loads("\n".join(block)), texts))
                block = None
        elif line in ("{", "{}"):
            recognised, last = True, None
            block = [line] if line == "{" else None
        elif match := _GO.fullmatch(line):
            recognised, last = True, None
            name = submitted(match.group("file"), texts)
            message = clean_message(match.group("message"))
            if name is not None and message:
                span = point(texts, name, texts[name].from_bytes(int(match.group("line")), int(match.group("column"))))
                if span is not None:
                    last = Found(name, *span, "error", message, "vet" if match.group("vet") else "compile")
                    (vetted if match.group("vet") else compiled).append(last)
        elif line.startswith("\t") and last is not None:
            last.message = clean_message(f"{last.message}\n{line.strip()}")
        elif not line.startswith("#"):
            other = other or line.strip()
    if not recognised and other:
        return None
    # vet's first type error is among the compiler's, when it ran.
    seen = {(item.file, item.line, item.column) for item in compiled}
    kept = [item for item in vetted if item.code != "vet" or (item.file, item.line, item.column) not in seen]
    for item in (*compiled, *kept):
        item.code = None if item.code in ("vet", "compile") else item.code
    return finish([*compiled, *kept], "go vet")


# ---------------------------------------------------------------------------------------------
# mypy -O json: one object a line; its column is a 0-based byte offset.

_MYPY_SEVERITIES: dict[str, Severity] = {"error": "error", "note": "info"}


def parse_mypy(output: bytes, sources: Mapping[str, str]) -> list[AnalysisDiagnostic] | None:
    """mypy's diagnostics; None when no line of its output is its JSON (mypy failed)."""
    texts = {name: Source(text) for name, text in sources.items()}
    found: list[Found] = []
    recognised, other = False, False
    for line in output_lines(output):
        try:
            item = json.loads(line) if line.startswith("{") else None
        except (ValueError, RecursionError):
            item = None
        if not isinstance(item, dict):
            other = other or bool(line.strip())
            continue
        recognised = True
        name = submitted(str(item.get("file")), texts)
        raw, hint = item.get("message"), item.get("hint")
        severity = _MYPY_SEVERITIES.get(str(item.get("severity")))
        column = item.get("column")
        if name is None or not isinstance(raw, str) or severity is None or type(column) is not int:
            continue
        message = clean_message(raw + (f"\n{hint}" if isinstance(hint, str) and hint else ""))
        span = point(texts, name, texts[name].from_bytes(item.get("line"), column + 1))
        code = item.get("code")
        if span is not None and message:
            found.append(
                Found(name, *span, severity, message, code if isinstance(code, str) and CODE.fullmatch(code) else None)
            )
    if not recognised and other:
        return None
    return finish(found, "mypy")
