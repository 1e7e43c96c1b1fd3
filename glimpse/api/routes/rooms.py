"""Rooms and their chat history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from glimpse.api.deps import (
    RATE_LIMITED,
    ClientAddress,
    CurrentUser,
    LimiterDep,
    RoomsDep,
    SettingsDep,
)
from glimpse.api.schemas import (
    MemberInvite,
    MemberPublic,
    MemberRoleUpdate,
    MessagePage,
    MessagePublic,
    RoomCreate,
    RoomLists,
    RoomLookup,
    RoomPublic,
    RoomSettings,
)
from glimpse.errors import Forbidden
from glimpse.limits import Limit

router = APIRouter(prefix="/rooms", tags=["rooms"])

MAX_PAGE = 100
MAX_SEQ = 2**63 - 1
"""Sequence numbers are 64-bit signed integers in every store: a larger `before` is refused."""


@router.post("", status_code=status.HTTP_201_CREATED, responses=RATE_LIMITED)
async def create_room(body: RoomCreate, user: CurrentUser, rooms: RoomsDep) -> RoomPublic:
    """Rooms with a password (each a password hash) are limited per user."""
    return RoomPublic.of(await rooms.create(user.id, body.name, body.password))


@router.get("")
async def list_rooms(user: CurrentUser, rooms: RoomsDep) -> RoomLists:
    """The rooms I own, and the rooms I joined most recently."""
    lists = await rooms.lists(user.id)
    return RoomLists(
        owned=[RoomPublic.of(room) for room in lists.owned],
        recent=[RoomPublic.of(room) for room in lists.recent],
    )


@router.get("/by-code/{code}", responses=RATE_LIMITED)
async def get_room_by_code(
    code: str,
    user: CurrentUser,
    rooms: RoomsDep,
    settings: SettingsDep,
    limiter: LimiterDep,
    address: ClientAddress,
) -> RoomLookup:
    """The room, and whether its meeting is being recorded now (what the pre-join screen
    shows). Limited per user and per address, so codes cannot be enumerated."""
    await limiter.enforce(
        Limit("room-lookup:user", user.id, settings.room_lookup_limit_per_user),
        Limit("room-lookup:address", address, settings.room_lookup_limit_per_address),
    )
    room = await rooms.find(code)
    return RoomLookup.now(room, await rooms.recorded(room.id))


@router.get("/{room_id}")
async def get_room(room_id: str, user: CurrentUser, rooms: RoomsDep) -> RoomLookup:
    """The room, and whether its meeting is being recorded now (what the pre-join screen reads
    again while it waits: not limited, as an id cannot be guessed)."""
    room = await rooms.get(room_id)
    return RoomLookup.now(room, await rooms.recorded(room.id))


@router.patch("/{room_id}", responses=RATE_LIMITED)
async def change_room_settings(
    room_id: str, body: RoomSettings, user: CurrentUser, rooms: RoomsDep
) -> RoomPublic:
    """The owner's settings: name, password (set, or remove), guests allowed, lobby, media mode. New
    passwords are limited per user, as rooms created with one are."""
    room = await rooms.change_settings(
        room_id,
        user.id,
        name=body.name,
        password=body.password,
        remove_password=body.remove_password,
        allow_guests=body.allow_guests,
        lobby=body.lobby,
        media_mode=body.media_mode,
    )
    return RoomPublic.of(room)


@router.delete("/{room_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_room(room_id: str, user: CurrentUser, rooms: RoomsDep) -> None:
    """Delete the room with its history; anyone in it is told and disconnected."""
    await rooms.delete(room_id, user.id)


@router.get("/{room_id}/members")
async def list_members(room_id: str, user: CurrentUser, rooms: RoomsDep) -> list[MemberPublic]:
    """The room's members, most recently joined first (the owner excluded); owner only."""
    members = await rooms.members(room_id, user.id)
    return [MemberPublic.model_validate(member) for member in members]


@router.put("/{room_id}/members/{member_id}")
async def set_member_role(
    room_id: str, member_id: str, body: MemberRoleUpdate, user: CurrentUser, rooms: RoomsDep
) -> MemberPublic:
    """Change a member's role; owner only."""
    member = await rooms.set_role(room_id, user.id, member_id, body.role)
    return MemberPublic.model_validate(member)


@router.post("/{room_id}/members", status_code=status.HTTP_201_CREATED, responses=RATE_LIMITED)
async def invite_member(
    room_id: str, body: MemberInvite, user: CurrentUser, rooms: RoomsDep
) -> MemberPublic:
    """Make an existing user (by e-mail) a member, "invited" unless another role is given: an
    invited member never waits in the lobby. Owner only, limited per owner."""
    member = await rooms.invite(room_id, user.id, body.email, body.role)
    return MemberPublic.model_validate(member)


@router.get("/{room_id}/messages")
async def list_messages(
    room_id: str,
    user: CurrentUser,
    rooms: RoomsDep,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_SEQ, description="Only messages with seq < before")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> MessagePage:
    """A room's chat history, newest first, for users who have joined the room."""
    room = await rooms.get(room_id)
    if not await rooms.belongs(room, user.id):
        raise Forbidden("join this room to read its history", code="not_a_member")
    page = await rooms.history(room.id, limit, before=before)
    return MessagePage(
        messages=[MessagePublic.model_validate(record) for record in page.messages],
        next_before=page.messages[-1].seq if page.more else None,
    )
