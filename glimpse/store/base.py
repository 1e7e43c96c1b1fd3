"""The storage interface every database backend implements, and the records it stores."""

from __future__ import annotations

import functools
import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar, cast, get_args

LobbyMode = Literal["off", "guests", "everyone"]
"""Who waits to be let in: nobody; guests; everyone but the owner, co-hosts and invited members."""

MediaMode = Literal["auto", "mesh", "sfu"]
"""How a room's media flows: chosen by the server from how many send video (`auto`), or always
browser to browser (`mesh`), or always through the SFU (`sfu`, when one is configured)."""

MemberRole = Literal["member", "invited", "cohost"]
"""A member's standing in a room: joined before; invited by the owner (never waits in the lobby);
co-host (shares the host's powers in its meetings, and never waits either)."""


RecordingStatus = Literal["recording", "processing", "ready", "failed"]
"""A recording's course: Janus is writing its streams; they are being turned into one file; the
file is there to download; it failed (`error` says why)."""


def parse_lobby_mode(value: str) -> LobbyMode:
    """A stored lobby mode, checked."""
    if value not in get_args(LobbyMode):
        raise ValueError(f"unknown lobby mode {value!r}")
    return cast(LobbyMode, value)


def parse_media_mode(value: str) -> MediaMode:
    """A stored media mode, checked."""
    if value not in get_args(MediaMode):
        raise ValueError(f"unknown media mode {value!r}")
    return cast(MediaMode, value)


def parse_member_role(value: str) -> MemberRole:
    """A stored member role, checked."""
    if value not in get_args(MemberRole):
        raise ValueError(f"unknown member role {value!r}")
    return cast(MemberRole, value)


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: str
    email: str
    display_name: str
    password_hash: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SessionUser:
    """What every authenticated request asks: has the login session ended, and whose is it."""

    revoked: bool
    user: UserRecord | None
    """None when the account no longer exists."""


@dataclass(frozen=True, slots=True)
class RefreshTokenRecord:
    """One refresh token of a login session; rotated on every use, kept only as a hash."""

    token_hash: str
    session_id: str
    user_id: str
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None
    """Set on every token of a session when the session is revoked (log-out, reuse, password
    change elsewhere)."""


@dataclass(frozen=True, slots=True)
class RoomRecord:
    id: str
    code: str
    """Short shareable code, unique."""
    name: str
    owner_id: str
    password_hash: str | None
    created_at: datetime
    allow_guests: bool = True
    """Whether people without an account may join through the invite link."""
    lobby: LobbyMode = "off"
    media_mode: MediaMode = "auto"


@dataclass(frozen=True, slots=True)
class RecordingRecord:
    """One recording of a meeting: started and stopped by a host, downloaded by the owner."""

    id: str
    room_id: str
    owner_id: str
    """The room's owner, who may list, download and delete it."""
    started_at: datetime
    status: RecordingStatus = "recording"
    ended_at: datetime | None = None
    file_name: str | None = None
    """The finished file's name in the recordings folder (status `ready`)."""
    size_bytes: int | None = None
    duration_seconds: float | None = None
    error: str | None = None
    """Why it failed (status `failed`)."""


@dataclass(frozen=True, slots=True)
class RecordingChanges:
    """What an `update_recording` call changes: the fields given (not None)."""

    status: RecordingStatus | None = None
    ended_at: datetime | None = None
    file_name: str | None = None
    size_bytes: int | None = None
    duration_seconds: float | None = None
    error: str | None = None


def parse_recording_status(value: str) -> RecordingStatus:
    """A stored recording status, checked."""
    if value not in get_args(RecordingStatus):
        raise ValueError(f"unknown recording status {value!r}")
    return cast(RecordingStatus, value)


def recording_changes(changes: RecordingChanges) -> dict[str, object]:
    """The fields an `update_recording` call sets: those given."""
    fields = {
        "status": changes.status,
        "ended_at": changes.ended_at,
        "file_name": changes.file_name,
        "size_bytes": changes.size_bytes,
        "duration_seconds": changes.duration_seconds,
        "error": changes.error,
    }
    return {key: value for key, value in fields.items() if value is not None}


@dataclass(frozen=True, slots=True)
class RoomChanges:
    """What an `update_room` call changes: the fields given (not None)."""

    name: str | None = None
    password_hash: str | None = None
    remove_password: bool = False
    allow_guests: bool | None = None
    lobby: LobbyMode | None = None
    media_mode: MediaMode | None = None


@dataclass(frozen=True, slots=True)
class MemberRecord:
    """A user who has joined a room (or been invited to it), with their role."""

    user_id: str
    display_name: str
    role: MemberRole
    last_joined_at: datetime | None


@dataclass(frozen=True, slots=True)
class MessageRecord:
    id: str
    room_id: str
    seq: int
    """Per-room sequence number: 1, 2, 3, … without gaps."""
    sender_id: str
    sender_name: str
    client_id: str
    """The sender's own id for the message; a retry with the same id is stored once."""
    text: str
    created_at: datetime
    sender_guest: bool = False
    """Sent by a guest (no account; `sender_id` is the guest's id)."""


@dataclass(frozen=True, slots=True)
class NewMessage:
    room_id: str
    sender_id: str
    sender_name: str
    client_id: str
    text: str
    created_at: datetime
    sender_guest: bool = False


def user_changes(*, display_name: str | None, password_hash: str | None) -> dict[str, str]:
    """The fields an `update_user` call sets: those given."""
    fields = {"display_name": display_name, "password_hash": password_hash}
    return {key: value for key, value in fields.items() if value is not None}


def room_changes(changes: RoomChanges) -> dict[str, object]:
    """The fields an `update_room` call sets: those given; `remove_password` sets no password."""
    if changes.remove_password and changes.password_hash is not None:
        raise ValueError("a room change cannot both set and remove the password")
    fields: dict[str, object] = {
        "name": changes.name,
        "password_hash": changes.password_hash,
        "allow_guests": changes.allow_guests,
        "lobby": changes.lobby,
        "media_mode": changes.media_mode,
    }
    given = {key: value for key, value in fields.items() if value is not None}
    if changes.remove_password:
        given["password_hash"] = None
    return given


class DuplicateError(Exception):
    """A unique field (e-mail, room code) is already taken."""


class StoreUnavailable(Exception):
    """The database cannot be reached right now (down, refusing, timing out): not a bug."""


StoreClass = TypeVar("StoreClass", bound="type[Store]")


def unavailable_when(
    is_unreachable: Callable[[BaseException], bool],
) -> Callable[[StoreClass], StoreClass]:
    """Class decorator for a backend: its driver's connection errors, told apart by
    `is_unreachable`, come out of every public method as StoreUnavailable."""

    def translate(
        method: Callable[..., Coroutine[Any, Any, Any]],
    ) -> Callable[..., Coroutine[Any, Any, Any]]:
        @functools.wraps(method)
        async def translated(*args: Any, **kwargs: Any) -> Any:
            try:
                return await method(*args, **kwargs)
            except Exception as error:
                if is_unreachable(error):
                    raise StoreUnavailable(f"database unreachable: {error!r}") from error
                raise

        return translated

    def decorate(store_class: StoreClass) -> StoreClass:
        for name, member in vars(store_class).items():
            if not name.startswith("_") and inspect.iscoroutinefunction(member):
                setattr(store_class, name, translate(member))
        return store_class

    return decorate


class Store(ABC):
    """Users, login sessions, rooms, memberships, chat messages and recordings.

    Every method is safe to call concurrently from several server processes sharing one database.
    """

    @abstractmethod
    async def connect(self) -> None:
        """Open connections and create or migrate the schema."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def ping(self) -> None:
        """Raise if the database cannot be reached."""

    # Users
    @abstractmethod
    async def create_user(self, user: UserRecord) -> None:
        """Raise DuplicateError when the e-mail (compared case-insensitively) is taken."""

    @abstractmethod
    async def get_user(self, user_id: str) -> UserRecord | None: ...

    @abstractmethod
    async def get_user_by_email(self, email: str) -> UserRecord | None: ...

    @abstractmethod
    async def update_user(
        self, user_id: str, *, display_name: str | None = None, password_hash: str | None = None
    ) -> UserRecord | None: ...

    # Refresh tokens
    @abstractmethod
    async def add_refresh_token(self, token: RefreshTokenRecord) -> None: ...

    @abstractmethod
    async def use_refresh_token(self, token_hash: str, at: datetime) -> RefreshTokenRecord | None:
        """Mark a token used, atomically, and return it as it was before this call.

        A returned record with `used_at` set means the token had already been used: a reuse.
        None means the token is unknown.
        """

    @abstractmethod
    async def revoke_session(self, session_id: str, at: datetime) -> None:
        """Revoke every refresh token of a login session."""

    @abstractmethod
    async def revoke_user_sessions(
        self, user_id: str, except_session_id: str, at: datetime
    ) -> None:
        """Revoke every login session of a user but one (a password change keeps its own)."""

    @abstractmethod
    async def session_revoked(self, session_id: str) -> bool:
        """Whether the login session was revoked (log-out, refresh-token reuse, password change)."""

    @abstractmethod
    async def session_user(self, session_id: str, user_id: str) -> SessionUser:
        """`session_revoked` and `get_user` at once: one round trip on the SQL databases."""

    # Rooms
    @abstractmethod
    async def create_room(self, room: RoomRecord) -> None:
        """Raise DuplicateError when the code is taken."""

    @abstractmethod
    async def get_room(self, room_id: str) -> RoomRecord | None: ...

    @abstractmethod
    async def get_room_by_code(self, code: str) -> RoomRecord | None: ...

    @abstractmethod
    async def update_room(self, room_id: str, changes: RoomChanges) -> RoomRecord | None:
        """Apply the changes; the room as it is now, or None when it does not exist."""

    @abstractmethod
    async def delete_room(self, room_id: str) -> bool:
        """Delete a room with its memberships and messages; False when it did not exist."""

    @abstractmethod
    async def list_owned_rooms(self, owner_id: str) -> list[RoomRecord]:
        """Newest first."""

    @abstractmethod
    async def record_join(self, room_id: str, user_id: str, at: datetime) -> None:
        """Remember that a user joined a room (and when, last); a member keeps their role."""

    @abstractmethod
    async def add_member(self, room_id: str, user_id: str, role: MemberRole) -> bool:
        """Make a user a member without a join (an invitation): False, and nothing changed,
        when they are a member already."""

    @abstractmethod
    async def member_role(self, room_id: str, user_id: str) -> MemberRole | None:
        """The user's role in the room; None when they are not a member of it."""

    @abstractmethod
    async def set_member_role(self, room_id: str, user_id: str, role: MemberRole) -> bool:
        """Change a member's role; False when the user is not a member of the room."""

    @abstractmethod
    async def list_members(self, room_id: str) -> list[MemberRecord]:
        """The room's members with their display names, most recently joined first; those who
        never joined (invited) last, by name."""

    @abstractmethod
    async def list_recent_rooms(self, user_id: str, limit: int) -> list[RoomRecord]:
        """Rooms the user joined (not those only invited to), most recently joined first."""

    # Messages
    @abstractmethod
    async def append_message(self, message: NewMessage) -> tuple[MessageRecord, bool]:
        """Store a message with the room's next sequence number.

        Idempotent on (room_id, sender_id, client_id): a retry returns the stored record and False.
        Sequence numbers stay unique and gap-free under concurrent writers.
        """

    @abstractmethod
    async def list_messages(
        self, room_id: str, *, before_seq: int | None = None, limit: int = 50
    ) -> list[MessageRecord]:
        """Newest first, only messages with seq < before_seq when given."""

    @abstractmethod
    async def messages_after(self, room_id: str, after_seq: int, limit: int) -> list[MessageRecord]:
        """Oldest first, only messages with seq > after_seq: what a reconnecting client missed."""

    # Recordings
    @abstractmethod
    async def create_recording(self, recording: RecordingRecord) -> None:
        """Raise LookupError when the room does not exist."""

    @abstractmethod
    async def get_recording(self, recording_id: str) -> RecordingRecord | None: ...

    @abstractmethod
    async def update_recording(
        self, recording_id: str, changes: RecordingChanges
    ) -> RecordingRecord | None:
        """Apply the changes; the recording as it is now, or None when it does not exist."""

    @abstractmethod
    async def list_recordings(self, room_id: str) -> list[RecordingRecord]:
        """The room's recordings, newest first."""

    @abstractmethod
    async def recordings_started_before(self, cutoff: datetime) -> list[RecordingRecord]:
        """Every recording (of any room) started before `cutoff`, oldest first: the retention
        sweep's work."""

    @abstractmethod
    async def recordings_in_progress(self) -> list[RecordingRecord]:
        """Every recording (of any room) with status `recording` or `processing`, oldest first:
        those an instance may have to stop, or make the file of, for another that died."""

    @abstractmethod
    async def recording_files(self) -> set[str]:
        """The file names of every recording that has one (the files the sweep keeps)."""

    @abstractmethod
    async def delete_recording(self, recording_id: str) -> bool:
        """False when it did not exist. Deleting a room deletes its recordings' records too."""
