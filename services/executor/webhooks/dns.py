"""A stub resolver for callback hosts, for deployments (and tests) that name their own DNS servers.

The system resolver (getaddrinfo) reads /etc/resolv.conf, which a process cannot override; an
operator may want callbacks resolved by a filtering resolver instead, and the DNS rebinding test
points the executor at a server it controls. This asks for A and AAAA records over UDP, takes
only an answer to its own question (id and question checked, from the server it asked), and
fails rather than return a partial list (truncated answer, error code): a missing address could
be the one that must be refused.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
import socket
import struct
from collections.abc import Sequence

from shared.webhooks import Resolver

A, AAAA, IN = 1, 28, 1
# Per server and question; the caller bounds the whole resolution (webhook_resolve_timeout_s).
QUERY_TIMEOUT_S = 1.0
_HEADER = struct.Struct("!HHHHHH")
_RR = struct.Struct("!HHIH")


class DnsError(OSError):
    """No usable answer; an OSError, as the system resolver's failures are."""


class StrayAnswer(DnsError):
    """A datagram that answers another query (another id): ignored, the real answer may follow."""


def encode_name(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        raw = label.encode("ascii")
        if not 0 < len(raw) < 64:
            raise DnsError(f"{name!r} has an empty or overlong label")
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def build_query(query_id: int, name: str, qtype: int) -> bytes:
    # Recursion desired, one question.
    return _HEADER.pack(query_id, 0x0100, 1, 0, 0, 0) + encode_name(name) + struct.pack("!HH", qtype, IN)


def _skip_name(data: bytes, offset: int) -> int:
    while True:
        if offset >= len(data):
            raise DnsError("truncated name")
        length = data[offset]
        if length & 0xC0 == 0xC0:
            return offset + 2
        if length == 0:
            return offset + 1
        offset += 1 + length


def parse_answer(data: bytes, query: bytes, qtype: int) -> list[str]:
    """The addresses of type ``qtype`` in an answer to ``query``; raises DnsError."""
    if len(data) < _HEADER.size:
        raise DnsError("short answer")
    query_id, flags, qdcount, ancount, _, _ = _HEADER.unpack_from(data)
    question = query[_HEADER.size :]
    if query_id != _HEADER.unpack_from(query)[0] or not flags & 0x8000:
        raise StrayAnswer("not an answer to this query")
    if qdcount != 1 or data[_HEADER.size : _HEADER.size + len(question)].lower() != question.lower():
        raise DnsError("the answer is to another question")
    if flags & 0x0200:
        raise DnsError("truncated answer")
    rcode = flags & 0x000F
    if rcode == 3:
        raise DnsError("no such name")
    if rcode != 0:
        raise DnsError(f"the server answered with error {rcode}")
    offset = _HEADER.size + len(question)
    found: list[str] = []
    for _ in range(ancount):
        offset = _skip_name(data, offset)
        if offset + _RR.size > len(data):
            raise DnsError("truncated record")
        rtype, rclass, _, length = _RR.unpack_from(data, offset)
        offset += _RR.size
        rdata = data[offset : offset + length]
        if len(rdata) != length:
            raise DnsError("truncated record")
        offset += length
        if rclass == IN and rtype == qtype == A and length == 4:
            found.append(str(ipaddress.IPv4Address(rdata)))
        elif rclass == IN and rtype == qtype == AAAA and length == 16:
            found.append(str(ipaddress.IPv6Address(rdata)))
    return found


class _Exchange(asyncio.DatagramProtocol):
    def __init__(self, query: bytes, qtype: int) -> None:
        self.query, self.qtype = query, qtype
        self.answer: asyncio.Future[list[str]] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if self.answer.done():
            return
        try:
            self.answer.set_result(parse_answer(data, self.query, self.qtype))
        except StrayAnswer:
            pass
        except DnsError as exc:
            self.answer.set_exception(exc)

    def error_received(self, exc: Exception) -> None:
        if not self.answer.done():
            self.answer.set_exception(DnsError(f"the server is unreachable: {exc}"))


async def ask(server: tuple[str, int], name: str, qtype: int, timeout_s: float = QUERY_TIMEOUT_S) -> list[str]:
    query = build_query(secrets.randbits(16), name, qtype)
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
    # A connected socket: the kernel drops datagrams from anyone but the server.
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: _Exchange(query, qtype), remote_addr=server, family=family
    )
    try:
        transport.sendto(query)
        async with asyncio.timeout(timeout_s):
            return await protocol.answer
    finally:
        transport.close()


def nameserver_resolver(servers: Sequence[tuple[str, int]]) -> Resolver:
    """A resolver asking these servers in turn (the next one when one fails or is silent)."""

    async def resolve(host: str, port: int) -> Sequence[str]:
        errors: list[str] = []
        for server in servers:
            try:
                v4, v6 = await asyncio.gather(ask(server, host, A), ask(server, host, AAAA))
            except (DnsError, OSError, TimeoutError) as exc:
                errors.append(f"{server[0]}:{server[1]}: {exc or type(exc).__name__}")
                continue
            return [*v4, *v6]
        raise DnsError("; ".join(errors) or "no DNS server is configured")

    return resolve
