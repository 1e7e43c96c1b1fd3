"""Wire schemas of the HTTP API (kept apart from the stored records)."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from glimpse.store import LobbyMode, MediaMode, MemberRole, RecordingStatus, RoomRecord


def _without_control_characters(text: str) -> str:
    if any(unicodedata.category(character) == "Cc" for character in text):
        raise ValueError("must not contain control characters")
    return text


DisplayName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(_without_control_characters),
]
"""A person's name as others see it: a user's, or a guest's."""
Password = Annotated[str, Field(min_length=8, max_length=256)]
RoomName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: dict[str, str] | None = None
    """For `validation_error`: what is wrong with each field of the request body, by its name
    (a nested one's path joined by dots; a query or path parameter's as `query.name`)."""


class ErrorBody(BaseModel):
    error: ErrorDetail


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # read from a UserRecord

    id: str
    email: str
    display_name: str
    created_at: datetime


class RegisterRequest(BaseModel):
    email: EmailStr
    display_name: DisplayName
    password: Password
    invite: Annotated[str, Field(max_length=2048)] | None = None
    """Required when the server's sign-up is invite-only (see GET /api/auth/policy)."""


class AuthPolicy(BaseModel):
    signup: Literal["open", "invite", "closed"]
    """Who may register: anyone, holders of an invite, nobody."""


class InviteCreate(BaseModel):
    email: EmailStr
    """The e-mail the invite is for: only this address can sign up with it."""


class InvitePublic(BaseModel):
    invite: str
    invite_path: str
    """Path of the sign-up link, relative to the server's origin."""
    expires_in: int
    """Seconds the invite stays valid."""


class LoginRequest(BaseModel):
    email: Annotated[str, Field(max_length=320)]
    password: Annotated[str, Field(max_length=256)]


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int
    """Seconds until the access token expires; refresh before then."""
    user: UserPublic


class ProfileUpdate(BaseModel):
    display_name: DisplayName | None = None
    password: Password | None = None
    current_password: Annotated[str, Field(max_length=256)] | None = None
    """Required to change the password."""


class RoomCreate(BaseModel):
    name: RoomName
    password: Annotated[str, Field(min_length=1, max_length=256)] | None = None


class RoomSettings(BaseModel):
    """What a room's owner changes: the fields given."""

    name: RoomName | None = None
    password: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    """A new password (stored hashed)."""
    remove_password: bool = False
    allow_guests: bool | None = None
    """Whether people without an account may join through the invite link."""
    lobby: LobbyMode | None = None
    """Who waits to be let in: nobody, guests, everyone but the owner, co-hosts and invited
    members."""
    media_mode: MediaMode | None = None
    """How the meeting's media flows: `auto` (browser to browser until more than
    GLIMPSE_SFU_THRESHOLD send video, then through the SFU), always `mesh`, or always `sfu` (when
    the server has an SFU)."""

    @model_validator(mode="after")
    def _one_password_change(self) -> RoomSettings:
        if self.password is not None and self.remove_password:
            raise ValueError("set a password or remove it, not both")
        return self


class InviteRoom(BaseModel):
    """A room as its invite link shows it to anyone who has the link."""

    id: str
    code: str
    name: str
    has_password: bool
    allow_guests: bool
    lobby: LobbyMode
    media_mode: MediaMode

    @classmethod
    def of(cls, room: RoomRecord) -> InviteRoom:
        return cls(**InviteRoom.fields_of(room))

    @staticmethod
    def fields_of(room: RoomRecord) -> dict[str, Any]:
        return {
            "id": room.id,
            "code": room.code,
            "name": room.name,
            "has_password": room.password_hash is not None,
            "allow_guests": room.allow_guests,
            "lobby": room.lobby,
            "media_mode": room.media_mode,
        }


class RoomPublic(InviteRoom):
    """A room as its owner and its members see it."""

    owner_id: str
    created_at: datetime
    invite_path: str
    """Path of the invite link, relative to the server's origin."""

    @classmethod
    def of(cls, room: RoomRecord) -> RoomPublic:
        return cls(**RoomPublic.fields_of(room))

    @staticmethod
    def fields_of(room: RoomRecord) -> dict[str, Any]:
        return {
            **InviteRoom.fields_of(room),
            "owner_id": room.owner_id,
            "created_at": room.created_at,
            "invite_path": f"/r/{room.code}",
        }


class RoomLookup(RoomPublic):
    """A room looked up to join it: with whether its meeting is being recorded now."""

    recording: bool | None
    """Whether a host is recording the room's meeting right now (null: cannot be told, the bus is
    down)."""

    @classmethod
    def now(cls, room: RoomRecord, recording: bool | None) -> RoomLookup:
        return cls(**RoomPublic.fields_of(room), recording=recording)


class InviteInfo(BaseModel):
    room: InviteRoom
    owner_name: str
    recording: bool | None
    """Whether a host is recording the room's meeting right now (null: cannot be told, the bus is
    down)."""


class GuestCreate(BaseModel):
    display_name: DisplayName


class GuestCredential(BaseModel):
    token: str
    """Bearer token of the guest: for the WebSocket's `auth` and `renew`, GET /api/ice-servers
    and POST /api/guests/renew, and nothing else."""
    expires_in: int
    """Seconds until the token expires: renew it before then."""
    guest_id: str
    room_id: str
    """The one room the token admits to."""
    display_name: str


class MemberPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # read from a MemberRecord

    user_id: str
    display_name: str
    role: MemberRole
    last_joined_at: datetime | None
    """Null for an invited member who has not joined yet."""


class MemberRoleUpdate(BaseModel):
    role: MemberRole


class MemberInvite(BaseModel):
    email: EmailStr
    """The e-mail of an existing account."""
    role: MemberRole = "invited"


class RoomLists(BaseModel):
    owned: list[RoomPublic]
    recent: list[RoomPublic]


class MessagePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # read from a MessageRecord

    id: str
    room_id: str
    seq: int
    sender_id: str
    sender_name: str
    client_id: str
    text: str
    created_at: datetime
    sender_guest: bool
    """Sent by a guest (`sender_id` is the guest's id)."""


class MessagePage(BaseModel):
    messages: list[MessagePublic]
    """Newest first."""
    next_before: int | None
    """Pass as `before` to read the next (older) page; null when there is none."""


class IceServer(BaseModel):
    urls: list[str]
    username: str | None = None
    credential: str | None = None


class IceServers(BaseModel):
    ice_servers: list[IceServer]
    ice_transport_policy: Literal["all", "relay"]
    """The RTCPeerConnection's `iceTransportPolicy`: `relay` sends media only through TURN."""
    ttl: int
    """Seconds the TURN credentials stay valid."""


class Health(BaseModel):
    status: Literal["ok"]


class RecordingPublic(BaseModel):
    """A recording of a meeting, as the room's owner sees it."""

    model_config = ConfigDict(from_attributes=True)  # read from a RecordingRecord

    id: str
    room_id: str
    started_at: datetime
    ended_at: datetime | None
    status: RecordingStatus
    """`recording`, then `processing` (the file is being made), then `ready` or `failed`."""
    duration_seconds: float | None
    size_bytes: int | None
    error: str | None
    """Why it failed."""


class DownloadLink(BaseModel):
    url: str
    """The file's path with a ticket: a plain GET (no Authorization) downloads it."""
    expires_in: int
    """Seconds the link stays valid (start the download before then)."""
