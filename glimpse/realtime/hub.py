"""The hub: who is in which room, and room fan-out, on this instance and through the bus.

An event is encoded once by its sender and framed once by the hub; the frame is handed to each
local recipient without waiting for any of them, and the event published once on the bus for
the participants of other instances.
The hub also keeps each room's roster (local and remote participants) for rooms it serves,
and its lobby: who waits to be let in. A local participant whose socket dropped keeps its place
for a grace period (an `Absence` holds it), marked reconnecting, for its client to resume. A
waiting connection receives nothing of the room: only the hosts hear of the lobby, and the
waiter only what a host sends to it (admitted, denied).

The hub is also where every change of who sends video passes: a local participant's media
change (its own `media`, or a host turning its camera off) and a departure the bus announces late
(a dead instance) are handed to the roster listener (glimpse/sfu/media_path.py decides the room's
media path again). Joins and leaves of local participants are decided by the room service
(glimpse/rooms.py) itself.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Protocol, TypeAlias

import msgspec

from glimpse.bus import Bus, BusUnavailable
from glimpse.realtime import protocol
from glimpse.realtime.frames import text_frame
from glimpse.realtime.protocol import LobbyEntry, Participant
from glimpse.rooms import RoomFull, RoomService

log = logging.getLogger(__name__)

ROOM_CLOSED_CODE = 4404
REPLACED_CODE = 4409
"""A newer connection of the same client resumed its participant."""
EVICTED_CODE = 1012
"""WebSocket's "service restart": clients reconnect."""
MEETING_ENDED_CODE = 4410
LOBBY: Final = "lobby:"
"""Waiters share the room's roster on the bus under this prefix (so a dead instance's waiters
leave the lobby as its participants leave the room)."""
HOST_ROLES: Final = frozenset({"host", "cohost"})
REMOTE_EXPIRY_MARGIN: Final = 5.0
"""A participant reconnecting on another instance is dropped here this long after its grace
period, should that instance never say (it stopped in the meantime)."""


class Member(Protocol):
    """A local participant's connection, as the hub sees it; neither method blocks."""

    def deliver(self, frame: bytes) -> None:
        """Send a WebSocket frame (the same bytes for every recipient of an event)."""

    def close(self, code: int, reason: str) -> None:
        """Close the connection after what was delivered before."""


Rooms: TypeAlias = RoomService[Participant, Member]
"""The room service, seating the hub's participants with their connections."""

RosterListener: TypeAlias = Callable[[str], Awaitable[object]]
"""Called with a room's id when who sends video there changed, or someone left it with a dead
instance (on the one instance that took it for dead, served there or not)."""

Command: TypeAlias = Callable[[str, str, Member, protocol.ServerMessage], None]
"""Carries out a host's command (glimpse/realtime/meeting.py) for a participant or waiter of
this instance: (room id, target id, its connection, the command)."""

# Envelope flags on the bus: what the receiving hub must do besides delivering.
PLAIN, JOINED, LEFT, UPDATED, CLOSED = b"-", b"j", b"l", b"u", b"x"
RECONNECTING, RESUMED = b"g", b"s"
"""A participant's socket dropped (it keeps its place); a participant came back with its id (its
previous connection, wherever it is, lets go)."""
DEPARTED = b"d"
"""A participant left with its dead instance: no instance of its own reviews the room for it."""
LOBBY_CHANGE, COMMAND, ENDED = b"w", b"c", b"e"
"""For the hosts only and kept in the lobby; a command to one target; the meeting ended."""


class Absence:
    """Holds the place of a local participant whose socket dropped, as its member: delivers
    nothing, and when closed (a host removed it, the meeting ended) or when its grace period
    runs out, hands itself to `expire` (which takes the participant out of the room)."""

    __slots__ = ("_expire", "_timer")

    def __init__(self, grace: float, expire: Callable[[Absence], None]) -> None:
        self._expire: Callable[[Absence], None] | None = expire
        self._timer = asyncio.get_running_loop().call_later(grace, self.close, 1000, "")

    def deliver(self, frame: bytes) -> None:
        """No one to deliver to: what the participant misses, its client catches up on."""

    def close(self, code: int, reason: str) -> None:
        expire, self._expire = self._expire, None
        self._timer.cancel()
        if expire is not None:
            expire(self)

    def cancel(self) -> None:
        """The participant is back (or the server stops): nothing expires."""
        self._expire = None
        self._timer.cancel()


@dataclass(slots=True)
class RoomState:
    local: dict[str, Member] = field(default_factory=dict)
    """Participants connected to this instance."""
    roster: dict[str, Participant] = field(default_factory=dict)
    """Every participant of the room, on any instance."""
    waiting: dict[str, Member] = field(default_factory=dict)
    """Connections of this instance waiting in the lobby."""
    lobby: dict[str, LobbyEntry] = field(default_factory=dict)
    """Everyone waiting in the lobby, on any instance."""
    loaded: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the roster has been read from the bus."""
    expiries: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    """Participants reconnecting on other instances, dropped here should they never return."""
    video: set[str] = field(default_factory=set)
    """Local participants sending video, as the roster listener last heard."""


class Hub:
    def __init__(self, bus: Bus, max_participants: int) -> None:
        self.bus = bus
        self.max_participants = max_participants
        self._rooms: dict[str, RoomState] = {}
        self.sent: collections.Counter[str] = collections.Counter()
        """Events delivered to local participants, by type: once per event, not per recipient."""
        self.publish_failures = 0
        """Events the bus could not carry to the other instances."""
        self._command: Command = _no_command
        self._roster_listener: RosterListener = _no_listener
        self._tasks: set[asyncio.Task[None]] = set()

    def on_command(self, command: Command) -> None:
        """Carry out the commands hosts send to targets on this instance with `command`."""
        self._command = command

    def on_roster_change(self, listener: RosterListener) -> None:
        """Hand `listener` every change of who sends video in a room (or a departure with a dead
        instance, whether or not the room is served here), except the joins and leaves of this
        instance's participants."""
        self._roster_listener = listener

    async def start(self) -> None:
        await self.bus.connect(self._on_bus_event, self._on_departure, self._on_eviction)

    async def stop(self) -> None:
        for room in self._rooms.values():
            for member in room.local.values():
                if isinstance(member, Absence):
                    member.cancel()
            for timer in room.expiries.values():
                timer.cancel()
        await self.bus.close()
        self._rooms.clear()

    def roster(self, room_id: str) -> list[Participant]:
        room = self._rooms.get(room_id)
        return list(room.roster.values()) if room else []

    def census(self) -> tuple[int, int]:
        """Rooms served here, and the participants connected here."""
        return len(self._rooms), sum(
            not isinstance(member, Absence)
            for room in self._rooms.values()
            for member in room.local.values()
        )

    def is_in_room(self, room_id: str, participant_id: str) -> bool:
        room = self._rooms.get(room_id)
        return room is not None and participant_id in room.roster

    def participant(self, room_id: str, participant_id: str) -> Participant | None:
        room = self._rooms.get(room_id)
        return room.roster.get(participant_id) if room else None

    def lobby(self, room_id: str) -> list[LobbyEntry]:
        """Who waits to be let in, oldest first."""
        room = self._rooms.get(room_id)
        return sorted(room.lobby.values(), key=lambda entry: entry.since) if room else []

    def lobby_entry(self, room_id: str, waiter_id: str) -> LobbyEntry | None:
        room = self._rooms.get(room_id)
        return room.lobby.get(waiter_id) if room else None

    async def occupied(self, room_id: str) -> bool:
        """Whether anyone, on any instance, is in the room (not counting its lobby)."""
        return any(not key.startswith(LOBBY) for key in await self.bus.participants(room_id))

    async def join(
        self,
        room_id: str,
        participant: Participant,
        member: Member,
        *,
        resumed: bool = False,
        capacity: int | None = None,
    ) -> None:
        """Add a participant, unless the room already has `capacity` (by default the hub's
        room size: RoomFull); everyone else in the room hears participant-joined, or, when it
        `resumed` its id (a reconnect), participant-resumed.

        A resumed participant takes its place back (it does not count twice against the room's
        size): its previous connection, on this instance or another, lets go of it without a
        departure, a lingering socket closed with 4409.
        """
        await self.bus.ping()  # refuse while the bus is down rather than join half-way
        room = await self._open(room_id)
        present = len(room.roster) - (participant.id in room.roster)
        capacity = capacity or self.max_participants
        if present >= capacity:
            await self._forget(room_id, room)
            raise RoomFull(f"the room is full ({capacity} participants)")
        if resumed and (before := room.roster.get(participant.id)) is not None:
            participant.hand = before.hand  # its place, as it was (media and role come anew)
        previous = room.local.get(participant.id)
        room.local[participant.id] = member
        room.roster[participant.id] = participant
        _mark(room.video, participant.id, participant.media.video)
        _cancel(room.expiries.pop(participant.id, None))
        if previous is not None:
            _let_go(previous)
        message: protocol.ServerMessage
        if resumed:
            message, flag = protocol.ParticipantResumed(participant=participant), RESUMED
        else:
            message, flag = protocol.ParticipantJoined(participant=participant), JOINED
        try:
            await self.bus.add_participant(
                room_id, participant.id, protocol.encode_info(participant)
            )
            await self.broadcast(
                room_id, protocol.encode(message), exclude=participant.id, flag=flag
            )
        except BusUnavailable:  # the join fails: leave no participant behind
            with contextlib.suppress(BusUnavailable):
                await self.leave(room_id, participant.id, member)
            raise

    async def absent(
        self,
        room_id: str,
        participant_id: str,
        member: Member,
        grace: float,
        expire: Callable[[], Awaitable[None]],
    ) -> bool:
        """A local participant's socket dropped: it keeps its place, marked reconnecting, and
        the room hears participant-reconnecting. Should it not resume within `grace` seconds
        (or should it be closed meanwhile: removed, the meeting ended), `expire` runs, unless
        a newer connection resumed it first. False when `member` no longer holds its place."""
        room = self._rooms.get(room_id)
        if room is None or room.local.get(participant_id) is not member:
            return False
        participant = msgspec.structs.replace(room.roster[participant_id], reconnecting=True)
        room.roster[participant_id] = participant
        absence = room.local[participant_id] = Absence(
            grace, lambda held: self._spawn(self._expire(room_id, participant_id, held, expire))
        )
        await self.bus.add_participant(room_id, participant_id, protocol.encode_info(participant))
        if room.local.get(participant_id) is not absence:
            # Resumed (or gone) while the bus was being told: its entry there says so again.
            if (current := room.roster.get(participant_id)) is not None:
                info = protocol.encode_info(current)
                await self.bus.add_participant(room_id, participant_id, info)
            return True
        event = protocol.encode(
            protocol.ParticipantReconnecting(participant_id=participant_id, grace=grace)
        )
        await self.broadcast(room_id, event, exclude=participant_id, flag=RECONNECTING)
        return True

    async def _open(self, room_id: str) -> RoomState:
        """The room's state, loading its roster from the bus when it is new on this instance."""
        room = self._rooms.get(room_id)
        if room is not None:
            await room.loaded.wait()  # another join may still be loading it
            if self._rooms.get(room_id) is not room:
                raise BusUnavailable("the room's roster could not be loaded")
            return room
        room = self._rooms[room_id] = RoomState()
        try:
            await self.bus.subscribe(room_id)
            for key, info in (await self.bus.participants(room_id)).items():
                if key.startswith(LOBBY):
                    entry = protocol.decode_lobby_entry(info)
                    room.lobby[entry.id] = entry
                else:
                    remote = protocol.decode_info(info)
                    room.roster[remote.id] = remote
        except BaseException:
            await self._forget(room_id, room)
            raise
        finally:
            room.loaded.set()
        return room

    async def leave(self, room_id: str, participant_id: str, member: Member | None = None) -> None:
        """Remove a local participant (only while `member`, when given, holds its place);
        everyone else hears participant-left."""
        room = self._rooms.get(room_id)
        if room is None or participant_id not in room.local:
            return
        if member is not None and room.local[participant_id] is not member:
            return  # resumed by a newer connection
        del room.local[participant_id]
        room.roster.pop(participant_id, None)
        room.video.discard(participant_id)
        event = protocol.encode(protocol.ParticipantLeft(participant_id=participant_id))
        self._deliver_local(room_id, event, None)
        try:
            await self.bus.remove_participant(room_id, participant_id)
            await self.broadcast(room_id, event, flag=LEFT, local=False)
        finally:
            await self._forget(room_id, room)

    async def update(
        self, room_id: str, participant: Participant, *, tell_self: bool = False
    ) -> None:
        """A local participant changed (media, hand, role): keep it in the roster and tell the
        room; the participant too with `tell_self` (a host changed it)."""
        room = self._rooms.get(room_id)
        if room is None or participant.id not in room.local:
            return
        room.roster[participant.id] = participant
        await self.bus.add_participant(room_id, participant.id, protocol.encode_info(participant))
        event = protocol.encode(protocol.ParticipantUpdated(participant=participant))
        exclude = None if tell_self else participant.id
        await self.broadcast(room_id, event, exclude=exclude, flag=UPDATED)
        if _mark(room.video, participant.id, participant.media.video):
            await self._roster_listener(room_id)

    async def wait(
        self,
        room_id: str,
        waiter: Participant,
        member: Member,
        reason: Literal["lobby", "removed"],
    ) -> None:
        """Put a connection in the room's lobby; the hosts hear lobby-request."""
        await self.bus.ping()
        room = await self._open(room_id)
        entry = LobbyEntry(
            id=waiter.id,
            user_id=waiter.user_id,
            display_name=waiter.display_name,
            guest=waiter.role == "guest",
            reason=reason,
            since=int(time.time() * 1000),
        )
        room.waiting[waiter.id] = member
        try:
            await self.bus.add_participant(room_id, LOBBY + waiter.id, protocol.encode_info(entry))
            await self.to_hosts(room_id, protocol.LobbyRequest(entry=entry))
        except BusUnavailable:
            with contextlib.suppress(BusUnavailable):
                await self.leave_lobby(room_id, waiter.id)
            raise

    async def leave_lobby(self, room_id: str, waiter_id: str) -> None:
        """A local waiter is gone from the lobby; unless a host let it in or turned it away
        already, the hosts hear lobby-left (gone)."""
        room = self._rooms.get(room_id)
        if room is None or room.waiting.pop(waiter_id, None) is None:
            return
        try:
            await self.bus.remove_participant(room_id, LOBBY + waiter_id)
            if waiter_id in room.lobby:
                await self.to_hosts(
                    room_id, protocol.LobbyLeft(participant_id=waiter_id, outcome="gone")
                )
        finally:
            await self._forget(room_id, room)

    async def to_hosts(
        self, room_id: str, message: protocol.LobbyRequest | protocol.LobbyLeft
    ) -> None:
        """A change of the lobby: kept by every instance, delivered to the hosts only."""
        room = self._rooms.get(room_id)
        event = protocol.encode(message)
        if room is not None:
            self._change_lobby(room, message)
            self._deliver_to_hosts(room, event)
        await self._publish(room_id, event, flag=LOBBY_CHANGE)

    async def command(self, room_id: str, target_id: str, message: protocol.ServerMessage) -> None:
        """Have a host's command carried out for a participant or waiter, on whichever instance."""
        room = self._rooms.get(room_id)
        member = room and (room.local.get(target_id) or room.waiting.get(target_id))
        if member:
            self._command(room_id, target_id, member, message)
        else:
            await self._publish(room_id, protocol.encode(message), flag=COMMAND, to=target_id)

    async def close_room(self, room_id: str) -> None:
        """The room was deleted: tell its participants on every instance and disconnect them."""
        event = protocol.encode(protocol.RoomClosed(room_id=room_id))
        try:
            await self.broadcast(room_id, event, flag=CLOSED)
        finally:
            self._disconnect_local(room_id, ROOM_CLOSED_CODE, "room deleted")

    async def end_meeting(self, room_id: str) -> None:
        """Disconnect everyone in the room and its lobby, on every instance."""
        try:
            await self._publish(room_id, b"", flag=ENDED)
        finally:
            self._disconnect_local(room_id, MEETING_ENDED_CODE, "meeting ended")

    def _disconnect_local(self, room_id: str, code: int, reason: str) -> None:
        room = self._rooms.get(room_id)
        for member in [*room.local.values(), *room.waiting.values()] if room else []:
            member.close(code, reason)

    async def broadcast(
        self,
        room_id: str,
        event: bytes,
        *,
        exclude: str | None = None,
        flag: bytes = PLAIN,
        local: bool = True,
    ) -> None:
        """Deliver an encoded event to the room on every instance (except one participant).

        `local=False` publishes it to the other instances only (this one already delivered it).
        """
        if local:
            self._deliver_local(room_id, event, exclude)
        await self._publish(room_id, event, flag=flag, exclude=exclude)

    async def send_to(self, room_id: str, participant_id: str, event: bytes) -> None:
        """Deliver an encoded event to one participant of the room, on whichever instance."""
        room = self._rooms.get(room_id)
        if room is None:
            return
        member = room.local.get(participant_id)
        if member is not None:
            member.deliver(self._frame(event))
        else:
            await self._publish(room_id, event, to=participant_id)

    async def _publish(
        self,
        room_id: str,
        event: bytes,
        *,
        flag: bytes = PLAIN,
        exclude: str | None = None,
        to: str | None = None,
    ) -> None:
        """Hand an event to the other instances: lines flag, exclude and to, then the event."""
        header = b"\n".join((flag, (exclude or "").encode(), (to or "").encode(), b""))
        try:
            await self.bus.publish(room_id, header + event)
        except BusUnavailable:
            self.publish_failures += 1
            raise

    def _frame(self, event: bytes) -> bytes:
        """The event's frame for local participants, counted once in `sent`."""
        self.sent[protocol.event_type(event)] += 1
        return text_frame(event)

    def _deliver_to_hosts(self, room: RoomState, event: bytes) -> None:
        hosts = [
            member
            for participant_id, member in room.local.items()
            if (participant := room.roster.get(participant_id)) and participant.role in HOST_ROLES
        ]
        if hosts:
            frame = self._frame(event)
            for member in hosts:
                member.deliver(frame)

    @staticmethod
    def _change_lobby(room: RoomState, message: protocol.ServerMessage) -> None:
        if isinstance(message, protocol.LobbyRequest):
            room.lobby[message.entry.id] = message.entry
        elif isinstance(message, protocol.LobbyLeft):
            room.lobby.pop(message.participant_id, None)

    def _deliver_local(self, room_id: str, event: bytes, exclude: str | None) -> None:
        room = self._rooms.get(room_id)
        if room is None or len(room.local) <= (exclude in room.local):
            return  # nobody here to deliver to
        frame = self._frame(event)
        for participant_id, member in list(room.local.items()):
            if participant_id != exclude:
                member.deliver(frame)

    def _on_bus_event(self, room_id: str, payload: bytes) -> None:
        """An event another instance published: update the roster, deliver to local participants."""
        room = self._rooms.get(room_id)
        if room is None:
            return
        flag, exclude, to, event = payload.split(b"\n", 3)
        if flag in (JOINED, LEFT, UPDATED, RECONNECTING, RESUMED, DEPARTED):
            self._apply_roster_change(room_id, room, flag, event)
        if flag == LOBBY_CHANGE:
            self._change_lobby(room, protocol.decode_server(event))
            self._deliver_to_hosts(room, event)
        elif flag == ENDED:
            self._disconnect_local(room_id, MEETING_ENDED_CODE, "meeting ended")
        elif to:
            target = to.decode()
            member = room.local.get(target) or room.waiting.get(target)
            if member is None:
                return
            if flag == COMMAND:
                self._command(room_id, target, member, protocol.decode_server(event))
            else:
                member.deliver(self._frame(event))
        else:
            self._deliver_local(room_id, event, exclude.decode() or None)
        if flag == CLOSED:
            self._disconnect_local(room_id, ROOM_CLOSED_CODE, "room deleted")

    def _apply_roster_change(
        self, room_id: str, room: RoomState, flag: bytes, event: bytes
    ) -> None:
        message = protocol.decode_server(event)
        if isinstance(message, protocol.ParticipantReconnecting):
            participant_id = message.participant_id
            if (participant := room.roster.get(participant_id)) is not None:
                room.roster[participant_id] = msgspec.structs.replace(
                    participant, reconnecting=True
                )
                _cancel(room.expiries.get(participant_id))
                room.expiries[participant_id] = asyncio.get_running_loop().call_later(
                    message.grace + REMOTE_EXPIRY_MARGIN,
                    self._expire_remote, room_id, participant_id,
                )  # fmt: skip
            return
        if isinstance(message, protocol.ParticipantLeft):
            participant_id = message.participant_id
            room.roster.pop(participant_id, None)
            if flag == DEPARTED:
                self._spawn(self._tell_roster_listener(room_id))
        elif isinstance(
            message,
            protocol.ParticipantJoined | protocol.ParticipantUpdated | protocol.ParticipantResumed,
        ):
            participant_id = message.participant.id
            room.roster[participant_id] = message.participant
        else:
            log.warning("roster flag %r on a %s event", flag, type(message).__name__)
            return
        _cancel(room.expiries.pop(participant_id, None))
        if flag == RESUMED and (previous := room.local.pop(participant_id, None)) is not None:
            _let_go(previous)  # resumed on another instance: its entry there is the bus's now
            room.video.discard(participant_id)
            self._spawn(self._release(room_id, room, participant_id))

    async def _release(self, room_id: str, room: RoomState, participant_id: str) -> None:
        """Forget a participant that another instance took over (without a departure)."""
        try:
            await self.bus.remove_participant(room_id, participant_id)  # only its own entry
        finally:
            await self._forget(room_id, room)

    async def _expire(
        self,
        room_id: str,
        participant_id: str,
        absence: Absence,
        expire: Callable[[], Awaitable[None]],
    ) -> None:
        room = self._rooms.get(room_id)
        if room is not None and room.local.get(participant_id) is absence:
            await expire()

    def _expire_remote(self, room_id: str, participant_id: str) -> None:
        """A participant reconnecting elsewhere outlived its grace unannounced: gone from here."""
        room = self._rooms.get(room_id)
        if room is None:
            return
        room.expiries.pop(participant_id, None)
        participant = room.roster.get(participant_id)
        if (
            participant is not None
            and participant.reconnecting
            and participant_id not in room.local
        ):
            del room.roster[participant_id]
            event = protocol.encode(protocol.ParticipantLeft(participant_id=participant_id))
            self._deliver_local(room_id, event, None)
            self._spawn(self._tell_roster_listener(room_id))

    async def _tell_roster_listener(self, room_id: str) -> None:
        try:
            await self._roster_listener(room_id)
        except BusUnavailable:
            log.warning("room %s: a departure could not be taken into account", room_id)
        except Exception:
            log.exception("room %s: the roster listener failed", room_id)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _on_departure(self, room_id: str, participant_id: str) -> None:
        """A departure the bus announces late (dead instance, bus outage): tell every instance.

        The bus calls this once per departure, on one instance, which may not serve the room.
        """
        if participant_id.startswith(LOBBY):
            waiter_id = participant_id.removeprefix(LOBBY)
            await self.to_hosts(
                room_id, protocol.LobbyLeft(participant_id=waiter_id, outcome="gone")
            )
            return
        room = self._rooms.get(room_id)
        event = protocol.encode(protocol.ParticipantLeft(participant_id=participant_id))
        if room is not None and room.roster.pop(participant_id, None) is not None:
            await self.broadcast(room_id, event, flag=DEPARTED)
        else:  # not served here, or its participants heard of it when it happened
            await self._publish(room_id, event, flag=DEPARTED)
        await self._tell_roster_listener(room_id)  # served here or not: it may be empty now

    async def _on_eviction(self) -> None:
        """The other instances dropped this one's participants: their clients reconnect, rejoin."""
        for room in list(self._rooms.values()):
            for member in [*room.local.values(), *room.waiting.values()]:
                member.close(EVICTED_CODE, "reconnect: this server lost touch with the others")

    async def _forget(self, room_id: str, room: RoomState) -> None:
        """Drop a room nobody here is in any more (unless a newer state has taken its place)."""
        if room.local or room.waiting or self._rooms.get(room_id) is not room:
            return
        del self._rooms[room_id]
        for timer in room.expiries.values():
            timer.cancel()
        await self.bus.unsubscribe(room_id)


async def _no_listener(room_id: str) -> None:
    """No one decides media paths (until `on_roster_change`)."""


def _mark(senders: set[str], participant_id: str, sends: bool) -> bool:
    """Note whether the participant sends video; whether that changed."""
    if sends == (participant_id in senders):
        return False
    if sends:
        senders.add(participant_id)
    else:
        senders.discard(participant_id)
    return True


def _no_command(
    room_id: str, target_id: str, member: Member, message: protocol.ServerMessage
) -> None:
    log.warning("no one carries out %s commands", type(message).__name__)


def _let_go(member: Member) -> None:
    """A newer connection resumed this member's participant: an absence ends quietly, a
    lingering socket is closed (its session then finds its place taken, and leaves nothing)."""
    if isinstance(member, Absence):
        member.cancel()
    else:
        member.close(REPLACED_CODE, "replaced by a newer connection")


def _cancel(timer: asyncio.TimerHandle | None) -> None:
    if timer is not None:
        timer.cancel()
