"""DNS rebinding, end to end through a real executor: the callback's name answers a checked address
one time and a loopback one the next. The executor resolves it once per attempt (through a DNS
server this test runs, CRH_EXECUTOR_WEBHOOK_NAMESERVERS), checks every address, and connects to
the checked one: the loopback listener behind the second answer is never reached.

Loopback only: 127.0.0.2 stands for the public destination (the executor allows exactly that
address), 127.0.0.1 for the internal service the rebinding aims at, both on the same port.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest
import pytest_asyncio
from arq.connections import ArqRedis, RedisSettings, create_pool
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.executor.webhooks import enqueue_delivery, resolver_for
from services.executor.webhooks.dns import DnsError
from shared.db.models import Execution
from shared.ids import new_id
from shared.settings import ExecutorSettings
from shared.webhooks import UrlRefused, parse_callback_url, resolve_destination
from tests.conftest import side_executor
from tests.deploy.servers import side_redis
from tests.product.conftest import MakeAccount
from tests.product.execution_rows import LIMITS

REBINDING_REDIS = side_redis(13)
REBINDING_EXECUTOR = "executor-rebinding"
NAME = "hooks.rebinding.example"
CHECKED = "127.0.0.2"
INTERNAL = "127.0.0.1"
DELIVERIES = 4


@dataclass
class RebindingDns(asyncio.DatagramProtocol):
    """Answers A queries for NAME with CHECKED and INTERNAL in turn; AAAA with nothing; other
    names with NXDOMAIN. ``truncate`` sets the TC bit on every answer."""

    a_queries: int = 0
    truncate: bool = False
    transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        question = query.question[0]
        if question.name != dns.name.from_text(NAME):
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.A:
            address = CHECKED if self.a_queries % 2 == 0 else INTERNAL
            self.a_queries += 1
            response.answer.append(dns.rrset.from_text(question.name, 0, "IN", "A", address))
        if self.truncate:
            response.flags |= dns.flags.TC
        assert self.transport is not None
        cast(asyncio.DatagramTransport, self.transport).sendto(response.to_wire(), addr)


@dataclass
class Listener:
    hits: int = 0
    hosts: Counter[str] = field(default_factory=Counter)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        headers = dict(line.split(": ", 1) for line in head.split("\r\n")[1:] if ": " in line)
        lowered = {key.lower(): value for key, value in headers.items()}
        await reader.readexactly(int(lowered.get("content-length", "0")))
        self.hits += 1
        self.hosts[lowered.get("host", "")] += 1
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()


@dataclass
class Rig:
    dns: RebindingDns
    dns_port: int
    port: int
    checked: Listener
    internal: Listener


def _bind_both() -> tuple[socket.socket, socket.socket]:
    """Two listening sockets on one port: CHECKED and INTERNAL."""
    for _ in range(50):
        first = socket.create_server((CHECKED, 0))
        try:
            second = socket.create_server((INTERNAL, first.getsockname()[1]))
        except OSError:
            first.close()
            continue
        return first, second
    raise RuntimeError("no port free on both loopback addresses")


@pytest_asyncio.fixture
async def rig() -> AsyncIterator[Rig]:
    loop = asyncio.get_running_loop()
    transport, dns = await loop.create_datagram_endpoint(RebindingDns, local_addr=("127.0.0.1", 0))
    checked, internal = Listener(), Listener()
    first, second = _bind_both()
    servers = [
        await asyncio.start_server(checked.handle, sock=first),
        await asyncio.start_server(internal.handle, sock=second),
    ]
    try:
        yield Rig(dns, transport.get_extra_info("sockname")[1], first.getsockname()[1], checked, internal)
    finally:
        transport.close()
        for server in servers:
            server.close()
            await server.wait_closed()


def _settings(rig: Rig) -> ExecutorSettings:
    return ExecutorSettings(webhook_allowed_networks=[f"{CHECKED}/32"], webhook_nameservers=[(INTERNAL, rig.dns_port)])


async def test_the_configured_resolver_sees_every_answer_and_refuses_a_truncated_one(rig: Rig) -> None:
    resolve = resolver_for(_settings(rig))
    assert list(await resolve(NAME, 80)) == [CHECKED]
    assert list(await resolve(NAME, 80)) == [INTERNAL]
    with pytest.raises(OSError, match="no such name"):
        await resolve("other.rebinding.example", 80)
    # A truncated answer is asked again over TCP (which this server does not serve): an error,
    # never the partial list.
    rig.dns.truncate = True
    with pytest.raises(DnsError, match=r"hooks\.rebinding\.example: "):
        await resolve(NAME, 80)
    # The check refuses the rebound answer itself.
    callback = parse_callback_url(f"http://{NAME}:{rig.port}/hook")
    rig.dns.truncate, rig.dns.a_queries = False, 1
    with pytest.raises(UrlRefused, match=r"resolves to 127\.0\.0\.1"):
        await resolve_destination(callback, [], resolver=resolve)


@pytest.fixture
def rebinding_executor(rig: Rig, executor: subprocess.Popen[bytes]) -> Iterator[None]:
    with side_executor(
        REBINDING_EXECUTOR,
        REBINDING_REDIS,
        CRH_EXECUTOR_CONCURRENCY="2",
        CRH_EXECUTOR_POOL_SIZE="0",
        CRH_EXECUTOR_POOL_SIZES="{}",
        CRH_EXECUTOR_WEBHOOK_ALLOWED_NETWORKS=f'["{CHECKED}/32"]',
        CRH_EXECUTOR_WEBHOOK_NAMESERVERS=f'[["{INTERNAL}", {rig.dns_port}]]',
        CRH_EXECUTOR_WEBHOOK_BASE_DELAY_S="0.2",
        CRH_EXECUTOR_WEBHOOK_MAX_ATTEMPTS="2",
    ):
        yield


async def _finished_with_webhook(sessions: async_sessionmaker[AsyncSession], user_id: str, url: str) -> uuid.UUID:
    now = datetime.now(UTC)
    async with sessions() as session:
        execution = Execution(
            id=new_id(),
            user_id=uuid.UUID(user_id),
            language="python",
            version="1.0",
            status="finished",
            verdict="ok",
            files=[{"name": "main", "content": ""}],
            limits=LIMITS,
            created_at=now,
            started_at=now,
            finished_at=now,
            webhook_url=url,
            webhook_status="pending",
        )
        session.add(execution)
        await session.commit()
        return execution.id


async def _settled(sessions: async_sessionmaker[AsyncSession], ids: list[uuid.UUID]) -> list[Execution]:
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        async with sessions() as session:
            rows = list((await session.execute(select(Execution).where(Execution.id.in_(ids)))).scalars())
        if all(row.webhook_status != "pending" for row in rows):
            return rows
        assert asyncio.get_running_loop().time() < deadline, [(r.webhook_status, r.webhook_last_error) for r in rows]
        await asyncio.sleep(0.1)


@pytest.mark.usefixtures("rebinding_executor")
async def test_a_rebinding_name_never_leads_the_delivery_to_the_internal_address(
    rig: Rig, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    account = await make_account()
    ids = [
        await _finished_with_webhook(sessions, account.id, f"http://{NAME}:{rig.port}/hook/{i}")
        for i in range(DELIVERIES)
    ]
    redis: ArqRedis = await create_pool(RedisSettings.from_dsn(REBINDING_REDIS))
    try:
        for eid in ids:
            # One at a time: each delivery's single resolution gets the next answer in turn.
            await enqueue_delivery(redis, eid)
            await _settled(sessions, [eid])
        rows = await _settled(sessions, ids)
    finally:
        await redis.aclose()
        async with sessions() as session:
            await session.execute(delete(Execution).where(Execution.id.in_(ids)))
            await session.commit()

    # The DNS server gave out the internal address as often as the checked one...
    assert rig.dns.a_queries == DELIVERIES
    # ...yet nothing reached the internal listener: the deliveries that checked the public answer
    # went to that very address, with the name in Host; the others were refused, never attempted.
    assert rig.internal.hits == 0
    statuses = Counter(row.webhook_status for row in rows)
    assert statuses == {"delivered": DELIVERIES // 2, "refused": DELIVERIES // 2}, statuses
    assert rig.checked.hits == DELIVERIES // 2
    assert rig.checked.hosts == {f"{NAME}:{rig.port}": DELIVERIES // 2}
    for row in rows:
        if row.webhook_status == "refused":
            assert row.webhook_attempts == 1
            assert row.webhook_last_error is not None
            assert f"resolves to {INTERNAL}" in row.webhook_last_error
            assert "loopback" in row.webhook_last_error
