"""``crh run``: stream a program's output to this terminal and exit with its exit code."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from coderunhub.client import AsyncClient
from coderunhub.events import (
    ErrorEvent,
    Event,
    LiveOutputLimitEvent,
    OutputEvent,
    ResultEvent,
    StatusEvent,
)
from coderunhub.models import ExecutionOut, FileIn, LanguageOut, Verdict

# Exit codes besides the program's own (documented in clients/python/README.md). A program exiting
# with one of these values is indistinguishable from the verdict: --json tells them apart.
EXIT_USAGE = 2
EXIT_API = 3
EXIT_BY_VERDICT = {
    Verdict.compilation_error: 120,
    Verdict.memory_limit: 121,
    Verdict.output_limit: 122,
    Verdict.wrong_answer: 123,
    Verdict.time_limit: 124,  # as GNU timeout(1)
    Verdict.internal_error: 125,
    Verdict.cancelled: 126,
}
# A verdict newer than this release of crh.
EXIT_OTHER_VERDICT = 119
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
KILL = "kill"
# How long Ctrl-C waits for the cancellation of the execution it leaves.
CANCEL_WAIT_S = 5.0


def exit_code(execution: ExecutionOut) -> int:
    """The program's exit code when it ran to its end (or 128 + signal), else its verdict's code."""
    verdict = execution.verdict
    if verdict in (Verdict.ok, Verdict.accepted):
        return 0
    if verdict == Verdict.runtime_error and execution.run is not None:
        if execution.run.exit_code is not None and execution.run.exit_code != 0:
            return execution.run.exit_code & 0xFF
        if execution.run.signal is not None:
            return 128 + execution.run.signal
    return EXIT_BY_VERDICT.get(verdict, EXIT_OTHER_VERDICT) if verdict is not None else EXIT_OTHER_VERDICT


def guess_language(path: Path, languages: Sequence[LanguageOut]) -> str | None:
    suffix = path.suffix.lower()
    for language in languages:
        extensions = {ext.lower() for ext in language.extensions}
        for version in language.versions:
            extensions.update(ext.lower() for ext in version.extensions)
        if suffix in extensions:
            return language.id
    return None


class Progress:
    """'queued…', 'compiling…', 'running…' on stderr, when it is a terminal; erased before output."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.shown = False

    def show(self, text: str) -> None:
        if self.enabled:
            sys.stderr.write(f"\r\033[K\033[2m{text}\033[0m")
            sys.stderr.flush()
            self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self.shown = False


@dataclass
class Printer:
    """Writes output frames as they come: the run's stdout to stdout, everything else to stderr."""

    progress: Progress = field(default_factory=Progress)
    # Bytes of the run's streams written, to print the rest after a live output limit.
    written: dict[str, int] = field(default_factory=lambda: {"stdout": 0, "stderr": 0})
    live_limited: bool = False

    def event(self, event: Event) -> ExecutionOut | None:
        if isinstance(event, StatusEvent):
            label = {"compile": "compiling…", "run": "running…"}.get(event.phase or "", event.status + "…")
            self.progress.show(label)
        elif isinstance(event, OutputEvent):
            self.progress.clear()
            to_stdout = event.type == "stdout" and event.phase == "run"
            self._write(sys.stdout.buffer if to_stdout else sys.stderr.buffer, event.bytes)
            if event.phase == "run":
                self.written[event.type] += len(event.bytes)
        elif isinstance(event, LiveOutputLimitEvent):
            self.live_limited = True
        elif isinstance(event, ErrorEvent):
            self.progress.clear()
            sys.stderr.write(f"crh: {event.error}\n")
        elif isinstance(event, ResultEvent):
            self.progress.clear()
            return event.execution
        return None

    @staticmethod
    def _write(stream: BinaryIO, data: bytes) -> None:
        stream.write(data)
        stream.flush()

    async def rest(self, client: AsyncClient, execution: ExecutionOut) -> None:
        """After a live output limit: what the stream left out, from the stored result."""
        stored = await client.get_execution(execution, encoding="base64")
        if stored.run is None:
            return
        for kind, stream in (("stdout", sys.stdout.buffer), ("stderr", sys.stderr.buffer)):
            data = base64.b64decode(getattr(stored.run, kind) or "")
            self._write(stream, data[self.written[kind] :])


async def follow(client: AsyncClient, execution: ExecutionOut, events: AsyncIterator[Event]) -> int:
    printer = Printer()
    printer.progress.show("queued…")
    final = execution
    async for event in events:
        if (result := printer.event(event)) is not None:
            final = result
    if printer.live_limited:
        await printer.rest(client, final)
    if final.verdict not in (Verdict.ok, Verdict.accepted, Verdict.runtime_error) and final.message:
        sys.stderr.write(f"crh: {final.verdict}: {final.message}\n")
    return exit_code(final)


def read_stdin(path: str | None) -> str | None:
    if path is None:
        return None
    if path == "-":
        return sys.stdin.read()
    return Path(path).read_text(encoding="utf-8")


async def run_file(
    client: AsyncClient,
    path: Path,
    *,
    language: str | None,
    version: str | None,
    stdin: str | None,
    args: Sequence[str],
    as_json: bool,
    interactive: bool,
) -> int:
    if language is None:
        language = guess_language(path, await client.languages())
        if language is None:
            sys.stderr.write(f"crh: cannot tell the language of {path.name}; name it with --lang\n")
            return EXIT_USAGE
    content = await asyncio.to_thread(path.read_text, encoding="utf-8")
    files = [FileIn(name=path.name, content=content)]
    if interactive:
        return await run_interactive(client, language, files, version=version, args=args)
    if as_json:
        result = await client.run(language, files=files, stdin=stdin, args=args, version=version)
        sys.stdout.write(json.dumps(result.model_dump(mode="json"), indent=2) + "\n")
        return exit_code(result)
    execution = await client.submit(language, files=files, stdin=stdin, args=args, version=version)
    return await follow_or_cancel(client, execution)


async def follow_or_cancel(client: AsyncClient, execution: ExecutionOut) -> int:
    """follow(), and on Ctrl-C (asyncio.run cancels this task) cancel the execution as well: a
    program nobody watches any more should not keep its sandbox."""
    try:
        return await follow(client, execution, client.stream(execution))
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.cancel(execution), CANCEL_WAIT_S)
        raise


async def run_interactive(
    client: AsyncClient, language: str, files: list[FileIn], *, version: str | None, args: Sequence[str]
) -> int:
    """This terminal's input goes to the program as it is typed (a line at a time in the terminal's
    usual mode, so it echoes and edits lines; Ctrl-D is end of input, Ctrl-C stops the program)."""
    loop = asyncio.get_running_loop()
    fd = sys.stdin.fileno()
    # Input bytes, b"" for end of input, or KILL (a str: no input can be mistaken for it).
    chunks: asyncio.Queue[bytes | str] = asyncio.Queue()
    interrupted = False
    async with client.interactive(language, files=files, args=args, version=version) as session:

        def readable() -> None:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if not data:
                loop.remove_reader(fd)
            chunks.put_nowait(data)

        def interrupt() -> None:
            nonlocal interrupted
            interrupted = True
            chunks.put_nowait(KILL)

        async def pump() -> None:
            # After end of input only a kill (Ctrl-C) can still come.
            while True:
                data = await chunks.get()
                if isinstance(data, str):
                    await session.kill()
                elif data:
                    await session.send(data)
                else:
                    await session.eof()

        try:
            loop.add_reader(fd, readable)
        except OSError:
            # A regular file (or /dev/null) cannot be watched: it is all there already.
            if data := sys.stdin.buffer.read():
                chunks.put_nowait(data)
            chunks.put_nowait(b"")
        loop.add_signal_handler(signal.SIGINT, interrupt)
        pumping = asyncio.create_task(pump())
        try:
            code = await follow(client, session.execution, session.events())
        finally:
            loop.remove_reader(fd)
            loop.remove_signal_handler(signal.SIGINT)
            pumping.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pumping
    return EXIT_INTERRUPTED if interrupted else code
