"""Request bounds, enforced before anything parses a body: its size, and on the API's routes its
media type (JSON), encoding, nesting depth and number lengths. Each refusal is a problem+json 4xx.

A JSON body is read whole here (it is bounded by the size limit, and FastAPI reads it whole
anyway) and replayed to the app, so the checks see the same bytes the parser will."""

from __future__ import annotations

import json
import re
from email.message import Message as MimeMessage
from itertools import accumulate, repeat
from operator import sub

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.problems import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE

# A JSON string literal (escapes included), unrolled so the regex engine does not backtrack.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# Bytes that are not brackets, deleted to leave a body's structure.
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")
_NUMBER = re.compile(rb"-?[0-9][0-9.eE+-]*")
# Bodies larger than this are checked off the event loop (a pathological 2 MiB body takes ~0.1 s).
_INLINE_CHECK_BYTES = 64 << 10


class Refusal(Exception):
    def __init__(self, status: int, slug: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail


def is_json_media_type(content_type: str) -> bool:
    message = MimeMessage()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


def without_strings(body: bytes) -> bytes:
    return _STRING.sub(b'""', body)


def json_depth(bare: bytes) -> int:
    """How deep arrays/objects in ``bare`` (a body ``without_strings``) nest, found without parsing,
    so without recursion: the highest count of open brackets, in C-speed iterators."""
    steps = bare.translate(_BRACKET_STEPS, _NOT_BRACKETS)  # b"\x02" opens, b"\x00" closes
    return max(accumulate(map(sub, steps, repeat(1))), default=0)


def longest_number(bare: bytes) -> int:
    """Length of the longest number literal in ``bare`` (Python refuses to parse huge integers)."""
    return max((len(m) for m in _NUMBER.findall(bare)), default=0)


class RequestBoundsMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        max_json_depth: int = 32,
        max_json_number_chars: int = 1_000,
        json_path_prefix: str = "/v1/",
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_json_depth = max_json_depth
        self.max_json_number_chars = max_json_number_chars
        # The API's own routes take JSON; anything else (e.g. the development auth proxy) is only size-bounded.
        self.json_path_prefix = json_path_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name: value for name, value in scope.get("headers", [])}
        declared = _content_length(headers.get(b"content-length"))
        if declared > self.max_bytes:
            await self._reject(scope, send, self._too_large())
            return
        has_body = declared > 0 or b"transfer-encoding" in headers
        if not has_body:
            await self.app(scope, receive, send)
            return
        content_type = headers.get(b"content-type", b"").decode("latin-1").strip()
        json_expected = str(scope.get("path", "")).startswith(self.json_path_prefix)
        try:
            body = await self._read(receive)
            if not body or not json_expected:
                pass
            elif len(body) > _INLINE_CHECK_BYTES:
                await run_in_threadpool(self._check, content_type, body)
            else:
                self._check(content_type, body)
        except Refusal as refusal:
            await self._reject(scope, send, refusal)
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            # After the body, only a disconnect can come.
            return await receive()

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise Refusal(400, "bad-request", "Bad request", "The client disconnected while sending the body.")
            chunk: bytes = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                raise self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _check(self, content_type: str, body: bytes) -> None:
        # FastAPI (strict content type) reads a body only when declared JSON; say so instead of a 422.
        if not is_json_media_type(content_type):
            declared = content_type.split(";")[0].strip() or "undeclared (no Content-Type)"
            raise Refusal(
                415,
                "unsupported-media-type",
                "Unsupported media type",
                f"Request bodies must be application/json, not {declared}.",
            )
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Refusal(
                400, "malformed-json", "Malformed JSON", f"The request body is not valid UTF-8 (byte {exc.start})."
            ) from exc
        bare = without_strings(body)
        if json_depth(bare) > self.max_json_depth:
            raise Refusal(
                400,
                "json-too-deep",
                "JSON nested too deeply",
                f"Arrays and objects may nest at most {self.max_json_depth} levels deep.",
            )
        if longest_number(bare) > self.max_json_number_chars:
            raise Refusal(
                400,
                "json-number-too-long",
                "JSON number too long",
                f"Number literals may have at most {self.max_json_number_chars} characters.",
            )

    def _too_large(self) -> Refusal:
        return Refusal(
            413, "content-too-large", "Content too large", f"The request body exceeds {self.max_bytes} bytes."
        )

    async def _reject(self, scope: Scope, send: Send, refusal: Refusal) -> None:
        body = json.dumps(
            {
                "type": PROBLEM_TYPE_BASE + refusal.slug,
                "title": refusal.title,
                "status": refusal.status,
                "detail": refusal.detail,
                "instance": scope.get("path", ""),
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": refusal.status,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(value: bytes | None) -> int:
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0
