"""Idempotency-Key for routes that create something (POST /v1/executions, POST /v1/snippets, ...).

A client that sends the same key with the same request (JSON body and query) again, for 24 hours,
gets the first response back (marked ``Idempotent-Replayed: true``) and nothing new is created.
Keys are scoped by caller (the user, or the client address for anonymous calls) and route. The
same key with another request is a 422; a retry while the first request is still running is a
409. Failures are not kept, so the client can retry them.

Use: ``if (replay := await idempotency.begin()) is not None: return replay`` first, then
``return await idempotency.done(result, response)``; an exception in between frees the key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable
from typing import Annotated, Any, TypeVar, cast

from fastapi import Depends, Header, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.gateway.auth.principal import PrincipalDep
from services.gateway.deps import StateDep
from shared.problems import ProblemError, documented_problem
from shared.redis_keys import idempotency_key

logger = logging.getLogger("coderunhub.gateway.idempotency")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Printable ASCII, as the IETF Idempotency-Key draft's examples (UUIDs and the like) are.
KEY_PATTERN = r"^[ -~]{1,255}$"

T = TypeVar("T", bound=BaseModel)
# Response headers replayed along with the body.
_KEPT_HEADERS = ("Location", "ETag")

# Replace our own record (compared by value) with ARGV[2], or delete it when ARGV[2] is empty:
# a request never overwrites a key that expired and was taken by another request meanwhile.
_SWAP = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then return redis.call('del', KEYS[1]) end
redis.call('set', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
"""

IDEMPOTENCY_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: documented_problem(
        "A request with this Idempotency-Key is still in progress (type `idempotency-key-in-use`)."
    ),
}


def fingerprint(body: bytes, query: str = "") -> str:
    """SHA-256 of the body as canonical JSON (key order and whitespace do not matter) and of the
    query parameters (their order does not matter either): `wait=true` is another request."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        data = canonical.encode("utf-8", "surrogatepass")
    except (ValueError, RecursionError):
        data = body
    params = "&".join(sorted(part for part in query.split("&") if part))
    return hashlib.sha256(data + b"\n" + params.encode()).hexdigest()


class Idempotency:
    """One request's use of its Idempotency-Key (inert when the request sent none)."""

    def __init__(
        self,
        request: Request,
        redis: Redis,
        redis_key: str | None,
        body_fingerprint: str,
        ttl_s: int,
        pending_ttl_s: int,
    ) -> None:
        self._request = request
        self.redis = redis
        self._redis_key = redis_key
        self._fingerprint = body_fingerprint
        self._ttl_s = ttl_s
        self._pending_ttl_s = pending_ttl_s
        # What this request stored while it runs; None when it holds no key.
        self._held: str | None = None

    async def begin(self) -> Response | None:
        """The stored response to replay, or None after claiming the key (or when there is none)."""
        if self._redis_key is None:
            return None
        pending = json.dumps({"state": "pending", "fingerprint": self._fingerprint, "token": secrets.token_hex(8)})
        for _ in range(3):
            if await self.redis.set(self._redis_key, pending, nx=True, ex=self._pending_ttl_s):
                self._held = pending
                return None
            raw = await self.redis.get(self._redis_key)
            if raw is None:
                continue  # expired between the two calls: try to claim it again
            stored = json.loads(raw)
            if stored["fingerprint"] != self._fingerprint:
                raise ProblemError(
                    422,
                    "idempotency-key-reuse",
                    "Idempotency key reused",
                    f"This {HEADER} was already used with a different request (body or query); use a new key.",
                )
            if stored["state"] == "pending":
                raise ProblemError(
                    409,
                    "idempotency-key-in-use",
                    "Request in progress",
                    f"A request with this {HEADER} is still in progress; retry once it has finished.",
                    headers={"Retry-After": "1"},
                )
            headers = {**stored["headers"], REPLAYED_HEADER: "true"}
            return JSONResponse(stored["body"], status_code=stored["status"], headers=headers)
        raise ProblemError(409, "idempotency-key-in-use", "Request in progress", f"Retry with this {HEADER}.")

    async def done(self, result: T, response: Response) -> T:
        """Keep a successful response for replays; returns `result` unchanged."""
        if self._held is None or self._redis_key is None:
            return result
        route = self._request.scope.get("route")
        status = response.status_code or getattr(route, "status_code", None) or 200
        if status >= 400:
            await self.release()
            return result
        record = {
            "state": "done",
            "fingerprint": self._fingerprint,
            "status": status,
            "body": jsonable_encoder(result),
            "headers": {name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers},
        }
        try:
            await self._swap(self._redis_key, self._held, json.dumps(record))
        except RedisError:
            # What was created stays created; a retry will create another. Nothing else to do.
            logger.warning("could not store the response for an idempotency key", exc_info=True)
        self._held = None
        return result

    async def _swap(self, redis_key: str, expected: str, replacement: str) -> None:
        await cast(Awaitable[Any], self.redis.eval(_SWAP, 1, redis_key, expected, replacement, str(self._ttl_s)))

    async def release(self) -> None:
        """Free the key without a stored response (the request failed): the client may retry."""
        if self._held is None or self._redis_key is None:
            return
        held, self._held = self._held, None
        try:
            await self._swap(self._redis_key, held, "")
        except (RedisError, OSError):
            logger.warning("could not free an idempotency key; it expires on its own", exc_info=True)


async def idempotency(
    request: Request,
    state: StateDep,
    principal: PrincipalDep,
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            pattern=KEY_PATTERN,
            description="Makes retries safe: the same key, body and query within 24 hours returns the first response "
            f"(with `{REPLAYED_HEADER}: true`) instead of creating anything. 1 to 255 printable ASCII characters, "
            "e.g. a UUID.",
            examples=["7c3f1a9e-2b8d-4f61-9a0e-5d2c4b6e8f10"],
        ),
    ] = None,
) -> AsyncIterator[Idempotency]:
    redis_key = None
    body_fingerprint = ""
    if key is not None:
        if principal.user_id is not None:
            caller = f"user:{principal.user_id}"
        else:
            caller = f"ip:{request.client.host if request.client else 'unknown'}"
        digest = hashlib.sha256(key.encode()).hexdigest()
        redis_key = idempotency_key(caller, request.url.path, digest)
        body_fingerprint = fingerprint(await request.body(), request.url.query)
    handle = Idempotency(
        request,
        state.redis,
        redis_key,
        body_fingerprint,
        state.settings.idempotency_ttl_s,
        # A waiting request (wait=true) holds its key at least as long as it may wait.
        max(state.settings.idempotency_pending_ttl_s, int(state.settings.wait_timeout_s) + 60),
    )
    try:
        yield handle
    finally:
        # Still held here: the endpoint raised (or never finished), so nothing is stored.
        await handle.release()


IdempotencyDep = Annotated[Idempotency, Depends(idempotency, scope="function")]
