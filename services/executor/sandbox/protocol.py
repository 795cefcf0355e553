"""The framed protocol spoken with the in-sandbox agent (deploy/images/base/agent.c).

Frame: ``[u8 type][u32 big-endian length][payload]``.  Everything the agent sends is untrusted:
the decoder bounds frame sizes and the exit record parser accepts only known integer fields.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

HEADER = struct.Struct(">cI")

# executor -> agent
FILE = b"F"
ARG = b"A"
ENV = b"V"
LIMITS = b"L"
COLLECT = b"C"
GO = b"G"
STDIN = b"I"
STDIN_EOF = b"E"
KILL = b"K"
# agent -> executor
STARTED = b"S"
STDOUT = b"O"
STDERR = b"R"
EXIT = b"X"
ERROR = b"Z"


class ProtocolError(Exception):
    """The agent sent something that is not a well-formed frame."""


def frame(kind: bytes, payload: bytes = b"") -> bytes:
    return HEADER.pack(kind, len(payload)) + payload


def file_frame(name: str, content: bytes, mode: int = 0o644) -> bytes:
    encoded = name.encode()
    return frame(FILE, struct.pack(">H", len(encoded)) + encoded + struct.pack(">I", mode) + content)


def parse_file(payload: bytes) -> tuple[str, int, bytes]:
    if len(payload) < 6:
        raise ProtocolError("file frame too short")
    (name_len,) = struct.unpack_from(">H", payload)
    if 2 + name_len + 4 > len(payload):
        raise ProtocolError("file frame truncated")
    name = payload[2 : 2 + name_len].decode("utf-8", errors="replace")
    (mode,) = struct.unpack_from(">I", payload, 2 + name_len)
    return name, mode & 0o755, payload[2 + name_len + 4 :]


class FrameDecoder:
    """Incremental decoder over an arbitrary byte stream split."""

    def __init__(self, max_frame: int) -> None:
        self._buf = bytearray()
        self._max = max_frame

    def feed(self, data: bytes) -> Iterator[tuple[bytes, bytes]]:
        self._buf.extend(data)
        while len(self._buf) >= HEADER.size:
            kind, length = HEADER.unpack_from(self._buf)
            if length > self._max:
                raise ProtocolError(f"frame of {length} bytes exceeds {self._max}")
            end = HEADER.size + length
            if len(self._buf) < end:
                return
            payload = bytes(self._buf[HEADER.size : end])
            del self._buf[:end]
            yield kind, payload

    @property
    def pending(self) -> int:
        return len(self._buf)


@dataclass(frozen=True, slots=True)
class ExitRecord:
    exit_code: int
    signal: int
    reason: str
    cpu_us: int
    wall_us: int
    maxrss_kb: int
    mem_peak_bytes: int
    oom_kills: int
    stdout_bytes: int
    stderr_bytes: int

    @classmethod
    def parse(cls, payload: bytes) -> ExitRecord:
        values: dict[str, str] = {}
        for line in payload.decode("ascii", errors="replace").splitlines():
            key, sep, value = line.partition("=")
            if sep:
                values[key.strip()] = value.strip()
        reason = values.get("reason", "none")
        if reason not in {"none", "cpu", "wall", "output", "killed"}:
            raise ProtocolError(f"unknown exit reason {reason!r}")
        try:
            return cls(
                exit_code=int(values.get("exit_code", "-1")),
                signal=int(values.get("signal", "0")),
                reason=reason,
                cpu_us=int(values.get("cpu_us", "0")),
                wall_us=int(values.get("wall_us", "0")),
                maxrss_kb=int(values.get("maxrss_kb", "0")),
                mem_peak_bytes=int(values.get("mem_peak_bytes", "0")),
                oom_kills=int(values.get("oom_kills", "0")),
                stdout_bytes=int(values.get("stdout_bytes", "0")),
                stderr_bytes=int(values.get("stderr_bytes", "0")),
            )
        except ValueError as exc:
            raise ProtocolError(f"malformed exit record: {exc}") from exc
