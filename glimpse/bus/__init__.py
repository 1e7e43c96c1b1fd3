"""Room fan-out between instances, chosen by a bus URL: memory:// or redis://…."""

from __future__ import annotations

from urllib.parse import urlsplit

from glimpse.bus.base import Bus, BusUnavailable, DepartureHandler, EventHandler

__all__ = ["Bus", "BusUnavailable", "DepartureHandler", "EventHandler", "open_bus"]


def open_bus(url: str) -> Bus:
    """The bus for a URL; its driver is imported only now, with a clear error when missing."""
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        from glimpse.bus.memory import MemoryBus

        return MemoryBus()
    raise ValueError(f"unsupported bus URL scheme {scheme!r} (use memory://)")
