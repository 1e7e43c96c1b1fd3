"""Room fan-out between instances, chosen by a bus URL: memory:// or redis://…."""

from __future__ import annotations

from urllib.parse import urlsplit

from glimpse.bus.base import (
    Bus,
    BusUnavailable,
    DepartureHandler,
    EventHandler,
    EvictionHandler,
    RevocationHandler,
)

__all__ = [
    "Bus",
    "BusUnavailable",
    "DepartureHandler",
    "EventHandler",
    "EvictionHandler",
    "RevocationHandler",
    "open_bus",
]


def open_bus(url: str, *, presence_ttl: float, heartbeat_interval: float) -> Bus:
    """The bus for a URL; its driver is imported only now, with a clear error when missing.

    `presence_ttl` and `heartbeat_interval` (seconds) tell a shared bus when an instance is dead.
    """
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        from glimpse.bus.memory import MemoryBus

        return MemoryBus()
    if scheme in ("redis", "rediss"):
        try:
            from glimpse.bus.redis import RedisBus
        except ModuleNotFoundError as error:
            if error.name != "redis":
                raise
            raise ModuleNotFoundError(
                "a redis:// bus needs the 'redis' driver: pip install 'glimpse[redis]'",
                name="redis",
            ) from error
        return RedisBus(url, presence_ttl=presence_ttl, heartbeat_interval=heartbeat_interval)
    raise ValueError(f"unsupported bus URL scheme {scheme!r} (use memory:// or redis://)")
