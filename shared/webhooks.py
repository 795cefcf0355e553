"""Webhooks shared by the gateway (checks at submission) and the executor (delivery).

The SSRF guard: a callback URL is accepted only if every address its host stands for is a public
unicast address. Literal addresses are read in every encoding the C library accepts (decimal
``2130706433``, octal ``0177.0.0.1``, hex ``0x7f.0.0.1``, short ``127.1``, IPv6 with embedded
IPv4), names are resolved (getaddrinfo) and every resolved address is checked, and the delivery
connects to the vetted address itself, so a second resolution (DNS rebinding) cannot redirect it.

Signatures: ``CodeRunHub-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import re
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

DELIVER_WEBHOOK_JOB = "deliver_webhook"
MAX_URL_LENGTH = 2048
SIGNATURE_HEADER = "CodeRunHub-Signature"
EVENT_HEADER = "CodeRunHub-Event"
DELIVERY_HEADER = "CodeRunHub-Delivery"
EXECUTION_FINISHED = "execution.finished"
SECRET_PREFIX = "whsec_"  # noqa: S105  (a marker, not a secret)
# How old a signature a receiver should accept (replay protection); see docs/api.md.
DEFAULT_TOLERANCE_S = 300


class WebhookStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"
    refused = "refused"


class WebhookDelivery(BaseModel):
    """Where an execution's result is POSTed, and how that went."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://example.com/hooks/coderunhub",
                    "status": "delivered",
                    "attempts": 2,
                    "last_status_code": 200,
                    "last_error": None,
                    "delivered_at": "2026-11-26T12:00:03.250Z",
                }
            ]
        }
    )

    url: str = Field(description="The callback URL given at submission.")
    status: WebhookStatus = Field(
        description="`pending` until delivered or given up; `delivered` (a 2xx answer), `failed` (every attempt "
        "failed: error, timeout, non-2xx or redirect) or `refused` (the destination is not a public address)."
    )
    attempts: int = Field(description="Delivery attempts made so far.")
    last_status_code: int | None = Field(description="HTTP status of the last attempt's answer, if any.")
    last_error: str | None = Field(description="Why the last attempt did not deliver, if it did not.")
    delivered_at: datetime | None


class UrlRefused(ValueError):
    """The callback URL is malformed or its destination is not allowed; the message says why."""


# Names that stand for this machine, its network or a cloud's metadata service, whatever DNS says.
_REFUSED_NAMES = frozenset({"localhost", "metadata", "metadata.google.internal", "instance-data", "kubernetes"})
_REFUSED_SUFFIXES = (".localhost", ".local", ".localdomain", ".internal", ".home.arpa", ".lan", ".intranet")
# Cloud metadata endpoints (also refused by their class: link-local, shared or unique-local space).
_METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# An IPv4 component as inet_aton reads it: decimal, octal (leading 0) or hex (0x).
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_URL_CHARS = re.compile(r"^[\x21-\x7e]+$")


@dataclass(frozen=True, slots=True)
class CallbackUrl:
    """A syntactically valid callback URL, split into what a delivery needs."""

    url: str
    scheme: str
    host: str
    port: int
    target: str  # path and query, sent as the request target
    literal: IPAddress | None  # the host, when it is an address (in any encoding)

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Destination:
    """A vetted callback: connect to ``address`` and present ``callback.host`` (Host header, TLS SNI)."""

    callback: CallbackUrl
    address: IPAddress

    def pinned_url(self) -> str:
        host = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        return f"{self.callback.scheme}://{host}:{self.callback.port}{self.callback.target}"


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(value, strict=False) for value in values)


def _ipv4_literal(host: str) -> ipaddress.IPv4Address | None:
    labels = host.split(".")
    if not all(_NUMERIC_LABEL.match(label) for label in labels):
        # A name, unless its last label is numeric (which no real name has): then it is malformed.
        if labels[-1].isdigit() or labels[-1].startswith("0x"):
            raise UrlRefused(f"{host!r} is not a valid IPv4 address")
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        raise UrlRefused(f"{host!r} is not a valid IPv4 address") from None


def parse_callback_url(url: str) -> CallbackUrl:
    """Check a callback URL's form (no network access); raises UrlRefused."""
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if not _URL_CHARS.match(url) or "\\" in url:
        raise UrlRefused("the URL must be printable ASCII without spaces or backslashes (percent-encode the rest)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(f"the URL is malformed: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UrlRefused("only http and https URLs are accepted")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("credentials in the URL are not accepted")
    # One trailing dot (the DNS root) changes nothing; the host is compared without it.
    host = (parts.hostname or "").removesuffix(".")
    if not host:
        raise UrlRefused("the URL has no host")
    literal: IPAddress | None
    if ":" in host:
        try:
            literal = ipaddress.IPv6Address(host)
        except ValueError:
            raise UrlRefused(f"{host!r} is not a valid IPv6 address") from None
    else:
        literal = _ipv4_literal(host)
        if literal is None:
            _check_name(host)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if port == 0:
        raise UrlRefused("port 0 is not a valid destination")
    port = port or (443 if scheme == "https" else 80)
    return CallbackUrl(url, scheme, str(literal) if literal else host, port, target, literal)


def _check_name(host: str) -> None:
    labels = host.split(".")
    if not all(_LABEL.match(label) for label in labels):
        raise UrlRefused(f"{host!r} is not a valid host name (use punycode for international names)")
    if host in _REFUSED_NAMES or host.endswith(_REFUSED_SUFFIXES):
        raise UrlRefused(f"{host!r} names a local or internal host")
    if len(labels) < 2:
        raise UrlRefused(f"{host!r} is not a fully qualified domain name")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for: mapped, compatible, NAT64, 6to4 or Teredo."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    packed = int(address)
    if address in _NAT64 or (packed >> 32 == 0 and packed > 1):
        # NAT64 well-known prefix, or the deprecated IPv4-compatible form (::a.b.c.d).
        return ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    return None


def refusal_reason(address: IPAddress) -> str | None:
    """Why a destination address is not allowed, or None for a public unicast address."""
    if address.version == 6:
        assert isinstance(address, ipaddress.IPv6Address)
        embedded = _embedded_ipv4(address) if not address.scope_id else None
        if embedded is not None:
            kind = _kind(embedded)
            return f"{address} embeds {embedded}, {kind}" if kind else None
    kind = _kind(address)
    return f"{address} is {kind}" if kind else None


def _kind(address: IPAddress) -> str | None:
    checks = (
        (address in _METADATA, "a cloud metadata address"),
        (address.version == 6 and bool(address.scope_id), "a scoped (link-local) address"),
        (address.is_loopback, "a loopback address"),
        (address.is_unspecified, "an unspecified address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.version == 4 and address in _CGNAT, "in the shared (carrier-grade NAT) address space"),
        (address.version == 6 and address.is_site_local, "a site-local address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "not a globally routable address"),
    )
    return next((kind for hit, kind in checks if hit), None)


def _allowed(address: IPAddress, allowed: Sequence[IPNetwork]) -> bool:
    return any(address.version == network.version and address in network for network in allowed)


def check_address(address: IPAddress, allowed: Sequence[IPNetwork] = ()) -> None:
    """Raise UrlRefused unless the address is public, or inside one of the allowed networks."""
    if _allowed(address, allowed):
        return
    reason = refusal_reason(address)
    if reason is not None:
        raise UrlRefused(f"the destination is not allowed: {reason}")


def check_callback_url(url: str, allowed: Sequence[IPNetwork] = ()) -> CallbackUrl:
    """Everything that can be checked without the network: form, names, literal addresses."""
    callback = parse_callback_url(url)
    if callback.literal is not None:
        check_address(callback.literal, allowed)
    return callback


async def system_resolver(host: str, port: int) -> Sequence[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def resolve_destination(
    callback: CallbackUrl,
    allowed: Sequence[IPNetwork] = (),
    *,
    timeout_s: float = 3.0,
    resolver: Resolver = system_resolver,
) -> Destination:
    """Resolve the host and check every address it resolves to; the first one is the one to use."""
    if callback.literal is not None:
        check_address(callback.literal, allowed)
        return Destination(callback, callback.literal)
    try:
        async with asyncio.timeout(timeout_s):
            found = await resolver(callback.host, callback.port)
    except TimeoutError:
        raise UrlRefused(f"resolving {callback.host!r} timed out") from None
    except OSError as exc:
        raise UrlRefused(f"{callback.host!r} could not be resolved: {exc.strerror or exc}") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(a) for a in found))
    if not addresses:
        raise UrlRefused(f"{callback.host!r} has no addresses")
    for address in addresses:
        try:
            check_address(address, allowed)
        except UrlRefused as exc:
            raise UrlRefused(f"{callback.host!r} resolves to {address}: {exc}") from None
    return Destination(callback, addresses[0])


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return mac.hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify_signature(
    secret: str, header: str, body: bytes, *, tolerance_s: int = DEFAULT_TOLERANCE_S, now: float | None = None
) -> bool:
    """True if the header signs this body with this secret, recently enough."""
    fields: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in fields.get("v1", []))
