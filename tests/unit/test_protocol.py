from __future__ import annotations

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


def test_file_frame_round_trip() -> None:
    kind, payload = next(FrameDecoder(1 << 20).feed(protocol.file_frame("dir/a.bin", b"\x00\xff", 0o755)))
    assert kind == b"F"
    assert protocol.parse_file(payload) == ("dir/a.bin", 0o755, b"\x00\xff")
    with pytest.raises(ProtocolError):
        protocol.parse_file(b"\x00\xffab")


def test_exit_record_parsing_is_strict() -> None:
    record = ExitRecord.parse(b"exit_code=0\nsignal=0\nreason=cpu\ncpu_us=5\nwall_us=9\nmaxrss_kb=3\noom_kills=1\n")
    assert (record.exit_code, record.reason, record.cpu_us, record.oom_kills) == (0, "cpu", 5, 1)
    with pytest.raises(ProtocolError):
        ExitRecord.parse(b"reason=escape\n")
    with pytest.raises(ProtocolError):
        ExitRecord.parse(b"exit_code=zero\n")
