"""Execution events as they travel through Redis (pub/sub and the replay Stream).

Wire form: one line of compact JSON (the header), a newline, then the raw output bytes, so
output stays lossless (NUL, invalid UTF-8) without base64 inflation inside Redis.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    status = "status"
    stdout = "stdout"
    stderr = "stderr"
    result = "result"
    # Judging: one test case finished (its index in `test`, its verdict in `verdict`).
    test = "test"
    # Live output stopped (the execution's budget, its account's, or Redis short of memory): data
    # holds a message for people; later output is only in the result.
    live_output_limit = "live_output_limit"


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    type: EventType
    phase: str | None = None
    status: str | None = None
    verdict: str | None = None
    data: bytes = b""
    # Judging: the test case (index in test_cases) a status, output or test event belongs to.
    test: int | None = None

    @property
    def is_final(self) -> bool:
        return self.type is EventType.result

    def encode(self) -> bytes:
        header: dict[str, Any] = {"seq": self.seq, "type": self.type.value}
        for key in ("phase", "status", "verdict", "test"):
            value = getattr(self, key)
            if value is not None:
                header[key] = value
        return json.dumps(header, separators=(",", ":")).encode() + b"\n" + self.data

    @classmethod
    def decode(cls, raw: bytes) -> Event:
        head, _, data = raw.partition(b"\n")
        header = json.loads(head)
        return cls(
            seq=int(header["seq"]),
            type=EventType(header["type"]),
            phase=header.get("phase"),
            status=header.get("status"),
            verdict=header.get("verdict"),
            data=data,
            test=header.get("test"),
        )


def stream_entry_id(seq: int) -> str:
    return f"{seq}-0"
