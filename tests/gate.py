"""Deterministic interleavings: an async call held at a gate until the test opens it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class Gate:
    """Holds the calls that pass through it until `open()`; `reached` is set once one waits."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self._opened = asyncio.Event()

    def open(self) -> None:
        self._opened.set()

    async def passage(self) -> None:
        """Wait here until the gate opens."""
        self.reached.set()
        await self._opened.wait()

    def hold(self, call: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        """`call`, held at this gate first."""

        async def held(*args: P.args, **kwargs: P.kwargs) -> T:
            await self.passage()
            return await call(*args, **kwargs)

        return held
