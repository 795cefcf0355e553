"""A sandbox container serves execution after execution (reuse mode): nothing one execution
leaves behind reaches the next, whoever runs it.

The executor here has one Python sandbox and one slot, so consecutive executions land in the same
container (the test checks it: a program sees its container's host uid in /proc/self/uid_map).
The first user's program plants everything it can: a daemon that ignores SIGHUP, files in /work,
/tmp and /dev/shm, SysV shared memory, a message queue and a semaphore, a POSIX message queue,
an abstract UNIX socket and a TCP listener (held by the daemon), a lock, lowered rlimits and a
changed umask. A second user's program, in the same container, finds none of it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio

from services.gateway.app import create_app as create_gateway_app
from tests.auth.fakes import FakeTwilio
from tests.auth_support import AuthService, bearer, fresh_phone, phone_sign_in
from tests.conftest import gateway_settings, serve, side_executor
from tests.deploy.servers import side_redis
from tests.e2e.conftest import wait_for_no_leftovers
from tests.security.test_corpus import wait_for_no_host_processes

REUSE_REDIS = side_redis(10)
REUSE_EXECUTOR = "executor-reuse"

PLANT = r"""
import ctypes, fcntl, os, resource, signal, socket, time
libc = ctypes.CDLL(None, use_errno=True)
open("/work/left.txt", "w").write("first user's file")
open("/tmp/left.txt", "w").write("first user's file")
open("/dev/shm/left", "w").write("first user's file")
assert libc.shmget(0x5EC, 4096, 0o1666) >= 0
assert libc.msgget(0x5EC, 0o1666) >= 0
assert libc.semget(0x5EC, 1, 0o1666) >= 0
rt = ctypes.CDLL("librt.so.1", use_errno=True)
assert rt.mq_open(b"/left", os.O_CREAT | os.O_RDWR, 0o666, None) >= 0
resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
os.umask(0)
if os.fork() == 0:
    os.setsid()
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind("\0crh-left")
    abstract.listen()
    tcp = socket.socket()
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("127.0.0.1", 4444))
    tcp.listen()
    lock = open("/work/lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    print("daemon ready", flush=True)
    time.sleep(3600)
time.sleep(0.5)
print(open("/proc/self/uid_map").read().split()[1])
"""

CHECK = r"""
import errno, json, os, resource, socket
def gone(kind, name):
    try:
        return open(f"/proc/sysvipc/{kind}").read().count("\n") == 1
    except OSError as exc:
        return f"unreadable: {exc}"
def refused(family, address):
    s = socket.socket(family)
    try:
        s.connect(address)
        return False
    except OSError as exc:
        return exc.errno in (errno.ECONNREFUSED, errno.ENOENT)
report = {
    "container": open("/proc/self/uid_map").read().split()[1],
    "processes": sorted(p for p in os.listdir("/proc") if p.isdigit()),
    "work": sorted(os.listdir("/work")),
    "tmp": os.listdir("/tmp"),
    "shm": os.listdir("/dev/shm"),
    "mqueue": os.listdir("/dev/mqueue"),
    "sysv": [gone("shm", "shm"), gone("msg", "msg"), gone("sem", "sem")],
    "abstract_socket_gone": refused(socket.AF_UNIX, "\0crh-left"),
    "tcp_listener_gone": refused(socket.AF_INET, ("127.0.0.1", 4444)),
    "nofile": resource.getrlimit(resource.RLIMIT_NOFILE),
    "umask": oct(os.umask(0o22)),
    "uid": os.getuid(),
}
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def reuse_executor() -> Iterator[None]:
    with side_executor(
        REUSE_EXECUTOR,
        REUSE_REDIS,
        CRH_EXECUTOR_CONCURRENCY="1",
        CRH_EXECUTOR_SANDBOX_MODE="reuse",
        CRH_EXECUTOR_POOL_SIZE="0",
        CRH_EXECUTOR_POOL_SIZES='{"python": 1}',
    ):
        yield


@pytest_asyncio.fixture(scope="module")
async def reuse_gateway(reuse_executor: None, auth: AuthService) -> AsyncIterator[httpx.AsyncClient]:
    settings = gateway_settings(redis_url=REUSE_REDIS, auth_jwks_url=f"{auth.url}/auth/v1/.well-known/jwks.json")
    async with serve(create_gateway_app(settings)) as url, httpx.AsyncClient(base_url=url, timeout=60) as client:
        yield client


async def run_as(gateway: httpx.AsyncClient, token: str, source: str) -> dict[str, object]:
    response = await gateway.post(
        "/v1/executions", params={"wait": "true"}, json={"language": "python", "source": source}, headers=bearer(token)
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_one_container_two_users_nothing_carries_over(
    reuse_gateway: httpx.AsyncClient, auth: AuthService, twilio: FakeTwilio
) -> None:
    first = await phone_sign_in(auth, twilio, fresh_phone())
    second = await phone_sign_in(auth, twilio, fresh_phone())
    assert first["user"]["id"] != second["user"]["id"]

    planted = await run_as(reuse_gateway, first["access_token"], PLANT)
    run = planted["run"]
    assert planted["verdict"] == "ok", planted
    assert isinstance(run, dict)
    daemon_ready, container = run["stdout"].split("\n")[:2]
    assert daemon_ready == "daemon ready"
    # The daemon died with the first execution's cell, before the second one starts (which waits
    # until the container's agent has prepared its next cell, as the pool does).
    assert wait_for_no_host_processes(REUSE_EXECUTOR) == []
    await asyncio.sleep(0.3)

    checked = await run_as(reuse_gateway, second["access_token"], CHECK)
    assert checked["verdict"] == "ok", checked
    run = checked["run"]
    assert isinstance(run, dict)
    report = json.loads(str(run["stdout"]))
    assert report["container"] == container, "the second execution ran in another container"
    assert report == {
        "container": container,
        "processes": ["1", "2"],
        "work": ["main.py"],
        "tmp": [],
        "shm": [],
        "mqueue": [],
        "sysv": [True, True, True],
        "abstract_socket_gone": True,
        "tcp_listener_gone": True,
        "nofile": [512, 512],
        "umask": "0o22",
        "uid": 65534,
    }
    assert wait_for_no_leftovers(REUSE_EXECUTOR) == []
