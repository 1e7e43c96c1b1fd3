"""Rate limits kept in this process: for one instance (memory://), and Redis's stand-in."""

from __future__ import annotations

import time
from typing import Final

from glimpse.limits.base import Limit, Limiter

SWEEP_MIN_KEYS: Final = 1024
"""Keys whose bucket is full again are dropped once the table has grown this large, or twice as
large as after the last sweep: memory follows the keys in use, at O(1) amortised per hit."""

ROUNDING: Final = 1e-6
"""Seconds of float error tolerated: a burst of 7 at 7/minute adds up to a hair over 60 s."""


class MemoryLimiter(Limiter):
    def __init__(self) -> None:
        self._arrivals: dict[str, float] = {}
        """Key -> theoretical arrival time of its next hit (monotonic clock)."""
        self._sweep_at = SWEEP_MIN_KEYS

    async def hit(self, *limits: Limit) -> float | None:
        now = time.monotonic()
        wait = 0.0
        arrivals = {}
        for limit in limits:
            backlog = max(self._arrivals.get(limit.key(), now) - now, 0.0) + limit.rate.interval
            wait = max(wait, backlog - limit.rate.period)
            arrivals[limit.key()] = now + backlog
        if wait > ROUNDING:
            return wait
        self._arrivals.update(arrivals)
        if len(self._arrivals) >= self._sweep_at:
            self._sweep(now)
        return None

    async def refund(self, *limits: Limit) -> None:
        for limit in limits:
            if limit.key() in self._arrivals:
                self._arrivals[limit.key()] -= limit.rate.interval

    async def close(self) -> None:
        self._arrivals.clear()

    def _sweep(self, now: float) -> None:
        self._arrivals = {key: at for key, at in self._arrivals.items() if at > now}
        self._sweep_at = max(SWEEP_MIN_KEYS, 2 * len(self._arrivals))
