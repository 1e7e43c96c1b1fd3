"""Password hashing with argon2id, off the event loop and bounded.

Each hash or check takes tens of milliseconds and 64 MiB. `PasswordHashing` runs at most
`max_concurrent` of them at once; up to `max_waiting` more wait at most `wait` seconds for a turn,
and anything beyond gets `ServerBusy` (503) at once, so a log-in storm cannot exhaust memory or
threads. The hashing threads run at a lower scheduling priority than the event loop (argon2's own
lane threads inherit it), so the cores they share go to serving everyone else first.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from glimpse.errors import ServerBusy

T = TypeVar("T")

HASHING_NICENESS = 10
"""How much lower than the server's the hashing threads' priority is (Linux `nice`)."""


def _lower_priority() -> None:
    """Run this thread (and the threads it starts) after the event loop when cores are short."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux, or not allowed
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


def _busy(wait: float) -> ServerBusy:
    return ServerBusy(
        "too many password checks at once; try again in a moment",
        retry_after=max(1, math.ceil(wait)),
    )


class PasswordHashing:
    """argon2id with the library's (RFC 9106 low-memory) parameters, at most `max_concurrent` at
    once on threads of their own."""

    def __init__(self, *, max_concurrent: int, max_waiting: int, wait: float) -> None:
        self._hasher = PasswordHasher()
        self._threads = ThreadPoolExecutor(
            max_concurrent, thread_name_prefix="argon2", initializer=_lower_priority
        )
        self._slots = asyncio.Semaphore(max_concurrent)
        self._max_waiting = max_waiting
        self._waiting = 0
        self._wait = wait
        self._unknown_account_hash = self._hasher.hash("no account has this password")

    async def hash(self, password: str) -> str:
        return await self._run(lambda: self._hasher.hash(password))

    async def verify(self, password_hash: str, password: str) -> bool:
        def check() -> bool:
            try:
                return self._hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False

        return await self._run(check)

    async def spend_verification_time(self, password: str) -> None:
        """Take as long as a real check, so that a failed log-in does not tell whether the
        account exists."""
        await self.verify(self._unknown_account_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether a stored hash was made with other (older, weaker) parameters than today's."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    async def _run(self, work: Callable[[], T]) -> T:
        if self._slots.locked():
            if self._waiting >= self._max_waiting:
                raise _busy(self._wait)
            self._waiting += 1
            try:
                async with asyncio.timeout(self._wait):
                    await self._slots.acquire()
            except TimeoutError:
                raise _busy(self._wait) from None
            finally:
                self._waiting -= 1
        else:
            await self._slots.acquire()
        running = asyncio.get_running_loop().run_in_executor(self._threads, work)
        running.add_done_callback(lambda _: self._slots.release())  # when the thread is done,
        return await asyncio.shield(running)  # even if the request gives up waiting for it
