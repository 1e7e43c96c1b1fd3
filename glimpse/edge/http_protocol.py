"""uvicorn's HTTP protocol with two guards: a deadline for each request, and the connection cap.

uvicorn closes a keep-alive connection that stays idle after a response, but not one that never
sends a request, nor a request that trickles in: those would hold their file descriptor forever.
This subclass relies on uvicorn's internals (its parser callbacks), hence the pinned uvicorn
version in pyproject.toml.
"""

from __future__ import annotations

import asyncio
import http
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from glimpse.edge.services import EdgeServices


def plain_response(status: http.HTTPStatus, text: str) -> bytes:
    """A whole HTTP response that closes the connection, written without the app."""
    body = text.encode()
    return (
        f"HTTP/1.1 {status.value} {status.phrase}\r\n"
        "content-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    ).encode() + body


OVER_CAPACITY = plain_response(
    http.HTTPStatus.SERVICE_UNAVAILABLE, "The server is at its connection limit; try again.\n"
)
TOO_SLOW = plain_response(
    http.HTTPStatus.REQUEST_TIMEOUT, "The request was not complete in time.\n"
)


class GuardedHttpProtocol(HttpToolsProtocol):
    """Refuses connections over GLIMPSE_MAX_CONNECTIONS; closes requests not complete in time.

    The deadline (GLIMPSE_REQUEST_TIMEOUT) runs from the connection's start for its first
    request, and from the first byte of each later one (until then, uvicorn's keep-alive
    timeout applies), to the end of the request's body, or of a WebSocket handshake.
    """

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._services: EdgeServices = app_state["services"]  # the lifespan ran before listening
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        limits = self._services.connection_limits
        if len(self.connections) > limits.max_connections:  # this one counted
            limits.refused("a TCP connection")
            transport.write(OVER_CAPACITY)
            transport.close()
            return
        self._start_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:  # a later request on a kept-alive connection
            self._start_deadline()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._cancel_deadline()

    def handle_websocket_upgrade(self) -> None:
        self._cancel_deadline()  # the handshake is complete: the WebSocket protocol takes over
        super().handle_websocket_upgrade()
        self.parser = None  # type: ignore[assignment]  # it holds this protocol: a cycle (glimpse/heap.py)

    def _start_deadline(self) -> None:
        self._deadline = self.loop.call_later(
            self._services.settings.request_timeout, self._too_slow
        )

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is None or cycle.response_complete or not cycle.response_started:
            if cycle is not None:  # the app waits for the rest of the body: it will get none
                cycle.disconnected = True
            self.transport.write(TOO_SLOW)
        self.transport.close()
