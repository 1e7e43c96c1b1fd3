"""One WebSocket connection, served by one loop that owns its state (after Galène's clientLoop).

The loop reads and dispatches the client's messages in order. What the room sends reaches the
client without this loop: `deliver()` writes the frame to the connection at once, so the hub and
other participants never wait on this client, and one that stops reading is disconnected.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Protocol

from glimpse.auth.guests import Credential, holder_id
from glimpse.auth.identity import Identity
from glimpse.auth.service import AuthService
from glimpse.auth.tokens import AccessClaims
from glimpse.bus import BusUnavailable
from glimpse.edge.services import EdgeServices
from glimpse.errors import GlimpseError, Unauthorized
from glimpse.meetings.roles import is_host
from glimpse.observability import audit, log_context
from glimpse.observability.metrics import Metrics
from glimpse.realtime import protocol
from glimpse.realtime.chat import ChatHandler, chat_message
from glimpse.realtime.frames import text_frame
from glimpse.realtime.heartbeat import Heartbeat
from glimpse.realtime.hub import (
    MEETING_ENDED_CODE,
    REPLACED_CODE,
    ROOM_CLOSED_CODE,
    Hub,
    Rooms,
)
from glimpse.realtime.meeting import DENIED_CODE, REMOVED_CODE, MeetingHandler, MeetingRequest
from glimpse.realtime.ratelimit import Allowance, Strikes, Verdict
from glimpse.realtime.registry import SESSION_ENDED, ConnectionRegistry, TooManySockets
from glimpse.realtime.signaling import CandidateCounts, relay_signal
from glimpse.rooms import Joined, Waiting
from glimpse.store import RoomRecord, StoreUnavailable

log = logging.getLogger(__name__)

# Close codes (docs/protocol.md); 4403, a login session that ended, is the registry's.
AUTH_FAILED: Final = 4401
"""Also when the access token expires without a renewal."""
TIMED_OUT: Final = 4408
RATE_LIMITED: Final = 4429
SERVER_FAILED: Final = 1011
TRY_AGAIN_LATER: Final = 1013
PING: Final = text_frame(protocol.encode(protocol.Ping()))
NOT_STRIKES: Final = frozenset(
    {
        "unavailable", "database_unavailable", "server_busy", "internal_error",
        "unknown_participant", "rate_limited", "media_server_unavailable", "stale_offer",
        "not_sfu", "unknown_connection", "stale_media_path",
    }
)  # fmt: skip
"""Refusals a client cannot avoid, which are not strikes: the server's failures, a signal to
a participant who has just left (a browser trickles its candidates on for a moment), SFU requests
that race a change of the media path or of the subscription, and a limit
reached (a message over its kind's rate is a strike only when its `Allowance` says so)."""
FINAL_CLOSES: Final = frozenset(
    {
        SESSION_ENDED, ROOM_CLOSED_CODE, REPLACED_CODE, MEETING_ENDED_CODE, REMOVED_CODE,
        DENIED_CODE, RATE_LIMITED, 1002, 1003, 1007, 1008, 1009,
    }
)  # fmt: skip
"""The server's closes after which a participant leaves at once, with no grace to resume in:
those of the meeting's rules, and of a client that broke the protocol (1002 protocol error, 1003
unacceptable data, 1007 invalid UTF-8, 1008 policy, 1009 too big)."""
CLIENT_GONE: Final = frozenset({1000, 1001})
"""A client's closes on purpose (it left, its page closed): no grace to resume in either."""


class LinkClosed(Exception):
    """The connection is closing or gone: no more messages will come."""


class Link(Protocol):
    """The session's WebSocket connection (glimpse/realtime/connection.py)."""

    async def receive(self) -> str | bytes:
        """The client's next message; raises LinkClosed when there are no more."""

    def send(self, frame: bytes) -> None:
        """Write a frame now, never waiting; a client that has stopped reading is dropped."""

    def close(self, code: int, reason: str) -> None:
        """Send a close frame after everything sent before it."""

    def abort(self) -> None:
        """Drop the connection without a close frame."""

    @property
    def close_codes(self) -> tuple[int | None, int | None]:
        """The codes of the close frames sent and received; None for one that did not go."""


class SfuHandler(Protocol):
    """The SFU as a session sees it (glimpse/sfu/service.py)."""

    async def handle(
        self,
        room_id: str,
        participant: protocol.Participant,
        request: protocol.SfuRequest,
        send: Callable[[protocol.ServerMessage], None],
    ) -> protocol.ServerMessage | None:
        """Carry out an `sfu-*` or `record` request; the answer to send (None: none)."""

    def release(self, participant_id: str) -> None:
        """The participant's socket went: its connections to the SFU go."""


class MeetingRecording(Protocol):
    """Who records meetings (glimpse/recordings/control.py)."""

    async def handle(
        self, room_id: str, participant: protocol.Participant, request: protocol.Record
    ) -> None:
        """Start or stop recording for a host; raise GlimpseError when it may not."""


class SessionServices(EdgeServices, Protocol):
    """What a session needs of the server's services (built by glimpse/services.py)."""

    @property
    def connections(self) -> ConnectionRegistry: ...

    @property
    def auth(self) -> AuthService: ...

    @property
    def rooms(self) -> Rooms: ...

    @property
    def hub(self) -> Hub: ...

    @property
    def chat(self) -> ChatHandler: ...

    @property
    def meeting(self) -> MeetingHandler: ...

    @property
    def metrics(self) -> Metrics: ...

    @property
    def heartbeat(self) -> Heartbeat: ...

    @property
    def sfu(self) -> SfuHandler: ...

    @property
    def recording(self) -> MeetingRecording: ...


class SessionState(enum.Enum):
    CONNECTED = "connected"
    AUTHENTICATED = "authenticated"
    WAITING = "waiting"
    """In a room's lobby: nothing of the room arrives, only what a host sends to it."""
    JOINED = "joined"
    CLOSED = "closed"


_TRANSITIONS: Final = {
    SessionState.CONNECTED: {SessionState.AUTHENTICATED, SessionState.CLOSED},
    SessionState.AUTHENTICATED: {SessionState.WAITING, SessionState.JOINED, SessionState.CLOSED},
    SessionState.WAITING: {SessionState.AUTHENTICATED, SessionState.CLOSED},
    SessionState.JOINED: {SessionState.AUTHENTICATED, SessionState.CLOSED},
    SessionState.CLOSED: set(),
}


@dataclass(slots=True)
class Membership:
    room_id: str
    participant: protocol.Participant
    candidates_sent: CandidateCounts = field(default_factory=CandidateCounts)


class Session:
    __slots__ = (
        "_allowances", "_claims", "_close_code", "_close_reason", "_closing", "_expiry",
        "_held", "_held_bytes", "_last_seen", "_link", "_services", "_settings", "_strikes",
        "identity", "log_fields", "membership", "state",
    )  # fmt: skip

    def __init__(self, link: Link, services: SessionServices, client_address: str) -> None:
        """A new socket from `client_address`, counted in the registry until `run` ends."""
        self._link = link
        self._services = services
        services.connections.add(self, client_address)
        settings = services.settings
        self._settings = settings
        self.state = SessionState.CONNECTED
        self.identity: Identity | None = None
        """Whom the socket speaks for, once authenticated."""
        self._claims: Credential | None = None
        """The token (a user's access token, or a guest's) the socket authenticated (or last
        renewed) with."""
        self._expiry: asyncio.TimerHandle | None = None
        """Closes the socket when its token expires."""
        self.membership: Membership | None = None
        """The room joined, or whose lobby the socket waits in (state WAITING)."""
        self._held: list[bytes] | None = None
        """Room events that arrive while joining wait here until `joined` has been sent."""
        self._held_bytes = 0
        self._closing = False
        """A close was asked for; nothing more is read or sent."""
        self._close_code = 1000
        self._close_reason = ""
        self._last_seen = time.monotonic()
        self._allowances: dict[str, Allowance] | None = None
        """The rate limits of the kinds of message sent so far, by kind (`_allowance`)."""
        self._strikes = Strikes(settings.rate_limit_strikes)
        self.log_fields = log_context.ConnectionFields(client_address)
        """What this connection's log lines carry; kept up to date as it goes."""

    def _move_to(self, state: SessionState) -> None:
        if state not in _TRANSITIONS[self.state]:
            raise RuntimeError(f"session cannot go from {self.state.value} to {state.value}")
        self.state = state

    # The hub's view of this connection (Member): neither call blocks.

    def deliver(self, frame: bytes) -> None:
        if self._closing:
            return
        if self._held is None:
            self._link.send(frame)
        elif self._held_bytes + len(frame) <= self._settings.send_buffer_bytes:
            self._held.append(frame)
            self._held_bytes += len(frame)
        else:
            self.stalled()
            self._end(None, "")

    def stalled(self) -> None:
        """The client stopped reading and is being dropped: count it, log it."""
        self._services.metrics.stalled_dropped.inc()
        log.info(
            "disconnecting a client that stopped reading", extra=log_context.about(self.log_fields)
        )

    def close(self, code: int, reason: str) -> None:
        self._end(code, reason)

    def _end(self, code: int | None, reason: str) -> None:
        """Close with a close frame after what was sent, or, without a code, drop the socket now."""
        if self._closing:
            return
        self._closing = True
        if code is None:
            self._link.abort()
        else:
            self._close_code, self._close_reason = code, reason
            self._link.close(code, reason)

    def _reply(self, message: protocol.ServerMessage) -> None:
        event = protocol.encode(message)
        self._services.metrics.messages_out[protocol.event_type(event)] += 1
        self.deliver(text_frame(event))

    def _refuse(
        self,
        code: str,
        message: str,
        request: str | None,
        ref: str | None,
        *,
        retry_after: float | None = None,
        strike: bool | None = None,
    ) -> None:
        """Answer a request with an error that names it.

        Each refusal the client caused (`strike`; by default any code but NOT_STRIKES) is a
        strike: too many close the socket (a flood)."""
        self._services.metrics.refusals[code] += 1
        log.info("refused a %s message: %s %.200r", request or "client", code, message)
        self._reply(
            protocol.Error(
                code=code, message=message, request=request, ref=ref, retry_after=retry_after
            )
        )
        if strike is None:
            strike = code not in NOT_STRIKES
        if strike and self._strikes.add():
            audit.rate_limit_close()
            self._end(RATE_LIMITED, "too many refused messages")

    # The loop

    async def run(self) -> None:
        log_context.current.set(self.log_fields)  # this task's lines are about this connection
        self._services.metrics.connections.inc()
        self._services.metrics.connections_opened.inc()
        self._services.heartbeat.add(self)
        try:
            await self._authenticate(await self._first_message())
            while not self._closing:
                await self._handle(await self._link.receive())
        except TimeoutError:
            self._end(TIMED_OUT, "authentication timed out")
        except LinkClosed:
            pass
        except StoreUnavailable:  # while authenticating: the client reconnects with backoff
            log.warning("database unreachable: closing a socket that was authenticating")
            self._end(TRY_AGAIN_LATER, "database unavailable; try again")
        except Exception:
            log.exception("session failed")
            self._end(SERVER_FAILED, "server error")
        finally:
            self._services.heartbeat.remove(self)
            if self._expiry is not None:
                self._expiry.cancel()
            self._services.connections.remove(self)
            self._closing = True
            try:
                await self._leave_room(resumable=self._resumable())
            except Exception:
                log.exception("could not leave the room cleanly")
            self.state = SessionState.CLOSED
            self._link.close(self._close_code, self._close_reason)
            self._services.metrics.connections.dec()
            if self.identity is not None:
                self._services.metrics.authenticated.dec()
            log.info("connection closed")

    def beat(self, now: float) -> None:
        """The heartbeat's visit: ping the client, or disconnect one silent for longer than the
        heartbeat timeout."""
        if now - self._last_seen > self._settings.heartbeat_timeout:
            self._end(TIMED_OUT, "no heartbeat")
            return
        self._services.metrics.messages_out["ping"] += 1
        self.deliver(PING)

    async def _first_message(self) -> str | bytes:
        """The client's first message (its `auth`), within GLIMPSE_AUTH_TIMEOUT."""
        async with asyncio.timeout(self._settings.auth_timeout):
            return await self._link.receive()

    async def _authenticate(self, frame: str | bytes) -> None:
        """The first frame must be a valid `auth`, with a user's access token or a guest's token;
        anything else closes the socket with 4401.

        The socket is filed under its user and login session before the session is checked, so
        a revocation stored meanwhile is either seen by the check or closes the socket.
        """
        self._last_seen = time.monotonic()
        try:
            request = protocol.decode(frame, self._settings.max_frame_bytes)
            if not isinstance(request, protocol.Auth):
                kind: str = request.__struct_config__.tag  # type: ignore[assignment]
                raise protocol.ProtocolError(
                    "not_authenticated", "the first message must be auth", kind, request.ref
                )
            claims = self._services.auth.verify(request.token)
            self._services.connections.authenticate(self, claims)
            self.identity = await self._services.auth.identity(claims)
        except protocol.ProtocolError as error:
            self._refuse(error.code, error.message, error.request, error.ref)
        except GlimpseError as error:
            self._refuse(error.code, error.message, "auth", request.ref)
            if isinstance(error, TooManySockets):
                self._end(RATE_LIMITED, "too many connections")
                return
        else:
            self._services.metrics.messages_in["auth"] += 1
            self._services.metrics.authenticated.inc()
            self.log_fields.user = self.identity.id
            self._move_to(SessionState.AUTHENTICATED)
            self._hold_token(claims)
            self._reply(
                protocol.Authenticated(
                    user_id=self.identity.id,
                    display_name=self.identity.display_name,
                    expires_in=_seconds_until(claims.expires_at),
                    guest=self.identity.is_guest,
                    ref=request.ref,
                )
            )
            return
        self._end(AUTH_FAILED, "authentication failed")

    def _hold_token(self, claims: Credential) -> None:
        """Bind the socket to this token: closed with 4401 when it expires unrenewed."""
        self._claims = claims
        if self._expiry is not None:
            self._expiry.cancel()
        self._expiry = asyncio.get_running_loop().call_later(
            max(0.0, claims.expires_at - time.time()), self._end, AUTH_FAILED, "token expired"
        )

    async def _renew(self, request: protocol.Renew) -> None:
        """Go on with a newer token of the same user, from a login session still valid, or of
        the same guest."""
        assert self.identity is not None and self._claims is not None
        services = self._services
        claims = services.auth.verify(request.token)
        if holder_id(claims) != self.identity.id:
            raise Unauthorized("the token is another user's", code="wrong_user")
        previous = self._claims
        services.connections.authenticate(self, claims)  # filed first, as in _authenticate
        try:
            await services.auth.identity(claims)
        except BaseException:  # refused, the database unreachable, cancelled: as it was
            services.connections.authenticate(self, previous)
            raise
        self._hold_token(claims)
        self._reply(
            protocol.Ack(
                request="renew", ref=request.ref, expires_in=_seconds_until(claims.expires_at)
            )
        )

    async def _handle(self, frame: str | bytes) -> None:
        """One message from the client: it is alive (`beat`); answered, refused or relayed."""
        self._last_seen = time.monotonic()
        try:
            request = protocol.decode(frame, self._settings.max_frame_bytes)
        except protocol.ProtocolError as error:
            self._refuse(error.code, error.message, error.request, error.ref)
            return
        kind: str = request.__struct_config__.tag  # type: ignore[assignment]
        self._services.metrics.messages_in[kind] += 1
        allowance = self._allowance(request)
        verdict = Verdict.ALLOWED if allowance is None else allowance.take()
        if allowance is not None and verdict is not Verdict.ALLOWED:
            self._refuse(
                "rate_limited", "slow down: too many messages", kind, request.ref,
                retry_after=allowance.retry_after(), strike=verdict is Verdict.STRIKE,
            )  # fmt: skip
            return
        try:
            await self._dispatch(request)
        except GlimpseError as error:
            self._refuse(
                error.code, error.message, kind, request.ref, retry_after=error.retry_after
            )
        except BusUnavailable:
            self._refuse(
                "unavailable",
                "the server cannot reach the other instances right now; try again",
                kind,
                request.ref,
            )
        except StoreUnavailable:
            self._refuse(
                "database_unavailable",
                "the server cannot reach its database right now; try again",
                kind,
                request.ref,
            )
        except Exception:
            log.exception("failed to handle a %s message", kind)
            self._refuse("internal_error", "the server failed", kind, request.ref)

    def _allowance(self, request: protocol.AnyClientMessage) -> Allowance | None:
        """The rate limit this kind of message draws on; None for those not limited."""
        settings = self._settings
        if isinstance(request, protocol.Chat):
            return self._limit("chat", settings.chat_rate, settings.chat_burst)
        if isinstance(request, protocol.Typing):
            return self._limit("typing", settings.typing_rate, settings.typing_burst)
        if isinstance(request, protocol.SfuSubscribed):  # the one large message
            return self._limit(
                "sfu-subscribed", settings.sfu_subscribed_rate, settings.sfu_subscribed_burst
            )
        if isinstance(request, protocol.Signal | protocol.Media | protocol.SfuRequest):
            return self._limit("signal", settings.signal_rate, settings.signal_burst)
        if isinstance(request, protocol.Join | protocol.Renew):  # each costs store calls
            return self._limit("join", settings.join_rate, settings.join_burst)
        if isinstance(request, protocol.React):
            return self._limit("reaction", settings.reaction_rate, settings.reaction_burst)
        if isinstance(request, MeetingRequest | protocol.Record):
            return self._limit(
                "meeting", settings.meeting_action_rate, settings.meeting_action_burst
            )
        return None

    def _limit(self, kind: str, rate: float, burst: int) -> Allowance:
        """The allowance of one kind of message, made full at its first use: the same as one
        made with the socket, since a bucket never holds more than its burst, and an idle socket
        (most are) holds none (README "Performance", memory per idle connection)."""
        if self._allowances is None:
            self._allowances = {}
        allowance = self._allowances.get(kind)
        if allowance is None:
            allowance = self._allowances[kind] = Allowance(rate, burst)
        return allowance

    async def _dispatch(self, request: protocol.AnyClientMessage) -> None:
        match request:
            case protocol.Pong():
                return
            case protocol.Auth():
                raise GlimpseError("already authenticated", code="already_authenticated")
            case protocol.Renew():
                await self._renew(request)
            case protocol.Join():
                await self._join(request)
            case protocol.Leave():
                if self.membership is None:
                    raise GlimpseError("join a room first", code="not_in_room")
                await self._leave_room()
                self._reply(protocol.Ack(request="leave", ref=request.ref))
            case protocol.Chat():
                membership, identity = self._require_membership()
                message = await self._services.chat.send(
                    membership.room_id, membership.participant.id, identity, request
                )
                self._reply(protocol.Ack(request="chat", ref=request.ref, message=message))
            case protocol.Typing():
                membership, _ = self._require_membership()
                await self._services.chat.typing(
                    membership.room_id, membership.participant.id, request.active
                )
            case protocol.Signal():
                membership, _ = self._require_membership()
                await relay_signal(
                    self._services.hub, self._settings, membership.room_id,
                    membership.participant.id, membership.candidates_sent, request,
                )  # fmt: skip
                self._reply(protocol.Ack(request="signal", ref=request.ref))
            case protocol.Media():
                membership, _ = self._require_membership()
                media = protocol.MediaState(request.audio, request.video, request.screen)
                membership.participant.media = media
                await self._services.hub.update(membership.room_id, membership.participant)
                self._reply(protocol.Ack(request="media", ref=request.ref))
            case (
                protocol.Hand() | protocol.React() | protocol.Moderate() | protocol.Admit()
                | protocol.Deny() | protocol.Lock() | protocol.EndMeeting()
            ):  # fmt: skip
                membership, _ = self._require_membership()
                await self._services.meeting.handle(
                    membership.room_id, membership.participant, request
                )
                kind: str = request.__struct_config__.tag  # type: ignore[assignment]
                self._reply(protocol.Ack(request=kind, ref=request.ref))
            case protocol.Record():
                membership, _ = self._require_membership()
                await self._services.recording.handle(
                    membership.room_id, membership.participant, request
                )
                self._reply(protocol.Ack(request="record", ref=request.ref))
            case (
                protocol.SfuPublish() | protocol.SfuUnpublish() | protocol.SfuCandidate()
                | protocol.SfuSubscribed() | protocol.SfuResubscribe() | protocol.SfuLayers()
            ):  # fmt: skip
                membership, _ = self._require_membership()
                answer = await self._services.sfu.handle(
                    membership.room_id, membership.participant, request, self._reply
                )
                if answer is not None:
                    self._reply(answer)

    def _require_membership(self) -> tuple[Membership, Identity]:
        if self.state is SessionState.WAITING:
            raise GlimpseError("wait until a host lets you in", code="waiting")
        if self.membership is None or self.identity is None:
            raise GlimpseError("join a room first", code="not_in_room")
        return self.membership, self.identity

    async def _join(self, request: protocol.Join) -> None:
        assert self.identity is not None and self._claims is not None
        if self.state is SessionState.WAITING:  # admitted (with a ticket), or trying again
            await self._leave_room()
        if self.membership is not None:
            raise GlimpseError("leave your room before joining another", code="already_in_room")
        await self._check_login_session()  # revoked, yet open
        participant = protocol.Participant(
            id=uuid.uuid4().hex,
            user_id=self.identity.id,
            display_name=self.identity.display_name,
            media=request.media,
        )
        self._held = []
        try:
            joined = await self._services.rooms.join(
                request.room, request.password, self.identity, participant, self,
                ticket=request.ticket, resume=request.resume, last_seq=request.last_seq,
            )  # fmt: skip
            room = joined.room
            self.membership = Membership(room.id, participant)
            self.log_fields.room, self.log_fields.participant = room.id, participant.id
            welcome: protocol.ServerMessage
            if isinstance(joined, Waiting):
                self._move_to(SessionState.WAITING)
                log.info("waiting in the lobby")
                welcome = protocol.Waiting(
                    room=_room_info(room), participant_id=participant.id,
                    reason=joined.reason, ref=request.ref,
                )  # fmt: skip
            else:
                self._move_to(SessionState.JOINED)
                log.info("joined the room")
                lobby = self._services.hub.lobby(room.id) if is_host(participant.role) else []
                welcome = _joined_message(
                    joined, participant.id, lobby, self._services.rooms.reconnect_grace,
                    request.ref,
                )  # fmt: skip
            if not self._closing:  # ahead of the room events held back while joining
                event = protocol.encode(welcome)
                self._services.metrics.messages_out[protocol.event_type(event)] += 1
                self._link.send(text_frame(event))
        finally:
            held, self._held, self._held_bytes = self._held, None, 0
            for event in held:
                self.deliver(event)

    async def _check_login_session(self) -> None:
        """A user's login session may have ended while the socket stayed open (a guest's
        credential has none; the room service checks the guest's room at the join)."""
        if isinstance(self._claims, AccessClaims):
            await self._services.auth.check_session(self._claims.session_id)

    def _resumable(self) -> bool:
        """Whether the participant keeps its place for a reconnect: the connection was lost,
        or closed for a reason that a new connection mends (a server restart, a silent client,
        an expired token), not on purpose by either side."""
        sent, received = self._link.close_codes
        return (
            self._close_code not in FINAL_CLOSES
            and sent not in FINAL_CLOSES
            and received not in CLIENT_GONE
        )

    async def _leave_room(self, *, resumable: bool = False) -> None:
        """Out of the room joined (after the reconnect grace period when `resumable`), or of the
        lobby waited in."""
        membership, self.membership = self.membership, None
        if membership is None:
            return
        waiting = self.state is SessionState.WAITING
        if self.state in (SessionState.JOINED, SessionState.WAITING):
            self._move_to(SessionState.AUTHENTICATED)
        log.info("left the lobby" if waiting else "left the room")
        self.log_fields.room = self.log_fields.participant = None
        room_id, participant_id = membership.room_id, membership.participant.id
        self._services.sfu.release(participant_id)
        if waiting:
            await self._services.rooms.leave_lobby(room_id, participant_id)
        elif resumable:
            await self._services.rooms.absent(room_id, participant_id, self)
        else:
            await self._services.rooms.leave(room_id, participant_id, self)


def _joined_message(
    joined: Joined[protocol.Participant],
    participant_id: str,
    lobby: list[protocol.LobbyEntry],
    reconnect_grace: float,
    ref: str | None,
) -> protocol.Joined:
    """`joined`: the room, its roster, the chat the joiner has not seen (oldest first), its
    ticket back in and its resume token, and for hosts who waits in the lobby."""
    return protocol.Joined(
        room=_room_info(joined.room),
        participant_id=participant_id,
        participants=joined.roster,
        messages=[chat_message(record) for record in joined.history.messages],
        more_messages=joined.history.more,
        ticket=joined.ticket,
        resume=joined.resume,
        reconnect_grace=reconnect_grace,
        locked=joined.locked,
        lobby=lobby,
        media_path=joined.media_path,
        recording=joined.recording,
        ref=ref,
    )


def _room_info(room: RoomRecord) -> protocol.RoomInfo:
    return protocol.RoomInfo(room.id, room.code, room.name, room.owner_id)


def _seconds_until(unix_time: int) -> int:
    return max(0, unix_time - int(time.time()))
