"""`crh run -i` under a real pseudo-terminal: what is typed reaches the program while it runs,
Ctrl-D ends its input, Ctrl-C stops it, and crh exits with the program's exit code."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pty
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

from tests.sdk.conftest import CRH, WAIT_S, program

GREETER = """
import sys
name = input("name? ")
print(f"Hello, {name}!", flush=True)
rest = sys.stdin.read()
print(f"{len(rest.splitlines())} more lines")
sys.exit(5)
"""


def _wake(ready: asyncio.Future[None]) -> None:
    if not ready.done():
        ready.set_result(None)


class Terminal:
    """The controlling side of a pty running crh."""

    def __init__(self, master: int, proc: asyncio.subprocess.Process) -> None:
        self.master = master
        self.proc = proc
        self.seen = b""

    def type(self, data: bytes) -> None:
        os.write(self.master, data)

    async def expect(self, text: str, timeout: float = WAIT_S) -> None:
        """Read until ``text`` has appeared (the pty turns "\\n" into "\\r\\n")."""
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + timeout
        while text.encode() not in self.seen.replace(b"\r\n", b"\n"):
            assert time.monotonic() < deadline, f"no {text!r} in {self.seen!r}"
            ready: asyncio.Future[None] = loop.create_future()
            loop.add_reader(self.master, _wake, ready)
            try:
                await asyncio.wait_for(ready, deadline - time.monotonic())
            finally:
                loop.remove_reader(self.master)
            try:
                self.seen += os.read(self.master, 65536)
            except OSError:  # EIO: the child closed its side
                assert text.encode() in self.seen.replace(b"\r\n", b"\n"), self.seen

    async def exit_code(self) -> int:
        return await asyncio.wait_for(self.proc.wait(), WAIT_S)


@contextlib.asynccontextmanager
async def terminal(*args: str, env: dict[str, str]) -> AsyncIterator[Terminal]:
    master, slave = pty.openpty()
    proc = await asyncio.create_subprocess_exec(
        str(CRH), *args, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    try:
        yield Terminal(master, proc)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        os.close(master)


async def test_typed_input_reaches_the_program_as_it_runs(cli_env: dict[str, str], tmp_path: Path) -> None:
    source = program(tmp_path, "greeter.py", GREETER)
    async with terminal("run", "-i", str(source), env=cli_env) as term:
        await term.expect("name? ")
        term.type(b"Alice\n")
        await term.expect("Hello, Alice!\n")
        term.type(b"one\ntwo\n")
        term.type(b"\x04")  # Ctrl-D: end of input
        await term.expect("2 more lines\n")
        assert await term.exit_code() == 5


async def test_interrupt_stops_the_program(cli_env: dict[str, str], tmp_path: Path) -> None:
    source = program(tmp_path, "echo.py", "while True:\n    print('echo', input(), flush=True)\n")
    async with terminal("run", "-i", str(source), env=cli_env) as term:
        term.type(b"ping\n")
        await term.expect("echo ping\n")
        assert term.proc.pid is not None
        os.kill(term.proc.pid, signal.SIGINT)
        assert await term.exit_code() == 130


async def test_progress_shows_on_a_terminal_and_is_erased(cli_env: dict[str, str], tmp_path: Path) -> None:
    source = program(tmp_path, "hello.c", '#include <stdio.h>\nint main(void) { puts("compiled hello"); return 0; }\n')
    async with terminal("run", str(source), env=cli_env) as term:
        await term.expect("compiled hello\n")
        assert await term.exit_code() == 0
    assert "compiling…".encode() in term.seen
    # Each progress line is erased (carriage return, erase line) before the program's output.
    assert term.seen.index(b"\r\x1b[K") < term.seen.index(b"compiled hello")
