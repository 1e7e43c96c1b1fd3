"""Rate limits against abuse, chosen by the bus URL: memory:// (one instance) or redis://…."""

from __future__ import annotations

from urllib.parse import urlsplit

from glimpse.limits.base import Limit, Limiter, Rate

__all__ = ["Limit", "Limiter", "Rate", "open_limiter"]


def open_limiter(url: str, secret: str) -> Limiter:
    """The limiter for the bus URL; open the bus first (it says which driver is missing).
    `secret` keys the hashes of what is counted (addresses, e-mails) in a shared store."""
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        from glimpse.limits.memory import MemoryLimiter

        return MemoryLimiter()
    if scheme in ("redis", "rediss"):
        from glimpse.limits.redis import RedisLimiter

        return RedisLimiter(url, secret)
    raise ValueError(f"unsupported bus URL scheme {scheme!r} (use memory:// or redis://)")
