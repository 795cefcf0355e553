"""Read pacing for a session's sockets (the y-websocket socket and the WebRTC signal socket)."""

from __future__ import annotations

import asyncio
import time


class Pace:
    """At most ``rate`` messages a second, in bursts of up to twice that: past it the socket is
    read more slowly, and what the client sends waits in its TCP buffers, not in our memory."""

    def __init__(self, rate: float) -> None:
        self._rate = rate
        self._capacity = self._tokens = 2 * rate
        self._at = time.monotonic()

    async def take(self) -> None:
        now = time.monotonic()
        self._tokens = min(self._capacity, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens < 1:
            await asyncio.sleep((1 - self._tokens) / self._rate)
            self._tokens, self._at = 1.0, time.monotonic()
        self._tokens -= 1
