"""An event loop on a thread of its own, which blocking code hands coroutines to.

Written here rather than taken from anyio's blocking portal: that one runs on a non-daemon pool
thread, so a Client its owner forgot to close would keep the interpreter from exiting. This
thread is a daemon, and the loop is stopped when the Client is closed."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from typing import TypeVar

T = TypeVar("T")


class Portal:
    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="coderunhub-client", daemon=True)
        self._thread.start()

    def call(self, function: Callable[[], Awaitable[T]]) -> T:
        """Run ``function()``'s awaitable on the loop and wait for its result (or exception). An
        interrupt (Ctrl-C) while waiting cancels it there too."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("a blocking Client cannot be called from its own event loop")

        async def run() -> T:
            return await function()

        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(run(), self._loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    @contextmanager
    def enter(self, manager: AbstractAsyncContextManager[T]) -> Iterator[T]:
        """An async context manager, entered and left on the loop."""
        value = self.call(manager.__aenter__)
        try:
            yield value
        except BaseException as error:
            if not self.call(functools.partial(manager.__aexit__, type(error), error, error.__traceback__)):
                raise
        else:
            self.call(functools.partial(manager.__aexit__, None, None, None))

    def close(self) -> None:
        if self._loop.is_closed():
            return
        try:
            # Iterators left unfinished (a stream read halfway) close their sockets now.
            self.call(self._loop.shutdown_asyncgens)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
