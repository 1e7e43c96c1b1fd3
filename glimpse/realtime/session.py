"""One WebSocket connection, served by one loop that owns its state (after Galène's clientLoop).

The loop reads and dispatches client messages in order. Everything sent to the client goes
through a bounded outbox drained by a writer task, so the hub and other participants never wait
on this connection; a client that stops reading fills its outbox and is disconnected.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Final

from starlette.websockets import WebSocket, WebSocketDisconnect

from glimpse.bus import BusUnavailable
from glimpse.errors import GlimpseError
from glimpse.realtime import protocol
from glimpse.realtime.hub import RoomFull
from glimpse.realtime.ratelimit import Strikes, TokenBucket
from glimpse.realtime.signaling import relay_signal
from glimpse.services import Services
from glimpse.store import RoomRecord, UserRecord

log = logging.getLogger(__name__)

TRANSPORT_SCOPE_KEY: Final = "glimpse.transport"

# Close codes (docs/protocol.md).
AUTH_FAILED: Final = 4401
TIMED_OUT: Final = 4408
RATE_LIMITED: Final = 4429
SLOW_CONSUMER: Final = 1013
SERVER_FAILED: Final = 1011
CLOSE_TIMEOUT: Final = 2.0


def _abort_connection(websocket: WebSocket) -> None:
    """Drop the TCP connection now: a client that reads nothing would never take a close frame."""
    transport = websocket.scope.get(TRANSPORT_SCOPE_KEY)
    if isinstance(transport, asyncio.Transport):
        transport.abort()


class SessionState(enum.Enum):
    CONNECTED = "connected"
    AUTHENTICATED = "authenticated"
    JOINED = "joined"
    CLOSED = "closed"


_TRANSITIONS: Final = {
    SessionState.CONNECTED: {SessionState.AUTHENTICATED, SessionState.CLOSED},
    SessionState.AUTHENTICATED: {SessionState.JOINED, SessionState.CLOSED},
    SessionState.JOINED: {SessionState.AUTHENTICATED, SessionState.CLOSED},
    SessionState.CLOSED: set(),
}


@dataclass(slots=True)
class Membership:
    room_id: str
    participant: protocol.Participant


class Session:
    def __init__(self, websocket: WebSocket, services: Services) -> None:
        self._ws = websocket
        self._services = services
        settings = services.settings
        self._settings = settings
        self.state = SessionState.CONNECTED
        self.user: UserRecord | None = None
        self.membership: Membership | None = None
        self._outbox: asyncio.Queue[str | None] = asyncio.Queue(settings.send_queue_size)
        self._held: list[str] | None = None
        """Room events that arrive while joining wait here until `joined` has been sent."""
        self._closing = False
        """A close was asked for; nothing more is read."""
        self._ended = asyncio.Event()
        """The connection is over: stop everything now."""
        self._close_code = 1000
        self._close_reason = ""
        self._last_seen = time.monotonic()
        self._chat_limit = TokenBucket(settings.chat_rate, settings.chat_burst)
        self._signal_limit = TokenBucket(settings.signal_rate, settings.signal_burst)
        self._join_limit = TokenBucket(settings.join_rate, settings.join_burst)
        self._strikes = Strikes(settings.rate_limit_strikes)

    def _move_to(self, state: SessionState) -> None:
        if state not in _TRANSITIONS[self.state]:
            raise RuntimeError(f"session cannot go from {self.state.value} to {state.value}")
        self.state = state

    # The hub's view of this connection (Member): neither call blocks.

    def deliver(self, event: str) -> None:
        if self._closing:
            return
        if self._held is None:
            self._enqueue(event)
        elif len(self._held) < self._settings.send_queue_size:
            self._held.append(event)
        else:
            self._end(SLOW_CONSUMER, "not reading fast enough", flush=False)

    def _enqueue(self, event: str) -> None:
        try:
            self._outbox.put_nowait(event)
        except asyncio.QueueFull:
            log.info("disconnecting a client that stopped reading")
            self._end(SLOW_CONSUMER, "not reading fast enough", flush=False)

    def close(self, code: int, reason: str) -> None:
        self._end(code, reason, flush=True)

    def _end(self, code: int, reason: str, *, flush: bool) -> None:
        """Close the connection: after what is queued (flush) or at once."""
        if self._ended.is_set() or (self._closing and flush):
            return
        self._closing = True
        self._close_code, self._close_reason = code, reason
        if flush:
            with contextlib.suppress(asyncio.QueueFull):
                self._outbox.put_nowait(None)  # the writer stops after what is queued
                return
        self._ended.set()

    def _reply(self, message: protocol.ServerMessage) -> None:
        self.deliver(protocol.encode(message))

    def _refuse(self, code: str, message: str, request: str | None, ref: str | None) -> None:
        """Answer a request with an error that names it."""
        self._reply(protocol.Error(code=code, message=message, request=request, ref=ref))

    # The loop

    async def run(self) -> None:
        await self._ws.accept()
        writer = asyncio.create_task(self._write_loop())
        reader = asyncio.create_task(self._read_loop())
        heartbeat = asyncio.create_task(self._heartbeat_loop())
        ended = asyncio.create_task(self._ended.wait())
        try:
            await asyncio.wait({reader, writer, ended}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (reader, heartbeat, ended):
                task.cancel()
            self._note_failure(reader, writer)
            try:
                await self._leave_room()
            except Exception:
                log.exception("could not leave the room cleanly")
            self.state = SessionState.CLOSED
            if self._closing and not self._ended.is_set():  # let the writer flush, briefly
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(writer), CLOSE_TIMEOUT)
            writer.cancel()
            if self._close_code == SLOW_CONSUMER:
                _abort_connection(self._ws)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    self._ws.close(self._close_code, self._close_reason), CLOSE_TIMEOUT
                )

    def _note_failure(self, reader: asyncio.Task[None], writer: asyncio.Task[None]) -> None:
        """A reader that crashed is the server's fault (close 1011); a failed send, the link's."""
        if writer.done() and not writer.cancelled() and writer.exception() is not None:
            log.debug("sending failed: %r", writer.exception())
        if reader.done() and not reader.cancelled() and reader.exception() is not None:
            log.error("session failed", exc_info=reader.exception())
            self._closing = True
            self._close_code, self._close_reason = SERVER_FAILED, "server error"

    async def _write_loop(self) -> None:
        send = self._ws.send_text
        while True:
            event = await self._outbox.get()
            if event is None:
                self._ended.set()
                return
            await send(event)

    async def _heartbeat_loop(self) -> None:
        ping = protocol.encode(protocol.Ping())
        while True:
            await asyncio.sleep(self._settings.heartbeat_interval)
            if time.monotonic() - self._last_seen > self._settings.heartbeat_timeout:
                self._end(TIMED_OUT, "no heartbeat", flush=False)
                return
            self.deliver(ping)

    async def _read_loop(self) -> None:
        try:
            async with asyncio.timeout(self._settings.auth_timeout):
                frame = await self._receive()
            await self._authenticate(frame)
            while not self._closing:
                await self._handle(await self._receive())
        except TimeoutError:
            self._end(TIMED_OUT, "authentication timed out", flush=True)
        except WebSocketDisconnect:
            self._ended.set()

    async def _receive(self) -> str | bytes:
        message = await self._ws.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        self._last_seen = time.monotonic()
        text: str | None = message.get("text")
        return text if text is not None else message.get("bytes") or b""

    async def _authenticate(self, frame: str | bytes) -> None:
        """The first frame must be a valid `auth`; anything else closes the socket with 4401."""
        try:
            request = protocol.decode(frame)
            if not isinstance(request, protocol.Auth):
                kind: str = request.__struct_config__.tag  # type: ignore[assignment]
                raise protocol.ProtocolError(
                    "not_authenticated", "the first message must be auth", kind, request.ref
                )
            self.user = await self._services.auth.user_for_token(request.token)
        except protocol.ProtocolError as error:
            self._refuse(error.code, error.message, error.request, error.ref)
        except GlimpseError as error:
            self._refuse(error.code, error.message, "auth", request.ref)
        else:
            self._move_to(SessionState.AUTHENTICATED)
            self._reply(
                protocol.Authenticated(
                    user_id=self.user.id, display_name=self.user.display_name, ref=request.ref
                )
            )
            return
        self._end(AUTH_FAILED, "authentication failed", flush=True)

    async def _handle(self, frame: str | bytes) -> None:
        try:
            request = protocol.decode(frame)
        except protocol.ProtocolError as error:
            self._refuse(error.code, error.message, error.request, error.ref)
            return
        kind: str = request.__struct_config__.tag  # type: ignore[assignment]
        if not self._within_rate(request):
            self._refuse("rate_limited", "slow down: too many messages", kind, request.ref)
            if self._strikes.add():
                self._end(RATE_LIMITED, "rate limit exceeded", flush=True)
            return
        try:
            await self._dispatch(request)
        except GlimpseError as error:
            self._refuse(error.code, error.message, kind, request.ref)
        except BusUnavailable:
            self._refuse(
                "unavailable",
                "the server cannot reach the other instances right now; try again",
                kind,
                request.ref,
            )
        except Exception:
            log.exception("failed to handle a %s message", kind)
            self._refuse("internal_error", "the server failed", kind, request.ref)

    def _within_rate(self, request: protocol.AnyClientMessage) -> bool:
        if isinstance(request, protocol.Chat | protocol.Typing):
            bucket = self._chat_limit
        elif isinstance(request, protocol.Signal | protocol.Media):
            bucket = self._signal_limit
        elif isinstance(request, protocol.Join):
            bucket = self._join_limit
        else:
            return True
        return bucket.allow()

    async def _dispatch(self, request: protocol.AnyClientMessage) -> None:
        match request:
            case protocol.Pong():
                return
            case protocol.Auth():
                raise GlimpseError("already authenticated", code="already_authenticated")
            case protocol.Join():
                await self._join(request)
            case protocol.Leave():
                self._require_membership()
                await self._leave_room()
                self._reply(protocol.Ack(request="leave", ref=request.ref))
            case protocol.Chat():
                membership, user = self._require_membership()
                message = await self._services.chat.send(
                    membership.room_id, membership.participant.id, user.id,
                    user.display_name, request,
                )  # fmt: skip
                self._reply(protocol.Ack(request="chat", ref=request.ref, message=message))
            case protocol.Typing():
                membership, _ = self._require_membership()
                await self._services.chat.typing(
                    membership.room_id, membership.participant.id, request.active
                )
            case protocol.Signal():
                membership, _ = self._require_membership()
                await relay_signal(
                    self._services.hub, membership.room_id, membership.participant.id, request
                )
                self._reply(protocol.Ack(request="signal", ref=request.ref))
            case protocol.Media():
                membership, _ = self._require_membership()
                media = protocol.MediaState(request.audio, request.video, request.screen)
                membership.participant.media = media
                await self._services.hub.update(membership.room_id, membership.participant)
                self._reply(protocol.Ack(request="media", ref=request.ref))

    def _require_membership(self) -> tuple[Membership, UserRecord]:
        if self.membership is None or self.user is None:
            raise GlimpseError("join a room first", code="not_in_room")
        return self.membership, self.user

    async def _join(self, request: protocol.Join) -> None:
        assert self.user is not None
        if self.membership is not None:
            raise GlimpseError("leave your room before joining another", code="already_in_room")
        services = self._services
        room = await services.rooms.find(request.room)
        await services.rooms.check_password(room, request.password)
        replaced = request.replaces is not None and await services.hub.replace(
            room.id, request.replaces, self.user.id
        )  # a reconnect: its old socket may linger still
        participant = protocol.Participant(
            id=uuid.uuid4().hex,
            user_id=self.user.id,
            display_name=self.user.display_name,
            media=request.media,
        )
        self._held = []
        try:
            try:
                await services.hub.join(
                    room.id, participant, self, replaces=request.replaces if replaced else None
                )
            except RoomFull as error:
                raise GlimpseError(str(error), code="room_full") from None
            self.membership = Membership(room.id, participant)
            self._move_to(SessionState.JOINED)
            try:
                await self._welcome(room, participant, request)
            except BaseException:
                await self._leave_room()
                raise
        finally:
            held, self._held = self._held, None
            for event in held:
                self.deliver(event)

    async def _welcome(
        self, room: RoomRecord, participant: protocol.Participant, request: protocol.Join
    ) -> None:
        """Send `joined`: the room, its roster and the chat the joiner has not seen."""
        assert self.user is not None
        services = self._services
        await services.rooms.record_join(room.id, self.user.id)
        messages, more = await services.chat.history_for_joiner(
            room.id, request.last_seq, self._settings.join_history
        )
        self._enqueue(  # ahead of the room events held back while joining
            protocol.encode(
                protocol.Joined(
                    room=protocol.RoomInfo(room.id, room.code, room.name, room.owner_id),
                    participant_id=participant.id,
                    participants=services.hub.roster(room.id),
                    messages=messages,
                    more_messages=more,
                    ref=request.ref,
                )
            )
        )

    async def _leave_room(self) -> None:
        membership, self.membership = self.membership, None
        if membership is None:
            return
        if self.state is SessionState.JOINED:
            self._move_to(SessionState.AUTHENTICATED)
        try:
            await self._services.hub.leave(membership.room_id, membership.participant.id)
        except BusUnavailable:
            log.warning("could not announce a departure to other instances")
