"""Deterministic interleavings: an async call held at a gate until the test opens it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class Gate:
    """Holds the calls that pass through it until `open()`."""

    def __init__(self) -> None:
        self._reached = asyncio.Event()
        self._opened = asyncio.Event()

    async def reached(self, timeout: float = 10) -> None:
        """Wait until a call waits at the gate."""
        try:
            async with asyncio.timeout(timeout):
                await self._reached.wait()
        except TimeoutError:
            raise AssertionError("no call reached the gate") from None

    def open(self) -> None:
        self._opened.set()

    async def passage(self) -> None:
        """Wait here until the gate opens."""
        self._reached.set()
        await self._opened.wait()

    def hold(self, call: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        """`call`, held at this gate first."""

        async def held(*args: P.args, **kwargs: P.kwargs) -> T:
            await self.passage()
            return await call(*args, **kwargs)

        return held
