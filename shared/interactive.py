"""The input Stream of an interactive execution (see redis_keys.execution_input): entries carry a
kind field and, for stdin, the raw bytes."""

from __future__ import annotations

INPUT_KIND = b"k"
INPUT_BYTES = b"d"
INPUT_DATA = b"stdin"
INPUT_EOF = b"eof"
INPUT_KILL = b"kill"
# Input streams live a little longer than the longest interactive execution.
INPUT_TTL_S = 3_600
