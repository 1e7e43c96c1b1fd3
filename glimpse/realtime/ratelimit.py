"""Per-connection rate limits: an allowance per kind of message, and strikes for floods."""

from __future__ import annotations

import enum
import math
import time


class TokenBucket:
    """Allows `rate` events a second on average and bursts of up to `burst`."""

    __slots__ = ("_tokens", "_updated", "burst", "rate")

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._tokens = float(burst)
        self._updated = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def allow(self) -> bool:
        self._refill()
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def wait(self) -> float:
        """Seconds until the next event would be allowed."""
        self._refill()
        return max(0.0, (1.0 - self._tokens) / self.rate)


class Verdict(enum.Enum):
    ALLOWED = "allowed"
    REFUSED = "refused"
    """Over the rate: refused, not held against the client."""
    STRIKE = "strike"
    """Over the rate and over as much again: the client ignores its refusals."""


class Allowance:
    """One kind of message's rate limit: a bucket for the messages accepted, and a second of the
    same burst, refilled at twice the rate, that only the refused ones draw on.

    A client that waits the `retry_after` it is told is refused at most once per accepted
    message, so the second bucket refills twice as fast as it draws on it, whatever the jitter of
    its timing (at the same rate, jitter alone would drain it in a long enough run); one that
    keeps on at more than three times the rate empties it after `burst` refusals, and from then
    each refusal is a strike."""

    __slots__ = ("_accepted", "_refused")

    def __init__(self, rate: float, burst: int) -> None:
        self._accepted = TokenBucket(rate, burst)
        self._refused = TokenBucket(2 * rate, burst)

    def take(self) -> Verdict:
        if self._accepted.allow():
            return Verdict.ALLOWED
        return Verdict.REFUSED if self._refused.allow() else Verdict.STRIKE

    def retry_after(self) -> float:
        """Seconds until a message of this kind would be accepted, to the millisecond above."""
        return math.ceil(self._accepted.wait() * 1000) / 1000


class Strikes:
    """Counts strikes in a sliding window; too many and the connection is closed."""

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
