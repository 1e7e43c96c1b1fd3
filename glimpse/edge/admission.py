"""Whether a WebSocket handshake may open a socket: its origin, room for its client address and
for one more socket signing in (glimpse/realtime/registry.py), then a free WebSocket slot."""

from __future__ import annotations

import http
from dataclasses import dataclass

from glimpse.edge.origins import origin_allowed
from glimpse.edge.services import EdgeServices


@dataclass(frozen=True, slots=True)
class Refusal:
    """The HTTP answer to a refused handshake."""

    status: http.HTTPStatus
    text: str


FOREIGN_ORIGIN = Refusal(
    http.HTTPStatus.FORBIDDEN,
    "WebSockets from this origin are not allowed here (see GLIMPSE_ALLOWED_ORIGINS).\n",
)
NO_SLOT = Refusal(
    http.HTTPStatus.SERVICE_UNAVAILABLE, "The server is at its WebSocket limit; try again.\n"
)


def admit_websocket(
    origin: str | None, host: str | None, address: str, services: EdgeServices
) -> Refusal | None:
    """None when the socket may open: it then holds a WebSocket slot until it closes
    (`services.connection_limits.close_websocket()`)."""
    if not origin_allowed(origin, host, services.settings.allowed_origins):
        return FOREIGN_ORIGIN
    if (crowded := services.connections.refusal(address)) is not None:
        status, text = crowded
        return Refusal(http.HTTPStatus(status), text)
    if not services.connection_limits.open_websocket():
        return NO_SLOT
    return None
