"""The WebSocket server at /ws: one connection, from the upgrade to the closed socket.

uvicorn hands every WebSocket upgrade to this protocol (`glimpse/cli.py`) instead of its own ASGI
bridge: the handshake and the frames are the `websockets` library's sans-I/O protocol, and the
connection runs one Session. Nothing on the send path awaits: a frame (built once per event, see
`frames.py`) is written to the socket at once, and a client that leaves more than
GLIMPSE_SEND_BUFFER_BYTES unsent has stopped reading and is dropped. Reading pauses while a
client's messages wait to be handled (32 of them, or 64 Ki characters), so a flood cannot pile up
in memory either.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final, cast

import uvicorn
from uvicorn.server import ServerState
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import Protocol, Side, State
from websockets.server import ServerProtocol

from glimpse.edge.admission import admit_websocket
from glimpse.edge.client_address import client_address
from glimpse.edge.limits import ConnectionLimits
from glimpse.realtime.session import LinkClosed, Session, SessionServices

PATH: Final = "/ws"
CLOSE_TIMEOUT: Final = 2.0
"""How long a client has to answer our close frame before the socket is dropped."""
SERVER_RESTART: Final = 1012
INVALID_TEXT: Final = 1007
_DATA: Final = (Opcode.TEXT, Opcode.BINARY, Opcode.CONT)
INBOX_LIMIT: Final = 32
"""Received messages waiting for the session; past this, the socket is not read."""
INBOX_SIZE: Final = 64 * 1024
"""Characters (bytes of a binary message) of the received messages waiting for the session; past
this, the socket is not read: they hold at most this plus one message (`max_message_bytes`)."""
MAX_FRAGMENTS: Final = 256
"""Frames one message may come in (browsers send one)."""
MESSAGE_TOO_BIG: Final = 1009


class WebSocketConnection(asyncio.Protocol):
    """One client's WebSocket: uvicorn's `ws` protocol class, the Session's link."""

    __slots__ = (
        "_app_state", "_close_timer", "_connections", "_fragments", "_inbox", "_inbox_size",
        "_limits", "_opcode", "_open", "_paused", "_send_buffer_limit", "_session", "_tasks",
        "_transport", "_waiter", "_ws",
    )  # fmt: skip

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self._app_state = app_state
        self._connections = server_state.connections
        self._tasks = server_state.tasks
        self._ws: Protocol = ServerProtocol(max_size=config.ws_max_size)
        """The sans-I/O protocol: the server's for the handshake, then a bare one (`_opened`)."""
        self._transport: asyncio.Transport | None = None
        self._session: Session | None = None
        self._send_buffer_limit = 0
        self._inbox: list[str | bytes] = []
        """A list, not a deque: it holds at most INBOX_LIMIT, and an empty deque costs 600 bytes."""
        self._inbox_size = 0
        """The inbox's messages' characters (or bytes), together."""
        self._waiter: asyncio.Future[None] | None = None
        self._fragments: list[bytes | bytearray | memoryview] = []
        self._opcode = Opcode.TEXT
        """The opcode of the message being assembled."""
        self._paused = False
        self._open = True
        """False once a close frame went either way or the socket is gone: nothing in or out."""
        self._close_timer: asyncio.TimerHandle | None = None
        self._limits: ConnectionLimits | None = None
        """Set while this socket holds one of its WebSocket slots: from the handshake to the end."""

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._connections.add(self)  # type: ignore[arg-type]  # a set of uvicorn's own protocols

    def data_received(self, data: bytes) -> None:
        self._ws.receive_data(data)
        for event in self._ws.events_received():
            if isinstance(event, Request):
                self._handshake(event)
            elif isinstance(event, Frame) and event.opcode in _DATA:
                self._collect(event)
        self._flush()

    def eof_received(self) -> bool | None:
        self._ws.receive_eof()
        self._flush()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(self)
        if self._limits is not None:
            self._limits.close_websocket()
            self._limits = None
        if self._close_timer is not None:
            self._close_timer.cancel()
        self._mark_closed()
        self._break_cycles()

    # uvicorn

    def shutdown(self) -> None:
        """The server is stopping: clients reconnect (to another instance, or to this one later)."""
        if self._session is not None and self._open:
            self._session.close(SERVER_RESTART, "server restarting")
        elif self._transport is not None:  # not open yet, or closing already: not for long
            self._transport.close()
            self._abort_later()

    # The Session's link

    async def receive(self) -> str | bytes:
        while not self._inbox:
            if not self._open:
                raise LinkClosed
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        message = self._inbox.pop(0)
        self._inbox_size -= len(message)
        if (
            self._paused
            and len(self._inbox) < INBOX_LIMIT // 2
            and self._inbox_size < INBOX_SIZE // 2
            and self._transport is not None
        ):
            self._paused = False
            self._transport.resume_reading()
        return message

    def send(self, frame: bytes) -> None:
        """Write a frame now, unless the client has stopped reading: then it is dropped.

        Stopped reading means more than the limit is still unsent from before, so a single
        large frame (a `joined` with its history) never counts against a client that reads.
        """
        transport = self._transport
        if not self._open or transport is None or transport.is_closing():  # closing or gone
            return
        if self._stalled(transport):
            return
        transport.write(frame)

    def close(self, code: int, reason: str) -> None:
        """Send a close frame after what was sent before it; the socket closes when answered."""
        if not self._open or self._transport is None or self._transport.is_closing():
            return
        self._ws.send_close(code, reason)
        self._flush()
        self._abort_later()
        self._inbox.clear()  # never to be handled; read on, for the client's close frame
        self._inbox_size = 0
        if self._paused:
            self._paused = False
            self._transport.resume_reading()

    def abort(self) -> None:
        """Drop the TCP connection now: a client that reads nothing never takes a close frame."""
        if self._transport is not None:
            self._transport.abort()
        self._mark_closed()

    @property
    def close_codes(self) -> tuple[int | None, int | None]:
        sent, received = self._ws.close_sent, self._ws.close_rcvd
        return (
            sent.code if sent is not None else None,
            received.code if received is not None else None,
        )

    # Internals

    def _handshake(self, request: Request) -> None:
        handshake = self._ws
        assert isinstance(handshake, ServerProtocol)
        services: SessionServices | None = self._app_state.get("services")
        address = ""
        if request.path.partition("?")[0] != PATH:
            response = handshake.reject(404, "No WebSocket endpoint here: it is at /ws.\n")
        elif services is None:
            response = handshake.reject(503, "The server is starting; try again.\n")
        else:
            response = handshake.accept(request)
            if response.status_code == 101:
                headers = request.headers
                address = self._client_address(request, services)
                refusal = admit_websocket(
                    headers.get("Origin"), headers.get("Host"), address, services
                )
                if refusal is None:
                    self._limits = services.connection_limits
                else:
                    response = handshake.reject(refusal.status, refusal.text)
        handshake.send_response(response)
        if self._limits is None or services is None:
            return
        self._opened(handshake)
        self._send_buffer_limit = services.settings.send_buffer_bytes
        self._session = Session(self, services, address)
        task = asyncio.get_running_loop().create_task(self._session.run())
        self._tasks.add(task)  # uvicorn waits for these when it stops
        task.add_done_callback(self._session_ended)

    def _opened(self, handshake: ServerProtocol) -> None:
        """Send the handshake's response and read frames with a bare Protocol from now on: the
        ServerProtocol's parser keeps the request, headers and all (2 KiB), for as long as the
        connection lasts. uvicorn hands over the request alone (a client sends nothing more
        before the response), so nothing read is left behind in the handshake's parser."""
        assert self._transport is not None
        for data in handshake.data_to_send():
            self._transport.write(data)
        size = (handshake.max_message_size, handshake.max_fragment_size)
        self._ws = Protocol(Side.SERVER, max_size=size)
        handshake.parser.close()  # it holds its protocol: no cycle left (glimpse/heap.py)

    def _session_ended(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._session = None  # it holds this connection: no cycle left (glimpse/heap.py)

    def _client_address(self, request: Request, services: SessionServices) -> str:
        assert self._transport is not None
        peer = self._transport.get_extra_info("peername")  # (host, port, …)
        return client_address(
            peer[0] if peer else "",
            request.headers.get_all("X-Forwarded-For"),
            services.settings.trusted_proxies,
        )

    def _collect(self, frame: Frame) -> None:
        """Assemble a message from its frames and hand it to the session."""
        if frame.opcode is not Opcode.CONT:
            self._opcode = frame.opcode
        self._fragments.append(frame.data)
        if not frame.fin:
            if len(self._fragments) > MAX_FRAGMENTS:  # empty fragments never reach max_size
                self._ws.fail(MESSAGE_TOO_BIG, "message in too many fragments")
                self._mark_closed()
            return
        data = b"".join(self._fragments)
        self._fragments.clear()
        if not self._open:
            return
        if self._opcode is Opcode.TEXT:
            try:
                message: str | bytes = data.decode()
            except UnicodeDecodeError:
                self._ws.fail(INVALID_TEXT, "invalid UTF-8")
                self._mark_closed()
                return
        else:
            message = data
        self._inbox.append(message)
        self._inbox_size += len(message)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        full = len(self._inbox) >= INBOX_LIMIT or self._inbox_size >= INBOX_SIZE
        if full and not self._paused and self._transport is not None:
            self._paused = True
            self._transport.pause_reading()

    def _flush(self) -> None:
        """Write what the sans-I/O protocol produced; an empty chunk means: close the socket."""
        transport = self._transport
        assert transport is not None
        for data in self._ws.data_to_send():
            if transport.is_closing():  # lost: uvloop refuses writes to a closed transport
                break
            if data:
                transport.write(data)
            else:  # a client that never reads what is left would hold the socket open
                transport.close()
                self._abort_later()
        state = self._ws.state
        if state is State.OPEN:
            self._stalled(transport)  # pongs, to a ping flood
        elif state is not State.CONNECTING:
            self._mark_closed()

    def _stalled(self, transport: asyncio.Transport) -> bool:
        """Drop a client with more than the limit still unsent: it has stopped reading."""
        if transport.get_write_buffer_size() <= self._send_buffer_limit:
            return False
        if self._session is not None:
            self._session.stalled()  # counted, logged with the client's fields
        self.abort()
        return True

    def _abort_later(self) -> None:
        """Drop the socket if it is not closed within CLOSE_TIMEOUT."""
        if self._close_timer is None and self._transport is not None:
            self._close_timer = asyncio.get_running_loop().call_later(
                CLOSE_TIMEOUT, self._transport.abort
            )

    def _break_cycles(self) -> None:
        """Leave no reference cycle once the socket is gone: its objects may be frozen
        (glimpse/heap.py), and frozen cycles are never collected. The sans-I/O protocol's
        parser is a generator that holds the protocol, as may the error it stopped on."""
        self._ws.parser.close()
        self._ws.parser_exc = None

    def _mark_closed(self) -> None:
        self._open = False
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
