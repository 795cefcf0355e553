"""Resolving callback hosts with DNS servers the deployment names (dnspython), not the system's.

The system resolver (getaddrinfo) reads /etc/resolv.conf, which a process cannot override; an
operator may want callbacks resolved by a filtering resolver instead, and the DNS rebinding test
points the executor at a server it controls. Every address the name has (A and AAAA) comes back,
or an error: a partial list could miss the one address that must be refused. dnspython checks that
an answer is the answer to its own question, and retries a truncated answer over TCP.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.resolver

from shared.webhooks import Resolver

# Per attempt; the caller bounds the whole resolution (webhook_resolve_timeout_s).
QUERY_TIMEOUT_S = 1.0


class DnsError(OSError):
    """No usable answer; an OSError, as the system resolver's failures are."""


def nameserver_resolver(servers: Sequence[tuple[str, int]]) -> Resolver:
    """A resolver asking these servers (the next one when one fails or is silent)."""
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver(address, port) for address, port in servers]
    resolver.timeout = QUERY_TIMEOUT_S
    resolver.lifetime = QUERY_TIMEOUT_S * max(1, len(servers)) * 2
    # Every answer asked afresh: a cached address would hide the next answer from the check.
    resolver.cache = None

    async def addresses(host: str, rdtype: str) -> list[str]:
        answer = await resolver.resolve(host, rdtype, search=False, raise_on_no_answer=False)
        return [record.to_text() for record in answer]

    async def resolve(host: str, port: int) -> Sequence[str]:
        if not servers:
            raise DnsError("no DNS server is configured")
        try:
            v4, v6 = await asyncio.gather(addresses(host, "A"), addresses(host, "AAAA"))
        except dns.resolver.NXDOMAIN as exc:
            raise DnsError(f"{host}: no such name") from exc
        except dns.exception.DNSException as exc:
            raise DnsError(f"{host}: {exc}") from exc
        return [*v4, *v6]

    return resolve
