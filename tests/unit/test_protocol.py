from __future__ import annotations

import struct

import pytest

from services.executor.sandbox import protocol
from services.executor.sandbox.protocol import ExitRecord, FrameDecoder, ProtocolError


def test_frames_decode_across_arbitrary_splits() -> None:
    stream = protocol.frame(b"O", b"hello") + protocol.frame(b"S") + protocol.frame(b"R", bytes(range(256)))
    decoder = FrameDecoder(max_frame=1024)
    frames = []
    for i in range(len(stream)):
        frames += list(decoder.feed(stream[i : i + 1]))
    assert frames == [(b"O", b"hello"), (b"S", b""), (b"R", bytes(range(256)))]
    assert decoder.pending == 0


def test_oversized_frame_is_refused() -> None:
    decoder = FrameDecoder(max_frame=10)
    with pytest.raises(ProtocolError):
        list(decoder.feed(protocol.frame(b"O", b"x" * 11)))


def sparse_payload(name: str, mode: int, size: int, extents: list[tuple[int, bytes]]) -> bytes:
    encoded = name.encode()
    body = b"".join(struct.pack(">QI", offset, len(data)) + data for offset, data in extents)
    return struct.pack(">H", len(encoded)) + encoded + struct.pack(">IQ", mode, size) + body


def test_sparse_file_keeps_its_holes_out() -> None:
    payload = sparse_payload("dir/main", 0o755, 64 << 20, [(0, b"\x7fELF"), (32 << 20, b"data")])
    artifact = protocol.parse_sparse_file(payload)
    assert (artifact.name, artifact.mode, artifact.size, artifact.data_bytes) == ("dir/main", 0o755, 64 << 20, 8)
    assert list(protocol.extents(artifact)) == [(0, b"\x7fELF"), (32 << 20, b"data")]
    assert len(artifact.payload) < 100


@pytest.mark.parametrize(
    "payload",
    [
        sparse_payload("../etc/passwd", 0o644, 4, [(0, b"root")]),
        sparse_payload("/abs", 0o644, 4, [(0, b"root")]),
        sparse_payload("a//b", 0o644, 4, [(0, b"root")]),
        sparse_payload("x", 0o644, 4, [(2, b"root")]),
        sparse_payload("x", 0o644, 8, [(4, b"ab"), (0, b"cd")]),
        sparse_payload("x", 0o644, 8, [(0, b"ab")])[:-1],
        b"\x00\xffab",
    ],
    ids=["traversal", "absolute", "empty-component", "beyond-size", "out-of-order", "truncated", "garbage"],
)
def test_sparse_file_frames_are_checked(payload: bytes) -> None:
    with pytest.raises(ProtocolError):
        protocol.parse_sparse_file(payload)


def test_exit_record_parsing_is_strict() -> None:
    record = ExitRecord.parse(
        b"exit_code=0\nsignal=0\nreason=cpu\ncpu_us=5\nwall_us=9\nmaxrss_kb=3\noom_kills=1\nmajor_faults=7\n"
    )
    assert (record.exit_code, record.reason, record.cpu_us, record.oom_kills) == (0, "cpu", 5, 1)
    assert record.major_faults == 7
    with pytest.raises(ProtocolError):
        ExitRecord.parse(b"reason=escape\n")
    with pytest.raises(ProtocolError):
        ExitRecord.parse(b"exit_code=zero\n")
