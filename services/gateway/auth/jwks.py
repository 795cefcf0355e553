"""The auth service's public keys, fetched over HTTP and cached: access tokens are verified here
without a call to the auth service per request. An unknown key id (a rotation) refetches."""

from __future__ import annotations

import asyncio
import time

import httpx
from joserfc.jwk import KeySet

# However many unknown kids arrive, refetch at most this often.
MIN_REFETCH_S = 1.0


class JwksCache:
    def __init__(self, url: str, refresh_s: float) -> None:
        self._url = url
        self._refresh_s = refresh_s
        self._keys: KeySet | None = None
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()
        self._http = httpx.AsyncClient(timeout=5)

    async def close(self) -> None:
        await self._http.aclose()

    async def keys(self) -> KeySet:
        if self._keys is None or time.monotonic() - self._fetched_at > self._refresh_s:
            await self._fetch()
        assert self._keys is not None
        return self._keys

    async def refetch(self) -> bool:
        """After an unknown key id; False when a fetch happened too recently to try again."""
        if time.monotonic() - self._fetched_at < MIN_REFETCH_S:
            return False
        await self._fetch()
        return True

    async def _fetch(self) -> None:
        async with self._lock:
            response = await self._http.get(self._url)
            response.raise_for_status()
            self._keys = KeySet.import_key_set(response.json())
            self._fetched_at = time.monotonic()
