"""The input Stream of an interactive execution (see redis_keys.execution_input): entries carry a
kind field and, for stdin, the raw bytes."""

from __future__ import annotations

INPUT_KIND = b"k"
INPUT_BYTES = b"d"
INPUT_DATA = b"stdin"
INPUT_EOF = b"eof"
# The program is killed: the platform ended the session (its client left, its input was refused),
# or a Piston client sent a signal.
INPUT_KILL = b"kill"
# The user stopped it: killed, and the execution's verdict is cancelled.
INPUT_CANCEL = b"cancel"
# Input streams live a little longer than the longest interactive execution.
INPUT_TTL_S = 3_600
