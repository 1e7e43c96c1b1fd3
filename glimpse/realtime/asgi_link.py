"""/ws as an ASGI route, for `uvicorn glimpse.app:create_app --factory`.

`glimpse serve` never reaches this route: uvicorn hands its upgrades to connection.py. Run as a
plain ASGI app, uvicorn's own WebSocket implementation holds the socket, and `AsgiLink` bridges it
to the same Session: messages come from the ASGI receive, frames leave through an outbox that a
writer task drains, and a client leaving more than GLIMPSE_SEND_BUFFER_BYTES unsent is dropped.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.responses import PlainTextResponse
from starlette.types import Message
from starlette.websockets import WebSocket

from glimpse.edge.admission import admit_websocket
from glimpse.realtime.connection import CLOSE_TIMEOUT, MESSAGE_TOO_BIG
from glimpse.realtime.frames import frame_payload
from glimpse.realtime.session import LinkClosed, Session, SessionServices
from glimpse.settings import Settings

log = logging.getLogger(__name__)


class AsgiLink:
    """The Session's link over an ASGI WebSocket."""

    __slots__ = (
        "_closed", "_dropped", "_max_message", "_outbox", "_receiving", "_send_buffer_limit",
        "_socket", "_unsent", "_writer", "close_codes",
    )  # fmt: skip

    def __init__(self, socket: WebSocket, settings: Settings) -> None:
        self._socket = socket
        self._max_message = settings.max_message_bytes
        self._send_buffer_limit = settings.send_buffer_bytes
        self._outbox: asyncio.Queue[bytes | tuple[int, str]] = asyncio.Queue()
        """Payloads to send, then possibly a close (code, reason)."""
        self._unsent = 0
        """Payload bytes in the outbox."""
        self._closed = False
        """A close was queued or the client dropped: nothing more goes out."""
        self._dropped = False
        self._receiving: asyncio.Future[Message] | None = None
        self._writer = asyncio.create_task(self._write())
        self.close_codes: tuple[int | None, int | None] = (None, None)
        """The codes of the close frames queued and received."""

    async def receive(self) -> str | bytes:
        if self._dropped:
            raise LinkClosed
        receiving = self._receiving = asyncio.ensure_future(self._socket.receive())
        try:
            message = await receiving
        except asyncio.CancelledError:
            if self._dropped:  # abort() cancelled the read, not someone the session task
                raise LinkClosed from None
            raise
        finally:
            self._receiving = None
        if message["type"] == "websocket.disconnect":
            self._dropped = True
            self.close_codes = (self.close_codes[0], message.get("code"))
            raise LinkClosed
        text: str | None = message.get("text")
        data = text if text is not None else bytes(message.get("bytes") or b"")
        if len(data) > self._max_message:
            self.close(MESSAGE_TOO_BIG, "message too big")
            raise LinkClosed
        return data

    def send(self, frame: bytes) -> None:
        if self._closed:
            return
        if self._unsent > self._send_buffer_limit:
            log.info("disconnecting a client that stopped reading")
            self.abort()
            return
        payload = frame_payload(frame)
        self._unsent += len(payload)
        self._outbox.put_nowait(payload)

    def close(self, code: int, reason: str) -> None:
        if not self._closed:
            self._closed = True
            self.close_codes = (code, self.close_codes[1])
            self._outbox.put_nowait((code, reason))

    def abort(self) -> None:
        self._closed = self._dropped = True
        self._writer.cancel()
        if self._receiving is not None:
            self._receiving.cancel()

    async def finish(self) -> None:
        """Let the writer send what is queued and a close, for at most CLOSE_TIMEOUT."""
        self.close(1000, "")
        await asyncio.wait({self._writer}, timeout=CLOSE_TIMEOUT)
        self._writer.cancel()

    async def _write(self) -> None:
        try:
            while True:
                item = await self._outbox.get()
                if isinstance(item, tuple):
                    await self._socket.close(*item)
                    return
                self._unsent -= len(item)
                await self._socket.send_text(item.decode())
        except Exception:  # the client is gone (uvicorn's error for a send to a closed socket)
            self._closed = True


async def serve_websocket(socket: WebSocket) -> None:
    """The /ws endpoint: the same checks as connection.py, then one Session."""
    services: SessionServices = socket.state.services
    address = socket.client.host if socket.client else ""  # uvicorn's, behind trusted proxies
    refusal = admit_websocket(
        socket.headers.get("origin"), socket.headers.get("host"), address, services
    )
    if refusal is not None:
        await socket.send_denial_response(PlainTextResponse(refusal.text, refusal.status))
        return
    try:
        await socket.accept()
        link = AsgiLink(socket, services.settings)
        try:
            await Session(link, services, address).run()
        finally:
            await link.finish()
    finally:
        services.connection_limits.close_websocket()
