"""Names the gateway instance that answered, on every response and WebSocket handshake.

Behind a load balancer this tells operators (and the failover tests) which gateway served a
request; it carries no secret (host name and process id)."""

from __future__ import annotations

import os
import socket

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-crh-instance"


def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class InstanceHeaderMiddleware:
    def __init__(self, app: ASGIApp, name: str | None = None) -> None:
        self.app = app
        self.value = (name or instance_name()).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        async def tagged(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.accept"):
                message = {**message, "headers": [*message.get("headers", []), (HEADER, self.value)]}
            await send(message)

        await self.app(scope, receive, tagged)
