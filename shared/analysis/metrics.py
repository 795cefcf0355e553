"""The `metrics` check's output (shared/analysis/tools.py, METRICS_SCRIPT) turned into CodeMetrics:
a pure function, like the other parsers (shared/analysis/parsers.py), and as wary.

What the script prints came out of a sandbox where lizard read untrusted files: only its JSON
object is accepted, every field is type-checked and bounded, files that were not submitted are
dropped, names are capped. Line counts come from the submitted text itself, not from the sandbox.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, cast

from shared.analysis.model import CodeMetrics, FunctionMetrics
from shared.analysis.parsers import strip_sandbox_paths, submitted_name, truncate_utf8
from shared.analysis.tools import MAX_FUNCTIONS

MAX_NAME_BYTES = 200
# Far above what 512 KiB of source holds, below PostgreSQL's integer: a bigger number is a lie.
MAX_COUNT = 10_000_000

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def count_lines(text: str) -> int:
    """Lines as an editor numbers them, a final line break ending the last one (not starting another)."""
    if not text:
        return 0
    breaks = len(_LINE_BREAK.findall(text))
    return breaks if text.endswith(("\n", "\r")) else breaks + 1


def count_nonblank_lines(text: str) -> int:
    return sum(1 for line in _LINE_BREAK.split(text) if line.strip())


def _count(value: Any, *, minimum: int = 0) -> int | None:
    """An int within bounds (bools are not counts), or None."""
    return value if type(value) is int and minimum <= value <= MAX_COUNT else None


_FUNCTION_NUMBERS = (("line", 1), ("ccn", 1), ("nloc", 0), ("params", 0))


def _function(item: Any, measured: Mapping[str, int], sources: Mapping[str, str]) -> FunctionMetrics | None:
    if not isinstance(item, dict):
        return None
    name = submitted_name(item.get("file"), sources)
    raw_name = item.get("name")
    numbers = [_count(item.get(key), minimum=least) for key, least in _FUNCTION_NUMBERS]
    if name is None or name not in measured or not isinstance(raw_name, str) or None in numbers:
        return None
    line, ccn, nloc, params = cast(list[int], numbers)
    label = truncate_utf8(strip_sandbox_paths(raw_name.replace("\x00", "")), MAX_NAME_BYTES) or "(anonymous)"
    # A line past the file's end is the tool's mistake: its last line.
    line = min(line, max(count_lines(sources[name]), 1))
    return FunctionMetrics(file=name, name=label, line=line, ccn=ccn, nloc=nloc, params=params)


def parse_lizard(stdout: bytes, sources: Mapping[str, str]) -> CodeMetrics | None:
    """The script's JSON object, over every submitted file (``sources``: name -> text); None when
    the output is not that object (the tool failed)."""
    try:
        document = json.loads(stdout)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    files, functions = document.get("files"), document.get("functions")
    totals = [_count(document.get(key)) for key in ("count", "ccn_sum", "ccn_max")]
    if not isinstance(files, list) or not isinstance(functions, list) or None in totals:
        return None
    count, ccn_sum, ccn_max = cast(list[int], totals)
    measured: dict[str, int] = {}
    for item in files:
        if not isinstance(item, dict):
            continue
        name = submitted_name(item.get("file"), sources)
        nloc = _count(item.get("nloc"))
        if name is not None and nloc is not None and name not in measured:
            measured[name] = min(nloc, count_lines(sources[name]))
    listed = [found for item in functions[:MAX_FUNCTIONS] if (found := _function(item, measured, sources))]
    listed.sort(key=lambda f: (f.file, f.line))
    # The totals cover every function, the list only the first MAX_FUNCTIONS: never fewer than listed.
    count = max(count, len(listed))
    if listed:
        ccn_max = max(ccn_max, *(f.ccn for f in listed))
        ccn_sum = max(ccn_sum, sum(f.ccn for f in listed))
    return CodeMetrics(
        lines=sum(count_lines(text) for text in sources.values()),
        code_lines=sum(measured.get(name, count_nonblank_lines(text)) for name, text in sources.items()),
        measured_files=sorted(measured),
        function_count=count,
        functions=listed,
        ccn_max=max(ccn_max, 1) if count else None,
        ccn_avg=round(max(ccn_sum, count) / count, 2) if count else None,
    )
