"""The framed protocol spoken with the in-sandbox agent (deploy/images/agent/agent.c).

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
# Both ways: a file as extents (artifacts, sparse files without their holes).
SPARSE_FILE = b"H"
ARG = b"A"
ENV = b"V"
LIMITS = b"L"
COLLECT = b"C"
GO = b"G"
STDIN = b"I"
STDIN_EOF = b"E"
KILL = b"K"
# After the exit record: nothing more of that execution's input will come (the box may serve again).
NEXT = b"N"
# agent -> executor
# The next cell is prepared (in zygote mode, its interpreter warm): sent between executions only.
READY = b"Y"
STARTED = b"S"
STDOUT = b"O"
STDERR = b"R"
EXIT = b"X"
ERROR = b"Z"
# The submission cannot be set up in the sandbox (files too large...): the submitter's fault.
USER_ERROR = b"U"

NAME_MAX = 1024
EXTENT = struct.Struct(">QI")


class ProtocolError(Exception):
    """The agent sent something that is not a well-formed frame."""


def frame(kind: bytes, payload: bytes = b"") -> bytes:
    return HEADER.pack(kind, len(payload)) + payload


def file_frame(name: str, content: bytes, mode: int = 0o644) -> bytes:
    encoded = name.encode()
    return frame(FILE, struct.pack(">H", len(encoded)) + encoded + struct.pack(">I", mode) + content)


@dataclass(frozen=True, slots=True)
class Artifact:
    """A file the compile phase produced, as the agent sent it: the raw frame payload (passed on
    to the run phase as it is, never inflated) and what it claims, checked."""

    name: str
    mode: int
    size: int
    data_bytes: int
    payload: bytes


def _safe_name(raw: bytes) -> str:
    # A program names its output files with any bytes: shown with U+FFFD where they are not UTF-8
    # (the payload, passed on to a run phase as it is, keeps the raw name).
    name = raw.decode(errors="replace")
    parts = name.split("/")
    if (
        not name
        or len(raw) > NAME_MAX
        or "\0" in name
        or name.startswith("/")
        or any(p in ("", ".", "..") for p in parts)
    ):
        raise ProtocolError(f"unsafe file name {name!r}")
    return name


def extents(artifact: Artifact) -> Iterator[tuple[int, bytes]]:
    """(offset, data) of each extent of an artifact parsed by parse_sparse_file."""
    (name_len,) = struct.unpack_from(">H", artifact.payload)
    offset = 2 + name_len + 12
    while offset < len(artifact.payload):
        start, length = EXTENT.unpack_from(artifact.payload, offset)
        offset += EXTENT.size
        yield start, artifact.payload[offset : offset + length]
        offset += length


def inflate(artifact: Artifact) -> bytes:
    """The file's whole content, holes as zeros (for tests and small files only)."""
    content = bytearray(artifact.size)
    for start, data in extents(artifact):
        content[start : start + len(data)] = data
    return bytes(content)


def parse_sparse_file(payload: bytes) -> Artifact:
    """Validate an 'H' frame: a safe relative name, extents in order inside the file's size."""
    if len(payload) < 14:
        raise ProtocolError("file frame too short")
    (name_len,) = struct.unpack_from(">H", payload)
    head = 2 + name_len + 12
    if head > len(payload):
        raise ProtocolError("file frame truncated")
    name = _safe_name(payload[2 : 2 + name_len])
    mode, size = struct.unpack_from(">IQ", payload, 2 + name_len)
    offset, data, end = head, 0, 0
    while offset < len(payload):
        if offset + EXTENT.size > len(payload):
            raise ProtocolError("extent header truncated")
        start, length = EXTENT.unpack_from(payload, offset)
        offset += EXTENT.size + length
        if offset > len(payload) or start < end or start + length > size:
            raise ProtocolError(f"bad extent in {name!r}")
        end = start + length
        data += length
    return Artifact(name=name, mode=mode & 0o755, size=size, data_bytes=data, payload=payload)


class FrameDecoder:
    """Incremental decoder over an arbitrary byte stream split."""

    def __init__(self, max_frame: int) -> None:
        self._buf = bytearray()
        self.max_frame = max_frame

    def feed(self, data: bytes) -> Iterator[tuple[bytes, bytes]]:
        self._buf.extend(data)
        while len(self._buf) >= HEADER.size:
            kind, length = HEADER.unpack_from(self._buf)
            if length > self.max_frame:
                raise ProtocolError(f"frame of {length} bytes exceeds {self.max_frame}")
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
    # Pages the container read back from disk meanwhile (a thrashing program's own code).
    major_faults: int
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
                major_faults=int(values.get("major_faults", "0")),
                stdout_bytes=int(values.get("stdout_bytes", "0")),
                stderr_bytes=int(values.get("stderr_bytes", "0")),
            )
        except ValueError as exc:
            raise ProtocolError(f"malformed exit record: {exc}") from exc
