"""Wire schemas of the HTTP API (kept apart from the stored records)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from glimpse.store import RoomRecord

DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Password = Annotated[str, Field(min_length=8, max_length=256)]
RoomName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ErrorDetail(BaseModel):
    code: str
    message: str


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


class RoomUpdate(BaseModel):
    name: RoomName


class RoomPublic(BaseModel):
    id: str
    code: str
    name: str
    owner_id: str
    has_password: bool
    created_at: datetime
    invite_path: str
    """Path of the invite link, relative to the server's origin."""

    @classmethod
    def of(cls, room: RoomRecord) -> RoomPublic:
        return cls(
            id=room.id,
            code=room.code,
            name=room.name,
            owner_id=room.owner_id,
            has_password=room.password_hash is not None,
            created_at=room.created_at,
            invite_path=f"/r/{room.code}",
        )


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
    ttl: int
    """Seconds the TURN credentials stay valid."""


class Health(BaseModel):
    status: Literal["ok"]
