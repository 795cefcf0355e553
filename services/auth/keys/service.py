"""Signing keys for access tokens: generated on first start, encrypted at rest, rotated without
logging anyone out (retired keys stay in the JWKS until every token they signed has expired)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from joserfc import jwe, jwt
from joserfc.jwk import ECKey, KeySet, OctKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.auth.keys import repository as repo
from shared.auth.scopes import Role
from shared.auth.tokens import ALGORITHM, LEEWAY_S
from shared.db.models import User
from shared.problems import ProblemError
from shared.settings import AuthSettings

RELOAD_S = 60.0


class KeyStore:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], settings: AuthSettings) -> None:
        self._sessionmaker = sessionmaker
        self._settings = settings
        digest = hashlib.sha256(settings.key_encryption_secret.get_secret_value().encode()).digest()
        self._wrapping_key = OctKey.import_key(digest)
        self._signing: tuple[str, ECKey] | None = None
        self._public: list[dict[str, Any]] = []
        self._lock = asyncio.Lock()

    async def load(self) -> None:
        """Read usable keys; create the first one if there is none."""
        async with self._lock:
            async with self._sessionmaker() as session:
                keys = await repo.usable(session, self._retired_cutoff())
                if not any(key.retired_at is None for key in keys):
                    await self._create(session)
                    await session.commit()
                    keys = await repo.usable(session, self._retired_cutoff())
            active = next(key for key in keys if key.retired_at is None)
            private = ECKey.import_key(json.loads(self._decrypt(active.private_jwk_encrypted)))
            self._signing = (active.kid, private)
            self._public = [key.public_jwk for key in keys]

    async def rotate(self) -> str:
        """A new signing key; the previous ones keep verifying until their tokens expire."""
        async with self._sessionmaker() as session:
            kid = await self._create(session)
            await repo.retire_all_except(session, kid, datetime.now(UTC))
            await session.commit()
        await self.load()
        return kid

    async def reload_forever(self) -> None:
        """Other instances may rotate: pick that up."""
        while True:
            await asyncio.sleep(RELOAD_S)
            await self.load()

    def jwks(self) -> dict[str, Any]:
        return {"keys": list(self._public)}

    def key_set(self) -> KeySet:
        return KeySet.import_key_set(self.jwks())  # type: ignore[arg-type]

    def sign(self, claims: dict[str, object]) -> str:
        assert self._signing is not None, "KeyStore.load() was not called"
        kid, key = self._signing
        return jwt.encode({"alg": ALGORITHM, "kid": kid, "typ": "JWT"}, claims, key)

    async def _create(self, session: AsyncSession) -> str:
        key = ECKey.generate_key("P-256", private=True)
        kid = key.thumbprint()
        public = {**key.as_dict(private=False), "kid": kid, "use": "sig", "alg": ALGORITHM}
        await repo.add(session, kid, ALGORITHM, public, self._encrypt(json.dumps(key.as_dict(private=True))))
        return kid

    def _retired_cutoff(self) -> datetime:
        return datetime.now(UTC) - timedelta(seconds=self._settings.access_token_ttl_s + LEEWAY_S)

    def _encrypt(self, plaintext: str) -> str:
        return jwe.encrypt_compact({"alg": "dir", "enc": "A256GCM"}, plaintext.encode(), self._wrapping_key)

    def _decrypt(self, token: str) -> str:
        plaintext = jwe.decrypt_compact(token, self._wrapping_key).plaintext
        assert plaintext is not None
        return plaintext.decode()


async def rotate_as(keys: KeyStore, user: User) -> str:
    if user.role != Role.admin:
        raise ProblemError(403, "forbidden", "Forbidden", "Only administrators rotate keys.")
    return await keys.rotate()
