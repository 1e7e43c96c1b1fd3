"""What the edge needs of the server's services (built by glimpse/services.py), so that it does
not depend on the modules that build them."""

from __future__ import annotations

from typing import Protocol

from glimpse.edge.limits import ConnectionLimits
from glimpse.settings import Settings


class AddressCrowding(Protocol):
    """The sockets open per client address (glimpse/realtime/registry.py)."""

    def refusal(self, address: str) -> tuple[int, str] | None:
        """The HTTP status and text that refuse a new socket from this address now, if any."""


class EdgeServices(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def connections(self) -> AddressCrowding: ...

    @property
    def connection_limits(self) -> ConnectionLimits: ...
