"""Rooms, in one service for the HTTP API and the WebSocket sessions: creation with a short
shareable code, lookup, the owner's settings (name, password, guests, lobby) and deletion, the
rooms a user owns or joined, invite links and guests, joining (the password check with its
limits, the meeting's roles, lobby and lock, capacity (larger while the media may go through
the SFU), a reconnect's resumption, the media path) and leaving (at once, or after a grace
period for a participant whose connection dropped),
membership and members' roles, and chat history paging."""

from __future__ import annotations

import logging
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Generic, Literal, Protocol, TypeVar

from glimpse.auth.identity import Identity
from glimpse.auth.passwords import PasswordHashing
from glimpse.bus import BusUnavailable
from glimpse.errors import Conflict, Forbidden, NotFound
from glimpse.limits import Limit, Limiter, Rate
from glimpse.meetings import roles
from glimpse.meetings.state import Meetings
from glimpse.meetings.tickets import ResumeTokens, Tickets
from glimpse.realtime.protocol import MediaPath, Role
from glimpse.store import (
    DuplicateError,
    LobbyMode,
    MediaMode,
    MemberRecord,
    MemberRole,
    MessageRecord,
    RoomChanges,
    RoomRecord,
    Store,
)

log = logging.getLogger(__name__)

RECENT_ROOMS: Final = 20

CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: easy to read aloud
CODE_GROUPS = 3
CODE_GROUP_LENGTH = 4
_CODE_SHAPE: Final = re.compile(
    "-".join([f"[{CODE_ALPHABET}]{{{CODE_GROUP_LENGTH}}}"] * CODE_GROUPS)
)
"""A room id (a UUID's hex) never has this shape."""


def new_room_code() -> str:
    """Like `kq7x-m2pa-9rtv`: about 73 bits, unguessable, easy to type."""
    groups = (
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH))
        for _ in range(CODE_GROUPS)
    )
    return "-".join(groups)


class RoomFull(Conflict):
    code = "room_full"


class RoomLocked(Forbidden):
    code = "room_locked"


class Attendee(Protocol):
    """A participant of a room, as far as its rules read one (the hub's own type)."""

    id: str
    """Set again when it resumes an earlier participant's id."""

    @property
    def user_id(self) -> str: ...

    role: Role
    """Set when it joins (glimpse/meetings/roles.py)."""


AttendeeT = TypeVar("AttendeeT", bound=Attendee)
MemberT = TypeVar("MemberT")
MemberT_contra = TypeVar("MemberT_contra", contravariant=True)


class RoomHub(Protocol[AttendeeT, MemberT_contra]):
    """Who seats the participants of rooms, on every instance (glimpse/realtime/hub.py); each
    comes with its member, the connection the hub delivers the room's events to."""

    async def join(
        self,
        room_id: str,
        participant: AttendeeT,
        member: MemberT_contra,
        *,
        resumed: bool,
        capacity: int | None = None,
    ) -> None:
        """Seat a participant, or raise RoomFull (at `capacity`, or the hub's own room size);
        one that `resumed` its id takes its place back from its previous connection, wherever
        that is."""

    async def absent(
        self,
        room_id: str,
        participant_id: str,
        member: MemberT_contra,
        grace: float,
        expire: Callable[[], Awaitable[None]],
    ) -> bool:
        """Keep the place of a participant whose connection dropped for `grace` seconds, then
        `expire` it (unless resumed); False when `member` no longer holds the place."""

    async def leave(
        self, room_id: str, participant_id: str, member: MemberT_contra | None = None
    ) -> None:
        """Take a participant out, only while `member` (when given) holds its place."""

    async def wait(
        self,
        room_id: str,
        waiter: AttendeeT,
        member: MemberT_contra,
        reason: Literal["lobby", "removed"],
    ) -> None:
        """Put someone in the room's lobby; its hosts hear of it."""

    async def leave_lobby(self, room_id: str, waiter_id: str) -> None: ...

    async def occupied(self, room_id: str) -> bool:
        """Whether anyone is in the room, on any instance (its lobby aside)."""

    def roster(self, room_id: str) -> list[AttendeeT]: ...

    async def close_room(self, room_id: str) -> None:
        """Tell a deleted room's participants, and disconnect them."""

    async def end_meeting(self, room_id: str) -> None:
        """Disconnect everyone in the room and its lobby, on every instance."""


class RoomMedia(Protocol):
    """Who decides each room's media path (glimpse/sfu/media_path.py)."""

    @property
    def enabled(self) -> bool:
        """Whether there is an SFU: without one, every room is a mesh."""

    async def review(self, room_id: str, media_mode: MediaMode | None = None) -> MediaPath:
        """The room's path after a join (with its `media_mode`), a leave or a media change,
        switched first when it should change."""

    async def empty(self, room_id: str) -> None:
        """The room's last participant left."""


class MeetingRecordings(Protocol):
    """Who records meetings (glimpse/recordings/control.py)."""

    async def stop(self, room_id: str) -> None:
        """Stop the room's recording, if any, before its Janus room goes."""


@dataclass(frozen=True, slots=True)
class RoomLists:
    owned: list[RoomRecord]
    """Newest first."""
    recent: list[RoomRecord]
    """Most recently joined first."""


@dataclass(frozen=True, slots=True)
class HistoryPage:
    messages: list[MessageRecord]
    more: bool
    """Whether further messages exist beyond these, in the direction read."""


@dataclass(frozen=True, slots=True)
class Joined(Generic[AttendeeT]):
    """What a joiner is told: the room, who is in it, and the chat it has not seen."""

    room: RoomRecord
    roster: list[AttendeeT]
    """The joiner among them."""
    history: HistoryPage
    """Oldest first: the latest messages, or the first ones after what a rejoiner holds."""
    ticket: str
    """Lets the joiner back into this meeting (a reconnect) past its lobby and lock."""
    resume: str
    """Lets the joiner's reconnect take its participant id back."""
    locked: bool
    media_path: MediaPath
    recording: bool = False
    """Whether the meeting is being recorded."""


@dataclass(frozen=True, slots=True)
class Waiting:
    """A joiner held in the lobby until a host lets them in."""

    room: RoomRecord
    reason: Literal["lobby", "removed"]


class RoomService(Generic[AttendeeT, MemberT]):
    def __init__(
        self,
        store: Store,
        passwords: PasswordHashing,
        limiter: Limiter,
        hub: RoomHub[AttendeeT, MemberT],
        meetings: Meetings,
        tickets: Tickets,
        resumes: ResumeTokens,
        media: RoomMedia,
        recordings: MeetingRecordings,
        *,
        sfu_max_participants: int,
        reconnect_grace: float,
        join_history: int,
        guesses_per_user: Rate,
        guesses_per_room: Rate,
        with_password_per_user: Rate,
        member_invites_per_user: Rate,
    ) -> None:
        self._store = store
        self._hub = hub
        self.meetings = meetings
        self.tickets = tickets
        self._resumes = resumes
        self._media = media
        self._recordings = recordings
        self._sfu_max_participants = sfu_max_participants
        self.reconnect_grace = reconnect_grace
        self._join_history = join_history
        self._passwords = passwords
        self._limiter = limiter
        self._guesses_per_user = guesses_per_user
        self._guesses_per_room = guesses_per_room
        self._with_password_per_user = with_password_per_user
        self._member_invites_per_user = member_invites_per_user

    async def create(self, owner_id: str, name: str, password: str | None) -> RoomRecord:
        """Rooms with a password (each a password hash) are limited per user."""
        password_hash = None
        if password:
            await self._limiter.enforce(
                Limit("room-with-password:user", owner_id, self._with_password_per_user)
            )
            password_hash = await self._passwords.hash(password)
        while True:
            room = RoomRecord(
                id=uuid.uuid4().hex,
                code=new_room_code(),
                name=name.strip(),
                owner_id=owner_id,
                password_hash=password_hash,
                created_at=datetime.now(UTC),
            )
            try:
                await self._store.create_room(room)
            except DuplicateError:
                continue  # a code collision: draw another
            return room

    async def get(self, room_id: str) -> RoomRecord:
        room = await self._store.get_room(room_id)
        if room is None:
            raise NotFound("no such room", code="room_not_found")
        return room

    async def find(self, id_or_code: str) -> RoomRecord:
        """A room by its shareable code (what has a code's shape is looked up as one only) or by
        its id: one database round trip."""
        code = id_or_code.strip().lower()
        if _CODE_SHAPE.fullmatch(code):
            room = await self._store.get_room_by_code(code)
        else:
            room = await self._store.get_room(id_or_code) or await self._store.get_room_by_code(
                code
            )
        if room is None:
            raise NotFound("no such room", code="room_not_found")
        return room

    async def owned(self, room_id: str, user_id: str) -> RoomRecord:
        room = await self.get(room_id)
        if room.owner_id != user_id:
            raise Forbidden("only the room's owner may do this", code="not_room_owner")
        return room

    async def change_settings(
        self,
        room_id: str,
        user_id: str,
        *,
        name: str | None = None,
        password: str | None = None,
        remove_password: bool = False,
        allow_guests: bool | None = None,
        lobby: LobbyMode | None = None,
        media_mode: MediaMode | None = None,
    ) -> RoomRecord:
        """The owner renames the room, sets or removes its password (stored hashed; new
        passwords are limited per user, as at creation), lets guests in or not, sets its lobby
        and its media mode (at once in a meeting this instance serves, else at its next join,
        leave or media change)."""
        await self.owned(room_id, user_id)
        password_hash = None
        if password:
            await self._limiter.enforce(
                Limit("room-with-password:user", user_id, self._with_password_per_user)
            )
            password_hash = await self._passwords.hash(password)
        changes = RoomChanges(
            name=name.strip() if name is not None else None,
            password_hash=password_hash,
            remove_password=remove_password,
            allow_guests=allow_guests,
            lobby=lobby,
            media_mode=media_mode,
        )
        changed = await self._store.update_room(room_id, changes)
        if changed is None:
            raise NotFound("no such room", code="room_not_found")
        if media_mode is not None:
            try:
                if await self._hub.occupied(room_id):
                    await self._media.review(room_id, media_mode)
            except BusUnavailable:
                log.warning("room %s: its new media mode applies from its next join", room_id)
        return changed

    async def delete(self, room_id: str, user_id: str) -> None:
        """Delete the room with its history; anyone in it is told and disconnected."""
        await self.owned(room_id, user_id)
        await self._store.delete_room(room_id)
        try:
            await self._hub.close_room(room_id)
        except BusUnavailable:  # deleted all the same; those on other instances find out on rejoin
            log.warning("room %s deleted while the bus is down", room_id)

    async def lists(self, user_id: str) -> RoomLists:
        """The rooms the user owns, and those they joined most recently."""
        return RoomLists(
            owned=await self._store.list_owned_rooms(user_id),
            recent=await self._store.list_recent_rooms(user_id, RECENT_ROOMS),
        )

    async def invitation(self, code: str) -> tuple[RoomRecord, str]:
        """The room of an invite link, and its owner's name: what the link shows anyone."""
        room = await self.find(code)
        owner = await self._store.get_user(room.owner_id)
        return room, owner.display_name if owner is not None else ""

    async def recorded(self, room_id: str) -> bool | None:
        """Whether the room's meeting is being recorded now, as every instance sees it (its
        state on the bus); None while the bus cannot be reached."""
        try:
            return await self.meetings.recorded(room_id)
        except BusUnavailable:
            log.warning("room %s: cannot tell whether it is recorded, the bus is down", room_id)
            return None

    async def open_to_guests(self, id_or_code: str) -> RoomRecord:
        """The room, when it lets guests in (else 403 `guests_not_allowed`)."""
        room = await self.find(id_or_code)
        if not room.allow_guests:
            raise Forbidden("the host has turned off guest access", code="guests_not_allowed")
        return room

    async def members(self, room_id: str, user_id: str) -> list[MemberRecord]:
        """The room's members (the owner excluded), for its owner."""
        room = await self.owned(room_id, user_id)
        return [m for m in await self._store.list_members(room.id) if m.user_id != room.owner_id]

    async def set_role(
        self, room_id: str, user_id: str, member_id: str, role: MemberRole
    ) -> MemberRecord:
        """The owner changes a member's role (404 `member_not_found` for anyone else)."""
        room = await self.owned(room_id, user_id)
        if member_id == room.owner_id or not await self._store.set_member_role(
            room.id, member_id, role
        ):
            raise NotFound("this user is not a member of the room", code="member_not_found")
        return await self._member(room.id, member_id)

    async def invite(
        self, room_id: str, user_id: str, email: str, role: MemberRole
    ) -> MemberRecord:
        """The owner makes an existing user a member with a role ("invited": never waits in the
        lobby), or gives a member that role; 404 `user_not_found` when no account has the
        e-mail. Limited per owner: each answer tells whether an account has the e-mail."""
        room = await self.owned(room_id, user_id)
        await self._limiter.enforce(
            Limit("member-invite:user", user_id, self._member_invites_per_user)
        )
        user = await self._store.get_user_by_email(email.strip().lower())
        if user is None:
            raise NotFound("no account has this e-mail", code="user_not_found")
        if user.id == room.owner_id:
            raise Conflict("the owner is the room's host already", code="owner_not_member")
        if not await self._store.add_member(room.id, user.id, role):
            await self._store.set_member_role(room.id, user.id, role)  # a member already
        return await self._member(room.id, user.id)

    async def _member(self, room_id: str, user_id: str) -> MemberRecord:
        for member in await self._store.list_members(room_id):
            if member.user_id == user_id:
                return member
        raise NotFound("this user is not a member of the room", code="member_not_found")

    async def admit(self, id_or_code: str, password: str | None, user_id: str) -> RoomRecord:
        """The room a user asks to join, once its password (if any) is checked."""
        room = await self.find(id_or_code)
        await self.check_password(room, password, user_id)
        return room

    async def check_password(self, room: RoomRecord, password: str | None, user_id: str) -> None:
        """Wrong passwords count against the user, on every socket and instance, and against the
        room unless the user belongs to it (so that strangers cannot lock its people out); past
        a limit a password is not even checked (RateLimited)."""
        if room.password_hash is None:
            return
        if not password:
            raise Forbidden("this room needs a password", code="room_password_required")
        guesses = [Limit("room-password:user", user_id, self._guesses_per_user)]
        if not await self.belongs(room, user_id):
            guesses.append(Limit("room-password:room", room.id, self._guesses_per_room))
        await self._limiter.enforce(*guesses)
        if not await self._passwords.verify(room.password_hash, password):
            raise Forbidden("wrong room password", code="wrong_room_password")
        await self._limiter.refund(*guesses)

    async def join(
        self,
        id_or_code: str,
        password: str | None,
        identity: Identity,
        participant: AttendeeT,
        member: MemberT,
        *,
        ticket: str | None = None,
        resume: str | None = None,
        last_seq: int | None = None,
    ) -> Joined[AttendeeT] | Waiting:
        """Seat a participant of `identity` in the room it asks for, once admitted, or hold it in
        the lobby: someone a host removed from the meeting, or whom the room's lobby setting
        holds back (hosts, and holders of a valid `ticket`, pass); a locked meeting refuses
        everyone else (RoomLocked). A valid `resume` token (of this identity and room) gives the
        participant the id it had before (a reconnect: its old socket may linger still, or be
        in its grace period, or the server may have restarted); it admits no one by itself. A
        join that fails once seated leaves the room again."""
        room = await self.admit(id_or_code, password, identity.id)
        if identity.guest_room is not None and identity.guest_room != room.id:
            raise Forbidden("a guest may join only the room it was invited to")
        if identity.is_guest and not room.allow_guests:
            raise Forbidden("the host has turned off guest access", code="guests_not_allowed")
        member_role = (
            None if identity.is_guest else await self._store.member_role(room.id, identity.id)
        )
        participant.role = roles.role_of(room, identity, member_role)
        meeting = await self.meetings.current(room.id)
        if identity.id in meeting.removed:
            return await self._wait(room, participant, member, "removed")
        passes = roles.is_host(participant.role) or (
            ticket is not None and self.tickets.valid(ticket, room.id, identity.id, meeting.id)
        )
        if not passes and meeting.locked:
            raise RoomLocked("the meeting is locked: no one new may join")
        if not passes and roles.must_wait(room, participant.role, member_role):
            return await self._wait(room, participant, member, "lobby")
        resumed_id = resume and self._resumes.participant(resume, room.id, identity.id)
        if resumed_id in meeting.departed:
            resumed_id = None  # the others heard it leave: it comes back as someone new
        if resumed_id:
            participant.id = resumed_id
        capacity = (
            self._sfu_max_participants
            if self._media.enabled and room.media_mode != "mesh"
            else None
        )
        await self._hub.join(
            room.id, participant, member, resumed=bool(resumed_id), capacity=capacity
        )
        try:
            if not identity.is_guest:
                await self.record_join(room.id, identity.id)
            page = await self.history(room.id, self._join_history, after=last_seq)
            media_path = await self._media.review(room.id, room.media_mode)
        except BaseException:
            await self.leave(room.id, participant.id, member)
            raise
        messages = page.messages if last_seq is not None else page.messages[::-1]
        return Joined(
            room,
            self._hub.roster(room.id),
            HistoryPage(messages, page.more),
            ticket=self.tickets.issue(room.id, identity.id, meeting.id),
            resume=self._resumes.issue(room.id, identity.id, participant.id),
            locked=meeting.locked,
            media_path=media_path,
            recording=meeting.recording,
        )

    async def _wait(
        self,
        room: RoomRecord,
        participant: AttendeeT,
        member: MemberT,
        reason: Literal["lobby", "removed"],
    ) -> Waiting:
        await self._hub.wait(room.id, participant, member, reason)
        return Waiting(room, reason)

    async def absent(self, room_id: str, participant_id: str, member: MemberT) -> None:
        """A participant's connection dropped: it keeps its place for the reconnect grace
        period, then leaves (at once without a grace period, or with the bus down)."""
        if self.reconnect_grace > 0:
            try:
                if await self._hub.absent(
                    room_id, participant_id, member, self.reconnect_grace,
                    lambda: self._grace_over(room_id, participant_id),
                ):  # fmt: skip
                    return
            except BusUnavailable:
                log.warning("could not announce a participant reconnecting to other instances")
        await self.leave(room_id, participant_id, member)

    async def _grace_over(self, room_id: str, participant_id: str) -> None:
        """A participant did not come back in time: it leaves, and its resume token is spent."""
        try:
            await self.meetings.depart(room_id, participant_id)
        except BusUnavailable:
            log.warning("could not record a departure in the meeting's state")
        await self.leave(room_id, participant_id)

    async def leave(self, room_id: str, participant_id: str, member: MemberT | None = None) -> None:
        """Take a participant out of its room, unless a newer connection than `member` resumed
        it (with the bus down, other instances are not told); the last one out ends the
        meeting."""
        try:
            await self._hub.leave(room_id, participant_id, member)
            if not await self._hub.occupied(room_id):
                await self._end(room_id)
            else:
                await self._media.review(room_id)
        except BusUnavailable:
            log.warning("could not announce a departure to other instances")

    async def end_meeting(self, room_id: str) -> None:
        """A host ended the meeting: it ends as when its last participant leaves, then everyone
        in the room and its lobby is disconnected, on every instance."""
        try:
            await self._end(room_id)
        finally:
            await self._hub.end_meeting(room_id)

    async def _end(self, room_id: str) -> None:
        """The meeting ends: its recording stops (Janus told while the meeting's state still
        names its Janus room), its Janus room goes, then its state."""
        await self._recordings.stop(room_id)
        await self._media.empty(room_id)
        await self.meetings.end(room_id)

    async def leave_lobby(self, room_id: str, waiter_id: str) -> None:
        """Take someone out of the room's lobby (admitted, turned away or gone)."""
        try:
            await self._hub.leave_lobby(room_id, waiter_id)
        except BusUnavailable:
            log.warning("could not announce a departure from the lobby to other instances")

    async def record_join(self, room_id: str, user_id: str) -> None:
        """Remember the join: it lists the room among the user's recent ones, opens its history."""
        await self._store.record_join(room_id, user_id, datetime.now(UTC))

    async def belongs(self, room: RoomRecord, user_id: str) -> bool:
        """The room's owner, or a user who has joined it before: may read its history."""
        return (
            room.owner_id == user_id or await self._store.member_role(room.id, user_id) is not None
        )

    async def history(
        self, room_id: str, limit: int, *, before: int | None = None, after: int | None = None
    ) -> HistoryPage:
        """Up to `limit` chat messages: the newest first (those with seq < `before` when given),
        or, `after` a seq, the oldest first (what a reconnecting client missed)."""
        if after is None:
            records = await self._store.list_messages(room_id, before_seq=before, limit=limit + 1)
        else:
            records = await self._store.messages_after(room_id, after, limit + 1)
        return HistoryPage(records[:limit], more=len(records) > limit)
