"""The gateway's open rooms, one per session with sockets here; owned by the app's lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from services.gateway.collab.presence import Presence
from services.gateway.collab.room import Room

if TYPE_CHECKING:
    from services.gateway.state import GatewayState

# On shutdown, how long sockets closed with 1012 get to leave before their rooms are closed anyway.
_SHUTDOWN_GRACE_S = 5.0


class Rooms:
    def __init__(self, state: GatewayState) -> None:
        self._state = state
        self._rooms: dict[uuid.UUID, Room] = {}
        # Set while no room is open: what the shutdown waits for.
        self._none_open = asyncio.Event()
        self._none_open.set()
        self.presence = Presence(state.redis, state.settings.collab_presence_ttl_s)

    def get(self, session_id: uuid.UUID) -> Room | None:
        return self._rooms.get(session_id)

    @contextlib.asynccontextmanager
    async def enter(self, session_id: uuid.UUID) -> AsyncIterator[Room]:
        """The session's room, opened by the first socket and closed after the last one leaves."""
        room = self._rooms.get(session_id)
        if room is None or room.broken:
            room = self._rooms[session_id] = Room(self._state, session_id, self.presence)
            self._none_open.clear()
            room.opening = asyncio.ensure_future(room.open())
        opening = room.opening
        assert opening is not None
        room.users += 1
        try:
            # Shielded: a socket that goes away while the room opens does not cancel it for the others.
            await asyncio.shield(opening)
            yield room
        finally:
            room.users -= 1
            if room.users == 0:
                if self._rooms.get(session_id) is room:
                    del self._rooms[session_id]
                    if not self._rooms:
                        self._none_open.set()
                await asyncio.shield(room.close())

    async def stop(self) -> None:
        """Lifespan exit: compact every room, send its sockets elsewhere, and wait for them to leave."""
        rooms = list(self._rooms.values())
        await asyncio.gather(*(room.shutdown() for room in rooms), return_exceptions=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._none_open.wait(), _SHUTDOWN_GRACE_S)
        for room in list(self._rooms.values()):
            del self._rooms[room.session_id]
            await room.close()
