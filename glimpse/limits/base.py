"""Rate limits shared by every socket and instance: the interface, and the rules it counts by.

Each limit is a generic cell rate algorithm (GCRA, as in redis-cell and throttled): one stored
time per key, the "theoretical arrival time" of the next hit. A rate of 10/minute allows a burst
of 10, then one hit every 6 s; the wait it answers is exact, and nothing is stored for a key once
its bucket is full again.
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Final

from glimpse.errors import RateLimited

KEY_PREFIX: Final = "glimpse:limit:"

_UNITS: Final = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RATE: Final = re.compile(r"(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day)s?")


@dataclass(frozen=True, slots=True)
class Rate:
    """At most `limit` hits in any `period` seconds, in bursts of up to `limit`."""

    limit: int
    period: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        """`10/minute`, `30/hour`, `5/15minutes`: hits per (a number of) seconds, minutes, …."""
        match = _RATE.fullmatch(text.strip().lower())
        count, periods = (int(match[1]), int(match[2] or 1)) if match else (0, 0)
        if match is None or count == 0 or periods == 0:
            raise ValueError(f"{text!r} is not a rate like 10/minute, 30/hour or 5/15minutes")
        return cls(count, periods * _UNITS[match[3]])

    @property
    def interval(self) -> float:
        """Seconds between hits once a burst is used up."""
        return self.period / self.limit


@dataclass(frozen=True, slots=True)
class Limit:
    """A rate applied to one subject (an address, an account, a room) under a scope's name."""

    scope: str
    subject: str
    rate: Rate

    def key(self, secret: bytes = b"") -> str:
        """The subject hashed, keyed with `secret` where keys leave the process (Redis): no
        e-mail or address can be read or guessed back from a key, and every key has one size."""
        digest = hashlib.blake2b(self.subject.encode(), digest_size=16, key=secret[:64])
        return f"{KEY_PREFIX}{self.scope}:{digest.hexdigest()}"


class Limiter(ABC):
    @abstractmethod
    async def hit(self, *limits: Limit) -> float | None:
        """Count one hit against every limit, or none when any is used up.

        None when allowed; else the seconds until all of them would allow it (Retry-After).
        """

    @abstractmethod
    async def refund(self, *limits: Limit) -> None:
        """Give back one hit: the attempt turned out to be legitimate (a right password)."""

    @abstractmethod
    async def close(self) -> None: ...

    async def enforce(self, *limits: Limit) -> None:
        """Count one hit, or raise RateLimited (HTTP 429, WebSocket `rate_limited`)."""
        wait = await self.hit(*limits)
        if wait is not None:
            raise RateLimited(wait)
