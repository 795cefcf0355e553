"""One delivery attempt on the wire: where the callback's name leads, and the POST to that address.

Names are resolved once per attempt, every address is checked, and the connection goes to the
checked address itself with the original name as Host and TLS SNI. Nothing resolves the name a
second time, so an answer that changes between the check and the connection (DNS rebinding)
cannot redirect the request.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from dataclasses import dataclass
from typing import Any

import certifi
import httpx

from services.executor.webhooks.dns import nameserver_resolver
from shared.settings import ExecutorSettings
from shared.webhooks import CallbackUrl, Destination, Resolver, parse_networks, resolve_destination, system_resolver


def attempt_deadline_s(settings: ExecutorSettings) -> float:
    # httpx's read timeout is per read: a server dripping bytes is cut off by this overall bound.
    return settings.webhook_connect_timeout_s + 2 * settings.webhook_timeout_s


def resolver_for(settings: ExecutorSettings) -> Resolver:
    """The system's resolver, or the DNS servers the settings name for callback hosts."""
    if not settings.webhook_nameservers:
        return system_resolver
    return nameserver_resolver([(str(address), port) for address, port in settings.webhook_nameservers])


async def destination_of(callback: CallbackUrl, settings: ExecutorSettings) -> Destination:
    """The vetted address to connect to; raises UrlRefused."""
    allowed = parse_networks(str(network) for network in settings.webhook_allowed_networks)
    return await resolve_destination(
        callback, allowed, timeout_s=settings.webhook_resolve_timeout_s, resolver=resolver_for(settings)
    )


@dataclass(frozen=True, slots=True)
class AttemptResult:
    delivered: bool
    status_code: int | None
    error: str | None


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Certificates are verified against the original host name (sent as SNI), not the address.
    return ssl.create_default_context(cafile=certifi.where())


async def post(
    destination: Destination,
    body: bytes,
    headers: dict[str, str],
    settings: ExecutorSettings,
    method: str = "POST",
) -> AttemptResult:
    """One POST (Judge0's callbacks: PUT) to the vetted address; never follows redirects, reads at
    most a few KB back."""
    callback = destination.callback
    extensions: dict[str, Any] = {}
    if callback.scheme == "https" and callback.literal is None:
        extensions["sni_hostname"] = callback.host
    timeout = httpx.Timeout(settings.webhook_timeout_s, connect=settings.webhook_connect_timeout_s)
    # A client per delivery: a pooled connection must never carry one host's request to another.
    async with httpx.AsyncClient(
        timeout=timeout, follow_redirects=False, trust_env=False, verify=_tls_context()
    ) as client:
        request = client.build_request(
            method,
            destination.pinned_url(),
            content=body,
            headers={**headers, "Host": callback.host_header},
            extensions=extensions,
        )
        try:
            async with asyncio.timeout(attempt_deadline_s(settings)):
                response = await client.send(request, stream=True)
                try:
                    await _read_some(response, settings.webhook_max_response_bytes)
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException):
            return AttemptResult(False, None, "timed out")
        except httpx.HTTPError as exc:
            return AttemptResult(False, None, f"{type(exc).__name__}: {exc}"[:500])
    code = response.status_code
    if 200 <= code < 300:
        return AttemptResult(True, code, None)
    if response.is_redirect or 300 <= code < 400:
        location = response.headers.get("location", "")
        return AttemptResult(False, code, f"answered {code} (redirects are not followed): {location}"[:500])
    return AttemptResult(False, code, f"answered {code}")


async def _read_some(response: httpx.Response, limit: int) -> bytes:
    data = b""
    async for chunk in response.aiter_raw():
        data += chunk
        if len(data) >= limit:
            break
    return data[:limit]
