"""The Meeting handler: hands, reactions and the hosts' powers (moderate, admit, deny, lock, end).

Every host action is authorized here, on the server, from the actor's role in the roster
(glimpse/meetings/roles.py). What an action does to another participant or to a waiter is a
command the hub carries to the target's instance (`Hub.command`), where `_carry_out` applies it:
the participant's own instance keeps its roster entry, so it changes the entry and announces it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Final

from glimpse.bus import BusUnavailable
from glimpse.errors import Forbidden, GlimpseError
from glimpse.meetings import roles
from glimpse.meetings.state import Meetings
from glimpse.meetings.tickets import Tickets
from glimpse.realtime import protocol
from glimpse.realtime.frames import text_frame
from glimpse.realtime.hub import Hub, Member
from glimpse.store import MemberRole, Store

log = logging.getLogger(__name__)

REMOVED_CODE: Final = 4412
DENIED_CODE: Final = 4413
OWNER_ACTIONS: Final = frozenset({"make-cohost", "revoke-cohost"})

MeetingRequest = (
    protocol.Hand | protocol.React | protocol.Moderate | protocol.Admit | protocol.Deny
    | protocol.Lock | protocol.EndMeeting
)  # fmt: skip


def unknown_participant(message: str) -> GlimpseError:
    return GlimpseError(message, code="unknown_participant")


class MeetingHandler:
    def __init__(
        self,
        hub: Hub,
        meetings: Meetings,
        tickets: Tickets,
        store: Store,
        end_meeting: Callable[[str], Awaitable[None]],
    ) -> None:
        self._hub = hub
        self._meetings = meetings
        self._tickets = tickets
        self._store = store
        self._end_meeting = end_meeting
        """Ends a room's meeting (RoomService.end_meeting): its recording, its Janus room and
        its state, then everyone's connection."""
        self._announcing: set[asyncio.Task[None]] = set()
        hub.on_command(self._carry_out)

    async def handle(
        self, room_id: str, actor: protocol.Participant, request: MeetingRequest
    ) -> None:
        """Carry out a request of `actor`, a participant of the room; raise GlimpseError
        (`forbidden` for a host action of someone who is not a host)."""
        match request:
            case protocol.Hand():
                if request.raised != (actor.hand is not None):
                    actor.hand = int(time.time() * 1000) if request.raised else None
                    await self._hub.update(room_id, actor)
            case protocol.React():
                event = protocol.encode(
                    protocol.Reaction(participant_id=actor.id, emoji=request.emoji)
                )
                await self._hub.broadcast(room_id, event, exclude=actor.id)
            case _:
                if not roles.is_host(actor.role):
                    raise Forbidden("only the meeting's hosts may do this")
                await self._host_action(room_id, actor, request)

    async def _host_action(
        self, room_id: str, actor: protocol.Participant, request: MeetingRequest
    ) -> None:
        match request:
            case protocol.Lock():
                await self._meetings.lock(room_id, request.locked)
                event = protocol.encode(protocol.LockChanged(locked=request.locked, by=actor.id))
                await self._hub.broadcast(room_id, event)
            case protocol.EndMeeting():
                await self._end_meeting(room_id)
            case protocol.Admit():
                entry = self._waiter(room_id, request.participant_id)
                if entry.reason == "removed":
                    await self._meetings.readmit(room_id, entry.user_id)
                meeting = await self._meetings.current(room_id)
                ticket = self._tickets.issue(room_id, entry.user_id, meeting.id)
                await self._hub.to_hosts(
                    room_id,
                    protocol.LobbyLeft(participant_id=entry.id, outcome="admitted", by=actor.id),
                )
                await self._hub.command(
                    room_id, entry.id, protocol.Admitted(room_id=room_id, ticket=ticket)
                )
            case protocol.Deny():
                entry = self._waiter(room_id, request.participant_id)
                denied = protocol.LobbyLeft(participant_id=entry.id, outcome="denied", by=actor.id)
                await self._hub.to_hosts(room_id, denied)
                await self._hub.command(room_id, entry.id, denied)
            case protocol.Moderate():
                await self._moderate(room_id, actor, request)

    def _waiter(self, room_id: str, waiter_id: str) -> protocol.LobbyEntry:
        entry = self._hub.lobby_entry(room_id, waiter_id)
        if entry is None:
            raise unknown_participant("no one by that id waits in the lobby")
        return entry

    async def _moderate(
        self, room_id: str, actor: protocol.Participant, request: protocol.Moderate
    ) -> None:
        target = self._hub.participant(room_id, request.participant_id)
        if target is None:
            raise unknown_participant("no such participant in your meeting")
        if not roles.may_act_on(actor.role, target.role):
            raise Forbidden(f"you may not act on this participant (a {target.role})")
        command = protocol.Moderated(action=request.action, by=actor.id)
        targets = [target]
        if request.action in OWNER_ACTIONS:
            if actor.role != "host":
                raise Forbidden("only the room's owner may make or revoke co-hosts")
            if target.role == "guest":
                raise Forbidden("a guest cannot be a co-host")
            role: MemberRole = "cohost" if request.action == "make-cohost" else "member"
            await self._store.set_member_role(room_id, target.user_id, role)
            targets = self._of_identity(room_id, target.user_id)
        elif request.action == "remove":
            await self._meetings.remove(room_id, target.user_id)
            targets = self._of_identity(room_id, target.user_id)
        for each in targets:
            await self._hub.command(room_id, each.id, command)

    def _of_identity(self, room_id: str, identity_id: str) -> list[protocol.Participant]:
        """Every participant of one person (tabs, devices): roles and removals are theirs."""
        return [p for p in self._hub.roster(room_id) if p.user_id == identity_id]

    # On the target's instance

    def _carry_out(
        self, room_id: str, target_id: str, member: Member, command: protocol.ServerMessage
    ) -> None:
        match command:
            case protocol.Admitted():
                member.deliver(text_frame(protocol.encode(command)))
            case protocol.LobbyLeft():
                member.close(DENIED_CODE, "denied")
            case protocol.Moderated(action="remove"):
                member.close(REMOVED_CODE, "removed")
            case protocol.Moderated():
                participant = self._hub.participant(room_id, target_id)
                if participant is None:  # waiting: not a participant yet
                    return
                if command.action not in OWNER_ACTIONS:
                    member.deliver(text_frame(protocol.encode(command)))
                if _apply(participant, command.action):
                    self._announce(room_id, participant)
                if command.action == "make-cohost":  # a new host learns who waits
                    for entry in self._hub.lobby(room_id):
                        member.deliver(
                            text_frame(protocol.encode(protocol.LobbyRequest(entry=entry)))
                        )
            case _:
                log.warning("not a command: %s", type(command).__name__)

    def _announce(self, room_id: str, participant: protocol.Participant) -> None:
        """Tell the room (the participant too) of a change a host made, in the background."""
        task = asyncio.get_running_loop().create_task(self._update(room_id, participant))
        self._announcing.add(task)
        task.add_done_callback(self._announcing.discard)

    async def _update(self, room_id: str, participant: protocol.Participant) -> None:
        try:
            await self._hub.update(room_id, participant, tell_self=True)
        except BusUnavailable:
            log.warning("could not announce a host's change to the other instances")
        except Exception:
            log.exception("could not announce a host's change")


def _apply(participant: protocol.Participant, action: protocol.ModerationAction) -> bool:
    """Change the participant as the action says; whether anything changed."""
    media = participant.media
    match action:
        case "mute" if media.audio:
            media.audio = False
        case "camera-off" if media.video:
            media.video = False
        case "stop-screen" if media.screen:
            media.screen = False
        case "lower-hand" if participant.hand is not None:
            participant.hand = None
        case "make-cohost" if participant.role == "member":
            participant.role = "cohost"
        case "revoke-cohost" if participant.role == "cohost":
            participant.role = "member"
        case _:
            return False
    return True
