"""Who is connected to a session, on any gateway: the participant cap across gateways.

One Redis hash per session, ``<participant id>/<socket id>`` -> expiry (Redis time, epoch seconds).
Each gateway renews its sockets' entries while they are open and removes them when they close;
a gateway that dies stops renewing, and its entries expire and stop counting. Scripts read and
write the hash in one step, so two sockets admitted at once on two gateways cannot both take the
last place.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

from redis.asyncio import Redis

from shared.redis_keys import collab_presence

ADMITTED = 0
SESSION_FULL = 1
TOO_MANY_SOCKETS = 2

# KEYS: the hash. ARGV: the field, its participant, the ttl (s), max participants, max sockets of one.
_ADMIT = """
local now = tonumber(redis.call('TIME')[1])
local entries = redis.call('HGETALL', KEYS[1])
local others, seen, mine = 0, {}, 0
for i = 1, #entries, 2 do
  local field, expiry = entries[i], tonumber(entries[i + 1])
  if expiry == nil or expiry <= now then
    redis.call('HDEL', KEYS[1], field)
  else
    local who = string.match(field, '^([^/]*)/')
    if who == ARGV[2] then
      mine = mine + 1
    elseif not seen[who] then
      seen[who] = true
      others = others + 1
    end
  end
end
if mine == 0 and others >= tonumber(ARGV[4]) then return 1 end
if mine >= tonumber(ARGV[5]) then return 2 end
redis.call('HSET', KEYS[1], ARGV[1], now + tonumber(ARGV[3]))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 0
"""

# KEYS: the hash. ARGV: the ttl (s), then the fields to renew.
_RENEW = """
local expiry = tonumber(redis.call('TIME')[1]) + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('HSET', KEYS[1], ARGV[i], expiry) end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
return 0
"""


def field(participant_id: uuid.UUID, socket_id: str) -> str:
    return f"{participant_id}/{socket_id}"


class Presence:
    """``key`` names a session's hash: the y-websocket sockets' (collab_presence), or another kind
    of socket counted on its own (the WebRTC signal sockets')."""

    def __init__(self, redis: Redis, ttl_s: int, key: Callable[[uuid.UUID], str] = collab_presence) -> None:
        self._redis = redis
        self._ttl_s = ttl_s
        self._key = key
        self._admit = redis.register_script(_ADMIT)
        self._renew = redis.register_script(_RENEW)

    async def admit(
        self, session_id: uuid.UUID, participant_id: uuid.UUID, socket_id: str, max_participants: int, max_sockets: int
    ) -> int:
        """ADMITTED, SESSION_FULL (others fill every place) or TOO_MANY_SOCKETS (of this participant)."""
        args: list[str | int] = [field(participant_id, socket_id), str(participant_id), self._ttl_s]
        args += [max_participants, max_sockets]
        return int(await self._admit(keys=[self._key(session_id)], args=args))

    async def renew(self, session_id: uuid.UUID, fields: Iterable[str]) -> None:
        fields = list(fields)
        if fields:
            await self._renew(keys=[self._key(session_id)], args=[self._ttl_s, *fields])

    async def leave(self, session_id: uuid.UUID, participant_id: uuid.UUID, socket_id: str) -> None:
        await self._redis.hdel(self._key(session_id), field(participant_id, socket_id))  # type: ignore[misc]

    async def connected(self, session_id: uuid.UUID) -> set[uuid.UUID]:
        """The participants with a live socket (entries not expired), for whoever shows who is here."""
        now = int((await self._redis.time())[0])
        entries: dict[bytes, bytes] = await self._redis.hgetall(self._key(session_id))  # type: ignore[misc]
        return {uuid.UUID(name.decode().partition("/")[0]) for name, expiry in entries.items() if int(expiry) > now}
