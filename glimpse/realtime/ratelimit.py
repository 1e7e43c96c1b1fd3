"""Per-connection rate limits: a token bucket per kind of message, and strikes for floods."""

from __future__ import annotations

import time


class TokenBucket:
    """Allows `rate` events a second on average and bursts of up to `burst`."""

    __slots__ = ("_tokens", "_updated", "burst", "rate")

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._tokens = float(burst)
        self._updated = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


class Strikes:
    """Counts rejected messages in a sliding window; too many and the connection is closed."""

    __slots__ = ("_times", "limit", "window")

    def __init__(self, limit: int, window_seconds: float = 10.0) -> None:
        self.limit = limit
        self.window = window_seconds
        self._times: list[float] = []

    def add(self) -> bool:
        """Record a strike; True when the limit is now exceeded."""
        now = time.monotonic()
        self._times = [t for t in self._times if now - t < self.window]
        self._times.append(now)
        return len(self._times) > self.limit
